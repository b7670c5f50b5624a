"""bench/bench_train.py --smoke: the training-throughput bench runs end to end on CPU, so it cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SHARED_DATA


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "gsm8k_train.jsonl").exists(), reason=f"real data folder {SHARED_DATA} is absent")
def test_bench_train_smoke_reports_tokens_per_second_mfu_and_memory(tmp_path):
    out = tmp_path / "rows.jsonl"
    cmd = [
        sys.executable, str(ROOT / "bench" / "bench_train.py"), "--smoke", "--rows", "trl_default", "liger", "kit",
        "--launchers", "single", "zero3", "--steps", "2", "--warmup", "1", "--peak-flops", "1e12",
        "--data", str(SHARED_DATA), "--json-out", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    header, *rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert header["smoke"] and header["examples"] == 4 and 30 < header["tokens_mean"] < 2048
    assert [(r["row"], r["launcher"]) for r in rows] == [
        (row, launcher) for launcher in ("single", "zero3") for row in ("trl_default", "liger", "kit")
    ]
    for row in rows:
        if row["row"] == "liger":
            assert row["skipped"].startswith("Liger cannot run here")  # no CUDA: skipped, with the reason
            continue
        assert row["tokens"] > 0 and row["tokens_per_s"] > 0 and row["steps_measured"] == 1
        assert row["model_flops_per_token"] > 0 and row["mfu_missing"] is None
        assert row["mfu"] == pytest.approx(row["model_flops"] / row["seconds"] / 1e12, rel=0.01, abs=1e-4)
        assert row["peak_memory_gib"] > 0.1
        assert row["speed"]["deepspeed"] == (row["launcher"] == "zero3")
        baseline = row["row"] == "trl_default"
        assert row["speed"]["gradient_checkpointing"] == baseline  # the shipped config's old default; the kit's CPU choice is off
        assert row["speed"]["optim"] == ("adamw_torch" if baseline else "adamw_torch_fused")
        assert not row["speed"]["padding_free"] and row["speed"]["attention"] == "sdpa"
    assert "| trl_default | single |" in proc.stdout and "| kit | zero3 |" in proc.stdout
