"""`python -m grader report DIR`: the class report, feedback pages and Gradescope results of a graded batch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import api
from grader.batch.gradescope import DEFAULT_MAX_SCORE, VISIBILITIES
from grader.commands.args import positive_float
from grader.report.feedback import SHOW_PROBLEMS


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
    parser.add_argument("--title", help="the class report's title (default: the batch folder's name)")


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.0f} KiB" if size < 1 << 20 else f"{size / (1 << 20):.1f} MiB"


def run(args: argparse.Namespace) -> int:
    result = api.report(
        args.dir, out=args.out, feedback=args.feedback, show_problems=args.show_problems, max_score=args.max_score,
        visibility=args.visibility, gradescope=not args.no_gradescope, title=args.title,
    )  # fmt: skip
    counts = ", ".join(f"{n} {name}" for name, n in result.counts.items() if n)
    print(f"report: {sum(result.counts.values())} submissions ({counts or 'none'})", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"written: {result.page} ({_size(result.page)})")
    if args.feedback:
        print(f"written: {len(result.feedback)} feedback pages in {args.feedback} (problems shown: {args.show_problems})")
    if result.results_written:
        print(f"written: {result.results_written} results.json (Gradescope) under {Path(args.dir) / 'submissions'}")
    return 0
