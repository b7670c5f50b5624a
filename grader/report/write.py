"""Writing a graded batch's pages (`python -m grader report DIR`): class report, feedback pages, Gradescope results.

Reads only the batch folder (``grader.batch.layout``), so it runs anywhere the folder is, any
number of times, also while a batch is still being graded (unfinished submissions are counted
as such). Writes ``DIR/report.html`` (or ``--out``), one feedback page per submission with
``--feedback DIR2``, and ``results.json`` for every finished submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.batch.layout import FINAL
from grader.errors import UserError
from grader.report.class_report import relative_href, render_class_report
from grader.report.feedback import SHOW_PROBLEMS, write_batch_feedback
from grader.batch.gradescope import DEFAULT_MAX_SCORE, write_results
from grader.report.load import load_batch
from grader.report.page import write_page
from grader.report.stats import class_stats, status_counts


@dataclass
class ReportResult:
    """What ``write_report`` wrote, for the caller to tell."""

    page: Path
    feedback: dict[str, Path]  # submission id -> its feedback page
    results_written: int  # results.json files (Gradescope)
    counts: dict[str, int]  # graded / invalid / over budget / failed / not finished
    warnings: list[str]


def write_report(
    batch_dir: str | Path,
    *,
    out: str | Path | None = None,
    feedback: str | Path | None = None,
    show_problems: str = "none",
    max_score: float | None = None,
    visibility: str = "visible",
    gradescope: bool = True,
    title: str | None = None,
) -> ReportResult:
    """The class report (default ``DIR/report.html``), feedback pages in ``feedback``, and results.json files.

    ``show_problems``: hidden problems on feedback pages (none, wrong, all). ``max_score``: Gradescope
    points for 100% (default: batch.json's policy). ``title``: the class report's (default: the
    batch folder's name).
    """
    if show_problems not in SHOW_PROBLEMS:
        raise UserError(f"--show-problems: {show_problems!r} is not one of {', '.join(SHOW_PROBLEMS)}", exit_code=2)
    batch = load_batch(batch_dir)
    page = Path(out) if out else batch.root / "report.html"
    if page.is_dir():
        raise UserError(f"--out {out}: is a folder (give the HTML file to write)", exit_code=2)
    if page.parent.exists() and not page.parent.is_dir():
        raise UserError(f"--out {out}: {page.parent} is not a folder", exit_code=2)
    stats = class_stats(batch)
    pages: dict[str, Path] = {}
    if feedback:
        feedback_dir = Path(feedback)
        if feedback_dir.exists() and not feedback_dir.is_dir():
            raise UserError(f"--feedback {feedback}: not a folder", exit_code=2)
        pages = write_batch_feedback(batch, stats, feedback_dir, show_problems)
    links = {sid: relative_href(path, page) for sid, path in pages.items()}
    grades_href = relative_href(batch.paths.grades, page) if batch.has_grades_csv else None
    page.parent.mkdir(parents=True, exist_ok=True)
    write_page(page, render_class_report(batch, links, grades_href, title))

    written = 0
    if gradescope:
        points = max_score or (batch.meta.policy.max_score if batch.meta else DEFAULT_MAX_SCORE)
        for s in batch.submissions:
            if s.status in FINAL:
                write_results(s.paths, s.state, s.summary if s.status == "graded" else None, s.check,
                              max_score=points, visibility=visibility)  # fmt: skip
                written += 1
    return ReportResult(page, pages, written, status_counts(batch.submissions), batch.warnings)
