"""Run untrusted code (the student's sft_utils.py) in a separate, confined process.

Confinement, strongest available first:
- bubblewrap (Linux): new user/pid/net/ipc/uts namespaces (no network), an empty root with
  only the Python installation, the ``grader`` package and the submission mounted read-only,
  one private writable output folder, a size-capped tmpfs /tmp; the process dies with its
  parent. It runs as an unprivileged uid with every capability dropped: bwrap started by root
  otherwise leaves the sandboxed process CAP_SYS_ADMIN and friends, enough to remount the
  read-only kit writable.
- rlimits on every process: address space, CPU seconds, file size, open files, core dumps.
- cgroups (when the caller may create them, e.g. root on Linux), nested under the caller's own:
  a cap on the number of processes and on total memory. RLIMIT_NPROC does the process cap for
  non-root callers; the kernel never applies it to uid 0, hence the cgroup.
- a wall-time limit: the whole process group (and cgroup) is killed when it runs past it.
- its stdout and stderr go through a pipe of which only the tail is kept: a flood fills no disk.
Without bubblewrap:
- grading (``confined=True``: ``grade``, ``check --save``, ``check --confined``, the Gradescope
  autograder) runs it as a separate unprivileged uid (grader/submission/sandbox_uid.py: root only),
  or refuses with one line unless the instructor allowed unconfined student code
  (``--unconfined-student-code``, ``GRADER_ALLOW_UNCONFINED=1``);
- anything else (a student's own ``check``, ``sft.py``) runs it as a plain subprocess with the
  same limits, and a loud warning says that it can read the file system and reach the network.

``call_forked`` is the small sibling for untrusted *data* that must be processed with this
process's state (Jinja rendering a student's chat template with the loaded tokenizer): a forked
child with CPU, wall-time and memory caps. ``Deadline`` carries ``check --timeout`` through the
stages after the sandbox.
"""

from __future__ import annotations

import functools
import json
import math
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from grader.errors import UserError
from grader.submission import sandbox_uid

GRADER_DIR = Path(__file__).resolve().parent.parent  # the grader package (mounted whole: sft_utils.py may use grader.jsonl)
SANDBOX_KIT = "/kit"  # PYTHONPATH inside the sandbox: /kit/grader is the fixed code
SANDBOX_SUBMISSION = "/submission"
SANDBOX_OUT = "/out"
OUT_ENV = "GRADER_SANDBOX_OUT"  # tells the command where its output folder is
NOBODY = "65534"  # the uid/gid the sandboxed process runs as, inside its user namespace
# What may confine student code here, for tests and diagnosis: unset, everything available;
# "subprocess", no bubblewrap (as in a container that denies namespaces); "none", no separate uid either.
MODE_ENV = "GRADER_SANDBOX"
ALLOW_UNCONFINED_ENV = "GRADER_ALLOW_UNCONFINED"  # "1": grading may run student code unconfined where it must
UNCONFINED_FLAG = "--unconfined-student-code"  # the commands' flag that sets it
_STDERR_TAIL = 4000


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 600.0
    memory_bytes: int = 8 << 30
    max_processes: int = 64
    max_file_bytes: int = 4 << 30
    max_open_files: int = 512


@dataclass(frozen=True)
class SandboxResult:
    returncode: int
    timed_out: bool
    stderr_tail: str
    confinement: str  # "bubblewrap", "uid" (a separate unprivileged uid) or "subprocess"
    seconds: float
    memory_killed: bool = False  # the cgroup's memory cap killed a process (OOM)
    processes_refused: bool = False  # the cgroup's process cap refused a fork
    wall_seconds: float = math.inf  # when the watchdog was set to kill it

    @property
    def signal(self) -> int | None:
        """The signal that killed the command (bwrap reports its child's as exit code 128 + N)."""
        if self.returncode < 0:
            return -self.returncode
        if self.confinement == "bubblewrap" and self.returncode > 128:
            return self.returncode - 128
        return None


class SandboxUnavailable(UserError):
    """Student code must run confined (grading) and cannot be here; one line says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=2)


class DeadlineExceeded(Exception):
    """The run went past its deadline; the message names the stage it was in."""


@dataclass(frozen=True)
class Deadline:
    """The monotonic time a whole run (sandbox + checks after it) must end by.

    ``check --timeout`` bounds everything, not only the student's code: the stages after the
    sandbox (reading, tokenizing, decontaminating what it produced) ask it between chunks.
    """

    at: float = math.inf
    seconds: float = math.inf  # the budget it was set with, for messages

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        return cls() if seconds is None else cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self, stage: str) -> None:
        if time.monotonic() > self.at:
            raise DeadlineExceeded(stage)


@dataclass(frozen=True)
class _Bwrap:
    exe: str
    hardening: tuple[str, ...]  # user namespace, unprivileged uid, no capabilities
    tmpfs_size: bool  # this bwrap can cap a tmpfs's size (--size)


@functools.lru_cache(maxsize=None)
def _probe_bwrap(exe: str) -> _Bwrap | None:
    """What this bwrap can do here (it cannot create namespaces in some containers); cached."""

    def works(flags: list[str]) -> bool:
        cmd = [exe, "--unshare-all", *flags, "--die-with-parent", "--ro-bind", "/", "/", "true"]
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0

    help_text = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30).stdout
    no_userns = ["--disable-userns"] if "--disable-userns" in help_text else []
    for hardening in (
        ["--unshare-user", "--uid", NOBODY, "--gid", NOBODY, *no_userns, "--cap-drop", "ALL"],
        ["--cap-drop", "ALL"],
    ):
        if works(hardening):
            return _Bwrap(exe, tuple(hardening), "--size" in help_text)
    if works([]):
        warnings.warn("bubblewrap cannot drop privileges here: the sandboxed code keeps its capabilities", stacklevel=3)
        return _Bwrap(exe, (), "--size" in help_text)
    return None


def _bwrap() -> _Bwrap | None:
    if os.environ.get(MODE_ENV) in ("subprocess", "none"):
        return None
    exe = shutil.which("bwrap")
    return _probe_bwrap(exe) if exe else None


def bubblewrap_path() -> str | None:
    """The bwrap binary if it can actually create namespaces here (it cannot in some containers)."""
    found = _bwrap()
    return found.exe if found else None


def _why_no_bwrap() -> str:
    if os.environ.get(MODE_ENV) in ("subprocess", "none"):
        return f"bubblewrap is turned off ({MODE_ENV}={os.environ[MODE_ENV]})"
    return "bubblewrap cannot create its namespaces here" if shutil.which("bwrap") else "bubblewrap is not installed"


def allow_unconfined() -> bool:
    """The instructor's explicit, loud choice: grading may run student code as a plain subprocess."""
    return os.environ.get(ALLOW_UNCONFINED_ENV) == "1"


def allow_unconfined_student_code() -> None:
    """``--unconfined-student-code``: for this process and every process it starts (a batch's stages)."""
    os.environ[ALLOW_UNCONFINED_ENV] = "1"


@dataclass(frozen=True)
class _Plan:
    confinement: str  # bubblewrap, uid or subprocess
    bwrap: _Bwrap | None = None
    network_cut: bool = False  # uid: in an empty network namespace


def _plan(confined: bool) -> _Plan:
    """The strongest confinement here; ``confined`` (grading): never a plain subprocess unless allowed."""
    bwrap = _bwrap()
    if bwrap is not None:
        return _Plan("bubblewrap", bwrap)
    if not confined:
        return _Plan("subprocess")
    if os.environ.get(MODE_ENV) == "none":
        why, network_cut = f"so is the separate-uid sandbox ({MODE_ENV}=none)", False
    else:
        why, network_cut = sandbox_uid.probe(str(GRADER_DIR.parent))
    if why is None:
        open_to_all = sandbox_uid.writable_by_others(GRADER_DIR)
        if open_to_all is None:
            return _Plan("uid", network_cut=network_cut)
        why = f"{open_to_all} can be changed by every user (chmod -R o-w the kit)"
    if allow_unconfined():
        return _Plan("subprocess")
    raise SandboxUnavailable(
        f"student code must run confined when grading, and cannot here: {_why_no_bwrap()}, and {why}; "
        f"pass {UNCONFINED_FLAG} (or set {ALLOW_UNCONFINED_ENV}=1) to run it unconfined anyway, "
        "able to read and change everything this user can"
    )


def _refuse_readable(secrets: tuple[Path, ...]) -> None:
    for secret in secrets:
        if sandbox_uid.readable_by_others(secret):
            raise SandboxUnavailable(
                f"{secret}: readable by every user on this machine, and without bubblewrap student code runs "
                "as one: make it private (chmod o-r, or a folder above it o-x), or install bubblewrap"
            )


def grading_confinement(secrets: tuple[Path, ...] = ()) -> str:
    """How grading would confine student code here ('bubblewrap', 'uid', or 'subprocess' when the
    instructor allowed it); SandboxUnavailable when it cannot, or when a secret would be readable."""
    plan = _plan(confined=True)
    if plan.confinement == "uid":
        _refuse_readable(secrets)
    return plan.confinement


def _python_roots() -> list[str]:
    """Folders the interpreter and its installed packages live in (mounted read-only)."""
    roots = {sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix}
    real_exe = os.path.realpath(sys.executable)
    roots.add(os.path.dirname(os.path.dirname(real_exe)))
    return sorted(r for r in roots if r and os.path.isdir(r))


def _system_mounts() -> list[str]:
    """/usr and the top-level links or folders the dynamic loader needs; never /etc, /home, /root."""
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    if os.path.isdir("/etc/ld.so.conf.d"):
        args += ["--ro-bind", "/etc/ld.so.conf.d", "/etc/ld.so.conf.d"]
    return args


def _bwrap_argv(
    bwrap: _Bwrap, submission: Path, out: Path, argv: list[str], env: dict[str, str], limits: SandboxLimits
) -> list[str]:
    cmd = [bwrap.exe, "--unshare-all", *bwrap.hardening, "--die-with-parent", "--new-session", "--clearenv"]
    cmd += _system_mounts()
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    cmd += (["--size", str(limits.memory_bytes)] if bwrap.tmpfs_size else []) + ["--tmpfs", "/tmp"]
    for root in _python_roots():  # after /tmp: a virtualenv under /tmp must not be hidden by it
        cmd += ["--ro-bind", root, root]
    cmd += ["--ro-bind", str(GRADER_DIR), f"{SANDBOX_KIT}/grader"]
    cmd += ["--ro-bind", str(submission), SANDBOX_SUBMISSION]
    cmd += ["--bind", str(out), SANDBOX_OUT]
    cmd += ["--chdir", SANDBOX_SUBMISSION]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--", *argv]


def _own_cgroup(controller: str | None) -> str:
    """This process's cgroup path for a v1 controller (``None``: the v2 path); '/' when unknown."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (controllers == "") if controller is None else (controller in controllers.split(",")):
            return path
    return "/"


class _Cgroups:
    """Per-run cgroups capping process count and memory, when this process may create them.

    Nested under the caller's own cgroup where possible, so the sandbox stays inside whatever
    limits the grader itself runs under.
    """

    ROOTS = {
        "pids": ("/sys/fs/cgroup/pids", "pids.max"),
        "memory": ("/sys/fs/cgroup/memory", "memory.limit_in_bytes"),
    }

    def __init__(self, limits: SandboxLimits):
        self.dirs: list[Path] = []
        name = f"grader-sandbox-{os.getpid()}-{time.monotonic_ns()}"
        values = {"pids": limits.max_processes, "memory": limits.memory_bytes}
        unified = Path("/sys/fs/cgroup")
        if (unified / "cgroup.controllers").exists():  # cgroup v2
            knobs = {"pids.max": values["pids"], "memory.max": values["memory"]}
            self._make([unified / _own_cgroup(None).lstrip("/") / name, unified / name], knobs)
            return
        for ctrl, (root, knob) in self.ROOTS.items():
            self._make([Path(root) / _own_cgroup(ctrl).lstrip("/") / name, Path(root) / name], {knob: values[ctrl]})

    def _make(self, candidates: list[Path], knobs: dict[str, int]) -> None:
        for path in dict.fromkeys(candidates):
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                for knob, value in knobs.items():
                    (path / knob).write_text(str(value))
            except OSError:
                path.rmdir()
                continue
            self.dirs.append(path)
            return

    @property
    def caps_processes(self) -> bool:
        return any((d / "pids.max").exists() for d in self.dirs)

    def join(self) -> None:
        """Called in the child between fork and exec: move it into every cgroup."""
        pid = str(os.getpid())
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as handle:
                handle.write(pid)

    def _event(self, files: tuple[str, ...], key: str) -> bool:
        for d in self.dirs:
            for name in files:
                try:
                    for line in (d / name).read_text().splitlines():
                        field, _, count = line.partition(" ")
                        if field == key and count.strip() not in ("", "0"):
                            return True
                except OSError:
                    continue
        return False

    def memory_killed(self) -> bool:
        return self._event(("memory.oom_control", "memory.events"), "oom_kill")

    def processes_refused(self) -> bool:
        return self._event(("pids.events",), "max")

    def close(self) -> None:
        """Kill whatever is left and remove the cgroups."""
        for d in self.dirs:
            for _ in range(50):
                try:
                    pids = (d / "cgroup.procs").read_text().split()
                except OSError:
                    break
                if not pids:
                    break
                for p in pids:
                    try:
                        os.kill(int(p), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
                time.sleep(0.05)
            try:
                d.rmdir()
            except OSError:
                pass


def _nproc_limit(max_processes: int) -> int:
    """RLIMIT_NPROC for the sandbox: it counts every process and thread of the real user, so
    add those already running, or a busy CI user could not even start the sandbox."""
    uid = os.getuid()
    if uid == 0:  # never applied to root; the pids cgroup caps instead
        return max_processes
    running = 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        if proc.info["uids"] is not None and proc.info["uids"].real == uid:
            running += proc.info["num_threads"] or 1
    return running + max_processes


class _Tail(threading.Thread):
    """Drains the sandbox's stdout and stderr, keeping only the last bytes."""

    def __init__(self, fd: int, keep: int = _STDERR_TAIL):
        super().__init__(daemon=True)
        self.fd, self.keep, self.data = fd, keep, bytearray()

    def run(self) -> None:
        try:
            while chunk := os.read(self.fd, 1 << 16):
                self.data += chunk
                if len(self.data) > 2 * self.keep:
                    del self.data[: -self.keep]
        except OSError:
            pass
        finally:
            os.close(self.fd)

    def text(self) -> str:
        return bytes(self.data[-self.keep :]).decode("utf-8", "replace")


class ConfinedProcess:
    """A started sandboxed command. A watchdog kills it at its wall time even while the caller
    is busy elsewhere (loading a tokenizer); ``wait()`` collects it and cleans up. As a context
    manager it guarantees that nothing outlives the block, whatever the caller does."""

    def __init__(
        self, proc: subprocess.Popen, cgroups: _Cgroups, tail: _Tail, wall_seconds: float, confinement: str, start: float,
        uid: int | None = None, cleanup: Callable[[], None] | None = None,
    ):  # fmt: skip
        self.proc, self.cgroups, self.tail, self.wall_seconds = proc, cgroups, tail, wall_seconds
        self.confinement, self.start = confinement, start
        self.uid, self.cleanup = uid, cleanup  # uid: the separate uid it runs as (every process of it dies with it)
        self.result: SandboxResult | None = None
        self.timed_out = False
        self._watchdog = threading.Timer(max(0.0, start + wall_seconds - time.monotonic()), self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _expire(self) -> None:
        if self.proc.poll() is None:
            self.timed_out = True
            self._kill()

    def _kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.uid is not None:  # also what left the process group (setsid)
            sandbox_uid.kill_uid(self.uid)

    def wait(self) -> SandboxResult:
        if self.result is not None:
            return self.result
        try:
            self.proc.wait()
        finally:
            memory_killed, refused = self._stop()
        self.result = SandboxResult(
            self.proc.returncode, self.timed_out, self.tail.text(), self.confinement, time.monotonic() - self.start,
            memory_killed, refused, self.wall_seconds,
        )  # fmt: skip
        return self.result

    def _stop(self) -> tuple[bool, bool]:
        self._watchdog.cancel()
        self._kill()
        self.proc.wait()
        events = (self.cgroups.memory_killed(), self.cgroups.processes_refused())
        self.cgroups.close()
        self.tail.join(timeout=2)
        if self.cleanup is not None:
            self.cleanup()
        return events

    def __enter__(self) -> ConfinedProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.result is None:
            self._stop()


def _base_env(extra: dict[str, str] | None) -> dict[str, str]:
    """The confined process's environment: the same everywhere, whatever the caller's."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        **(extra or {}),
    }


@dataclass
class _Launch:
    """How the confined process starts: its command, environment and folder; the uid it drops to."""

    cmd: list[str]
    env: dict[str, str]
    cwd: str
    uid: int | None = None
    cleanup: Callable[[], None] | None = None


def _launch(plan: _Plan, confined: bool, argv: list[str], submission: Path, out: Path, env: dict[str, str],
            limits: SandboxLimits, secrets: tuple[Path, ...]) -> _Launch:  # fmt: skip
    """Under bubblewrap; as a separate uid; or, with a loud warning, as a plain subprocess."""
    if plan.bwrap is not None:
        env = {**env, "PYTHONPATH": SANDBOX_KIT, OUT_ENV: SANDBOX_OUT}
        return _Launch(_bwrap_argv(plan.bwrap, submission, out, argv, env, limits), {}, "/")
    uid = cleanup = None
    if plan.confinement == "uid":
        _refuse_readable(secrets)
        warnings.warn(
            "bubblewrap is not available: sft_utils.py ran as a separate unprivileged uid with resource "
            "limits: it could read what every user on this machine may read"
            + (", without network." if plan.network_cut else ", and reach the network."),
            stacklevel=3,
        )
        uid = sandbox_uid.pick_uid()
        view = sandbox_uid.make_view(submission)
        cleanup = functools.partial(sandbox_uid.close_view, view, out)
        submission, out = view / "submission", sandbox_uid.view_output(view, uid)
    elif confined:
        warnings.warn(
            f"{UNCONFINED_FLAG}: sft_utils.py ran UNCONFINED, as a plain subprocess of this user with resource "
            "limits only: it could read and change everything this user can, the kit and the results included.",
            stacklevel=3,
        )
    else:
        warnings.warn(
            "bubblewrap is not available: sft_utils.py runs as a plain subprocess with resource limits "
            "only; it can read your files and reach the network. Install bubblewrap (apt-get install "
            "bubblewrap) for a real sandbox.",
            stacklevel=3,
        )
    env = {**env, "PYTHONPATH": str(GRADER_DIR.parent), OUT_ENV: str(out)}
    return _Launch(argv, env, str(submission), uid, cleanup)


def _rlimits(limits: SandboxLimits) -> tuple[tuple[int, int], ...]:
    return (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_CPU, int(limits.wall_seconds) + 5),
        (resource.RLIMIT_FSIZE, limits.max_file_bytes),
        (resource.RLIMIT_NOFILE, limits.max_open_files),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, _nproc_limit(limits.max_processes)),
    )


def start_confined(
    argv: list[str],
    submission: Path,
    out: Path,
    limits: SandboxLimits,
    env: dict[str, str] | None = None,
    wall_seconds: float | None = None,
    confined: bool = False,
    secrets: tuple[Path, ...] = (),
) -> ConfinedProcess:
    """Start ``argv`` with ``submission`` read-only and ``out`` writable; nothing else writable.

    Returns at once, so the caller can do its own work (load a tokenizer) while it runs.
    Everything the confined code can observe (rlimits, cgroup caps, tmpfs size, environment,
    paths) comes from ``limits`` alone, so it is the same whoever starts it; ``wall_seconds``
    (at most ``limits.wall_seconds``) only makes the watchdog kill it sooner. ``confined``
    (grading): bubblewrap or a separate uid, never a plain subprocess unless the instructor
    allowed it (else SandboxUnavailable); ``secrets``: files it must not be able to read.
    """
    wall = limits.wall_seconds if wall_seconds is None else max(0.1, min(wall_seconds, limits.wall_seconds))
    submission, out = Path(submission).resolve(), Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    plan = _plan(confined)
    launch = _launch(plan, confined, argv, submission, out, _base_env(env), limits, secrets)
    cgroups = _Cgroups(limits)
    if plan.confinement == "bubblewrap" and not cgroups.caps_processes and os.getuid() == 0:
        warnings.warn("running as root without writable cgroups: the sandbox's process count is not capped", stacklevel=2)
    rlimits = _rlimits(limits)

    def limit_child() -> None:
        cgroups.join()
        for res, value in rlimits:
            resource.setrlimit(res, (value, value))
        if launch.uid is not None:
            sandbox_uid.drop_privileges(launch.uid, plan.network_cut)

    read_fd, write_fd = os.pipe()
    start = time.monotonic()
    try:
        proc = subprocess.Popen(launch.cmd, cwd=launch.cwd, env=launch.env, stdin=subprocess.DEVNULL, stdout=write_fd,
                                stderr=write_fd, preexec_fn=limit_child, start_new_session=True)  # fmt: skip
    except BaseException:
        os.close(read_fd)
        cgroups.close()
        if launch.cleanup is not None:
            launch.cleanup()
        raise
    finally:
        os.close(write_fd)
    tail = _Tail(read_fd)
    tail.start()
    return ConfinedProcess(proc, cgroups, tail, wall, plan.confinement, start, launch.uid, launch.cleanup)


class ForkedCallError(Exception):
    """A forked call ran out of time or memory, failed, or answered too much; says which."""


@dataclass
class Forked:
    """A forked call under way (``start_forked``): the caller works on, then asks for its ``result()``."""

    pid: int
    fd: int
    end: float  # time.monotonic() by which it must have answered
    seconds: float
    max_answer: int
    cpu_seconds: float = 0.0  # the CPU the child used, known once it is reaped (not the wall time until then)

    def cancel(self) -> None:
        """Kill and reap the child without waiting for its answer."""
        os.close(self.fd)
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, _, usage = os.wait4(self.pid, 0)
        self.cpu_seconds = usage.ru_utime + usage.ru_stime

    def result(self) -> object:
        """The child's answer, waiting at most until its wall time is up; the child is reaped either way."""
        try:
            data = _read_until_eof(self.fd, self.end, self.seconds, self.max_answer)
        finally:
            self.cancel()
        if not data:
            raise ForkedCallError("stopped without an answer")
        answer = json.loads(data)
        if "failure" in answer:
            raise ForkedCallError(answer["failure"])
        return answer["result"]


def call_forked(fn: Callable[[], object], seconds: float, extra_memory: int, max_answer: int) -> object:
    """``fn()``'s JSON-able result, computed in a forked child with time and memory caps (see ``start_forked``)."""
    return start_forked(fn, seconds, extra_memory, max_answer).result()


def start_forked(fn: Callable[[], object], seconds: float, extra_memory: int, max_answer: int) -> Forked:
    """Start ``fn()`` in a forked child with time and memory caps; its JSON-able result comes from ``result()``.

    For work on untrusted data that needs this process's state (a loaded tokenizer) but must
    not run unbounded in it. The child gets ``extra_memory`` bytes of address space beyond what
    it inherits, ``seconds`` of CPU and of wall time, and may answer at most ``max_answer`` bytes.
    Fork before starting threads of your own: the child keeps only the thread that forked.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: limits, fn, one JSON answer, exit
        try:
            os.close(read_fd)
            inherited = psutil.Process().memory_info().vms
            resource.setrlimit(resource.RLIMIT_AS, (inherited + extra_memory,) * 2)
            resource.setrlimit(resource.RLIMIT_CPU, (math.ceil(seconds),) * 2)
            try:
                answer: dict = {"result": fn()}
            except MemoryError:
                answer = {"failure": "ran out of memory"}
            data = json.dumps(answer).encode()
            while data:
                data = data[os.write(write_fd, data) :]
        finally:
            os._exit(0)
    os.close(write_fd)
    return Forked(pid, read_fd, time.monotonic() + seconds, seconds, max_answer)


def _read_until_eof(fd: int, end: float, seconds: float, max_bytes: int) -> bytes:
    received = bytearray()
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            raise ForkedCallError(f"did not finish within {seconds:.1f} s")
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return bytes(received)
        received += chunk
        if len(received) > max_bytes:
            raise ForkedCallError(f"answered more than {max_bytes:,} bytes")


def run_confined(
    argv: list[str],
    submission: Path,
    out: Path,
    limits: SandboxLimits,
    env: dict[str, str] | None = None,
    confined: bool = False,
) -> SandboxResult:
    """Run ``argv`` with ``submission`` read-only and ``out`` writable; nothing else writable."""
    with start_confined(argv, submission, out, limits, env, confined=confined) as process:
        return process.wait()
