"""The data page (`python -m grader check --report PATH`): what check saw in a submission's data, to look at.

Token lengths of the training and validation examples against the limit, how many solutions end
in a box (and agree with their ``answer``), where the examples come from, duplicates,
contamination hits, the prompt the model gets, the warnings and the violations. Everything on
it comes from check's report (``CheckReport``: what ``check --json`` prints and a batch keeps as
check.json): the page computes nothing of its own, so what it shows is what check decided.
The student's own text (template, warnings quoting examples, what sft_utils.py printed) is
escaped by the templates like any other text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.errors import UserError
from grader.report import plots
from grader.report.page import (
    Card, Plot, Table, card, count, count_cell, num_cell, pct_cell, plot, render, seconds, shorten, table, text_cell,
    write_page,
)  # fmt: skip
from grader.submission.check import SPLITS, CheckReport, PromptShown
from grader.submission.config import MAX_TOKENS_PER_EXAMPLE
from grader.submission.survey import SplitSurvey

MAX_ROWS = 200  # violations or contamination hits listed; `python -m grader check` prints them all
SPLIT_NAMES = {"train": "training", "val": "validation"}


def _headline(result: CheckReport) -> list[Card]:
    failed_by_warnings = not result.violations and not result.ok
    status = "valid" if result.ok else "failed (--strict)" if failed_by_warnings else "invalid"
    items = [card("check", status, "" if result.ok else f"{len(result.violations):,} rule(s) broken" if result.violations
                  else "warnings fail it with --strict", card_id="status", raw=status, tone="good" if result.ok else "bad")]
    for name in SPLITS:
        stats = result.split(name)
        items.append(card(f"{SPLIT_NAMES[name]} examples", count(stats.examples),
                          f"{count(stats.total_tokens)} tokens" if stats.total_tokens is not None else "",
                          card_id=f"{name}-examples", raw=stats.examples))  # fmt: skip
    if result.trained_tokens is not None:
        items.append(card("trained tokens", count(result.trained_tokens), "all epochs, with this config",
                          card_id="trained-tokens", raw=result.trained_tokens))  # fmt: skip
    items.append(card("warnings", count(len(result.warnings)), "do not fail the check", card_id="warning-count",
                      raw=len(result.warnings), tone="bad" if result.warnings else "good"))  # fmt: skip
    items.append(card("violations", count(len(result.violations)), "rules broken", card_id="violation-count",
                      raw=len(result.violations), tone="bad" if result.violations else "good"))  # fmt: skip
    return items


@dataclass(frozen=True)
class Lengths:
    """The token-length histograms against the limit, the percentiles, and the non-empty bins as numbers."""

    plots: list[Plot]
    stats: Table
    bins: Table | None
    limit: int


def _lengths(result: CheckReport) -> Lengths | None:
    limit = result.max_length or MAX_TOKENS_PER_EXAMPLE
    histograms = {name: s.lengths for name, s in result.survey.items() if s.lengths is not None}
    if not histograms:
        return None
    too_long = {name: sum(v.code == "example_too_long" and v.split == name for v in result.violations) for name in SPLITS}
    figures = [plot(plots.token_histogram(h.counts, h.bin_tokens, h.over + h.unmeasured, limit, SPLIT_NAMES[name]),
                    f"lengths-{name}") for name, h in histograms.items()]  # fmt: skip
    rows = []
    for name in histograms:
        stats = result.split(name)
        rows.append([text_cell(SPLIT_NAMES[name]), *(count_cell(getattr(stats, k)) for k in
                     ("examples", "p50_tokens", "p99_tokens", "max_tokens")), count_cell(too_long[name])])  # fmt: skip
    stats_table = table(["split", "examples", "median", "99th percentile", "longest", f"over {limit:,}"], rows,
                        table_id="length-stats", sortable=False, numeric_columns=range(1, 6))  # fmt: skip
    width = next(iter(histograms.values())).bin_tokens
    n_bins = max(len(h.counts) for h in histograms.values())
    bin_rows = []
    for i in range(n_bins):
        values = [h.counts[i] if i < len(h.counts) else 0 for h in histograms.values()]
        if any(values):
            bin_rows.append([count_cell(i * width), count_cell((i + 1) * width - 1), *map(count_cell, values)])
    over = [h.over + h.unmeasured for h in histograms.values()]
    if any(over):
        bin_rows.append([count_cell(n_bins * width), text_cell("and more"), *map(count_cell, over)])
    columns = ["from", "to", *(SPLIT_NAMES[name] for name in histograms)]
    bins = table(columns, bin_rows, table_id="length-bins", sortable=False, numeric_columns=range(len(columns)))
    return Lengths(figures, stats_table, bins if bin_rows else None, limit)


def _answers(survey: dict[str, SplitSurvey]) -> Table | None:
    rows = [
        [text_cell(SPLIT_NAMES[name]), count_cell(s.examples), count_cell(s.boxed),
         pct_cell(s.boxed / s.examples if s.examples else None), count_cell(s.with_answer), count_cell(s.answer_mismatch)]
        for name, s in survey.items()
    ]  # fmt: skip
    columns = ["split", "examples", "with a final \\boxed{}", "share", "with an answer", "box differs from answer"]
    return table(columns, rows, table_id="answers", sortable=False, numeric_columns=range(1, 6)) if rows else None


def _sources(survey: dict[str, SplitSurvey]) -> Table | None:
    names = list(dict.fromkeys(source for s in survey.values() for source in s.sources))
    if not names:
        return None
    rows = [[text_cell(shorten(name, 60)), *(count_cell(s.sources.get(name, 0)) for s in survey.values())] for name in names]
    return table(["source", *(SPLIT_NAMES[name] for name in survey)], rows, table_id="sources",
                 numeric_columns=range(1, len(survey) + 1))  # fmt: skip


def _quality(survey: dict[str, SplitSurvey]) -> Table | None:
    rows = [
        [text_cell(SPLIT_NAMES[name]), count_cell(s.examples), count_cell(s.duplicates),
         count_cell(s.in_train) if name == "val" else text_cell(""), count_cell(s.empty_problems),
         count_cell(s.empty_solutions), count_cell(s.special_tokens)]
        for name, s in survey.items()
    ]  # fmt: skip
    columns = ["split", "examples", "exact duplicates", "also in training", "empty problems", "empty solutions",
               "special-token text"]  # fmt: skip
    return table(columns, rows, table_id="quality", sortable=False, numeric_columns=range(1, 7)) if rows else None


def _contamination(result: CheckReport) -> Table | None:
    hits = [v for v in result.violations if v.code == "contamination"]
    rows = [[text_cell(v.split or ""), num_cell(v.index, count(v.index)), text_cell(v.field or ""), text_cell(v.test_id or ""),
             text_cell(shorten(v.message, 300))] for v in hits[:MAX_ROWS]]  # fmt: skip
    return table(["split", "example", "field", "test problem", "what check found"], rows, table_id="contamination",
                 numeric_columns=[1]) if rows else None  # fmt: skip


def _warnings(result: CheckReport) -> Table | None:
    rows = [[text_cell(w.code), text_cell(w.split or ""), num_cell(w.index, count(w.index)), count_cell(w.count),
             count_cell(w.total), pct_cell(w.count / w.total if w.count is not None and w.total else None),
             text_cell(w.message)] for w in result.warnings]  # fmt: skip
    columns = ["warning", "split", "first example", "examples", "of", "share", "what to do"]
    return table(columns, rows, table_id="warnings", sortable=False, numeric_columns=range(2, 6)) if rows else None


def _violations(result: CheckReport) -> Table | None:
    rows = [[text_cell(v.code), text_cell(v.split or ""), num_cell(v.index, count(v.index)), text_cell(shorten(v.message, 500))]
            for v in result.violations[:MAX_ROWS]]  # fmt: skip
    return table(["rule", "split", "example", "what check found"], rows, table_id="violations", sortable=False,
                 numeric_columns=[2]) if rows else None  # fmt: skip


@dataclass(frozen=True)
class Prompt:
    """The prompt format as shown: the decoded prefix and suffix (special tokens as their text)."""

    prefix: str
    suffix: str
    prefix_tokens: int
    suffix_tokens: int
    eos: str
    checked: int


def _prompt(shown: PromptShown | None) -> Prompt | None:
    if shown is None:
        return None
    return Prompt(shown.prefix, shown.suffix, len(shown.prefix_ids), len(shown.suffix_ids), shown.eos, shown.checked_problems)


def render_data_page(result: CheckReport) -> str:
    folder = Path(result.submission)
    output = result.output
    return render(
        "data.html",
        title=f"Data check: {folder.name}",
        subtitle=f"{result.submission} · tokens counted with {result.base_model} · sandbox {result.sandbox or 'not run'} · "
        f"{seconds(result.seconds)}",
        headline=_headline(result),
        lengths=_lengths(result),
        answers=_answers(result.survey),
        sources=_sources(result.survey),
        quality=_quality(result.survey),
        contamination=_contamination(result),
        warnings=_warnings(result),
        violations=_violations(result),
        more_violations=max(0, len(result.violations) - MAX_ROWS),
        prompt=_prompt(result.prompt),
        output=output if output is not None and output.lines else None,
        notes=result.notes,
    )


def report_path(path: str | Path) -> Path:
    """Where the data page goes; a folder is a usage error (asked before a check runs, and again on writing)."""
    page = Path(path)
    if page.is_dir():
        raise UserError(f"--report {path}: is a folder (give the HTML file to write)", exit_code=2)
    return page


def write_data_page(result: CheckReport, path: str | Path) -> Path:
    """Write the data page to ``path`` (its folder is made); a path that cannot be a file is a usage error."""
    page = report_path(path)
    try:
        page.parent.mkdir(parents=True, exist_ok=True)
        write_page(page, render_data_page(result))
    except (NotADirectoryError, FileExistsError, PermissionError) as exc:
        raise UserError(f"--report {path}: cannot be written ({exc.strerror})", exit_code=2) from None
    return page
