"""Slurm: one job array per `grade --slurm`, one task per unfinished submission.

Each task runs ``python -m grader grade-one DIR ID``: the same stage processes, limits and state
files as a local run, against the shared DIR. The array is a plain ``sbatch`` script kept in
``DIR/slurm/`` (readable, re-runnable by hand); no accounting database is needed, because the
state lives in DIR and the queue is read with ``squeue``. Re-running `grade --slurm` submits only
the submissions that are neither finished nor still queued or running.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from grader.atomic import read_json, write_json_atomic, write_text_atomic
from grader.batch.layout import PROCESS_STAGES
from grader.batch.policy import Policy
from grader.batch.stages import KIT, Batch
from grader.errors import UserError

ACTIVE = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED"}


# What to do about the refusals of sbatch that name no option: (a part of its message, the hint).
HINTS = (
    ("Invalid generic resource", "the partition offers no GPUs as a Slurm generic resource (gres): "
     "grade with --gpus-per-job 0 to train on CPU, or pick a --partition with GPUs"),
    ("Requested node configuration is not available", "no node of the partition has what each task asks for "
     "(--cpus-per-task, --gpus-per-job K GPUs)"),
    ("time limit", "the task's --time is the sum of the stage limits in grading.yaml: lower them, or pick a "
     "--partition that allows it"),
    ("invalid partition", "sinfo lists the partitions"),
    ("account", "--account names the Slurm account to charge (sacctmgr show assoc user=$USER)"),
)  # fmt: skip


def _run(command: list[str], what: str, exit_code: int = 1) -> str:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise UserError(f"--slurm: '{command[0]}' not found (is this a Slurm login node?)", exit_code=2) from None
    except subprocess.TimeoutExpired:
        raise UserError(f"--slurm: {what} did not answer within 60 s") from None
    if proc.returncode != 0:
        lines = [line.strip() for line in (proc.stderr or proc.stdout).strip().splitlines() if line.strip()]
        said = next((line for line in lines if "error" in line.lower()), lines[-1] if lines else "")
        hint = next((h for key, h in HINTS if any(key.lower() in line.lower() for line in lines)), None)
        raise UserError(f"--slurm: {what} failed: {said}"[:400] + (f"; {hint}" if hint else ""), exit_code=exit_code)
    return proc.stdout


def jobs_file(batch: Batch) -> Path:
    return batch.paths.slurm / "jobs.json"


def recorded_jobs(batch: Batch) -> dict[str, str]:
    """{submission id: its latest task, as '<array>_<index>'}."""
    return read_json(jobs_file(batch), {})


def queue_states(tasks: list[str]) -> dict[str, str]:
    """{'<array>_<index>': state} for the given tasks still known to Slurm."""
    arrays = sorted({task.split("_")[0] for task in tasks})
    if not arrays or shutil.which("squeue") is None:
        return {}
    out = _run(["squeue", "-h", "-r", "-t", "all", "-o", "%i %T", "-j", ",".join(arrays)], "squeue")
    states = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            states[parts[0]] = parts[1]
    return states


def active_ids(batch: Batch) -> set[str]:
    """Submissions whose task is queued or running now."""
    jobs = recorded_jobs(batch)
    states = queue_states(list(jobs.values()))
    return {sid for sid, task in jobs.items() if states.get(task) in ACTIVE}


def time_limit(policy: Policy) -> str:
    """The task's --time: every stage's limit, plus slack for start-up."""
    seconds = int(sum(policy.stage_seconds(s) for s in PROCESS_STAGES) + 600)
    return f"{seconds // 86400}-{seconds % 86400 // 3600:02d}:{seconds % 3600 // 60:02d}:00"


def resources(policy: Policy, gpus_per_job: int, partition: str | None, account: str | None, cpus: int) -> list[str]:
    """What each task asks Slurm for (the array script's #SBATCH lines; sbatch --test-only checks them first)."""
    options = [f"--time={time_limit(policy)}", f"--cpus-per-task={cpus}"]
    if gpus_per_job > 0:
        options.append(f"--gres=gpu:{gpus_per_job}")
    if partition:
        options.append(f"--partition={partition}")
    if account:
        options.append(f"--account={account}")
    return options


def partition_cpus(partition: str | None) -> tuple[str, int] | None:
    """(partition, most CPUs of one of its nodes) from sinfo; the default partition when none is named."""
    out = _run(["sinfo", "-h", "-o", "%P %c"], "sinfo", exit_code=2)
    cpus: dict[str, int] = {}
    default = None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 2 or not parts[1].rstrip("+").isdigit():
            continue
        name = parts[0].rstrip("*")
        default = name if parts[0].endswith("*") else default
        cpus[name] = max(cpus.get(name, 0), int(parts[1].rstrip("+")))
    name = partition or default
    if name is None:
        return None
    if name not in cpus:
        raise UserError(f"--partition {name}: no such partition (sinfo lists {', '.join(sorted(cpus)) or 'none'})", exit_code=2)
    return name, cpus[name]


def preflight(policy: Policy, gpus_per_job: int, partition: str | None, account: str | None, cpus: int) -> None:
    """Before a batch folder is written: the partition's nodes have ``cpus`` CPUs, and sbatch accepts what
    each task asks for (``sbatch --test-only``: nothing is submitted). One line when not."""
    found = partition_cpus(partition)
    if found is not None and cpus > found[1]:
        raise UserError(f"--cpus-per-task {cpus}: the nodes of partition {found[0]} have at most {found[1]} CPUs "
                        f"(sinfo); ask for {found[1]} or fewer", exit_code=2)  # fmt: skip
    _run(["sbatch", "--test-only", *resources(policy, gpus_per_job, partition, account, cpus), "--wrap", "true"],
         "sbatch (checking the request)", exit_code=2)  # fmt: skip


def array_script(batch: Batch, ids_file: Path, count: int, max_parallel: int | None, partition: str | None,
                 account: str | None, cpus: int) -> str:  # fmt: skip
    array = f"0-{count - 1}" + (f"%{max_parallel}" if max_parallel else "")
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name=grade-{batch.paths.root.name}"[:80],
        f"#SBATCH --array={array}",
        f"#SBATCH --output={batch.paths.slurm}/%A_%a.out",
        *(f"#SBATCH {option}" for option in resources(batch.policy, batch.gpus_per_job, partition, account, cpus)),
    ]
    lines += [
        "# One task per submission: its id is line SLURM_ARRAY_TASK_ID + 1 of the ids file.",
        f'ID=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" {shlex.quote(str(ids_file))})',
        f"cd {shlex.quote(str(KIT))}",
        f'exec {shlex.quote(sys.executable)} -m grader grade-one {shlex.quote(str(batch.paths.root))} "$ID"',
    ]
    return "\n".join(lines) + "\n"


def submit(batch: Batch, ids: list[str], max_parallel: int | None, partition: str | None, account: str | None,
           cpus: int = 2) -> str:  # fmt: skip
    """Submit one array over ``ids``; record which task grades which submission; the array's job id."""
    batch.paths.slurm.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    ids_file = batch.paths.slurm / f"array-{stamp}.ids"
    script = batch.paths.slurm / f"array-{stamp}.sh"
    write_text_atomic(ids_file, "".join(f"{i}\n" for i in ids))
    write_text_atomic(script, array_script(batch, ids_file, len(ids), max_parallel, partition, account, cpus))
    job = _run(["sbatch", "--parsable", str(script)], "sbatch").strip().split(";")[0]
    jobs = recorded_jobs(batch)
    jobs.update({sid: f"{job}_{index}" for index, sid in enumerate(ids)})
    write_json_atomic(jobs_file(batch), jobs)
    return job
