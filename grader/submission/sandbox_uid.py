"""The sandbox where bubblewrap cannot run: a separate unprivileged uid (grading as root).

Bubblewrap needs user namespaces or CAP_SYS_ADMIN, which some containers deny (Docker's default
seccomp profile; Gradescope's autograder containers may be such). Grading never runs student code
unconfined, so there the sandboxed command is a plain process that, between fork and exec and
while still root:

- joins the run's cgroups and gets the same rlimits as under bubblewrap (sandbox.py does both);
- moves into a new, empty network namespace where the kernel allows it (root with
  CAP_SYS_ADMIN): no network at all; where it does not, the network stays reachable, and the
  report's notes say so;
- drops to a uid and gid of its own, picked per run from a range no account uses (so two
  sandboxes never share one: no signals, no /proc, no process budget between them), with no
  supplementary groups, ``no_new_privs`` (a setuid binary gives nothing back) and a
  parent-death signal.

It then sees the file system as any unprivileged user does: everything root's (the kit, the
grader's outputs, the batch folder) is at most readable, and what others may not read stays
unreadable. The submission is handed over as a fresh read-only view (hard links, or copies where
a file's own permissions would not do) in a folder every user can reach, so its real place (a
private batch folder, say) need not be. Secrets (the hidden test set) must be unreadable by other
users (``readable_by_others``). When the run ends, every process of its uid is killed.
"""

from __future__ import annotations

import ctypes
import functools
import os
import pwd
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

UID_FIRST, UID_COUNT = 1 << 30, 1 << 20  # the per-run uids: far above any account's
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
VIEW_PREFIX = "grader-sandbox-"


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mapped(first: int, count: int) -> bool:
    """The uid range exists in this process's user namespace (all of it, outside containers)."""
    try:
        lines = Path("/proc/self/uid_map").read_text().split("\n")
    except OSError:
        return True
    for line in lines:
        fields = line.split()
        if len(fields) == 3 and int(fields[0]) <= first and first + count <= int(fields[0]) + int(fields[2]):
            return True
    return False


def pick_uid() -> int:
    """A uid no account has and no process runs as: the sandbox's alone for this run."""
    running = {p.info["uids"].real for p in psutil.process_iter(["uids"]) if p.info["uids"] is not None}
    while True:
        uid = UID_FIRST + random.randrange(UID_COUNT)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in running:
                return uid


def drop_privileges(uid: int, isolate_network: bool) -> None:
    """In the child between fork and exec (still root): no network, then the uid, for good."""
    libc = _libc()
    if isolate_network and libc.unshare(CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@functools.lru_cache(maxsize=None)
def probe(kit_root: str) -> tuple[str | None, bool]:
    """(why this sandbox cannot run here, or None; whether it cuts the network), found once.

    It can run when this process is root and a fresh uid can run this interpreter and import the
    kit's worker: the interpreter, its packages and the kit must be reachable by every user.
    """
    if os.geteuid() != 0:
        return "the separate-uid sandbox needs root", False
    if not _mapped(UID_FIRST, UID_COUNT):
        return f"uids {UID_FIRST}-{UID_FIRST + UID_COUNT - 1} do not exist in this user namespace", False
    network = _can_unshare_network()
    command = [sys.executable, "-c", "import grader.submission.sandbox_worker"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": kit_root, "PYTHONDONTWRITEBYTECODE": "1"}
    uid = pick_uid()
    try:
        proc = subprocess.run(command, cwd="/", env=env, capture_output=True, text=True, timeout=60,
                              preexec_fn=lambda: drop_privileges(uid, network))  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        exe = os.path.realpath(sys.executable)
        return f"a separate uid cannot run {exe} ({getattr(exc, 'strerror', None) or exc}; a folder above it may be private)", False
    finally:
        kill_uid(uid)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"a separate uid cannot run {os.path.realpath(sys.executable)} with the kit ({last})", False
    return None, network


def _can_unshare_network() -> bool:
    """Whether a child may leave for an empty network namespace (root with CAP_SYS_ADMIN, no seccomp veto)."""
    libc = _libc()
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:
        os._exit(0 if libc.unshare(CLONE_NEWNET) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def kill_uid(uid: int) -> None:
    """SIGKILL every process running as ``uid`` until none is left (a fork bomb's too)."""
    for _ in range(100):
        found = [p for p in psutil.process_iter(["uids", "status"])
                 if p.info["uids"] is not None and p.info["uids"].real == uid and p.info["status"] != psutil.STATUS_ZOMBIE]  # fmt: skip
        if not found:
            return
        for proc in found:
            try:
                proc.send_signal(signal.SIGKILL)
            except psutil.Error:
                pass
        time.sleep(0.02)


def readable_by_others(path: Path) -> bool:
    """Whether a user in none of its groups can read ``path`` (every folder above searchable, the file readable)."""
    path = Path(os.path.realpath(path))
    for folder in reversed(path.parents):
        try:
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    try:
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return False


def writable_by_others(root: Path) -> Path | None:
    """The first file or folder under ``root`` that a user in none of its groups could change."""
    for folder, dirs, files in os.walk(root):
        for name in [".", *dirs, *files]:
            path = Path(folder) / name
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISLNK(info.st_mode) and info.st_mode & stat.S_IWOTH:
                return path
    return None


def make_view(submission: Path) -> Path:
    """A read-only copy of ``submission`` that every user can read: TOP/submission; TOP is returned.

    Files that are already readable and not writable by others are hard-linked (same file
    system), anything else is copied with mode 444; links stay links, other special files are
    left out (as at intake). Folders are root's, 755: the sandbox can add nothing.
    """
    top = Path(tempfile.mkdtemp(prefix=VIEW_PREFIX))
    top.chmod(0o755)
    view = top / "submission"
    device = os.stat(top).st_dev
    for folder, dirs, files in os.walk(submission):  # does not follow links to folders
        source = Path(folder)
        target = view / source.relative_to(submission)
        target.mkdir()
        target.chmod(0o755)
        for name in [*dirs, *files]:
            src, dst = source / name, target / name
            info = os.lstat(src)
            if stat.S_ISLNK(info.st_mode):
                os.symlink(os.readlink(src), dst)
            elif stat.S_ISREG(info.st_mode):
                _share_file(src, dst, info, device)
        dirs[:] = [d for d in dirs if not (source / d).is_symlink()]
    return top


def _share_file(src: Path, dst: Path, info: os.stat_result, device: int) -> None:
    if info.st_dev == device and info.st_mode & (stat.S_IROTH | stat.S_IWOTH) == stat.S_IROTH:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copyfile(src, dst)
    dst.chmod(0o444)


def view_output(top: Path, uid: int) -> Path:
    """The sandbox's output folder, beside its view (so reachable): the uid's alone."""
    out = top / "out"
    out.mkdir()
    os.chown(out, uid, uid)
    out.chmod(0o700)
    return out


def close_view(top: Path, out: Path) -> None:
    """Once every process of the run is dead: what it wrote moves to ``out`` as it is (links stay
    links, for the caller to refuse), and the view goes."""
    written = top / "out"
    for entry in os.scandir(written) if written.is_dir() else ():
        target = out / entry.name
        try:
            os.rename(entry.path, target)
        except OSError:  # another file system: regular files and links only
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
            elif entry.is_file(follow_symlinks=False):
                shutil.copyfile(entry.path, target)
    shutil.rmtree(top, ignore_errors=True)
