"""The kit's code and its digest: recorded before student code runs, compared before a score is written.

Student code runs confined (bubblewrap, or a separate uid for which the kit is read-only), so the
kit cannot change while a class is graded; this is the check that it did not. ``grade`` records the
kit when it starts and starts no stage on a kit that changed since; the Gradescope autograder
records it before the student's code runs, and the process that writes ``results.json`` refuses
to write a score when it changed. Compiled caches (``__pycache__``) are left out: any Python run
may write them.

Only the standard library, and runnable as a script, so that a copy taken beforehand can check a
kit without importing it: ``python -I -S integrity.py KIT OUT.json`` writes the manifest and prints
its digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

CODE = ("grader", "tools/pin", "sft.py", "deepspeed_zero3.yaml", "pyproject.toml")  # under the kit's root
SKIP = ("__pycache__",)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def manifest(kit: str | os.PathLike[str]) -> dict[str, str]:
    """{path under the kit: sha256} of the kit's code (links: of their target; missing entries are left out)."""
    root = Path(kit)
    found: dict[str, str] = {}
    for top in CODE:
        for folder, dirs, files in os.walk(root / top) if (root / top).is_dir() else [(str(root), [], [top])]:
            dirs[:] = sorted(d for d in dirs if d not in SKIP)
            for name in files:
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, root)
                if os.path.islink(path):
                    found[rel] = "link:" + os.readlink(path)
                elif os.path.isfile(path):
                    found[rel] = _sha256(path)
    return dict(sorted(found.items()))


def digest(files: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{path}\0{sha}\n" for path, sha in sorted(files.items())).encode()).hexdigest()


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The paths added, removed or changed between two manifests."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def main(argv: list[str]) -> int:
    """``KIT OUT.json``: write the kit's manifest to OUT.json and print its digest."""
    kit, out = argv
    files = manifest(kit)
    if not files:
        print(f"error: {kit}: no kit code there", file=sys.stderr)
        return 2
    Path(out).write_text(json.dumps(files, indent=0))
    print(digest(files))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
