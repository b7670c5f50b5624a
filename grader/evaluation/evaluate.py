"""Evaluating a checkpoint (`python -m grader evaluate MODEL_DIR --data FILE`): generate on a problem set, score it.

Prompts are built from the prompt format validated before training and saved with the
checkpoint (``prompt_format.json``: prefix and suffix token ids), through the same prompt
function the trainer used (``grader.submission.prompts``). No student code runs here, not even
the chat template: a checkpoint without a recorded format, or whose format does not match its
training record, is refused. Generation and scoring are two steps with a file between them
(``generations.jsonl``), so a batch can resume between them. Outputs are scored by
``grader.answers`` (last ``\\boxed{}`` against the reference). The per-item file holds no timing,
so the same checkpoint on the same data gives byte-identical verdicts; timing goes to
``summary.json``. Both files are written atomically (temp file + rename), and ``summary.json``
only ever sits beside the predictions it describes: a killed run never leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, Iterator, Sequence

from grader import records
from grader.answers import Verdict, extract_last_boxed, grade_many
from grader.atomic import file_sha256, write_text_atomic
from grader.errors import UserError
from grader.evaluation.generate import Generation, default_batch_size, generate, generation_stack, resolve_backend
from grader.jsonl import DataError, iter_jsonl
from grader.submission.prompts import FORMAT_NAME, PromptFormat, encode_prompts, read_format
from grader.training.train import RECORD_NAME, read_record

# Training examples are at most 2048 tokens of prompt + solution + EOS, so a model that learned
# to stop writes solutions well inside 1024 new tokens; an output that does not stop costs the
# full budget, and 1024 keeps that cost bounded on a large test set.
DEFAULT_MAX_NEW_TOKENS = 1024
GROUP_FIELDS = ("source", "subject", "level")
PREDICTIONS_NAME = "predictions.jsonl"
SUMMARY_NAME = "summary.json"
GENERATIONS_NAME = "generations.jsonl"
GENERATION_META_NAME = "generation.json"


@dataclass(frozen=True)
class GroupScore:
    n: int
    correct: int
    accuracy: float


@dataclass(frozen=True)
class GenerationMeta:
    """generation.json beside generations.jsonl: the run's settings and speed (written last, it vouches for the file)."""

    model: str
    backend: str
    max_new_tokens: int
    batch_size: int | None  # None: vLLM batches itself
    prompt_format_sha256: str
    generate_seconds: float  # loading the model included
    problems_per_second: float
    output_tokens_per_second: float
    stack: dict[str, str | None] | None = None  # the generating interpreter and its versions (generate.generation_stack)


@dataclass(frozen=True)
class Summary:
    """summary.json: the scores of one evaluation (always beside the predictions.jsonl it describes)."""

    OMIT_NONE: ClassVar[bool] = True
    model: str
    data_file: str
    data_sha256: str
    limit: int | None
    backend: str
    max_new_tokens: int
    batch_size: int | None
    prompt_format_sha256: str
    n: int
    correct: int
    accuracy: float
    mean_output_tokens: float
    never_stopped: float  # share of outputs that hit the token budget
    no_box: float  # share without a \boxed{}
    reasons: dict[str, int]  # verdict reason -> outputs
    predictions_sha256: str
    generate_seconds: float
    problems_per_second: float
    output_tokens_per_second: float
    by_source: dict[str, GroupScore] | None = None  # only for the groups the problem set has
    by_subject: dict[str, GroupScore] | None = None
    by_level: dict[str, GroupScore] | None = None
    answers_from_solution: int = 0  # problems without an 'answer': the last \boxed{} of their 'solution'
    stack: dict[str, str | None] | None = None  # generation.json's: the interpreter that generated, its versions

    def by(self, field: str) -> dict[str, GroupScore]:
        """Accuracy per value of ``field`` (one of GROUP_FIELDS); empty when the set has no such field."""
        return getattr(self, f"by_{field}") or {}


def read_summary(out: str | os.PathLike[str]) -> Summary:
    return records.load(Path(out) / SUMMARY_NAME, Summary)


@dataclass(frozen=True)
class Item:
    """One problem of the input file; ``groups`` holds the optional source/subject/level."""

    id: str  # the input's id (a string or an integer, written as a string), else the line number
    problem: str
    answer: str
    groups: dict[str, str | int]
    answer_from_solution: bool = False  # no 'answer' field: the last \boxed{} of 'solution'


def _scalar(path: Path, line: int, row: dict, field: str) -> str | int | None:
    value = row.get(field)
    if value is None or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return value
    raise UserError(f"{path} line {line}: field '{field}' must be a string or an integer, got {type(value).__name__}")


def _reference(path: Path, line: int, row: dict) -> tuple[str, bool]:
    """(the reference answer, whether it was taken from the solution): ``answer``, else the last
    ``\\boxed{}`` of ``solution``, read as the model's outputs are read."""
    if "answer" not in row and isinstance(row.get("solution"), str):
        answer = extract_last_boxed(row["solution"])
        if answer is None:
            raise UserError(f"{path} line {line}: no field 'answer', and no \\boxed{{}} in field 'solution' to take it from")
        return answer, True
    if "answer" not in row:
        raise UserError(f"{path} line {line}: missing field 'answer' (or a 'solution' with a \\boxed{{}} answer)")
    if not isinstance(row["answer"], str):
        raise UserError(f"{path} line {line}: field 'answer' must be a string, got {type(row['answer']).__name__}")
    return row["answer"], False


def read_items(path: str | os.PathLike[str], limit: int | None = None) -> list[Item]:
    """Every row checked (fields, types, duplicate ids) before any model is loaded; then the first ``limit``.

    A row without ``answer`` takes it from its ``solution`` (NuminaMath-style rows): its last
    ``\\boxed{}``, read as the model's outputs are read; ``Item.answer_from_solution`` says so.
    """
    path = Path(path)
    items: list[Item] = []
    first_line: dict[str, int] = {}
    try:
        for line, row in iter_jsonl(path, required=("problem",)):
            if not row["problem"].strip():
                raise UserError(f"{path} line {line}: field 'problem' is empty")
            given = _scalar(path, line, row, "id")
            item_id = str(line if given is None else given)  # strings, as `grader score` joins on them
            if item_id in first_line:
                raise UserError(f"{path} line {line}: duplicate id {item_id!r} (first on line {first_line[item_id]})")
            first_line[item_id] = line
            groups = {f: v for f in GROUP_FIELDS if (v := _scalar(path, line, row, f)) is not None}
            answer, from_solution = _reference(path, line, row)
            items.append(Item(item_id, row["problem"], answer, groups, from_solution))
    except DataError as exc:
        raise UserError(str(exc)) from None
    if not items:
        raise UserError(f"{path}: no problems (the file is empty)")
    return items[:limit] if limit else items


def checkpoint_prompts(
    model_dir: str | Path, problems: Sequence[str], format_dir: str | Path | None = None
) -> tuple[PromptFormat, list[list[int]]]:
    """The recorded prompt format through the trainer's prompt function: (format, prompt ids).

    ``format_dir``: take the format from there (a validated dataset folder) instead of the
    checkpoint, e.g. to score the untrained base model with a class's format.
    """
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{model_dir}: cannot load the tokenizer: {first}") from None
    fmt = read_format(format_dir or model_dir, vocab_size=len(tokenizer), eos_id=tokenizer.eos_token_id)
    record = read_record(model_dir) if format_dir is None else None
    if record is not None and record.prompt_format_sha256 != fmt.sha256:
        raise UserError(f"{model_dir}: {FORMAT_NAME} does not match the format recorded in {RECORD_NAME}")
    return fmt, encode_prompts(tokenizer, fmt, problems)


def _check_model_dir(model_dir: Path) -> None:
    if not model_dir.is_dir():
        raise UserError(f"{model_dir}: model folder not found")
    if not (model_dir / "config.json").is_file():
        raise UserError(f"{model_dir}: not a model folder (no config.json)")


def _share(count: int, total: int) -> float:
    return round(count / total, 6) if total else 0.0


def _by_group(items: Sequence[Item], verdicts: Sequence[Verdict], field: str) -> dict[str, GroupScore]:
    """Accuracy per value of ``field``; items without it count under "(none)"."""
    counts: dict[str, list[int]] = {}
    for item, verdict in zip(items, verdicts):
        entry = counts.setdefault(str(item.groups.get(field, "(none)")), [0, 0])
        entry[0] += 1
        entry[1] += verdict.correct
    return {key: GroupScore(n, c, _share(c, n)) for key, (n, c) in sorted(counts.items())}


@dataclass(frozen=True)
class Prediction:
    """One line of predictions.jsonl: nothing here depends on time, so reruns are byte-identical."""

    OMIT_NONE: ClassVar[bool] = True
    id: str
    source: str | int | None = None  # the problem's groups, when the set has them
    subject: str | int | None = None
    level: str | int | None = None
    prompt: str = ""
    output: str = ""
    answer: str = ""
    extracted: str | None = None  # the last \boxed{} (None: there was none)
    correct: bool = False
    reason: str = ""
    generated_tokens: int = 0
    stopped: bool = False


def read_predictions(path: str | os.PathLike[str]) -> Iterator[Prediction]:
    """predictions.jsonl, one row at a time, each checked against ``Prediction``."""
    try:
        for line, row in iter_jsonl(path):
            yield records.parse(Prediction, row, f"{path} line {line}")
    except DataError as exc:
        raise UserError(str(exc)) from None


def item_row(item: Item, prompt: str, result: Generation, verdict: Verdict) -> Prediction:
    return Prediction(
        id=item.id,
        **item.groups,
        prompt=prompt,
        output=result.text,
        answer=item.answer,
        extracted=verdict.extracted,
        correct=verdict.correct,
        reason=verdict.reason,
        generated_tokens=result.num_tokens,
        stopped=result.stopped,
    )


def summarize(items: Sequence[Item], results: Sequence[Generation], verdicts: Sequence[Verdict]) -> dict:
    """The scores: accuracy overall and per source/subject/level present, output length, stops, boxes."""
    n = len(items)
    correct = sum(v.correct for v in verdicts)
    return {
        "n": n,
        "correct": correct,
        "accuracy": _share(correct, n),
        **{
            f"by_{field}": _by_group(items, verdicts, field)
            for field in GROUP_FIELDS
            if any(field in item.groups for item in items)
        },
        "mean_output_tokens": round(sum(r.num_tokens for r in results) / n, 3) if n else 0.0,
        "never_stopped": _share(sum(not r.stopped for r in results), n),
        "no_box": _share(sum(v.reason == "no_box" for v in verdicts), n),
        "reasons": dict(sorted(Counter(v.reason for v in verdicts).items())),
    }


def default_out_dir(model_dir: str | os.PathLike[str], data_file: str | os.PathLike[str]) -> Path:
    return Path(model_dir).resolve() / "eval" / Path(data_file).stem


def generate_answers(
    model_dir: str | os.PathLike[str],
    items: Sequence[Item],
    out: Path,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    batch_size: int | None = None,
    backend: str = "auto",
    format_dir: str | os.PathLike[str] | None = None,
) -> GenerationMeta:
    """Generate for every item; write ``generations.jsonl`` and ``generation.json`` (the run's settings)."""
    model_dir = Path(model_dir).resolve()
    _check_model_dir(model_dir)
    fmt, prompt_ids = checkpoint_prompts(model_dir, [item.problem for item in items], format_dir)
    name = resolve_backend(backend)
    batch_size = None if name == "vllm" else batch_size or default_batch_size()
    print(
        f"evaluate: {len(items)} problems, backend {name}"
        + (f" (batch size {batch_size})" if batch_size else "")
        + f", max_new_tokens {max_new_tokens}",
        file=sys.stderr,
    )
    start = time.perf_counter()
    results, name = generate(model_dir, prompt_ids, max_new_tokens, batch_size, name)
    seconds = time.perf_counter() - start
    rows = [
        {"id": i.id, "prompt": fmt.render(i.problem), "output": r.text, "generated_tokens": r.num_tokens, "stopped": r.stopped}
        for i, r in zip(items, results)
    ]
    tokens = sum(r.num_tokens for r in results)
    meta = GenerationMeta(
        model=str(model_dir),
        backend=name,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        prompt_format_sha256=fmt.sha256,
        generate_seconds=round(seconds, 3),
        problems_per_second=round(len(items) / seconds, 3),
        output_tokens_per_second=round(tokens / seconds, 1),
        stack=generation_stack(),
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / GENERATION_META_NAME).unlink(missing_ok=True)  # the meta, written last, vouches for the file beside it
    write_text_atomic(out / GENERATIONS_NAME, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    records.save(out / GENERATION_META_NAME, meta)
    return meta


def read_generations(out: Path, items: Sequence[Item]) -> tuple[list[str], list[Generation], GenerationMeta]:
    """The prompts and outputs ``generate_answers`` wrote, in the items' order, and its settings."""
    meta = records.load(out / GENERATION_META_NAME, GenerationMeta)
    rows = {row["id"]: row for _, row in iter_jsonl(out / GENERATIONS_NAME)}
    missing = [i.id for i in items if i.id not in rows]
    if missing or len(rows) != len(items):
        raise UserError(f"{out / GENERATIONS_NAME}: does not match the problem set ({len(missing)} problems missing)")
    ordered = [rows[i.id] for i in items]
    results = [Generation(r["output"], r["generated_tokens"], r["stopped"]) for r in ordered]
    return [r["prompt"] for r in ordered], results, meta


def score_answers(items: Sequence[Item], data_file: Path, out: Path, limit: int | None = None) -> Summary:
    """Grade ``generations.jsonl``; write ``predictions.jsonl`` + ``summary.json``; return the summary."""
    prompts, results, meta = read_generations(out, items)
    verdicts = grade_many([(r.text, item.answer) for r, item in zip(results, items)], progress=True)
    rows = [item_row(i, p, r, v) for i, p, r, v in zip(items, prompts, results, verdicts)]
    predictions = "".join(json.dumps(records.to_json(row), ensure_ascii=False) + "\n" for row in rows)
    summary = Summary(
        data_file=str(data_file.resolve()),
        data_sha256=file_sha256(data_file),
        limit=limit,
        predictions_sha256=hashlib.sha256(predictions.encode("utf-8")).hexdigest(),
        **asdict(meta),
        **summarize(items, results, verdicts),
        answers_from_solution=sum(item.answer_from_solution for item in items),
    )
    # The old summary goes first and the new one comes last: a summary always describes the predictions beside it.
    (out / SUMMARY_NAME).unlink(missing_ok=True)
    write_text_atomic(out / PREDICTIONS_NAME, predictions)
    records.save(out / SUMMARY_NAME, summary)
    return summary


def evaluate(
    model_dir: str | os.PathLike[str],
    data_file: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    batch_size: int | None = None,
    backend: str = "auto",
    limit: int | None = None,
    format_dir: str | os.PathLike[str] | None = None,
) -> Summary:
    """Generate, grade, write ``predictions.jsonl`` + ``summary.json`` in ``out_dir``; return the summary."""
    model_dir, data_file = Path(model_dir).resolve(), Path(data_file)
    _check_model_dir(model_dir)
    items = read_items(data_file, limit)
    out = Path(out_dir) if out_dir is not None else default_out_dir(model_dir, data_file)
    generate_answers(model_dir, items, out, max_new_tokens, batch_size, backend, format_dir)
    return score_answers(items, data_file, out, limit)


def format_table(summary: Summary) -> str:
    """The few numbers a student looks at, one per line, then accuracy per group."""

    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    lines = [
        f"{'accuracy':<16}{summary.correct}/{summary.n} = {pct(summary.accuracy)}",
        f"{'never stopped':<16}{pct(summary.never_stopped)}",
        f"{'no box':<16}{pct(summary.no_box)}",
        f"{'mean output':<16}{summary.mean_output_tokens:.1f} tokens",
        f"{'backend':<16}{summary.backend}, {summary.generate_seconds:.1f} s with loading"
        f" ({summary.problems_per_second} problems/s, {summary.output_tokens_per_second} output tokens/s)",
    ]
    if summary.answers_from_solution:  # rows without 'answer', e.g. NuminaMath's own
        taken = f"{summary.answers_from_solution} of {summary.n} taken from the last \\boxed{{}} of 'solution'"
        lines.insert(4, f"{'answers':<16}{taken} (no 'answer' field)")
    for field in GROUP_FIELDS:
        for key, entry in summary.by(field).items():
            lines.append(f"  {field} {key:<20} {entry.correct:>5}/{entry.n:<5} {pct(entry.accuracy):>6}")
    return "\n".join(lines)
