"""Reading JSON Lines files with one clear error per mistake (file, line number, field).

Used by the fixed code (test sets, predictions) and offered to students' ``sft_utils.py``,
which runs it inside the sandbox.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

MAX_FILE_BYTES = 1 << 30  # 1 GiB: far above 100k examples of 2048 tokens


class DataError(ValueError):
    """A problem in a data file; its message is one line that names the file and line (``path``: the file, when not found)."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None):
        super().__init__(message)
        self.path = path


def _link_hint(path: Path) -> str:
    """A dangling link usually points outside the sandbox, which shows only the submission folder."""
    if not path.is_symlink():
        return ""
    return f" (a symbolic link to {os.readlink(path)!r}; in the sandbox only the submission folder is visible)"


def iter_jsonl(
    path: str | os.PathLike[str],
    required: tuple[str, ...] = (),
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterator[tuple[int, dict]]:
    """Yield (line number, row) for each non-blank line; raise DataError on the first bad one."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found{_link_hint(path)}", path)
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(f"{path}: file is {size / 2**30:.1f} GiB; at most {max_bytes / 2**30:.1f} GiB is read")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(f"{path} line {number}: not valid UTF-8 (byte {exc.start} of the line)") from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path} line {number}: invalid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path} line {number}: expected a JSON object, got {type(row).__name__}")
            for field in required:
                if field not in row:
                    raise DataError(f"{path} line {number}: missing field '{field}'")
                if not isinstance(row[field], str):
                    raise DataError(
                        f"{path} line {number}: field '{field}' must be a string, got {type(row[field]).__name__}"
                    )
            yield number, row


def read_jsonl(path: str | os.PathLike[str], required: tuple[str, ...] = ()) -> list[dict]:
    """All rows of a JSON Lines file; an empty file is an error (an empty dataset is a mistake)."""
    rows = [row for _, row in iter_jsonl(path, required)]
    if not rows:
        raise DataError(f"{path}: no rows (the file is empty)")
    return rows
