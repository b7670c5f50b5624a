"""The batch's outputs for people: grades.csv, the status table, and Gradescope's results.json.

grades.csv is rebuilt from the states (never appended to), under a lock and atomically, by
whichever process changed a state last: the local scheduler, a Slurm task, or ``status``.
"""

from __future__ import annotations

import csv
import fcntl
import io
import math
from collections import Counter
from typing import Callable

from grader import records
from grader.atomic import write_text_atomic
from grader.batch.gradescope import write_results
from grader.batch.layout import FINAL, GRADE_COLUMNS, INTERRUPTED, PENDING, RUNNING, STAGES, BatchPaths, SubmissionPaths, SubmissionState
from grader.submission.check import CheckReport


def grade_row(state: SubmissionState) -> dict:
    values = state.values
    row = {
        "id": state.id,
        "status": state.status,
        "accuracy": values.accuracy,
        "correct": values.correct,
        "total": values.total,
        "trained_tokens": values.trained_tokens,
        "final_train_loss": values.final_train_loss,
        "error": state.error,
    }
    for stage in STAGES:
        seconds = state.stages[stage].seconds
        row[f"{stage}_seconds"] = None if seconds is None else round(seconds, 1)
    return {column: row[column] for column in GRADE_COLUMNS}


# A spreadsheet reads a cell that starts with one of these as a formula (CSV injection): text cells
# that do are written with a leading ' (OWASP's advice), which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A grades.csv cell: None empty, numbers as they are (-0.5 stays a number), text on one line (a bare CR
    would break the row: the writer quotes only "\\n") and formula-like text neutralized."""
    if not isinstance(value, str):
        return "" if value is None else value
    text = "'" + value if value.startswith(FORMULA_START) else value
    return text.replace("\r", " ").replace("\n", " ")


def grades_csv(states: list[SubmissionState]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=GRADE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for state in states:
        writer.writerow({k: csv_cell(v) for k, v in grade_row(state).items()})
    return out.getvalue()


def write_grades(paths: BatchPaths, view: Callable[[SubmissionState], SubmissionState] | None = None) -> list[SubmissionState]:
    """Rebuild grades.csv from every state, under the batch's gradebook lock (``view``: how each is shown)."""
    with open(paths.root / ".grades.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        states = [view(s) for s in paths.states()] if view else paths.states()
        write_text_atomic(paths.grades, grades_csv(states))
    return states


def duration(value: float | None) -> str:
    """A duration people read at a glance: 42.0 s, 12.5 min, 3.2 h ("–" when unknown)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return "–"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def counts(states: list[SubmissionState]) -> dict[str, int]:
    found = Counter(state.status for state in states)
    return {status: found[status] for status in (*FINAL, RUNNING, INTERRUPTED, PENDING) if found[status]}


def status_table(states: list[SubmissionState], baseline: SubmissionState | None = None) -> str:
    """The table `status` prints: one line per submission, then the counts."""
    lines = [f"{'submission':<24} {'status':<14} {'stage':<9} {'accuracy':>8} {'tokens':>14}  error"]
    for state in states:
        stage = state.shown_stage() or ""
        accuracy = state.values.accuracy
        tokens = state.values.trained_tokens
        lines.append(
            f"{state.id:<24} {state.status:<14} {stage:<9} "
            f"{'' if accuracy is None else f'{accuracy:.1%}':>8} {'' if tokens is None else f'{tokens:,}':>14}  "
            f"{state.error or ''}"[:400]
        )
    summary = ", ".join(f"{n} {status}" for status, n in counts(states).items())
    lines.append(f"{len(states)} submissions: {summary or 'none'}")
    if baseline is not None and baseline.values.accuracy is not None:
        lines.append(f"base model (untrained): {baseline.values.accuracy:.1%}")
    return "\n".join(lines)


def read_check(paths: SubmissionPaths) -> CheckReport | None:
    """The check stage's report, once it ran."""
    return records.load_optional(paths.check, CheckReport)


def write_final(batch, paths: SubmissionPaths, state: SubmissionState) -> None:
    """Gradescope's results.json for a submission that ended without a grade (invalid, failed, ...)."""
    if state.final and state.status != "graded" and paths.root != batch.paths.baseline:
        write_results(paths, state, None, read_check(paths), max_score=batch.policy.max_score)
