"""Process plumbing shared by the scheduler and the stages: parent-death signal, groups, free ports, locks."""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket

import psutil

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child between fork and exec: SIGKILL it when the process that started it dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def processes_in_group(pgid: int, marker: str) -> list[int]:
    """Live processes of group ``pgid`` whose command line names ``marker`` (never an unrelated group)."""
    found = []
    for proc in psutil.process_iter(["pid", "status", "cmdline"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE or os.getpgid(proc.pid) != pgid:
                continue
        except (ProcessLookupError, PermissionError):
            continue
        if marker in " ".join(proc.info["cmdline"] or ()):
            found.append(proc.pid)
    return found


def free_port() -> int:
    """A TCP port nobody listens on now: each concurrent training gets its own rendezvous port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def try_lock(path):
    """An exclusive flock on ``path`` (the open file holds it), or None when another process has it.

    Python's files are not inherited by child processes, so the lock ends with the process that
    took it, however that process ends.
    """
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
