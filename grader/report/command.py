"""`python -m grader report DIR`: the class report, feedback pages and Gradescope results of a graded batch.

Reads only the batch folder (``grader.batch.layout``), so it runs anywhere the folder is, any
number of times, also while a batch is still being graded (unfinished submissions are counted
as such). Writes ``DIR/report.html`` (or ``--out``), one feedback page per submission with
``--feedback DIR2``, and ``results.json`` for every finished submission.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.batch.layout import FINAL
from grader.errors import UserError
from grader.report.class_report import relative_href, render_class_report
from grader.report.feedback import SHOW_PROBLEMS, write_batch_feedback
from grader.report.gradescope import DEFAULT_MAX_SCORE, VISIBILITIES, write_results
from grader.cli import positive_float
from grader.report.load import load_batch
from grader.report.page import write_page
from grader.report.stats import class_stats, status_counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", metavar="DIR", help="the batch folder (written by `python -m grader grade`)")
    parser.add_argument("--out", metavar="FILE", help="the class report (default: DIR/report.html)")
    parser.add_argument("--feedback", metavar="DIR2", help="also write one feedback page per submission, DIR2/<id>.html")
    parser.add_argument(
        "--show-problems", choices=SHOW_PROBLEMS, default="none",
        help="hidden problems shown on feedback pages with the model's output and the reference: none (default), "
        "the ones the submission got wrong, or all",
    )  # fmt: skip
    parser.add_argument(
        "--max-score", type=positive_float,
        help=f"Gradescope points for 100%% accuracy (default: batch.json's policy.max_score, else {DEFAULT_MAX_SCORE:g})",
    )  # fmt: skip
    parser.add_argument("--visibility", choices=VISIBILITIES, default="visible", help="Gradescope visibility of the results")
    parser.add_argument("--no-gradescope", action="store_true", help="do not (re)write submissions/<id>/results.json")


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.0f} KiB" if size < 1 << 20 else f"{size / (1 << 20):.1f} MiB"


def run(args: argparse.Namespace) -> int:
    batch = load_batch(args.dir)
    out = Path(args.out) if args.out else batch.root / "report.html"
    if out.is_dir():
        raise UserError(f"--out {args.out}: is a folder (give the HTML file to write)", exit_code=2)
    if out.parent.exists() and not out.parent.is_dir():
        raise UserError(f"--out {args.out}: {out.parent} is not a folder", exit_code=2)
    stats = class_stats(batch)
    links: dict[str, str] = {}
    if args.feedback:
        feedback_dir = Path(args.feedback)
        if feedback_dir.exists() and not feedback_dir.is_dir():
            raise UserError(f"--feedback {args.feedback}: not a folder", exit_code=2)
        pages = write_batch_feedback(batch, stats, feedback_dir, args.show_problems)
        links = {sid: relative_href(page, out) for sid, page in pages.items()}
    grades_href = relative_href(batch.paths.grades, out) if batch.has_grades_csv else None
    out.parent.mkdir(parents=True, exist_ok=True)
    write_page(out, render_class_report(batch, links, grades_href))

    written = 0
    if not args.no_gradescope:
        policy = batch.meta.get("policy") if isinstance(batch.meta.get("policy"), dict) else {}
        max_score = args.max_score or float(policy.get("max_score") or DEFAULT_MAX_SCORE)
        for s in batch.submissions:
            if s.status in FINAL:
                write_results(s.paths, s.state, s.summary if s.status == "graded" else None, s.check,
                              max_score=max_score, visibility=args.visibility)  # fmt: skip
                written += 1
    counts = ", ".join(f"{n} {name}" for name, n in status_counts(batch.submissions).items() if n)
    print(f"report: {len(batch.submissions)} submissions ({counts or 'none'})", file=sys.stderr)
    for warning in batch.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"written: {out} ({_size(out)})")
    if args.feedback:
        print(f"written: {len(links)} feedback pages in {args.feedback} (problems shown: {args.show_problems})")
    if written:
        print(f"written: {written} results.json (Gradescope) under {batch.paths.submissions_dir}")
    return 0
