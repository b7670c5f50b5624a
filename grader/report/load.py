"""Reading a batch folder for the reports: only the files ``grader.batch.layout`` names, each optional.

A submission that failed early has a ``state.json`` and little else; a batch still running has
no ``grades.csv`` yet; a batch graded without a baseline has no ``baseline/``. Each of these is
read when present and left out of the page when not. A file that exists but cannot be parsed
is reported as a warning on the page instead of stopping the report (the batch grader writes
atomically, so this means someone edited the folder by hand).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, TypeVar

from grader import records
from grader.batch.gradebook import grade_row
from grader.batch.layout import BatchPaths, SubmissionPaths, SubmissionState
from grader.batch.stages import BatchRecord
from grader.errors import UserError
from grader.evaluation.evaluate import (
    GROUP_FIELDS, PREDICTIONS_NAME, SUMMARY_NAME, Item, Prediction, Summary, read_items, read_predictions,
)  # fmt: skip
from grader.submission.check import CheckReport
from grader.training.train import TrainingRecord

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """What the report needs of one graded output (predictions.jsonl rows are far bigger)."""

    correct: bool
    stopped: bool
    reason: str


@dataclass
class SubmissionView:
    """One submission as the report sees it: its gradebook row plus whichever files exist."""

    paths: SubmissionPaths
    state: SubmissionState
    row: dict[str, str]  # the grades.csv row (or the same columns built from state.json)
    check: CheckReport | None = None
    training: TrainingRecord | None = None
    summary: Summary | None = None

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def status(self) -> str:
        return self.row.get("status") or self.state.status

    def number(self, column: str) -> float | None:
        """A numeric gradebook column (grades.csv is the number of record), None when blank."""
        text = self.row.get(column, "")
        try:
            return float(text) if text not in ("", None) else None
        except ValueError:
            return None

    @property
    def accuracy(self) -> float | None:
        return self.number("accuracy") if self.status == "graded" else None

    def outcomes(self) -> dict[str, Outcome] | None:
        """Per problem id: correct, stopped, reason (None without a readable predictions.jsonl)."""
        try:
            return read_outcomes(self.paths.predictions)
        except UserError:
            return None


@dataclass
class BatchView:
    paths: BatchPaths
    meta: BatchRecord | None
    test: list[Item]
    baseline: Summary | None
    baseline_outcomes: dict[str, Outcome] | None
    submissions: list[SubmissionView]
    has_grades_csv: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.paths.root

    def group_fields(self) -> list[str]:
        """The test set's optional fields that at least one problem has (source, subject, level)."""
        return [f for f in GROUP_FIELDS if any(f in item.groups for item in self.test)]


def read_record(path: Path, cls: type[T], warnings: list[str]) -> T | None:
    """The record in ``path``, None when missing; one that does not read as ``cls`` becomes a warning."""
    try:
        return records.load_optional(path, cls)
    except records.RecordError as exc:
        warnings.append(f"{exc}; left out")
        return None


def read_grades(path: Path, warnings: list[str]) -> dict[str, dict[str, str]] | None:
    """grades.csv by submission id, or None when the file is missing."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        warnings.append(f"{path}: unreadable ({type(exc).__name__}); rebuilt from state.json")
        return None
    return {row["id"]: {k: v or "" for k, v in row.items() if k} for row in rows if row.get("id")}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def gradebook_row(state: SubmissionState) -> dict[str, str]:
    """The GRADE_COLUMNS of one submission from its state.json, for when grades.csv is not there yet."""
    return {column: _text(value) for column, value in grade_row(state).items()}


def _state(paths: SubmissionPaths, warnings: list[str]) -> SubmissionState:
    try:
        return paths.read_state()
    except records.RecordError as exc:
        warnings.append(f"{exc}; treated as pending")
        return SubmissionState(paths.id)


def load_submission(paths: SubmissionPaths, row: dict[str, str] | None, warnings: list[str]) -> SubmissionView:
    state = _state(paths, warnings)
    return SubmissionView(
        paths=paths,
        state=state,
        row={**gradebook_row(state), **row} if row else gradebook_row(state),
        check=read_record(paths.check, CheckReport, warnings),
        training=read_record(paths.training_record, TrainingRecord, warnings),
        summary=read_record(paths.summary, Summary, warnings),
    )


def read_outcomes(path: Path) -> dict[str, Outcome] | None:
    """Streamed from predictions.jsonl: only the verdict of each row is kept, not its text."""
    if not path.is_file():
        return None
    return {row.id: Outcome(row.correct, row.stopped, row.reason) for row in read_predictions(path)}


def load_batch(root: str | Path) -> BatchView:
    """Everything the class report reads; a folder that is not a batch is the caller's mistake."""
    paths = BatchPaths(Path(root))
    if not paths.root.is_dir():
        raise UserError(f"{root}: not a folder (DIR is a batch folder written by `python -m grader grade`)", exit_code=2)
    if not paths.submissions_dir.is_dir() and not paths.batch.is_file():
        raise UserError(f"{root}: not a batch folder (no batch.json and no submissions/)", exit_code=2)
    warnings: list[str] = []
    meta = read_record(paths.batch, BatchRecord, warnings)
    test: list[Item] = []
    if paths.test.is_file():
        try:
            test = read_items(paths.test)
        except UserError as exc:
            warnings.append(f"test set left out: {exc}")
    baseline = read_record(paths.baseline / SUMMARY_NAME, Summary, warnings)
    try:
        baseline_outcomes = read_outcomes(paths.baseline / PREDICTIONS_NAME)
    except UserError as exc:
        warnings.append(f"baseline predictions left out: {exc}")
        baseline_outcomes = None
    grades = read_grades(paths.grades, warnings)
    ids = paths.submission_ids()
    submissions = [load_submission(paths.submission(i), (grades or {}).get(i), warnings) for i in ids]
    for missing in sorted(set(grades or {}) - set(ids)):
        warnings.append(f"grades.csv lists {missing!r}, which has no folder under submissions/")
    return BatchView(paths, meta, test, baseline, baseline_outcomes, submissions, grades is not None, warnings)


def iter_predictions(path: Path) -> Iterator[Prediction]:
    """predictions.jsonl rows, one at a time (a feedback page reads one submission's at once)."""
    return read_predictions(path)
