"""`python -m grader grade` on a class of tiny submissions, on CPU: where the batch's time goes.

Reports the batch's wall time against the sum of its stages' own times (the work), and the
grader's own overhead per submission: for every stage, the time from the scheduler starting the
stage's process to seeing it end, minus the stage's own time (interpreter start, imports, state
files, teardown), plus the intake (snapshot). Goal: under 5 s per submission.

    python bench/bench_grade.py                 # 20 submissions (about 5 minutes on 2 cores)
    python bench/bench_grade.py --submissions 4 # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIG = """\
learning_rate: 3.0e-3
max_steps: 20
per_device_train_batch_size: 16
gradient_accumulation_steps: 1
gradient_checkpointing: false
eval_strategy: "no"
seed: {seed}
"""


def make_class(root: Path, n: int) -> tuple[Path, Path, Path]:
    from grader.tiny import build_default

    base, data = build_default(root / "tiny")
    subs = root / "submissions"
    train = data["train"].read_text().splitlines()[:500]
    val = data["val"].read_text().splitlines()[:20]
    for i in range(n):
        folder = subs / f"student{i:02d}"
        (folder / "data").mkdir(parents=True)
        (folder / "sft_utils.py").write_text((ROOT / "sft_utils.py").read_text())
        (folder / "sft_config.yaml").write_text(CONFIG.format(seed=i))
        (folder / "data" / "train.jsonl").write_text("\n".join(train) + "\n")
        (folder / "data" / "val.jsonl").write_text("\n".join(val) + "\n")
    test = root / "hidden.jsonl"
    test.write_text("\n".join(data["test"].read_text().splitlines()[:12]) + "\n")
    return subs, test, base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20)
    args = parser.parse_args()
    from grader.batch.layout import BatchPaths

    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        root = Path(tmp)
        subs, test, base = make_class(root, args.submissions)
        policy = root / "grading.yaml"
        policy.write_text("max_new_tokens: 40\n")
        out = root / "out"
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "grader", "grade", str(subs), "--test", str(test), "--base-model", str(base),
             "--out", str(out), "--policy", str(policy), "--gpus-per-job", "0", "--no-baseline", "--json"],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        states = BatchPaths(out).states()
    work = {s.id: sum(st.seconds or 0 for name, st in s.stages.items() if name != "snapshot") for s in states}
    overhead = {}
    for s in states:
        per_stage = [st.exited - st.launched - st.seconds for name, st in s.stages.items()
                     if name != "snapshot" and st.launched and st.exited]  # fmt: skip
        overhead[s.id] = sum(per_stage) + (s.stages["snapshot"].seconds or 0)
    by_stage = {
        name: statistics.mean(st.exited - st.launched - st.seconds for s in states
                              for n, st in s.stages.items() if n == name and st.launched and st.exited)  # fmt: skip
        for name in ("check", "train", "evaluate", "score")
    }
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_end": os.getloadavg(),
        "submissions": len(states),
        "graded": sum(s.status == "graded" for s in states),
        "wall_seconds": round(wall, 1),
        "sum_of_stage_seconds": round(sum(work.values()), 1),
        "overhead_per_submission_seconds": {
            "mean": round(statistics.mean(overhead.values()), 2), "max": round(max(overhead.values()), 2),
        },  # fmt: skip
        "overhead_per_stage_seconds": {k: round(v, 2) for k, v in by_stage.items()},
    }
    print(json.dumps(result))
    print(
        "\n| submissions | wall s | sum of stage s | overhead / submission (mean, max) s | per stage: check, train, evaluate, score s |\n"
        "| ---: | ---: | ---: | ---: | --- |\n"
        f"| {result['submissions']} | {result['wall_seconds']} | {result['sum_of_stage_seconds']} | "
        f"{result['overhead_per_submission_seconds']['mean']}, {result['overhead_per_submission_seconds']['max']} | "
        + ", ".join(f"{v:.2f}" for v in by_stage.values()) + " |"
    )
    return 0 if result["overhead_per_submission_seconds"]["max"] < 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
