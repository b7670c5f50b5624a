"""Feedback pages: one submission's results, read by its student (and the same page for `evaluate`).

Headline numbers against the class median, accuracy per source/subject/level, the training and
validation loss curves from the trainer's log history, the data's token statistics, how outputs
ended (never stopped, no box, verdict reasons) and, as far as the instructor allows
(``--show-problems``), worked examples. With ``none`` (the default for the hidden set) no problem
text, model output, extracted answer or reference answer of the hidden set is on the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from grader.answers import REASONS
from grader.batch.layout import FINAL
from grader.errors import UserError
from grader.evaluation.evaluate import GROUP_FIELDS, PREDICTIONS_NAME, Prediction, Summary, read_items, read_summary
from grader.report import plots
from grader.report.load import BatchView, SubmissionView, iter_predictions
from grader.report.page import (
    Breakdown, Card, Cell, Plot, Table, card, count, count_cell, is_number, num_cell, number, pct, pct_cell, plot, render,
    seconds, shorten, table, text_cell, write_page,
)  # fmt: skip
from grader.report.stats import ClassStats, baseline_by_group, median
from grader.submission.check import CheckReport
from grader.submission.config import FIELDS
from grader.submission.validate import SplitStats
from grader.training.train import TrainingRecord, read_record

SHOW_PROBLEMS = ("none", "wrong", "all")
MAX_EXAMPLES = 1000  # worked examples on one page; predictions.jsonl has every one
MAX_OUTPUT_CHARS = 8000  # an output that never stopped is cut here on the page
MAX_VIOLATIONS = 200  # check's violations listed on a page; `python -m grader check` prints them all
REPORT_NAME = "report.html"


@dataclass
class ClassContext:
    """What one submission is compared against: the class's medians and the base model."""

    n_graded: int
    median_accuracy: float | None
    median_never_stopped: float | None
    median_no_box: float | None
    group_medians: dict[str, dict[str, float]] = field(default_factory=dict)
    baseline_accuracy: float | None = None
    baseline_groups: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class FeedbackInput:
    """Everything one page shows; any part may be missing (a submission that failed early)."""

    title: str
    subtitle: str
    status: str | None = None  # a FINAL status for batch submissions, None for `evaluate`
    error: str | None = None
    check: CheckReport | None = None  # check.json (violations and per-split stats)
    data_stats: dict[str, SplitStats] | None = None  # train / val: examples and token percentiles
    training: TrainingRecord | None = None  # training_record.json
    train_seconds: float | None = None  # a batch's train stage, wall clock: grades.csv's train_seconds
    summary: Summary | None = None  # summary.json
    predictions: Path | None = None  # predictions.jsonl, read only when examples are shown
    problems: Mapping[str, str] = field(default_factory=dict)  # problem text by id (for the examples)
    show: str = "none"
    hidden: bool = True  # the hidden test set (the wording changes; nothing else)


def class_context(batch: BatchView, stats: ClassStats) -> ClassContext:
    return ClassContext(
        n_graded=len(stats.graded),
        median_accuracy=stats.median,
        median_never_stopped=median(stats.never_stopped),
        median_no_box=median(stats.no_box),
        group_medians={name: stats.group_medians(name) for name in batch.group_fields()},
        baseline_accuracy=stats.baseline,
        baseline_groups={name: baseline_by_group(batch, name) for name in batch.group_fields()},
    )


def _vs(median: float | None, label: str = "class median") -> str:
    return f"{label} {pct(median)}" if median is not None else ""


def _headline(data: FeedbackInput, context: ClassContext | None) -> list[Card]:
    summary = data.summary
    items = []
    if data.status is not None:
        tone = "good" if data.status == "graded" else "bad"
        meaning = FINAL.get(data.status, "")
        items.append(card("status", data.status.replace("_", " "), meaning, card_id="status", raw=data.status, tone=tone))
    if summary:
        accuracy, never, no_box = summary.accuracy, summary.never_stopped, summary.no_box
        acc_note = _vs(context.median_accuracy) if context else ""
        if context and context.baseline_accuracy is not None:
            acc_note += f" · base model {pct(context.baseline_accuracy)}"
        budget = summary.max_new_tokens
        items += [
            card("accuracy", pct(accuracy), acc_note.strip(" ·"), card_id="accuracy", raw=accuracy),
            card("correct", f"{count(summary.correct)} / {count(summary.n)}", card_id="correct", raw=summary.correct),
            card("never stopped", pct(never), _vs(context.median_never_stopped) if context else "",
                 card_id="never-stopped", raw=never, tone="bad" if never > 0.1 else ""),
            card("no box", pct(no_box), _vs(context.median_no_box) if context else "",
                 card_id="no-box", raw=no_box, tone="bad" if no_box > 0.1 else ""),
            card("mean output", f"{number(summary.mean_output_tokens, 4)} tokens",
                 f"budget {budget}" if budget else "", card_id="mean-output"),
        ]  # fmt: skip
    return items


@dataclass(frozen=True)
class NotGraded:
    """Why a submission was not graded: what its status means, the error line, check's violations."""

    meaning: str
    error: str | None
    violations: Table | None
    more: int  # violations beyond MAX_VIOLATIONS, not in the table


def _not_graded(data: FeedbackInput) -> NotGraded | None:
    """The student's own files only: the error line and check's violations."""
    if data.status in (None, "graded"):
        return None
    violations = data.check.violations if data.check else []
    rows = [[text_cell(v.code), text_cell(shorten(v.message, 500))] for v in violations[:MAX_VIOLATIONS]]
    return NotGraded(
        FINAL.get(data.status, data.status),
        data.error or None,
        table(["rule", "what check found"], rows, table_id="violations", sortable=False) if rows else None,
        max(0, len(violations) - MAX_VIOLATIONS),
    )


def _breakdowns(data: FeedbackInput, context: ClassContext | None) -> list[Breakdown]:
    parts = []
    for name in GROUP_FIELDS:
        mine = data.summary.by(name) if data.summary else {}
        if not mine:
            continue
        medians = (context.group_medians.get(name) if context else None) or {}
        base = (context.baseline_groups.get(name) if context else None) or {}
        labels = sorted(mine, key=lambda k: (len(k), k) if k.isdigit() else (0, k))
        rows = [
            [text_cell(k), count_cell(mine[k].n), count_cell(mine[k].correct), pct_cell(mine[k].accuracy),
             pct_cell(medians.get(k)), pct_cell(base.get(k))]
            for k in labels
        ]
        columns = [name, "problems", "correct", "accuracy", "class median", "base model"]
        if not context:
            rows, columns = [r[:4] for r in rows], columns[:4]
        figure = None
        if 1 < len(labels) <= 25:
            accuracies = {k: mine[k].accuracy for k in labels}
            figure = plot(plots.group_bars(name, accuracies, medians, base), f"bars-{name}")
        parts.append(Breakdown(name, figure, table(columns, rows, table_id=f"by-{name}",
                                                   numeric_columns=range(1, len(columns)))))  # fmt: skip
    return parts


def loss_points(log_history: list[dict]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(step, loss) and (step, eval_loss) from the HF trainer's state.log_history (its entries vary by kind)."""
    train, validation = [], []
    for entry in log_history:
        if not is_number(entry.get("step")):
            continue
        if is_number(entry.get("loss")):
            train.append((entry["step"], entry["loss"]))
        if is_number(entry.get("eval_loss")):
            validation.append((entry["step"], entry["eval_loss"]))
    return train, validation


@dataclass(frozen=True)
class Settings:
    """The settings that differ from sft_config.yaml's defaults (None: none do), then the rest folded away."""

    changed: Table | None
    rest: Table | None


def _settings(config: dict) -> Settings | None:
    if not config:
        return None
    changed = [k for k in config if k not in FIELDS or config[k] != FIELDS[k].default]
    rest = [k for k in config if k not in changed]

    def row(key: str) -> list[Cell]:
        default = json.dumps(FIELDS[key].default) if key in FIELDS else ""
        return [text_cell(key), text_cell(json.dumps(config[key])), Cell(default, muted=True)]

    changed_table = table(["setting", "value", "default"], [row(k) for k in changed], table_id="config", sortable=False)
    rest_table = table(["setting", "value"], [row(k)[:2] for k in rest], sortable=False)
    return Settings(changed_table if changed else None, rest_table if rest else None)


@dataclass(frozen=True)
class Training:
    """The run (when there is a training record: facts, loss curves, settings) and the data as checked."""

    facts: list[Card] | None
    loss: Plot | None  # None: the trainer logged no loss
    settings: Settings | None
    data: Table | None


def _time_card(stage_seconds: float | None, runtime: float | None, world: int | None) -> Card:
    """In a batch, the train stage's wall time (grades.csv's train_seconds, the class report's "train time");
    for a student's own run, the trainer's runtime, under its own name: one name, one figure."""
    processes = f"{world} process(es)" if world else ""
    if stage_seconds is not None:
        return card("train time", seconds(stage_seconds), "the train stage, wall clock" + (f" · {processes}" if world else ""),
                    card_id="train-time", raw=stage_seconds)  # fmt: skip
    return card("trainer runtime", f"{number(runtime, 4)} s" if is_number(runtime) else "–", processes,
                card_id="trainer-runtime", raw=runtime if is_number(runtime) else None)  # fmt: skip


def _training(data: FeedbackInput) -> Training | None:
    record = data.training
    stats = data.data_stats or (record.stats if record else None) or (
        {"train": data.check.train, "val": data.check.val} if data.check else {})
    facts, loss, settings = None, None, None
    if record:
        history = record.log_history
        train, validation = loss_points(history)
        end = next((e for e in reversed(history) if "train_runtime" in e), {})
        last_eval = validation[-1] if validation else (None, None)
        runtime, epochs, world = end.get("train_runtime"), end.get("epoch"), record.world_size
        facts = [
            card("final training loss", number(record.final_train_loss, 4), card_id="final-train-loss",
                 raw=record.final_train_loss),
            card("last validation loss", number(last_eval[1], 4), f"step {last_eval[0]}" if validation else "",
                 card_id="last-eval-loss", raw=last_eval[1]),
            card("steps", count(end.get("step") or (train[-1][0] if train else None)),
                 f"{number(epochs, 3)} epochs" if is_number(epochs) else ""),
            _time_card(data.train_seconds, runtime, world),
        ]  # fmt: skip
        loss = plot(plots.loss_curves(train, validation), "loss-curves") if train or validation else None
        settings = _settings(record.config)
    split_rows = []
    for split in ("train", "val"):
        entry = stats.get(split)
        if entry is not None and entry.examples is not None:
            split_rows.append([
                text_cell({"train": "training", "val": "validation"}[split]),
                *(count_cell(getattr(entry, k)) for k in ("examples", "total_tokens", "p50_tokens", "p99_tokens", "max_tokens")),
            ])  # fmt: skip
    split_table = table(["split", "examples", "total tokens", "median", "99th percentile", "longest"], split_rows,
                        table_id="data-stats", sortable=False, numeric_columns=[1, 2, 3, 4, 5])  # fmt: skip
    if not record and not split_rows:
        return None
    return Training(facts, loss, settings, split_table if split_rows else None)


def _reasons_table(data: FeedbackInput) -> Table | None:
    reasons = data.summary.reasons if data.summary else {}
    if not reasons:
        return None
    total = sum(reasons.values()) or 1
    rows = [
        [text_cell(reason), num_cell(n, count(n)), num_cell(n / total, pct(n / total)), text_cell(REASONS.get(reason, ""))]
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])
    ]
    return table(["verdict", "outputs", "share", "meaning"], rows, table_id="reasons", numeric_columns=[1, 2])


@dataclass(frozen=True)
class Example:
    """One worked example as shown: the texts already cut to what the page shows."""

    id: str
    correct: bool
    verdict: str
    reason: str
    meaning: str
    extracted: str | None  # None: no answer was extracted
    extracted_short: str
    answer: str
    answer_short: str
    problem: str
    output: str
    tokens: str
    stopped: str


def _example(row: Prediction, problem: str | None) -> Example:
    output, extracted = row.output, row.extracted
    cut = f"\n… ({len(output) - MAX_OUTPUT_CHARS:,} more characters)" if len(output) > MAX_OUTPUT_CHARS else ""
    return Example(
        id=row.id,
        correct=row.correct,
        verdict="correct" if row.correct else row.reason.replace("_", " "),
        reason=row.reason,
        meaning=REASONS.get(row.reason, ""),
        extracted=extracted,
        extracted_short="" if extracted is None else shorten(extracted, 60),
        answer=row.answer,
        answer_short=shorten(row.answer, 60),
        problem=problem if problem is not None else row.prompt,
        output=output[:MAX_OUTPUT_CHARS] + cut,
        tokens=count(row.generated_tokens),
        stopped="stopped" if row.stopped else "never stopped (hit the token budget)",
    )


@dataclass(frozen=True)
class Examples:
    """The worked examples as far as the instructor allows (``show``), or why there are none."""

    show: str
    what: str  # "hidden test problems" or "problems"
    shown: list[Example]
    total: int
    wrong: int
    error: str | None = None  # the predictions could not be read
    limit: int = MAX_EXAMPLES


def _examples(data: FeedbackInput) -> Examples | None:
    what = "hidden test problems" if data.hidden else "problems"
    if data.show == "none":
        return Examples(data.show, what, [], 0, 0)
    if data.predictions is None or not data.predictions.is_file():
        return None
    shown, total, wrong = [], 0, 0
    try:
        for row in iter_predictions(data.predictions):
            total += 1
            wrong += not row.correct
            if (data.show == "all" or not row.correct) and len(shown) < MAX_EXAMPLES:
                shown.append(_example(row, data.problems.get(row.id)))
    except UserError as exc:
        return Examples(data.show, what, [], 0, 0, error=str(exc))
    return Examples(data.show, what, shown, total, wrong)


def render_feedback(data: FeedbackInput, context: ClassContext | None = None) -> str:
    if data.show not in SHOW_PROBLEMS:
        raise ValueError(f"show must be one of {SHOW_PROBLEMS}, got {data.show!r}")
    return render(
        "feedback.html",
        title=data.title,
        subtitle=data.subtitle,
        headline=_headline(data, context),
        not_graded=_not_graded(data),
        breakdowns=_breakdowns(data, context),
        training=_training(data),
        reasons=_reasons_table(data),
        examples=_examples(data) if data.summary else None,
    )


def submission_feedback(batch: BatchView, submission: SubmissionView, show: str, problems: Mapping[str, str]) -> FeedbackInput:
    graded = submission.status == "graded"
    n_graded = len([s for s in batch.submissions if s.status == "graded"])
    return FeedbackInput(
        title=f"Feedback: {submission.id}",
        subtitle=f"hidden test set of {len(batch.test) or (submission.summary.n if submission.summary else '?')} problems"
        + (f" · compared with the {n_graded} graded submissions of the class" if n_graded else ""),
        status=submission.status,
        error=submission.row.get("error") or submission.state.error,
        check=submission.check,
        data_stats={"train": submission.check.train, "val": submission.check.val} if submission.check else None,
        training=submission.training,
        train_seconds=submission.number("train_seconds"),
        summary=submission.summary if graded else None,
        predictions=submission.paths.predictions if graded and show != "none" else None,
        problems=problems if show != "none" else {},
        show=show,
        hidden=True,
    )


def write_batch_feedback(batch: BatchView, stats: ClassStats, out_dir: Path, show: str) -> dict[str, Path]:
    """One page per submission, ``OUT/<id>.html``; returns the pages by submission id."""
    out_dir.mkdir(parents=True, exist_ok=True)
    context = class_context(batch, stats)
    problems = {item.id: item.problem for item in batch.test} if show != "none" else {}
    pages = {}
    for submission in batch.submissions:
        page = out_dir / f"{submission.id}.html"
        write_page(page, render_feedback(submission_feedback(batch, submission, show, problems), context))
        pages[submission.id] = page
    return pages


def write_run_feedback(out_dir: str | Path, model_dir: str | Path, data_file: str | Path) -> Path:
    """`evaluate`'s page (OUT/report.html): the student's own run, every example shown, no class."""
    out_dir, model_dir = Path(out_dir), Path(model_dir)
    summary = read_summary(out_dir)
    try:
        problems = {item.id: item.problem for item in read_items(data_file)}
    except UserError:
        problems = {}  # the prompt stands in for the problem text
    data = FeedbackInput(
        title=f"Evaluation: {model_dir.name}",
        subtitle=f"{model_dir} on {Path(data_file).name} ({summary.n} problems, max {summary.max_new_tokens} new tokens, "
        f"{summary.backend})",
        training=read_record(model_dir),
        summary=summary,
        predictions=out_dir / PREDICTIONS_NAME,
        problems=problems,
        show="all",
        hidden=False,
    )
    page = out_dir / REPORT_NAME
    write_page(page, render_feedback(data))
    return page
