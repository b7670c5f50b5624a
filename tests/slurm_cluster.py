"""A real one-node Slurm cluster (munged + slurmctld + slurmd) in a temp folder, for tests and by hand.

Why: the batch grader's Slurm mode must be tested against real `sbatch`/`squeue`/`scancel`, not a
mock. Everything the cluster writes (munge key and socket, slurm.conf, state, spool, logs, pid
files) lives in one folder, it listens on free ports and has its own cluster and node names, so
several clusters (two xdist workers, two people's test runs) can run on one machine at once.
Nothing is installed here: CI installs `slurm-wlm munge` (see .ci/run and the Makefile).

Clients (sbatch, squeue, submitit, ...) need only `SLURM_CONF`: slurm.conf names the munge
socket (`AuthInfo=socket=...`), which clients and daemons both read from it.

By hand (as root):  python -m tests.slurm_cluster start [DIR]   then   ... stop DIR
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "scancel", "scontrol")
PARTITION = "debug"
# Each CPU may be allocated to this many jobs at once (OverSubscribe=FORCE:N): two 1-CPU
# tasks never need to wait for each other, and an array's %N throttle is what limits
# concurrency, so a test of the throttle can fail.
OVERSUBSCRIBE = 2


def missing_requirements() -> str | None:
    """Why a cluster cannot start here (missing programs, not root), or None when it can."""
    missing = [name for name in DAEMONS + CLIENTS if shutil.which(name) is None]
    if missing:
        return (
            f"Slurm is not installed (missing: {', '.join(missing)}); "
            "install it with: apt-get install slurm-wlm munge"
        )
    if os.geteuid() != 0:
        return "the test Slurm cluster needs root (slurmd runs jobs as their submitting user)"
    return None


@dataclass
class SlurmCluster:
    """A running cluster: what a client needs to use it and what stopping it needs."""

    root: Path
    conf: Path
    partition: str
    cpus: int
    node: str
    munge_socket: Path
    startup_s: float = 0.0  # from writing the config to the node idle in sinfo
    processes: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)

    @property
    def env(self) -> dict[str, str]:
        """The variables a client process needs on top of its environment."""
        return {"SLURM_CONF": str(self.conf)}

    def client_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (default os.environ) without inherited SLURM_* (e.g. pytest run inside a
        Slurm job, where SLURM_JOB_ID would point srun at the outer job), plus `env`."""
        base = dict(os.environ if base is None else base)
        clean = {k: v for k, v in base.items() if not k.startswith("SLURM_")}
        return {**clean, **self.env}

    def run(self, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        """Run a Slurm client command against this cluster; text output."""
        env = self.client_env()
        return subprocess.run(list(args), env=env, capture_output=True, text=True, check=check, timeout=timeout)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mb() -> int:
    """90% of MemTotal: slurmd drains a node that claims more memory than it has."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 9 // 10 // 1024
    return 1024


def write_config(root: Path) -> SlurmCluster:
    """The munge key and slurm.conf for a cluster living in `root` (not started)."""
    for sub in ("state", "spool", "log", "run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)  # munged refuses a key that others can read
    ctld_port, slurmd_port = _free_port(), _free_port()
    while slurmd_port == ctld_port:
        slurmd_port = _free_port()
    name = f"t{ctld_port}"
    node = f"{name}n1"
    cpus = len(os.sched_getaffinity(0))
    host = socket.gethostname().split(".")[0]
    munge_socket = root / "run" / "munge.sock"
    conf = root / "slurm.conf"
    conf.write_text(
        f"""# Written by tests/slurm_cluster.py: a one-node test cluster, everything under {root}
ClusterName={name}
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
# no cgroups (containers rarely delegate them): track a job's processes through /proc
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# no slurmdbd: sacct does not work, squeue/scontrol do
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# a node that was down comes back by itself; slurmd's configured CPUs/memory are trusted
ReturnToService=2
SlurmdParameters=config_overrides
# scancel: SIGKILL 2 s after SIGTERM (default 30 s)
KillWait=2
# finished jobs stay visible to squeue/scontrol for 5 minutes
MinJobAge=300
NodeName={node} NodeHostname={host} NodeAddr=127.0.0.1 Port={slurmd_port} CPUs={cpus} RealMemory={_memory_mb()} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:{OVERSUBSCRIBE}
"""
    )
    return SlurmCluster(root, conf, PARTITION, cpus, node, munge_socket)


def _log_tails(root: Path, lines: int = 15) -> str:
    out = []
    for log in sorted((root / "log").glob("*")):
        text = log.read_text(errors="replace").splitlines()[-lines:]
        out.append(f"--- {log}\n" + "\n".join(text))
    return "\n".join(out)


def _commands(cluster: SlurmCluster) -> dict[str, list[str]]:
    """Each daemon in the foreground (-F/-D), so its parent reaps it: containers whose pid 1
    does not reap would otherwise keep every stopped daemon as a zombie."""
    root, conf = cluster.root, str(cluster.conf)
    return {
        "munged": [
            "munged", "-F", f"--socket={cluster.munge_socket}", f"--key-file={root}/munge.key",
            f"--log-file={root}/log/munged.log", f"--pid-file={root}/run/munged.pid",
            f"--seed-file={root}/run/munged.seed",
        ],
        "slurmctld": ["slurmctld", "-D", "-f", conf],
        "slurmd": ["slurmd", "-D", "-f", conf, "-N", cluster.node],
    }


def _wait(what: str, ready, cluster: SlurmCluster, timeout: float) -> None:
    """Poll `ready()` until true; fail at once when a daemon died, or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        dead = [n for n, p in cluster.processes.items() if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            why = f"{', '.join(dead)} exited" if dead else f"not ready after {timeout:.0f} s"
            raise RuntimeError(f"test Slurm cluster: waiting for {what}: {why}\n{_log_tails(cluster.root)}")
        time.sleep(0.1)


def start_cluster(root: Path, timeout: float = 60) -> SlurmCluster:
    """Write the config into `root`, start the three daemons, return once the node is idle."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # munged: every folder above its socket must be searchable by all
    started = time.monotonic()
    cluster = write_config(root)
    try:
        for name, command in _commands(cluster).items():
            out = open(root / "log" / f"{name}.stdout", "wb")
            cluster.processes[name] = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, env=cluster.client_env(),
            )
            out.close()
            if name == "munged":
                _wait("munged's socket", cluster.munge_socket.exists, cluster, timeout)

        def idle() -> bool:
            result = cluster.run("sinfo", "-h", "-n", cluster.node, "-o", "%T", check=False)
            return result.returncode == 0 and result.stdout.strip() == "idle"

        _wait(f"node {cluster.node} idle in sinfo", idle, cluster, timeout)
        cluster.startup_s = time.monotonic() - started
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def _pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _ours(pid: int, root: Path) -> bool:
    """The pid still names one of this cluster's daemons (its command line names `root`)."""
    try:
        return str(root) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _pid_in(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _running(pid_file: Path, root: Path) -> bool:
    pid = _pid_in(pid_file)
    return pid is not None and _pid_alive(pid) and _ours(pid, root)


def stop_daemons(root: Path, processes: dict[str, subprocess.Popen] | None = None, timeout: float = 15) -> None:
    """Stop exactly the daemons named by the pid files in `root`/run (SIGTERM, then SIGKILL);
    `processes` (ours to reap) also covers one that died before writing its pid file."""
    processes = processes or {}
    for name in reversed(DAEMONS):
        pids = {_pid_in(root / "run" / f"{name}.pid")}
        if name in processes and processes[name].poll() is None:
            pids.add(processes[name].pid)
        pids = {pid for pid in pids if pid is not None and _ours(pid, root)}
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                if _pid_alive(pid):
                    os.kill(pid, sig)
            deadline = time.monotonic() + timeout
            while any(_pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
                if name in processes:
                    processes[name].poll()  # reap it, or it stays a zombie
                time.sleep(0.05)
            if not any(_pid_alive(pid) for pid in pids):
                break


def stop_cluster(cluster: SlurmCluster, timeout: float = 15) -> None:
    """Cancel this cluster's jobs (their slurmstepd and processes outlive slurmd otherwise),
    then stop its daemons."""
    ctld = cluster.processes.get("slurmctld")
    if ctld is None or ctld.poll() is None:
        try:
            cluster.run("scancel", "--user", str(os.geteuid()), check=False, timeout=10)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                left = cluster.run(
                    "squeue", "-h", "-t", "RUNNING,COMPLETING", "-o", "%i", check=False, timeout=10
                )
                if left.returncode != 0 or not left.stdout.strip():
                    break
                time.sleep(0.2)
        except (OSError, subprocess.TimeoutExpired):
            pass
    stop_daemons(cluster.root, cluster.processes, timeout)


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running one-node cluster for the whole test session (per xdist worker); skipped with
    the reason when Slurm is not installed or we are not root."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="slurm-", dir="/tmp"))  # short: munge's socket path
    cluster = start_cluster(root)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
        shutil.rmtree(root, ignore_errors=True)


def group_slurm_tests(items: list[pytest.Item]) -> None:
    """Put every test that uses the cluster in one xdist group (one cluster per run under
    `--dist loadgroup`), unless it already chose a group."""
    for item in items:
        uses = "slurm_cluster" in getattr(item, "fixturenames", ())
        if uses and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group("slurm"))


def main(argv: list[str]) -> int:
    """`start [DIR]`: start a cluster and print how to use it; `stop DIR`: stop it."""
    if len(argv) not in (1, 2) or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.slurm_cluster start [DIR] | stop DIR", file=sys.stderr)
        return 2
    if argv[0] == "stop":
        if len(argv) != 2 or not (Path(argv[1]) / "slurm.conf").is_file():
            print("error: stop needs the cluster's folder (the one holding slurm.conf)", file=sys.stderr)
            return 2
        root = Path(argv[1]).resolve()
        cluster = SlurmCluster(root, root / "slurm.conf", PARTITION, 0, "", root / "run" / "munge.sock")
        stop_cluster(cluster)
        print(f"stopped the cluster in {root}")
        return 0
    reason = missing_requirements()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    root = Path(argv[1]).resolve() if len(argv) == 2 else Path(tempfile.mkdtemp(prefix="slurm-", dir="/tmp"))
    if any(_running(root / "run" / f"{name}.pid", root) for name in DAEMONS):
        print(f"error: {root} already holds a cluster; stop it first", file=sys.stderr)
        return 1
    try:
        cluster = start_cluster(root)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"export SLURM_CONF={cluster.conf}")
    print(f"# partition {cluster.partition}, node {cluster.node}, {cluster.cpus} CPUs; "
          f"stop with: python -m tests.slurm_cluster stop {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
