"""Atomic file writes (readers see the old file or the whole new one, never half of either) and file digests.

Batch grading can be killed at any instant (``kill -9``, a node reboot, a Slurm preemption);
every file a stage produces goes through here, so a resumed run never reads a torn file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Temp file in the same folder, fsync, rename over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sweep(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove what writes that never finished left in ``folder`` (a process killed between the temp file and
    the rename); only ``write_text_atomic``'s own temp names. Call it where no write can be under way."""
    removed = []
    for path in Path(folder).glob(".*.tmp"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_json_atomic(path: str | os.PathLike[str], value: Any) -> None:
    write_text_atomic(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike[str], default: Any = None) -> Any:
    """The file's JSON, or ``default`` when it does not exist (atomic writes leave no torn file)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def file_sha256(path: str | os.PathLike[str]) -> str:
    """A file's SHA-256, read in 1 MiB blocks (test sets, snapshots, data files)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
