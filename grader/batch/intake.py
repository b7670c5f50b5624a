"""Intake: find the class's submissions and freeze each into a read-only snapshot.

SUBMISSIONS holds one sub-folder or one ``.zip`` per student; the name (without ``.zip``) is
the submission id, with characters outside ``[A-Za-z0-9._@+-]`` replaced. A snapshot is a copy
made once, at first intake, then made read-only and hashed: every later stage reads it, never
the live folder, so what was checked is what is trained even if the folder changes meanwhile.

Zips are student data: members are extracted one by one with the total size and file count
capped while writing (not trusted from the header), and a member that is absolute, climbs out
with ``..``, or is a symbolic link is refused with one line. Folders are copied without
following links (a link stays a link, as ``check`` sees it). A submission holding a file that
would stand in for the kit, the standard library or an installed package (``grader/``,
``json.py``, ``sitecustomize.py``, ``*.pth``: grader.submission.shadowing) is refused before any
of its code runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader import records
from grader.atomic import file_sha256
from grader.batch.layout import ID_PATTERN
from grader.submission.shadowing import find_shadowing

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")
# Operating-system litter that is never part of a submission.
_JUNK = ("__MACOSX", ".DS_Store")


class IntakeError(Exception):
    """The submission cannot be taken in; the message is its one-line error."""


@dataclass(frozen=True)
class Source:
    id: str
    path: Path  # the folder or the .zip

    @property
    def is_zip(self) -> bool:
        return self.path.suffix.lower() == ".zip" and self.path.is_file()


def submission_id(name: str) -> str:
    clean = _UNSAFE.sub("_", name).lstrip("._-+@") or "submission"
    return clean[:128]


def discover(folder: Path) -> list[Source]:
    """Every submission under ``folder``, sorted by id; ids made unique with a numeric suffix."""
    if not folder.is_dir():
        from grader.errors import UserError

        raise UserError(f"{folder}: not a folder (SUBMISSIONS holds one folder or .zip per student)", exit_code=2)
    sources: list[Source] = []
    taken: set[str] = {"baseline"}  # the batch's own folder for the untrained model
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name in _JUNK:
            continue
        is_zip = entry.suffix.lower() == ".zip" and entry.is_file()
        if not (is_zip or entry.is_dir()):
            continue
        base = submission_id(entry.stem if is_zip else entry.name)
        unique, n = base, 2
        while unique in taken:
            unique, n = f"{base}-{n}", n + 1
        taken.add(unique)
        assert ID_PATTERN.match(unique)
        sources.append(Source(unique, entry))
    return sources


def _extract_zip(archive: Path, dest: Path, max_bytes: int, max_files: int) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IntakeError(f"{archive.name}: not a readable zip ({exc})") from None
    written = files = 0
    with zf:
        members = [m for m in zf.infolist() if not any(part in _JUNK for part in PurePosixPath(m.filename).parts)]
        root = _common_root(members)
        for member in members:
            name = PurePosixPath(member.filename)
            if name.is_absolute() or ".." in name.parts or member.filename.startswith(("/", "\\")) or "\\" in member.filename:
                raise IntakeError(f"{archive.name}: member '{member.filename}' would be written outside the submission")
            mode = member.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise IntakeError(f"{archive.name}: member '{member.filename}' is a symbolic link (not allowed in a zip)")
            relative = PurePosixPath(*name.parts[len(root.parts):]) if root.parts else name
            if not relative.parts:
                continue
            target = dest.joinpath(*relative.parts)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            files += 1
            if files > max_files:
                raise IntakeError(f"{archive.name}: more than {max_files:,} files")
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as source, open(target, "wb") as out:
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > max_bytes:
                        raise IntakeError(f"{archive.name}: unpacks to more than {max_bytes >> 20:,} MiB")
                    out.write(chunk)


def _common_root(members: list[zipfile.ZipInfo]) -> PurePosixPath:
    """A single top-level folder wrapping everything (a zipped folder) is unwrapped."""
    tops = {PurePosixPath(m.filename).parts[0] for m in members if PurePosixPath(m.filename).parts}
    if len(tops) == 1:
        top = next(iter(tops))
        if all(len(PurePosixPath(m.filename).parts) > 1 or m.is_dir() for m in members):
            return PurePosixPath(top)
    return PurePosixPath()


def _copy_folder(source: Path, dest: Path, max_bytes: int, max_files: int) -> None:
    written = files = 0
    for root, dirs, names in os.walk(source):  # os.walk does not follow links to folders
        rel = Path(root).relative_to(source)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in [d for d in dirs if (Path(root) / d).is_symlink()] + names:
            src, dst = Path(root) / name, dest / rel / name
            files += 1
            if files > max_files:
                raise IntakeError(f"{source.name}: more than {max_files:,} files")
            if src.is_symlink():
                os.symlink(os.readlink(src), dst)
                continue
            if not src.is_file():
                continue  # FIFOs, sockets, devices: never part of a submission
            written += src.stat().st_size
            if written > max_bytes:
                raise IntakeError(f"{source.name}: holds more than {max_bytes >> 20:,} MiB")
            shutil.copyfile(src, dst)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]


def manifest(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file (links: of their target string)."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + hashlib.sha256(os.readlink(path).encode()).hexdigest()
        elif path.is_file():
            out[rel] = file_sha256(path)
    return out


def _read_only(folder: Path) -> None:
    for root, dirs, names in os.walk(folder, topdown=False):
        for name in names:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o444)
        for name in dirs:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o555)
    folder.chmod(0o555)


def make_writable(folder: Path) -> None:
    """Undo ``_read_only`` so a folder can be removed (a failed or interrupted intake)."""
    if not folder.exists():
        return
    for root, dirs, _ in os.walk(folder):
        os.chmod(root, 0o755)
        for name in dirs:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o755)


@dataclass(frozen=True)
class Manifest:
    """snapshot.json: where a snapshot came from and the digest of every file in it."""

    source: str
    files: dict[str, str]  # relative path -> sha256 (links: of their target)
    sha256: str  # of the whole listing


def snapshot(source: Source, snapshot_dir: Path, manifest_path: Path, max_bytes: int, max_files: int) -> Manifest:
    """Copy (or unpack) into a fresh ``snapshot_dir``, make it read-only, record its hashes.

    The copy is built beside its final place and renamed in: a killed intake leaves no
    half-copied snapshot behind under the real name.
    """
    tmp = snapshot_dir.with_name(snapshot_dir.name + ".partial")
    make_writable(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if source.is_zip:
            _extract_zip(source.path, tmp, max_bytes, max_files)
        else:
            _copy_folder(source.path, tmp, max_bytes, max_files)
        shadowing = find_shadowing(tmp)
        if shadowing:
            more = f" (+{len(shadowing) - 1} more)" if len(shadowing) > 1 else ""
            raise IntakeError(f"shadowing: {shadowing[0]}{more}")
    except IntakeError:
        make_writable(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    hashes = manifest(tmp)
    _read_only(tmp)
    make_writable(snapshot_dir)
    shutil.rmtree(snapshot_dir, ignore_errors=True)
    os.replace(tmp, snapshot_dir)
    record = Manifest(
        source=str(source.path.resolve()),
        files=hashes,
        sha256=hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in hashes.items()).encode()).hexdigest(),
    )
    records.save(manifest_path, record)
    return record
