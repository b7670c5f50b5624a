"""Intake: find the class's submissions and freeze each into a read-only snapshot.

SUBMISSIONS holds one sub-folder or one ``.zip`` per student; the name (without ``.zip``) is
the submission id, with characters outside ``[A-Za-z0-9._@+-]`` replaced. A snapshot is a copy
made once, at first intake, then made read-only and hashed: every later stage reads it, never
the live folder, so what was checked is what is trained even if the folder changes meanwhile.

Ids are given once: ``DIR/ids.json`` (``IdMap``) keeps every source's id and its content digest
when it was taken in. A re-run never re-maps a source; a new source gets an id of its own (a
numeric suffix when its cleaned name is taken); a source whose contents changed since it was
taken in is reported, and taken in again only on ``grade --retake ID``.

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
from grader.batch.layout import ID_PATTERN, BatchPaths
from grader.errors import UserError
from grader.submission.check import printable
from grader.submission.shadowing import find_shadowing

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")
# Operating-system litter that is never part of a submission.
_JUNK = ("__MACOSX", ".DS_Store")
RESERVED = "baseline"  # the batch's own folder for the untrained model


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


def find_sources(folder: Path) -> list[Path]:
    """Every folder and .zip in SUBMISSIONS, by name (hidden names included: they get a row too)."""
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder (SUBMISSIONS holds one folder or .zip per student)", exit_code=2)
    return [
        entry for entry in sorted(folder.iterdir(), key=lambda p: p.name)
        if entry.name not in _JUNK and (entry.is_dir() or (entry.suffix.lower() == ".zip" and entry.is_file()))
    ]  # fmt: skip


@dataclass
class Taken:
    """One source of ids.json: its id, and what it was when it was last taken in."""

    id: str
    sha256: str | None = None  # its contents: a zip's bytes, a folder's listing as snapshot.json hashes it
    stamp: str | None = None  # its names, sizes and times: the same stamp means the same contents, unread


@dataclass
class IdMap:
    """ids.json: every source ever found in SUBMISSIONS and its submission id, given once, never re-mapped."""

    folder: str  # SUBMISSIONS, as last given (status compares the sources there with their snapshots)
    sources: dict[str, Taken]  # the entry's name in SUBMISSIONS -> its id and digests

    def ids(self) -> set[str]:
        return {taken.id for taken in self.sources.values()}

    def name_of(self, submission_id: str) -> str | None:
        return next((name for name, taken in self.sources.items() if taken.id == submission_id), None)


def _unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``, ... (cut to stay within an id's 128 characters)."""
    unique, n = base, 2
    while unique in taken:
        unique, n = f"{base[: 127 - len(str(n))]}-{n}", n + 1
    return unique


def assign_ids(entries: list[Path], ids: IdMap, existing: set[str] = frozenset()) -> list[Source]:
    """A source already in ``ids`` keeps its id; a new one gets an id no source and no ``existing`` submission
    folder has (added to ``ids``)."""
    taken = ids.ids() | {RESERVED} | set(existing)
    sources = []
    for entry in entries:
        known = ids.sources.get(entry.name)
        if known is None:
            is_zip = entry.suffix.lower() == ".zip" and entry.is_file()
            known = ids.sources[entry.name] = Taken(_unique(submission_id(entry.stem if is_zip else entry.name), taken))
            taken.add(known.id)
        assert ID_PATTERN.match(known.id)
        sources.append(Source(known.id, entry))
    return sources


def discover(folder: Path, ids: IdMap | None = None) -> list[Source]:
    """Every submission under ``folder`` with its id (``ids``: the batch's map, extended by new sources)."""
    return assign_ids(find_sources(folder), ids if ids is not None else IdMap(str(folder.resolve()), {}))


def read_ids(paths: BatchPaths, folder: Path) -> IdMap:
    """The batch's ids.json (``folder`` recorded as SUBMISSIONS); for a batch from before ids.json, the
    ids its snapshots were taken under, from each snapshot.json's source."""
    ids = records.load_optional(paths.ids, IdMap)
    if ids is not None:
        ids.folder = str(folder.resolve())
        return ids
    ids = IdMap(str(folder.resolve()), {})
    unnamed = set()  # taken in before ids.json, without a snapshot (intake failed): matched by name below
    for known in paths.submission_ids():
        taken = records.load_optional(paths.submission(known).manifest, Manifest)
        if taken is None:
            unnamed.add(known)
            continue
        source = Path(taken.source)
        ids.sources[source.name] = Taken(known, None if source.suffix.lower() == ".zip" else taken.sha256,
                                         source_stamp(source) if source.exists() else None)  # fmt: skip
    for entry in find_sources(folder) if unnamed else []:
        old = submission_id(entry.stem if entry.is_file() else entry.name)
        if entry.name not in ids.sources and old in unnamed:
            ids.sources[entry.name] = Taken(old, stamp=source_stamp(entry))
            unnamed.discard(old)
    return ids


def save_ids(paths: BatchPaths, ids: IdMap) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    records.save(paths.ids, ids)


def source_stamp(path: Path) -> str:
    """A cheap fingerprint of a source: every entry's name, type, size and modification time (no reading)."""
    digest = hashlib.sha256()
    if path.is_file():
        info = path.stat()
        digest.update(f"{info.st_size}\0{info.st_mtime_ns}".encode())
        return digest.hexdigest()
    for root, dirs, names in os.walk(path):  # links to folders are not followed
        dirs.sort()
        for name in sorted(dirs + names):
            full = Path(root) / name
            try:
                info = full.lstat()
            except OSError:
                continue
            rel = full.relative_to(path).as_posix()
            digest.update(f"{rel}\0{stat.S_IFMT(info.st_mode)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def source_sha256(path: Path) -> str:
    """A source's contents: a zip's bytes, or a folder's listing with every file's digest (as snapshot.json's sha256)."""
    return file_sha256(path) if path.is_file() else listing_sha256(manifest(path))


def changed(path: Path, taken: Taken) -> bool:
    """Whether the source's contents differ from when it was taken in (read only when its stamp changed)."""
    if not path.exists():
        return False  # gone: its snapshot stays, nothing to take in
    if taken.stamp is not None and source_stamp(path) == taken.stamp:
        return False
    if taken.sha256 is None:
        return taken.stamp is not None  # never hashed (intake failed early): the stamp decides
    try:
        return source_sha256(path) != taken.sha256
    except OSError:
        return True


def _too_many(label: str, limit: int) -> IntakeError:
    return IntakeError(f"{label}: more than {limit:,} files and folders")


def _extract_zip(archive: Path, dest: Path, max_bytes: int, max_files: int, label: str) -> None:
    """Unpack member by member; ``label`` (the submission id) begins every error."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IntakeError(f"{label}: {printable(archive.name)} is not a readable zip ({exc})") from None
    written = entries = 0
    with zf:
        members = [m for m in zf.infolist() if not any(part in _JUNK for part in PurePosixPath(m.filename).parts)]
        root = _common_root(members)
        for member in members:
            name = PurePosixPath(member.filename)
            shown = printable(member.filename)
            if name.is_absolute() or ".." in name.parts or member.filename.startswith(("/", "\\")) or "\\" in member.filename:
                raise IntakeError(f"{label}: member '{shown}' would be written outside the submission")
            mode = member.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise IntakeError(f"{label}: member '{shown}' is a symbolic link (not allowed in a zip)")
            relative = PurePosixPath(*name.parts[len(root.parts):]) if root.parts else name
            if not relative.parts:
                continue
            entries += 1  # a folder is an entry too: 60,000 empty folders are not a small submission
            if entries > max_files:
                raise _too_many(label, max_files)
            target = dest.joinpath(*relative.parts)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as source, open(target, "wb") as out:
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > max_bytes:
                        raise IntakeError(f"{label}: unpacks to more than {max_bytes >> 20:,} MiB")
                    out.write(chunk)


def _common_root(members: list[zipfile.ZipInfo]) -> PurePosixPath:
    """A single top-level folder wrapping everything (a zipped folder) is unwrapped."""
    tops = {PurePosixPath(m.filename).parts[0] for m in members if PurePosixPath(m.filename).parts}
    if len(tops) == 1:
        top = next(iter(tops))
        if all(len(PurePosixPath(m.filename).parts) > 1 or m.is_dir() for m in members):
            return PurePosixPath(top)
    return PurePosixPath()


def _copy_folder(source: Path, dest: Path, max_bytes: int, max_files: int, label: str) -> None:
    written = entries = 0
    for root, dirs, names in os.walk(source):  # os.walk does not follow links to folders
        rel = Path(root).relative_to(source)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        entries += len(dirs) + len(names)  # folders count, as in a zip
        if entries > max_files:
            raise _too_many(label, max_files)
        for name in [d for d in dirs if (Path(root) / d).is_symlink()] + names:
            src, dst = Path(root) / name, dest / rel / name
            if src.is_symlink():
                os.symlink(os.readlink(src), dst)
                continue
            if not src.is_file():
                continue  # FIFOs, sockets, devices: never part of a submission
            written += src.stat().st_size
            if written > max_bytes:
                raise IntakeError(f"{label}: holds more than {max_bytes >> 20:,} MiB")
            shutil.copyfile(src, dst)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]


def listing_sha256(hashes: dict[str, str]) -> str:
    """One digest of a {relative path: sha256} listing (snapshot.json's ``sha256``)."""
    return hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in hashes.items()).encode()).hexdigest()


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
            _extract_zip(source.path, tmp, max_bytes, max_files, source.id)
        else:
            _copy_folder(source.path, tmp, max_bytes, max_files, source.id)
        shadowing = find_shadowing(tmp)
        if shadowing:
            more = f" (+{len(shadowing) - 1} more)" if len(shadowing) > 1 else ""
            raise IntakeError(f"{source.id}: shadowing: {shadowing[0]}{more}")
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
        sha256=listing_sha256(hashes),
    )
    records.save(manifest_path, record)
    return record
