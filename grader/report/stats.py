"""The class's numbers: status counts, accuracy spread, per-group medians, per-problem solve shares.

Accuracy comes from ``grades.csv`` (the gradebook of record); the per-group numbers come from each
submission's ``summary.json`` (``by_subject`` ...), and solve shares from its ``predictions.jsonl``.
The feedback pages compare one submission against the medians computed here.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from grader.batch.layout import FINAL
from grader.evaluation.evaluate import Item
from grader.report.load import BatchView, SubmissionView

# The report's four outcome boxes; every FINAL status falls in exactly one.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "graded": ("graded",),
    "invalid": ("invalid",),
    "over budget": ("over_budget",),
    "failed": tuple(s for s in FINAL if s not in ("graded", "invalid", "over_budget")),
}


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def status_counts(submissions: list[SubmissionView]) -> dict[str, int]:
    """graded / invalid / over budget / failed, plus 'not finished' for pending or running ones."""
    counts = {name: sum(s.status in members for s in submissions) for name, members in STATUS_GROUPS.items()}
    counts["not finished"] = sum(s.status not in FINAL for s in submissions)
    return counts


@dataclass
class ClassStats:
    graded: list[SubmissionView]
    accuracies: list[float]
    baseline: float | None
    groups: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # field -> value -> accuracies
    never_stopped: list[float] = field(default_factory=list)
    no_box: list[float] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        return mean(self.accuracies)

    @property
    def median(self) -> float | None:
        return median(self.accuracies)

    def group_medians(self, name: str) -> dict[str, float]:
        return {value: statistics.median(accs) for value, accs in self.groups.get(name, {}).items() if accs}


def class_stats(batch: BatchView) -> ClassStats:
    graded = [s for s in batch.submissions if s.accuracy is not None]
    baseline = batch.baseline.accuracy if batch.baseline else None
    stats = ClassStats(graded, [s.accuracy for s in graded], baseline)
    for submission in graded:
        summary = submission.summary
        if summary is None:
            continue
        for name in batch.group_fields():
            for value, entry in summary.by(name).items():
                stats.groups.setdefault(name, {}).setdefault(value, []).append(entry.accuracy)
        stats.never_stopped.append(summary.never_stopped)
        stats.no_box.append(summary.no_box)
    return stats


@dataclass
class ProblemRow:
    """One hidden problem: how many graded submissions solved it, and whether the base model did."""

    item: Item
    solved: int
    attempted: int
    baseline: bool | None

    @property
    def share(self) -> float | None:
        return self.solved / self.attempted if self.attempted else None


def problem_rows(batch: BatchView, graded: list[SubmissionView]) -> list[ProblemRow]:
    """Solve counts over graded submissions, in test-set order; reads each predictions.jsonl once."""
    solved: dict[str, int] = {}
    attempted: dict[str, int] = {}
    for submission in graded:
        for problem_id, outcome in (submission.outcomes() or {}).items():
            attempted[problem_id] = attempted.get(problem_id, 0) + 1
            solved[problem_id] = solved.get(problem_id, 0) + outcome.correct
    items = batch.test or [Item(i, "", "", {}) for i in attempted]  # no test.jsonl: ids only
    base = batch.baseline_outcomes
    return [
        ProblemRow(item, solved.get(item.id, 0), attempted.get(item.id, 0), (base[item.id].correct if base and item.id in base else None))
        for item in items
    ]


def baseline_by_group(batch: BatchView, name: str) -> dict[str, float]:
    entries = batch.baseline.by(name) if batch.baseline else {}
    return {value: entry.accuracy for value, entry in entries.items()}
