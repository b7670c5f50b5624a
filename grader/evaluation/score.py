"""Scoring existing generations (`python -m grader score --predictions P.jsonl --data D.jsonl`), no model.

P rows are ``{id, output}``, D rows ``{id, answer}`` (extra fields are ignored). Rows are joined on
``id``; every prediction needs a reference and every reference a prediction, so a partial run
cannot pass for a complete one. Per-item verdicts ``{id, extracted, correct, reason}`` go to
``--out`` (default ``<predictions>.scored.jsonl`` beside the predictions file); the accuracy and the
count of each reason (see ``grader.answers.REASONS``) go to stdout, as one JSON object with ``--json``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from grader.answers import DEFAULT_TIMEOUT, DEFAULT_WORKERS, grade_many
from grader.errors import UserError
from grader.jsonl import DataError, iter_jsonl

PROGRESS_FROM = 500  # items; fewer grade in well under a second


def default_workers() -> int:
    """Processes for the symbolic comparisons: the CPU count, at most the pool's default."""
    return min(DEFAULT_WORKERS, os.cpu_count() or 1)


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


def score(
    predictions: str | Path,
    data: str | Path,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict:
    """Grade ``predictions`` against ``data``; write per-item verdicts to ``out``; the summary.

    The summary: ``accuracy``, ``n``, ``n_correct``, ``reasons`` (count per verdict reason), ``out``.
    """
    predictions, data = Path(predictions), Path(data)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise UserError("--workers must be at least 1", exit_code=2)
    if not timeout > 0:
        raise UserError("--timeout must be positive", exit_code=2)
    out = Path(out) if out else default_out(predictions)
    if out.resolve() in (predictions.resolve(), data.resolve()):
        raise UserError(f"--out {out} would overwrite an input file", exit_code=2)
    outputs = _read(predictions, "output")
    references = _read(data, "answer")
    orphans = [i for i in outputs if i not in references]
    if orphans:
        raise UserError(f"{len(orphans)} prediction(s) have no reference in {data}: {_name_ids(orphans)}")
    missing = [i for i in references if i not in outputs]
    if missing:
        raise UserError(f"{len(missing)} reference(s) have no prediction in {predictions}: {_name_ids(missing)}")

    ids = list(outputs)
    verdicts = grade_many([(outputs[i], references[i]) for i in ids], workers=workers,
                          timeout=timeout, progress=len(ids) >= PROGRESS_FROM)  # fmt: skip
    lines = "".join(json.dumps({"id": i, "extracted": v.extracted, "correct": v.correct, "reason": v.reason},
                               ensure_ascii=False) + "\n" for i, v in zip(ids, verdicts))  # fmt: skip
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(lines, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None
    n_correct = sum(v.correct for v in verdicts)
    reasons = dict(Counter(v.reason for v in verdicts).most_common())
    return {"accuracy": n_correct / len(ids), "n": len(ids), "n_correct": n_correct, "reasons": reasons, "out": str(out)}
