"""The students' CI (.github/workflows/check.yml): its install step, as written, is enough for `check`.

The workflow installs a short list instead of the kit's dependencies (no torch, no GPU packages)
and runs `python -m grader check .` from the repository, a clone of the kit. A package the check
comes to need and the list lacks would turn every student's CI red; this test builds a fresh
virtualenv with exactly the step's commands and runs the check step's command in a clone.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from grader.tiny import make_sample
from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "check.yml"


def steps() -> dict[str, dict]:
    job = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["check"]
    return {step.get("name", ""): step for step in job["steps"]}


def run_lines(step: dict) -> list[str]:
    return [line.strip() for line in step["run"].splitlines() if line.strip() and not line.strip().startswith("#")]


@pytest.mark.slow
def test_the_workflows_install_step_is_enough_for_check(tmp_path):
    named = steps()
    install = next(step for name, step in named.items() if name.startswith("Install what check needs"))
    check = named["python -m grader check"]
    venv = tmp_path / "ci-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"  # `python` is the workflow's interpreter
    for line in run_lines(install):
        proc = subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0 and "No matching distribution" in proc.stderr + proc.stdout:
            pytest.skip(f"the package registry is not reachable here: {line}")
        assert proc.returncode == 0, (line, proc.stderr[-2000:])
    assert subprocess.run([str(venv / "bin" / "python"), "-c", "import torch"], capture_output=True).returncode != 0

    repo = tmp_path / "repo"  # a student's repository: a clone of the kit with their two files and data
    repo.mkdir()
    for name in ("sft_utils.py", "sft_config.yaml"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(ROOT / "grader", repo / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    make_sample(repo / "data", n_train=40, n_val=5, n_test=1)  # data/train.jsonl and data/val.jsonl, as the config names
    (command,) = run_lines(check)
    proc = subprocess.run(["bash", "-c", command], cwd=repo, env={**env, **check.get("env", {})}, capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    assert proc.stdout.rstrip().endswith("OK: the submission is valid")
    assert "train: 40 examples" in proc.stdout and "Traceback" not in proc.stderr
    assert shlex.split(command)[:4] == ["python", "-m", "grader", "check"]
