"""The newcomer's command: the whole loop on the tiny model must improve the held-out accuracy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.demo import ROOT as DEMO_ROOT, next_commands
from tests.conftest import ROOT
from tests.test_student_readme import bash_blocks, student_section


@pytest.mark.slow
def test_demo_json_reports_an_improvement(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "demo", "--json", "--workdir", str(tmp_path / "demo")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["accuracy_before"] == 0.0  # a random model writes no correct box
    assert result["accuracy_after"] >= 0.3  # measured: 0.63 on the 60 held-out problems
    assert result["never_stopped_after"] == 0.0  # every trained answer ends with EOS
    checkpoint = Path(result["checkpoint"])
    assert (checkpoint / "model.safetensors").is_file() and (checkpoint / "chat_template.jinja").is_file()
    rows = [json.loads(line) for line in (Path(result["predictions"]) / "predictions.jsonl").open()]
    assert len(rows) == result["n_test"] == 60
    assert sum(r["correct"] for r in rows) / len(rows) == pytest.approx(result["accuracy_after"], abs=1e-6)
    assert proc.stderr.rstrip().endswith(next_commands(tmp_path / "demo" / "build" / "base-model").rstrip())


def test_the_demo_ends_with_the_readme_student_commands():
    """`make demo`'s last words are README.md's student commands, with the tiny model it built."""
    text = next_commands(DEMO_ROOT / "runs" / "demo" / "build" / "base-model")
    shown = [line.strip() for line in text.splitlines() if line.startswith("  ")]
    assert shown == [
        ". .venv/bin/activate",
        "python data/prepare_numina.py",
        "python -m grader check",
        "python sft.py --base-model runs/demo/build/base-model",
        "python -m grader evaluate checkpoints/final --data data/val.jsonl --limit 10 --max-new-tokens 100",
    ]
    in_readme = [command for block in bash_blocks(student_section()) for command in block]
    assert [command for command in shown if command not in in_readme] == []
    assert f"from {ROOT} (README.md" in text and "max_steps: 5" in text
