"""Turn a submission folder into plain data: run sft_utils.py in the sandbox, re-read its output.

This is the only way the fixed code gets the student's examples and chat template. The
output of the sandbox is parsed strictly (JSON only, types checked, sizes bounded); nothing
the student produced is unpickled or imported here.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.config import MAX_TRAIN_EXAMPLES, MAX_VAL_EXAMPLES, TrainConfig
from grader.errors import UserError
from grader.sandbox import SandboxLimits, run_confined

SPLIT_LIMITS = {"train": MAX_TRAIN_EXAMPLES, "val": MAX_VAL_EXAMPLES}


@dataclass(frozen=True)
class Split:
    """One split as the student's module returned it; ``count`` may exceed ``len(problems)``."""

    name: str
    file: str
    problems: list[str]
    solutions: list[str]
    count: int  # how many examples load_split produced (only the first limit + 1 are kept)


@dataclass(frozen=True)
class Materialized:
    chat_template: str
    splits: dict[str, Split]
    confinement: str
    seconds: float
    notes: list[str] = field(default_factory=list)


def _read_split(path: Path, name: str, file: str, claimed: object) -> Split:
    problems: list[str] = []
    solutions: list[str] = []
    if not path.is_file():
        raise UserError(f"sft_utils.py: no '{name}' data came back from the sandbox")
    with path.open("rb") as handle:
        for index, raw in enumerate(handle):
            try:
                row = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise UserError(f"sft_utils.py: '{name}' example {index} came back malformed") from None
            if (
                not isinstance(row, dict)
                or set(row) != {"problem", "solution"}
                or not all(isinstance(v, str) for v in row.values())
            ):
                raise UserError(f"sft_utils.py: '{name}' example {index} came back malformed")
            problems.append(row["problem"])
            solutions.append(row["solution"])
    seen = len(problems)
    count = claimed if isinstance(claimed, int) and not isinstance(claimed, bool) and claimed > seen else seen
    return Split(name, file, problems, solutions, count)


def materialize(
    submission: str | Path,
    config: TrainConfig,
    limits: SandboxLimits = SandboxLimits(),
) -> Materialized:
    """Run the student's module confined and return its data, or raise UserError with one line."""
    submission = Path(submission).resolve()
    module = submission / "sft_utils.py"
    if not module.is_file():
        raise UserError(f"{module}: file not found (the submission must contain sft_utils.py)")
    with tempfile.TemporaryDirectory(prefix="grader-materialize-") as tmp:
        out = Path(tmp)
        out.chmod(0o777)  # the sandbox may run under another uid
        argv = [
            sys.executable, "-m", "grader.sandbox_worker",
            "--train-file", config.train_file,
            "--val-file", config.val_file,
            "--max-train", str(SPLIT_LIMITS["train"]),
            "--max-val", str(SPLIT_LIMITS["val"]),
            "--seed", str(config.seed),
        ]  # fmt: skip
        result = run_confined(argv, submission, out, limits)
        result_file = out / "result.json"
        if result.timed_out:
            raise UserError(
                f"sft_utils.py: did not finish within {limits.wall_seconds:g} s (the sandbox's time limit)"
            )
        if not result_file.is_file():
            tail = result.stderr_tail.strip().splitlines()
            last = tail[-1] if tail else ""
            if "MemoryError" in result.stderr_tail or result.returncode in (-9,):
                reason = f"was killed (exit {result.returncode}); it may have exceeded the memory limit of {limits.memory_bytes >> 20} MiB"
            else:
                reason = f"stopped before returning its data (exit {result.returncode}){': ' + last if last else ''}"
            raise UserError(f"sft_utils.py: {reason}")
        try:
            if result_file.stat().st_size > 16 << 20:
                raise ValueError("too large")
            report = json.loads(result_file.read_text(encoding="utf-8"))
            if not isinstance(report, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            raise UserError("sft_utils.py: the sandbox's report came back malformed") from None
        error = report.get("error")
        if error is not None:
            raise UserError(str(error).splitlines()[0] if str(error) else "sft_utils.py failed")
        template = report.get("chat_template")
        counts = report.get("counts") if isinstance(report.get("counts"), dict) else {}
        if not isinstance(template, str) or not template.strip():
            raise UserError("sft_utils.py must define CHAT_TEMPLATE as a non-empty string")
        splits = {
            name: _read_split(out / f"{name}.jsonl", name, file, counts.get(name))
            for name, file in (("train", config.train_file), ("val", config.val_file))
        }
    return Materialized(template, splits, result.confinement, result.seconds)
