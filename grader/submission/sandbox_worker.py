"""Runs INSIDE the sandbox: import the student's sft_utils.py and write what it returns as JSON.

The fixed code outside re-reads and re-validates every byte written here, so nothing this
process (or the student code in it) claims is trusted. Output folder layout:
``train.jsonl`` / ``val.jsonl`` (one ``{"problem", "solution"}`` object a line, with ``answer``
and ``source`` when the example has them, at most limit + 1 rows, so an overflow is visible),
``result.json`` (chat template, counts, output line count, the error and its code: ``memory``
when the student's code ran out of memory, ``data`` for everything else; ``split_errors``: a
split whose load_split failed, while the other split is still written), ``progress.json`` (the
stage and rows so far, rewritten twice a second: the caller shows it, and names the split when
the time limit stops us) and ``output.txt`` (the first 8,000 characters the student's code
printed). Counting stops at ``--max-count`` so that an endless generator ends too.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path

MODULE = "sft_utils"
OUT_ENV = "GRADER_SANDBOX_OUT"  # set by grader.submission.sandbox: the output folder as seen from inside
OPTIONAL_FIELDS = ("answer", "source")  # carried when an example has them: check's warnings and data page read them
OUTPUT_NAME = "output.txt"
PROGRESS_NAME = "progress.json"
MAX_OUTPUT_CHARS = 8000
_PROGRESS_EVERY = 0.5  # seconds


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
        return _first_line(exc) + _outside_hint(exc)
    if isinstance(exc, SyntaxError) and _own_file(exc.filename):  # the file and line first: that is what to fix
        line = f" line {exc.lineno}" if exc.lineno else ""
        return f"{os.path.relpath(exc.filename)}{line}: {type(exc).__name__}: {exc.msg} (while {doing})"
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(os.getcwd()):
            where = f" at {os.path.relpath(frame.filename)} line {frame.lineno} (in {frame.name})"
            break
    message = "out of memory (the sandbox's memory limit)" if isinstance(exc, MemoryError) else _first_line(exc)
    return f"{doing} failed{where}: {type(exc).__name__}{': ' + message if message else ''}{_outside_hint(exc)}"


def _own_file(filename: object) -> bool:
    """A file of the submission folder (the working directory), not Python's or the kit's."""
    if not isinstance(filename, str) or not filename:
        return False
    return os.path.realpath(filename).startswith(os.getcwd() + os.sep)


def _outside_hint(exc: BaseException) -> str:
    """A file not found (or refused) outside the submission folder: say that the sandbox shows only that folder."""
    if not isinstance(exc, (FileNotFoundError, PermissionError, NotADirectoryError)) and type(exc).__name__ != "DataError":
        return ""
    path = getattr(exc, "filename", None) or getattr(exc, "path", None)
    if not isinstance(path, (str, os.PathLike)) or "submission folder is visible" in _first_line(exc):
        return ""
    full = os.path.realpath(os.path.join(os.getcwd(), os.fspath(path)))
    if full == os.getcwd() or full.startswith(os.getcwd() + os.sep):
        return ""
    return (f" ({os.fspath(path)} is outside the submission folder: the sandbox sees only the submission folder; "
            "copy the file into it and use a path relative to it)")  # fmt: skip


def _first_line(exc: BaseException) -> str:
    try:
        text = str(exc)[:1000]
    except BaseException:  # a student's exception class can raise from __str__
        return ""
    return text.splitlines()[0] if text.strip() else ""


def text_field(row: Mapping, key: str, split: str, index: int, optional: bool = False) -> str:
    if key not in row:
        raise WorkerError(f"{MODULE}.load_split('{split}') example {index}: missing key '{key}'")
    value = row[key]
    if type(value) is not str:  # str subclasses could lie about their contents
        also = " (or None, or no such key)" if optional else ""
        raise WorkerError(
            f"{MODULE}.load_split('{split}') example {index}: '{key}' must be a str{also}, got {type(value).__name__}"
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
        for key in OPTIONAL_FIELDS:
            if key in row and row[key] is not None:
                record[key] = text_field(row, key, split, index, optional=True)
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


# What load_split sometimes returns instead of examples, and how to turn it into them.
_FIXES = {
    ("pandas", "DataFrame"): 'return df.to_dict("records") (a list of dicts)',
    ("pandas", "Series"): "return series.tolist() (a list of dicts)",
    ("polars", "DataFrame"): "return df.to_dicts() (a list of dicts)",
    ("datasets", "Dataset"): "return dataset.to_list() (a list of dicts)",
    ("datasets", "DatasetDict"): "pick one split and return its rows: dataset_dict['train'].to_list()",
    ("datasets", "IterableDataset"): "return iter(dataset) (its rows one by one)",
    ("numpy", "ndarray"): "return array.tolist() if it holds dicts, else build the dicts",
    ("builtins", "dict"): 'return a list of example dicts: [d] for one example, or [{"problem": p, "solution": s} '
                          'for p, s in zip(d["problem"], d["solution"])] for columns',
    ("builtins", "str"): "return the examples, not text or a path: e.g. grader.jsonl.read_jsonl(path)",
    ("builtins", "NoneType"): "did load_split forget to `return` its examples?",
}


def examples_of(returned: object, split: str) -> Iterator:
    """What load_split returned, as an iterator: a list, a tuple, or any iterator (a generator, ``map``, ...).

    Anything else (a DataFrame, a datasets.Dataset, a dict, None...) iterates as something other than
    examples, or not at all: a WorkerError names its type and the fix.
    """
    if isinstance(returned, (list, tuple)):
        return iter(returned)
    if isinstance(returned, Iterator):
        return returned
    kind = type(returned)
    package, name = str(getattr(kind, "__module__", "")).partition(".")[0], str(getattr(kind, "__qualname__", "?"))
    shown = "None" if returned is None else f"a {name}" if package == "builtins" else f"a {package} {name}"
    fix = _FIXES.get((package, name), 'return a list of dicts {"problem": ..., "solution": ...} (or a generator of them)')
    raise WorkerError(f"{MODULE}.load_split('{split}') returned {shown}, not a list of examples; {fix}")


class Progress:
    """``progress.json``: the stage (import, train, val) and rows so far, written twice a second by a thread.

    Calling it only records the numbers (cheap, every row); the thread writes them, so a
    load_split stuck inside its own code still shows where it got to.
    """

    def __init__(self, out: Path):
        self.path, self.stage, self.rows, self.written = out / PROGRESS_NAME, "import", 0, None
        threading.Thread(target=self._run, daemon=True).start()

    def __call__(self, stage: str, rows: int = 0) -> None:
        self.stage, self.rows = stage, rows

    def _run(self) -> None:
        while True:
            self.write()
            time.sleep(_PROGRESS_EVERY)

    def write(self) -> None:
        now = (self.stage, self.rows)
        if now == self.written:
            return
        part = self.path.with_name(PROGRESS_NAME + ".part")
        try:
            part.write_text(json.dumps({"stage": now[0], "rows": now[1]}), encoding="utf-8")
            os.replace(part, self.path)
            self.written = now
        except OSError:
            pass


class OutputHead(io.TextIOBase):
    """sys.stdout and sys.stderr for the student's code: the first characters go to ``output.txt``, lines are counted."""

    def __init__(self, path: Path):
        self._file = open(path, "w", encoding="utf-8", errors="backslashreplace")
        self.kept, self.breaks, self.last = 0, 0, "\n"

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        if text:
            self.breaks += text.count("\n")
            self.last = text[-1]
        if self.kept < MAX_OUTPUT_CHARS and text:
            part = text[: MAX_OUTPUT_CHARS - self.kept]
            try:
                self._file.write(part)
                self._file.flush()
            except (OSError, ValueError):
                pass
            self.kept += len(part)
        return len(text)

    @property
    def lines(self) -> int:
        return self.breaks + (self.last != "\n")


def write_split(module, split: str, path: str, limit: int, count_cap: int, out: Path, progress: Progress) -> int:
    """Write up to limit + 1 examples; keep counting (without storing) up to count_cap."""
    progress(split, 0)
    try:
        returned = module.load_split(split, path)
    except BaseException as exc:
        raise failure(exc, f"{MODULE}.load_split('{split}', '{path}')") from None
    iterator = examples_of(returned, split)
    count = 0
    with open(out / f"{split}.jsonl", "w", encoding="utf-8") as handle:
        while count < count_cap:
            progress(split, count)
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
    progress = Progress(Path(args.out))
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
    for split, path, limit in (("train", args.train_file, args.max_train), ("val", args.val_file, args.max_val)):
        try:
            result["counts"][split] = write_split(module, split, path, limit, args.max_count, Path(args.out), progress)
        except WorkerError as exc:
            if exc.code != "data":  # memory and the like: nothing sensible can follow
                raise
            result["split_errors"][split] = str(exc)  # a broken train file must not hide the val file, or its errors


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
    result: dict = {"chat_template": None, "counts": {}, "split_errors": {}, "error": None, "error_code": None}
    random.seed(args.seed)
    output = OutputHead(Path(args.out) / OUTPUT_NAME)
    sys.stdout = sys.stderr = output  # what the student's code prints: shown by check, marked as theirs
    try:
        run(args, result)
    except BaseException as exc:  # WorkerError, or e.g. MemoryError while writing
        error = exc if isinstance(exc, WorkerError) else failure(exc, f"{MODULE}.py")
        result["error"], result["error_code"] = str(error), error.code
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    result["output_lines"] = output.lines
    with open(Path(args.out) / "result.json", "w", encoding="utf-8") as handle:
        json.dump(result, handle)  # ASCII: a lone surrogate in a message cannot break the report
    return 0 if result["error"] is None else 3


if __name__ == "__main__":
    # Leave nothing behind for a student's atexit handler or daemon thread to mutate after us.
    code = main()
    sys.stdout.flush()
    os._exit(code)
