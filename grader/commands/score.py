"""`python -m grader score --predictions P.jsonl --data D.jsonl`: grade existing generations, no model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader import api
from grader.answers import DEFAULT_TIMEOUT, DEFAULT_WORKERS
from grader.evaluation.score import default_workers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--predictions", required=True, type=Path, metavar="P.jsonl",
                        help="model outputs, one {id, output} object per line")
    parser.add_argument("--data", required=True, type=Path, metavar="D.jsonl",
                        help="reference answers, one {id, answer} object per line")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="per-item verdicts (default: <predictions name>.scored.jsonl beside it)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object on stdout")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help=f"processes for the symbolic comparisons (default: CPU count, at most {DEFAULT_WORKERS})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds of symbolic work per verdict (default {DEFAULT_TIMEOUT:g})")


def run(args: argparse.Namespace) -> int:
    summary = api.score(args.predictions, args.data, out=args.out, workers=args.workers, timeout=args.timeout)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"accuracy {100 * summary['accuracy']:.2f}% ({summary['n_correct']}/{summary['n']})")
        print("  " + ", ".join(f"{k} {v}" for k, v in summary["reasons"].items()))
        print(f"verdicts written to {summary['out']}", file=sys.stderr)
    return 0
