"""Run untrusted code (the student's sft_utils.py) in a separate, confined process.

Confinement, strongest available first:
- bubblewrap (Linux): new user/pid/net/ipc/uts namespaces (no network), an empty root with
  only the Python installation, the ``grader`` package and the submission mounted read-only,
  one private writable output folder, a tmpfs /tmp; the process dies with its parent.
- rlimits on every process: address space, CPU seconds, file size, open files, core dumps.
- cgroups (when the caller may create them, e.g. root on Linux): a cap on the number of
  processes and on total memory. RLIMIT_NPROC does the process cap for non-root callers;
  the kernel never applies it to uid 0, hence the cgroup.
- a wall-time limit: the whole process group (and cgroup) is killed when it runs past it.
Without bubblewrap the code runs as a plain subprocess with the same limits, and a loud
warning says that it can read the file system and reach the network.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

GRADER_DIR = Path(__file__).resolve().parent
SANDBOX_KIT = "/kit"  # PYTHONPATH inside the sandbox: /kit/grader is the fixed code
SANDBOX_SUBMISSION = "/submission"
SANDBOX_OUT = "/out"
OUT_ENV = "GRADER_SANDBOX_OUT"  # tells the command where its output folder is
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
    confinement: str  # "bubblewrap" or "subprocess"
    seconds: float


class SandboxUnavailable(RuntimeError):
    pass


def bubblewrap_path() -> str | None:
    """The bwrap binary if it can actually create namespaces here (it cannot in some containers)."""
    if os.environ.get("GRADER_SANDBOX") == "subprocess":
        return None
    exe = shutil.which("bwrap")
    if exe is None:
        return None
    probe = subprocess.run(
        [exe, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
        capture_output=True,
        timeout=30,
    )
    return exe if probe.returncode == 0 else None


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


def _bwrap_argv(exe: str, submission: Path, out: Path, argv: list[str], env: dict[str, str]) -> list[str]:
    cmd = [exe, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    cmd += _system_mounts()
    for root in _python_roots():
        cmd += ["--ro-bind", root, root]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    cmd += ["--ro-bind", str(GRADER_DIR), f"{SANDBOX_KIT}/grader"]
    cmd += ["--ro-bind", str(submission), SANDBOX_SUBMISSION]
    cmd += ["--bind", str(out), SANDBOX_OUT]
    cmd += ["--chdir", SANDBOX_SUBMISSION]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--", *argv]


class _Cgroups:
    """Per-run cgroups capping process count and memory, when this process may create them."""

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
            self._make(unified / name, {"pids.max": values["pids"], "memory.max": values["memory"]})
            return
        for ctrl, (root, knob) in self.ROOTS.items():
            self._make(Path(root) / name, {knob: values[ctrl]})

    def _make(self, path: Path, knobs: dict[str, int]) -> None:
        try:
            path.mkdir()
        except OSError:
            return
        try:
            for knob, value in knobs.items():
                (path / knob).write_text(str(value))
        except OSError:
            path.rmdir()
            return
        self.dirs.append(path)

    @property
    def caps_processes(self) -> bool:
        return any((d / "pids.max").exists() for d in self.dirs)

    def join(self) -> None:
        """Called in the child between fork and exec: move it into every cgroup."""
        pid = str(os.getpid())
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as handle:
                handle.write(pid)

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


def run_confined(
    argv: list[str],
    submission: Path,
    out: Path,
    limits: SandboxLimits,
    env: dict[str, str] | None = None,
) -> SandboxResult:
    """Run ``argv`` with ``submission`` read-only and ``out`` writable; nothing else writable."""
    submission, out = Path(submission).resolve(), Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    base_env = {
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
        **(env or {}),
    }
    exe = bubblewrap_path()
    if exe is not None:
        confinement = "bubblewrap"
        base_env["PYTHONPATH"] = SANDBOX_KIT
        base_env[OUT_ENV] = SANDBOX_OUT
        cmd = _bwrap_argv(exe, submission, out, argv, base_env)
        popen_env: dict[str, str] = {}
        cwd = "/"
    else:
        confinement = "subprocess"
        warnings.warn(
            "bubblewrap is not available: sft_utils.py runs as a plain subprocess with resource limits "
            "only; it can read your files and reach the network. Install bubblewrap (apt-get install "
            "bubblewrap) for a real sandbox.",
            stacklevel=2,
        )
        base_env["PYTHONPATH"] = str(GRADER_DIR.parent)
        base_env[OUT_ENV] = str(out)
        cmd = argv
        popen_env = base_env
        cwd = str(submission)

    cgroups = _Cgroups(limits)
    if confinement == "bubblewrap" and not cgroups.caps_processes and os.getuid() == 0:
        warnings.warn("running as root without writable cgroups: the sandbox's process count is not capped", stacklevel=2)

    def limit_child() -> None:
        cgroups.join()
        cpu = int(limits.wall_seconds) + 5
        for res, value in (
            (resource.RLIMIT_AS, limits.memory_bytes),
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_FSIZE, limits.max_file_bytes),
            (resource.RLIMIT_NOFILE, limits.max_open_files),
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_NPROC, limits.max_processes),
        ):
            resource.setrlimit(res, (value, value))

    start = time.monotonic()
    timed_out = False
    with tempfile.TemporaryFile() as stderr_file:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=popen_env,
            stdin=subprocess.DEVNULL,
            stdout=stderr_file,
            stderr=stderr_file,
            preexec_fn=limit_child,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            cgroups.close()
        stderr_file.seek(0, os.SEEK_END)
        size = stderr_file.tell()
        stderr_file.seek(max(0, size - _STDERR_TAIL))
        tail = stderr_file.read().decode("utf-8", "replace")
    return SandboxResult(proc.returncode, timed_out, tail, confinement, time.monotonic() - start)
