"""Runs INSIDE the sandbox: import the student's sft_utils.py and write what it returns as JSON.

The fixed code outside re-reads and re-validates every byte written here, so nothing this
process (or the student code in it) claims is trusted. Output folder layout:
``train.jsonl`` / ``val.jsonl`` (one ``{"problem", "solution"}`` object a line, at most
limit + 1 rows, so an overflow is visible) and ``result.json`` (chat template, counts, error and
its code: ``memory`` when the student's code ran out of memory, ``data`` for everything else).
Counting stops at ``--max-count`` so that an endless generator ends too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path

MODULE = "sft_utils"
OUT_ENV = "GRADER_SANDBOX_OUT"  # set by grader.submission.sandbox: the output folder as seen from inside


class WorkerError(Exception):
    """A mistake in the student's module or data; the message is the one line shown to the user."""

    def __init__(self, message: str, code: str = "data"):
        super().__init__(message)
        self.code = code


def failure(exc: BaseException, doing: str) -> WorkerError:
    return WorkerError(describe(exc, doing), "memory" if isinstance(exc, MemoryError) else "data")


def describe(exc: BaseException, doing: str) -> str:
    """One line: where in the student's files it broke, and why (even if ``str(exc)`` misbehaves)."""
    if type(exc).__name__ == "DataError":  # grader.jsonl's clear, already-located message
        return _first_line(exc)
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(os.getcwd()):
            where = f" at {os.path.relpath(frame.filename)} line {frame.lineno} (in {frame.name})"
            break
    message = "out of memory (the sandbox's memory limit)" if isinstance(exc, MemoryError) else _first_line(exc)
    return f"{doing} failed{where}: {type(exc).__name__}{': ' + message if message else ''}"


def _first_line(exc: BaseException) -> str:
    try:
        text = str(exc)[:1000]
    except BaseException:  # a student's exception class can raise from __str__
        return ""
    return text.splitlines()[0] if text.strip() else ""


def text_field(row: Mapping, key: str, split: str, index: int) -> str:
    if key not in row:
        raise WorkerError(f"{MODULE}.load_split('{split}') example {index}: missing key '{key}'")
    value = row[key]
    if type(value) is not str:  # str subclasses could lie about their contents
        raise WorkerError(
            f"{MODULE}.load_split('{split}') example {index}: '{key}' must be a str, got {type(value).__name__}"
        )
    return value


def write_row(handle, row: object, split: str, index: int) -> None:
    """One JSON line, or WorkerError. The row is student code too: a Mapping can run anything."""
    if not isinstance(row, Mapping):
        raise WorkerError(
            f"{MODULE}.load_split('{split}') example {index}: expected a dict with 'problem' and "
            f"'solution', got {type(row).__name__}"
        )
    try:
        record = {k: text_field(row, k, split, index) for k in ("problem", "solution")}
    except WorkerError:
        raise
    except BaseException as exc:
        raise failure(exc, f"{MODULE}.load_split('{split}') example {index}") from None
    try:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    except UnicodeEncodeError:
        raise WorkerError(
            f"{MODULE}.load_split('{split}') example {index}: text is not valid Unicode (lone surrogate)"
        ) from None


def write_split(module, split: str, path: str, limit: int, count_cap: int, out: Path) -> int:
    """Write up to limit + 1 examples; keep counting (without storing) up to count_cap."""
    try:
        iterator = iter(module.load_split(split, path))
    except BaseException as exc:
        raise failure(exc, f"{MODULE}.load_split('{split}', '{path}')") from None
    count = 0
    with open(out / f"{split}.jsonl", "w", encoding="utf-8") as handle:
        while count < count_cap:
            try:
                row = next(iterator)
            except StopIteration:
                break
            except BaseException as exc:
                raise failure(exc, f"{MODULE}.load_split('{split}') at example {count}") from None
            if count <= limit:
                write_row(handle, row, split, count)
            count += 1
    return count


def run(args: argparse.Namespace, result: dict) -> None:
    """Import the student's module and write both splits; every failure is a WorkerError."""
    sys.path.insert(0, os.getcwd())
    try:
        import sft_utils as module  # noqa: PLC0415 - the whole point of this process
    except BaseException as exc:
        raise failure(exc, f"importing {MODULE}.py") from None
    try:
        template = getattr(module, "CHAT_TEMPLATE", None)
        has_load_split = callable(getattr(module, "load_split", None))
    except BaseException as exc:  # the module object itself may be replaced by student code
        raise failure(exc, f"reading {MODULE}.py") from None
    if type(template) is not str or not template.strip():
        raise WorkerError(f"{MODULE}.py must define CHAT_TEMPLATE as a non-empty string")
    result["chat_template"] = template
    if not has_load_split:
        raise WorkerError(f"{MODULE}.py must define a function load_split(split, path)")
    data_errors: list[str] = []  # a broken train file must not hide a broken val file
    for split, path, limit in (("train", args.train_file, args.max_train), ("val", args.val_file, args.max_val)):
        try:
            result["counts"][split] = write_split(module, split, path, limit, args.max_count, Path(args.out))
        except WorkerError as exc:
            if exc.code != "data":  # memory and the like: nothing sensible can follow
                raise
            data_errors.append(str(exc))
    if data_errors:
        raise WorkerError("; ".join(data_errors))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.environ.get(OUT_ENV))
    parser.add_argument("--train-file", required=True)
    parser.add_argument("--val-file", required=True)
    parser.add_argument("--max-train", type=int, required=True)
    parser.add_argument("--max-val", type=int, required=True)
    parser.add_argument("--max-count", type=int, required=True, help="stop counting examples here")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    result: dict = {"chat_template": None, "counts": {}, "error": None, "error_code": None}
    random.seed(args.seed)
    try:
        run(args, result)
    except BaseException as exc:  # WorkerError, or e.g. MemoryError while writing
        error = exc if isinstance(exc, WorkerError) else failure(exc, f"{MODULE}.py")
        result["error"], result["error_code"] = str(error), error.code
    with open(Path(args.out) / "result.json", "w", encoding="utf-8") as handle:
        json.dump(result, handle)  # ASCII: a lone surrogate in a message cannot break the report
    return 0 if result["error"] is None else 3


if __name__ == "__main__":
    # Leave nothing behind for a student's atexit handler or daemon thread to mutate after us.
    code = main()
    sys.stdout.flush()
    os._exit(code)
