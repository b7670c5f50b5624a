"""The class report: one self-contained HTML page for the instructor, headline numbers first.

Status counts and accuracy (mean, median, base model) on top, then the failures with their
one-line errors, the gradebook, the hidden problems (who solves what), accuracy per
source/subject/level, and compute per submission. The gradebook's numbers are grades.csv's, cell
for cell (each cell keeps the CSV text in ``data-value``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from grader.batch.layout import FINAL, GRADE_COLUMNS
from grader.report import plots
from grader.report.load import BatchView
from grader.report.page import (
    Breakdown, Card, Cell, Plot, Table, card, count, count_cell, num_cell, number, pct, pct_cell, plot, render, seconds,
    shorten, table, text_cell,
)  # fmt: skip
from grader.report.stats import (
    ClassStats, ProblemRow, baseline_by_group, class_stats, mean, median, problem_rows, status_counts,
)  # fmt: skip

PROBLEM_SNIPPET = 110  # characters of each hidden problem in the instructor's table
ERROR_CHARS = 300


def _headline(batch: BatchView, stats: ClassStats) -> list[list[Card]]:
    """Two rows of cards: how many submissions are in each state, then the class's accuracy."""
    counts = status_counts(batch.submissions)
    tones = {"graded": "good" if counts["graded"] else "", "failed": "bad" if counts["failed"] else ""}
    status_cards = [
        card(name, str(n), card_id=f"count-{name.replace(' ', '-')}", raw=n, tone=tones.get(name, ""))
        for name, n in counts.items()
        if name != "not finished" or n
    ]
    best = max(stats.accuracies) if stats.accuracies else None
    accuracy_cards = [
        card("mean accuracy", pct(stats.mean), card_id="mean-accuracy", raw=stats.mean),
        card("median accuracy", pct(stats.median), card_id="median-accuracy", raw=stats.median),
        card("best", pct(best), card_id="best-accuracy", raw=best),
        card("base model", pct(stats.baseline), "untrained, same test set", card_id="baseline-accuracy", raw=stats.baseline),
    ]
    return [status_cards, accuracy_cards]


def _accuracy_plots(stats: ClassStats) -> list[Plot]:
    """None at all when no submission was graded (the page says so)."""
    if not stats.accuracies:
        return []
    figures = [plot(plots.accuracy_histogram(stats.accuracies, stats.baseline), "accuracy-histogram")]
    tokens = [(s.number("trained_tokens"), s.accuracy) for s in stats.graded if s.number("trained_tokens") is not None]
    if len(tokens) >= 2:
        figures.append(plot(plots.tokens_vs_accuracy([t for t, _ in tokens], [a for _, a in tokens]), "tokens-vs-accuracy"))
    return figures


def _failures_table(batch: BatchView) -> Table | None:
    failed = [s for s in batch.submissions if s.status in FINAL and s.status != "graded"]
    if not failed:
        return None
    rows = [
        [text_cell(s.id), Cell(s.status, s.status, tag="bad"), text_cell(FINAL[s.status]),
         text_cell(shorten(s.row.get("error") or s.state.error or "", ERROR_CHARS))]
        for s in failed
    ]  # fmt: skip
    return table(["submission", "status", "meaning", "error"], rows, table_id="failures")


def _gradebook_cell(column: str, text: str) -> Cell:
    try:
        value = float(text) if text != "" else None
    except ValueError:
        value = None
    if column == "accuracy":
        return num_cell(value, pct(value), text)
    if column.endswith("_seconds"):
        return num_cell(value, seconds(value), text)
    if column in ("correct", "total", "trained_tokens"):
        return num_cell(value, count(value), text)
    if column == "final_train_loss":
        return num_cell(value, number(value, 4), text)
    if column == "error":
        return Cell(shorten(text, 90), text, title=text)
    return Cell(text, text)


def _gradebook_table(batch: BatchView, links: Mapping[str, str]) -> Table:
    columns = list(GRADE_COLUMNS)
    numeric = [i for i, c in enumerate(columns) if c not in ("id", "status", "error")]
    rows = []
    for s in batch.submissions:
        row = [_gradebook_cell(c, s.row.get(c, "")) for c in columns]
        if s.id in links:
            row[0] = Cell(s.id, s.id, href=links[s.id])
        rows.append(row)
    headers = [c.removesuffix("_seconds") + (" time" if c.endswith("_seconds") else "") for c in columns]
    return table([h.replace("_", " ") for h in headers], rows, table_id="gradebook", numeric_columns=numeric,
                 scroll=len(rows) > 25, wide=True)  # fmt: skip


@dataclass(frozen=True)
class Problems:
    """The hidden problems: headline counts, the histogram of solve shares, one row per problem."""

    cards: list[Card]
    histogram: Plot
    table: Table


def _problems(batch: BatchView, stats: ClassStats) -> Problems | None:
    if not stats.graded:
        return None
    problems = problem_rows(batch, stats.graded)
    if not problems:
        return None
    shares = [p.share for p in problems if p.share is not None]
    nobody = sum(p.attempted > 0 and p.solved == 0 for p in problems)
    everybody = sum(p.attempted > 0 and p.solved == p.attempted for p in problems)
    fields = batch.group_fields()
    columns = ["#", "id", *fields, "problem", "answer", "base model", "solved by", "share"]
    numeric = [0, len(columns) - 2, len(columns) - 1]

    def row(index: int, p: ProblemRow) -> list[Cell]:
        solved = Cell("solved", "1", tag="good")
        base = {True: solved, False: Cell("–", "0"), None: Cell("", "")}[p.baseline]
        return [
            num_cell(index, str(index)), text_cell(p.item.id),
            *(text_cell(p.item.groups.get(f, "")) for f in fields),
            text_cell(shorten(p.item.problem, PROBLEM_SNIPPET)), text_cell(shorten(p.item.answer, 40)), base,
            num_cell(p.solved, f"{p.solved}/{p.attempted}", str(p.solved)), num_cell(p.share, pct(p.share, 0)),
        ]  # fmt: skip

    classes = [
        None if not p.attempted else "none" if p.solved == 0 else "all" if p.solved == p.attempted else None for p in problems
    ]
    headline = [
        card("problems", str(len(problems)), card_id="problem-count", raw=len(problems)),
        card("nobody solves", str(nobody), "red rows", card_id="solved-by-nobody", raw=nobody,
             tone="bad" if nobody else ""),
        card("everybody solves", str(everybody), "green rows", card_id="solved-by-everybody", raw=everybody,
             tone="good" if everybody else ""),
        card("median share solved", pct(median(shares), 0), card_id="median-share", raw=median(shares)),
    ]  # fmt: skip
    return Problems(
        headline,
        plot(plots.solve_share_histogram(shares), "solve-share-histogram"),
        table(columns, [row(i + 1, p) for i, p in enumerate(problems)], table_id="problems", row_classes=classes,
              numeric_columns=numeric, scroll=True),
    )  # fmt: skip


def _breakdowns(batch: BatchView, stats: ClassStats) -> list[Breakdown]:
    """Per group field with values: the class's spread per value beside the base model."""
    parts = []
    counts = {f: {} for f in batch.group_fields()}
    for item in batch.test:
        for f in counts:
            if f in item.groups:
                key = str(item.groups[f])
                counts[f][key] = counts[f].get(key, 0) + 1
    for name in batch.group_fields():
        groups = stats.groups.get(name, {})
        if not groups:
            continue
        base = baseline_by_group(batch, name)
        labels = sorted(groups, key=lambda k: (len(k), k) if k.isdigit() else (0, k))
        rows = [
            [text_cell(k), count_cell(counts[name].get(k)), pct_cell(base.get(k)), pct_cell(mean(groups[k])),
             pct_cell(median(groups[k])), pct_cell(max(groups[k]))]
            for k in labels
        ]
        figure = None
        if 1 < len(labels) <= 25:  # more values than that read better as a table alone
            figure = plot(plots.group_boxes(name, {k: groups[k] for k in labels}, base), f"group-{name}")
        parts.append(Breakdown(name, figure, table(
            [name, "problems", "base model", "class mean", "class median", "best"], rows, table_id=f"by-{name}",
            numeric_columns=[1, 2, 3, 4, 5])))  # fmt: skip
    return parts


def _compute_table(batch: BatchView) -> Table | None:
    started = [s for s in batch.submissions if s.status == "graded" or s.summary or s.number("trained_tokens") is not None]
    if not started:
        return None
    rows = []
    for s in started:
        summary = s.summary
        stage_times = [t for t in (s.number("evaluate_seconds"), s.number("score_seconds")) if t is not None]
        evaluate = sum(stage_times) if stage_times else None
        tokens, train = s.number("trained_tokens"), s.number("train_seconds")
        rows.append([
            text_cell(s.id), text_cell(s.status),
            num_cell(tokens, count(tokens), s.row.get("trained_tokens", "")),
            num_cell(train, seconds(train), s.row.get("train_seconds", "")),
            num_cell(evaluate, seconds(evaluate)),
            pct_cell(summary and summary.never_stopped), pct_cell(summary and summary.no_box),
            num_cell(summary and summary.mean_output_tokens, number(summary and summary.mean_output_tokens, 4)),
        ])  # fmt: skip
    return table(["submission", "status", "trained tokens", "train time", "evaluation time", "never stopped", "no box",
                  "mean output tokens"], rows, table_id="compute", numeric_columns=[2, 3, 4, 5, 6, 7],
                 scroll=len(rows) > 25)  # fmt: skip


def _subtitle(batch: BatchView) -> str:
    meta = batch.meta
    parts = [f"{len(batch.submissions)} submission{'s' if len(batch.submissions) != 1 else ''}"]
    if batch.test:
        parts.append(f"{len(batch.test)} hidden problems")
    if meta is not None:
        parts.append(f"test set sha256 {meta.test_sha256[:12]}")
        parts.append(f"base model {meta.base_model}")
    return " · ".join(parts)


def render_class_report(
    batch: BatchView, feedback_links: Mapping[str, str] | None = None, grades_href: str | None = None,
    title: str | None = None,
) -> str:  # fmt: skip
    """The whole page as a string; links are relative to wherever the page is written.

    ``title``: the page's title (default: the batch folder's name)."""
    stats = class_stats(batch)
    return render(
        "class_report.html",
        title=title or batch.root.resolve().name,
        subtitle="Class report · " + _subtitle(batch),
        headline=_headline(batch, stats),
        warnings=batch.warnings,
        accuracy=_accuracy_plots(stats),
        failures=_failures_table(batch),
        gradebook=_gradebook_table(batch, feedback_links or {}),
        grades_href=grades_href,
        problems=_problems(batch, stats),
        breakdowns=_breakdowns(batch, stats),
        compute=_compute_table(batch),
    )


def relative_href(target: Path, page: Path) -> str:
    """A link from ``page`` to ``target`` that still works when both are moved together."""
    return Path(os.path.relpath(target.resolve(), page.resolve().parent)).as_posix()
