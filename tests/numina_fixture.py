"""NuminaMath-CoT-shaped rows for the data tests: the dataset's columns (source, problem, solution,
messages), built from real MATH-500 rows when ../shared/data holds them (else the kit's synthetic
sample), with some solutions stripped of their \\boxed{} (NuminaMath has such rows too)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import SHARED_DATA

MATH500 = SHARED_DATA / "math500_test.jsonl"
MAX_CHARS = 700  # problem + solution: short enough for the tiny model's byte-level tokenizer (2048 tokens)


def source_rows(n: int, tmp: Path) -> list[dict]:
    """``n`` problems with worked solutions ending in \\boxed{}: MATH-500's shortest, else the synthetic sample."""
    if MATH500.exists():
        rows = [json.loads(line) for line in MATH500.open(encoding="utf-8")]
        rows = [r for r in rows if len(r["problem"]) + len(r["solution"]) < MAX_CHARS and "\\boxed{" in r["solution"]]
        source = "math"
    else:
        from grader.tiny import make_sample

        rows = [json.loads(line) for line in make_sample(tmp / "sample", n_train=n, n_val=1, n_test=1)["train"].open()]
        source = "synthetic"
    assert len(rows) >= n, f"only {len(rows)} short rows"
    return [{"source": source, "problem": r["problem"], "solution": r["solution"].strip()} for r in rows[:n]]


def unbox(solution: str) -> str:
    """The solution with every \\boxed{X} written as X (no box left)."""
    from grader.answers.extract import closing_brace

    while (m := re.search(r"\\boxed\s*\{", solution)) is not None:
        end = closing_brace(solution, m.end() - 1)
        solution = solution[: m.start()] + solution[m.end() : end] + solution[end + 1 :]
    assert "boxed" not in solution
    return solution


def numina_rows(n: int, unboxed: set[int], tmp: Path) -> list[dict]:
    """``n`` NuminaMath-shaped rows; those at the indexes in ``unboxed`` have no \\boxed{} in their solution."""
    rows = []
    for i, row in enumerate(source_rows(n, tmp)):
        solution = unbox(row["solution"]) if i in unboxed else row["solution"]
        messages = [{"role": "user", "content": row["problem"]}, {"role": "assistant", "content": solution}]
        rows.append({"source": row["source"], "problem": row["problem"], "solution": solution, "messages": messages})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path
