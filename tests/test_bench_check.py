"""bench/bench_check.py's quick modes run end to end at a small scale, so they cannot rot
(docs/benchmarks.md shows them; --template-only once called a method the check no longer had)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def bench(*args: str) -> dict:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_check.py"), *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[0])


def test_template_only_renders_every_problem_in_batches():
    result = bench("--template-only", "--examples", "30000")["template"]  # 25,000 problems a batch: two batches
    assert (result["problems"], result["rendered"], result["batches"], result["violation"]) == (30000, 30000, 2, False)


def test_decontam_only_finds_the_planted_matches():
    result = bench("--decontam-only", "--examples", "3000", "--test-problems", "300")["decontam"]
    assert result["planted_found"] is True and result["train_examples"] == 3000 and result["test_problems"] == 300
