"""`python -m grader score --predictions P.jsonl --data D.jsonl`: grade existing generations, no model.

P rows are ``{id, output}``, D rows ``{id, answer}`` (extra fields are ignored). Rows are joined on
``id``; every prediction needs a reference and every reference a prediction, so a partial run
cannot pass for a complete one. Per-item verdicts ``{id, extracted, correct, reason}`` go to
``--out`` (default ``<predictions>.scored.jsonl`` beside the predictions file); the accuracy and the
count of each reason (see ``grader.answers.REASONS``) go to stdout, as one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from grader.answers import DEFAULT_TIMEOUT, DEFAULT_WORKERS, grade_many
from grader.errors import UserError
from grader.jsonl import DataError, iter_jsonl

PROGRESS_FROM = 500  # items; fewer grade in well under a second


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--predictions", required=True, type=Path, metavar="P.jsonl",
                        help="model outputs, one {id, output} object per line")
    parser.add_argument("--data", required=True, type=Path, metavar="D.jsonl",
                        help="reference answers, one {id, answer} object per line")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="per-item verdicts (default: <predictions name>.scored.jsonl beside it)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object on stdout")
    parser.add_argument("--workers", type=int, default=min(DEFAULT_WORKERS, os.cpu_count() or 1),
                        help=f"processes for the symbolic comparisons (default: CPU count, at most {DEFAULT_WORKERS})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds of symbolic work per verdict (default {DEFAULT_TIMEOUT:g})")


def _read(path: Path, field: str) -> dict[str, str]:
    """``{id: field}`` from a JSONL file; a duplicate id is an error naming both lines."""
    rows: dict[str, str] = {}
    lines: dict[str, int] = {}
    try:
        for number, row in iter_jsonl(path, required=("id", field)):
            key = row["id"]
            if key in rows:
                raise UserError(f"{path} line {number}: duplicate id {key!r} (first on line {lines[key]})")
            rows[key], lines[key] = row[field], number
    except DataError as exc:
        raise UserError(str(exc)) from None
    if not rows:
        raise UserError(f"{path}: no rows (the file is empty)")
    return rows


def _name_ids(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def default_out(predictions: Path) -> Path:
    """``runs/x/predictions.jsonl`` -> ``runs/x/predictions.scored.jsonl``."""
    stem = predictions.name[: -len(".jsonl")] if predictions.name.endswith(".jsonl") else predictions.name
    return predictions.with_name(stem + ".scored.jsonl")


def run(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise UserError("--workers must be at least 1", exit_code=2)
    if not args.timeout > 0:
        raise UserError("--timeout must be positive", exit_code=2)
    out = args.out or default_out(args.predictions)
    if out.resolve() in (args.predictions.resolve(), args.data.resolve()):
        raise UserError(f"--out {out} would overwrite an input file", exit_code=2)
    predictions = _read(args.predictions, "output")
    references = _read(args.data, "answer")
    orphans = [i for i in predictions if i not in references]
    if orphans:
        raise UserError(f"{len(orphans)} prediction(s) have no reference in {args.data}: {_name_ids(orphans)}")
    missing = [i for i in references if i not in predictions]
    if missing:
        raise UserError(f"{len(missing)} reference(s) have no prediction in {args.predictions}: {_name_ids(missing)}")

    ids = list(predictions)
    verdicts = grade_many([(predictions[i], references[i]) for i in ids], workers=args.workers,
                          timeout=args.timeout, progress=len(ids) >= PROGRESS_FROM)
    lines = "".join(json.dumps({"id": i, "extracted": v.extracted, "correct": v.correct, "reason": v.reason},
                               ensure_ascii=False) + "\n" for i, v in zip(ids, verdicts))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(lines, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None

    n_correct = sum(v.correct for v in verdicts)
    reasons = dict(Counter(v.reason for v in verdicts).most_common())
    summary = {"accuracy": n_correct / len(ids), "n": len(ids), "n_correct": n_correct,
               "reasons": reasons, "out": str(out)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"accuracy {100 * summary['accuracy']:.2f}% ({n_correct}/{len(ids)})")
        print("  " + ", ".join(f"{k} {v}" for k, v in reasons.items()))
        print(f"verdicts written to {out}", file=sys.stderr)
    return 0
