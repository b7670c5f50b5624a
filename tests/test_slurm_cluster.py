"""The test Slurm cluster is a working cluster: array throttling, scancel (what `grade --slurm` uses).

These are the behaviours the batch grader's Slurm mode relies on; if the fixture breaks, these
fail here first rather than as a confusing grader failure.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.slurm_cluster import SlurmCluster

pytestmark = pytest.mark.xdist_group("slurm")
ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate, timeout: float, what: str, cluster: SlurmCluster | None = None):
    """Poll until `predicate()` is truthy; fail naming `what` (and the queue) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            queue = cluster.run("squeue", "-a", "-t", "all", check=False).stdout if cluster else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{queue}")
        time.sleep(0.2)


def job_state(cluster: SlurmCluster, job: str) -> str:
    """The job's state from the controller (no accounting database here, so no sacct)."""
    out = cluster.run("scontrol", "show", "job", job, "-o").stdout
    return next(f.split("=", 1)[1] for f in out.split() if f.startswith("JobState="))


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one instant (an end before a start at a tie)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_max_overlap_counts_concurrent_intervals():
    assert max_overlap([(0, 2), (1, 3), (2.5, 4), (5, 6)]) == 2
    assert max_overlap([(0, 1), (1, 2)]) == 1
    assert max_overlap([(0, 5), (1, 2), (1.5, 3)]) == 3


def test_cluster_advertises_this_machine(slurm_cluster: SlurmCluster):
    node = slurm_cluster.run("scontrol", "show", "node", slurm_cluster.node, "-o").stdout
    assert f"CPUTot={slurm_cluster.cpus}" in node
    assert slurm_cluster.cpus == len(os.sched_getaffinity(0))
    sinfo = slurm_cluster.run("sinfo", "-h", "-o", "%P %T %D").stdout.split()
    assert sinfo == [f"{slurm_cluster.partition}*", "idle", "1"]
    print(f"slurm cluster start-up: {slurm_cluster.startup_s:.2f} s")


def test_client_env_drops_an_outer_jobs_variables(slurm_cluster: SlurmCluster):
    env = slurm_cluster.client_env({"PATH": "/bin", "SLURM_JOB_ID": "7", "SLURM_CONF": "/elsewhere"})
    assert env == {"PATH": "/bin", "SLURM_CONF": str(slurm_cluster.conf)}


ARRAY_SCRIPT = """#!/bin/bash
start=$(date +%s.%N)
sleep 3
echo "$SLURM_ARRAY_TASK_ID $start $(date +%s.%N)" > {out}/task_$SLURM_ARRAY_TASK_ID.tmp
mv {out}/task_$SLURM_ARRAY_TASK_ID.tmp {out}/task_$SLURM_ARRAY_TASK_ID.txt
"""


def test_array_runs_every_task_at_most_two_at_a_time(slurm_cluster: SlurmCluster, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    script = tmp_path / "task.sh"
    script.write_text(ARRAY_SCRIPT.format(out=out))
    job = slurm_cluster.run(
        "sbatch", "--parsable", "--array=0-3%2", f"--output={tmp_path}/slurm-%A_%a.out", str(script)
    ).stdout.strip()
    files = wait_for(
        lambda: (found := sorted(out.glob("task_*.txt"))) and len(found) == 4 and found,
        timeout=60, what="4 array task outputs", cluster=slurm_cluster,
    )
    rows = [f.read_text().split() for f in files]
    assert sorted(int(r[0]) for r in rows) == [0, 1, 2, 3]
    intervals = [(float(r[1]), float(r[2])) for r in rows]
    assert all(end - start >= 3 for start, end in intervals)
    # Each CPU takes 2 jobs (OverSubscribe=FORCE:2), so only the %2 throttle holds this at 2.
    assert max_overlap(intervals) == 2
    wait_for(lambda: all(job_state(slurm_cluster, f"{job}_{i}") == "COMPLETED" for i in range(4)),
             timeout=20, what="all 4 tasks COMPLETED", cluster=slurm_cluster)


CANCEL_SCRIPT = """#!/bin/bash
sleep 6 &
echo "$$ $!" > {out}/tmp_$SLURM_ARRAY_TASK_ID && mv {out}/tmp_$SLURM_ARRAY_TASK_ID {out}/started_$SLURM_ARRAY_TASK_ID
wait
echo done > {out}/done_$SLURM_ARRAY_TASK_ID
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_scancel_stops_one_task_and_the_others_finish(slurm_cluster: SlurmCluster, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    script = tmp_path / "task.sh"
    script.write_text(CANCEL_SCRIPT.format(out=out))
    job = slurm_cluster.run(
        "sbatch", "--parsable", "--array=0-1", f"--output={tmp_path}/slurm-%A_%a.out", str(script)
    ).stdout.strip()
    wait_for(lambda: all((out / f"started_{i}").exists() for i in (0, 1)), 30, "both tasks to start", slurm_cluster)
    assert job_state(slurm_cluster, f"{job}_0") == "RUNNING"
    pids = [int(p) for p in (out / "started_0").read_text().split()]
    slurm_cluster.run("scancel", f"{job}_0")

    wait_for(lambda: not any(_alive(p) for p in pids), 15, "task 0's script and sleep to be killed", slurm_cluster)
    wait_for(lambda: job_state(slurm_cluster, f"{job}_1") == "COMPLETED", 30, "task 1 COMPLETED", slurm_cluster)
    assert (out / "done_1").read_text() == "done\n"
    assert not (out / "done_0").exists()
    assert job_state(slurm_cluster, f"{job}_0") == "CANCELLED"
    squeue = slurm_cluster.run("squeue", "-h", "-t", "all", "-j", f"{job}_0", "-o", "%T").stdout.split()
    assert squeue == ["CANCELLED"]
    running = slurm_cluster.run("squeue", "-h", "-j", job, "-t", "PENDING,RUNNING", "-o", "%i").stdout.split()
    assert running == []


def square_in_a_task(x: int) -> tuple[int, str, int]:
    """Runs inside a Slurm array task: its value, which task ran it, in which process."""
    return x * x, os.environ.get("SLURM_ARRAY_TASK_ID", ""), os.getpid()
