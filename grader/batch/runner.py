"""Stage processes: start one, bound its wall time, collect its outcome, clean up after a crash.

Every stage runs as ``python -m grader stage DIR ID STAGE`` in a session (process group) of its
own, so a timeout kills everything the stage started, and with a parent-death signal, so killing
the grader kills its stages too. The stage process writes its own outcome into state.json; the
runner writes an outcome only when the process could not: a timeout, or a death by signal
(retried up to the policy's ``retries``, as an infrastructure failure). No stage starts on a kit
whose code changed since this process began grading (``record_kit``; grader/integrity.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO


from grader import integrity
from grader.batch.gradebook import write_final
from grader.batch.layout import RUNNING, STAGE, SubmissionPaths
from grader.batch.procs import die_with_parent, free_port, kill_group, processes_in_group
from grader.batch.stages import EXIT_BUSY, KIT, Batch, hold_lock, kit_env, next_stage
from grader.errors import UserError

_kit_at_start: dict[str, str] | None = None  # the kit's code when this process began grading


def record_kit() -> None:
    """Before any stage runs: every stage this process starts must find the kit's code as it is now."""
    global _kit_at_start
    _kit_at_start = integrity.manifest(KIT)


def _refuse_changed_kit() -> None:
    if _kit_at_start is None:
        return
    changed = integrity.changed(_kit_at_start, integrity.manifest(KIT))
    if changed:
        shown = ", ".join(changed[:3]) + (f" (+{len(changed) - 3} more)" if len(changed) > 3 else "")
        raise UserError(f"the kit's code changed since grading began ({shown}): no stage runs on it; "
                        "restore the kit, find what wrote there, and run the same command again", exit_code=2)  # fmt: skip


@dataclass
class Slot:
    """Where a GPU stage runs: its CUDA_VISIBLE_DEVICES (None: whatever the machine has, e.g. CPU)."""

    name: str
    devices: str | None
    busy: bool = False


@dataclass
class Job:
    submission: str
    stage: str
    proc: subprocess.Popen
    log: IO[bytes]
    started: float
    limit: float
    slot: Slot | None
    port: int | None
    timed_out: bool = False

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def start_stage(batch: Batch, submission_id: str, stage: str, slot: Slot | None = None, threads: int | None = None) -> Job:
    """``threads``: OMP_NUM_THREADS for a stage that computes on CPU next to others (unless already set)."""
    _refuse_changed_kit()
    paths = batch.submission(submission_id)
    paths.logs.mkdir(parents=True, exist_ok=True)
    log = open(paths.log(stage), "ab")
    port = free_port() if STAGE[stage].port else None
    python = batch.policy.stage_python(stage) or sys.executable  # eval_python: the evaluate stage in the vLLM virtualenv
    command = [python, "-m", "grader", "stage", str(batch.paths.root), submission_id, stage, "--launched", repr(time.time())]
    env = kit_env()
    if threads is not None and "OMP_NUM_THREADS" not in os.environ:
        env["OMP_NUM_THREADS"] = str(threads)
    if slot is not None and slot.devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = slot.devices
        command += ["--devices", slot.devices]
    if port is not None:
        command += ["--port", str(port)]
    proc = subprocess.Popen(
        command, cwd=KIT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=die_with_parent,
    )  # fmt: skip
    if slot is not None:
        slot.busy = True
    return Job(submission_id, stage, proc, log, time.monotonic(), batch.policy.stage_seconds(stage), slot, port)


def check_stage_python(python: str, source: str) -> dict[str, str | None]:
    """An interpreter a stage is to run with (``eval_python``): it starts, imports this kit, has torch and
    transformers; its ``generation_stack()``. A UserError of one line naming ``source`` if not."""
    if not os.path.isfile(python):
        raise UserError(f"{source}: {python}: no such file (build the vLLM virtualenv with `make vllm-env`)", exit_code=2)
    if not os.access(python, os.X_OK):
        raise UserError(f"{source}: {python}: not executable", exit_code=2)
    probe = ("import json, grader, grader.batch.stages, grader.evaluation.generate as g; "
             "print(json.dumps({**g.generation_stack(), 'grader': grader.__file__}))")  # fmt: skip
    try:
        proc = subprocess.run([python, "-c", probe], cwd=KIT, env=kit_env(), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"{source}: {python} does not run ({exc})", exit_code=2) from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise UserError(f"{source}: {python} cannot run the kit's evaluate stage: {last}", exit_code=2)
    stack = json.loads(proc.stdout.strip().splitlines()[-1])
    kit = Path(stack.pop("grader")).resolve().parent.parent
    if kit != KIT:
        raise UserError(f"{source}: {python} imports another copy of the kit ({kit}, not {KIT})", exit_code=2)
    missing = [package for package in ("torch", "transformers") if stack.get(package) is None]
    if missing:
        raise UserError(f"{source}: {python} has no {' and no '.join(missing)}: it cannot generate "
                        "(build the vLLM virtualenv with `make vllm-env`)", exit_code=2)  # fmt: skip
    return stack


def poll(job: Job) -> int | None:
    """The stage process's exit code once it has ended; kills it at its wall-time limit."""
    code = job.proc.poll()
    if code is None and job.elapsed > job.limit:
        job.timed_out = True
        kill_group(job.proc.pid)
        code = job.proc.wait()
    if code is not None:
        kill_group(job.proc.pid)  # whatever the stage started and left behind
        job.log.close()
        if job.slot is not None:
            job.slot.busy = False
    return code


def settle(batch: Batch, job: Job, code: int) -> str:
    """Record what the stage process could not; returns 'done', 'failed', 'retry' or 'busy'."""
    if code == EXIT_BUSY:
        return "busy"
    paths = batch.submission(job.submission)
    lock = _wait_for_lock(paths)
    with lock:
        state = paths.read_state()
        entry = state.stages[job.stage]
        entry.exited = time.time()
        if code in (0, 1) and not job.timed_out:  # the stage process wrote its outcome itself
            paths.write_state(state)
            return "done" if code == 0 else "failed"
        entry.state, entry.seconds = "failed", round(job.elapsed, 3)
        if job.timed_out:
            entry.error = f"the {job.stage} stage ran past its limit of {job.limit:g} s"
            state.status, state.error = "timeout", entry.error
            outcome = "failed"
        else:
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            entry.error = f"the {job.stage} stage's process died ({how}); see logs/{job.stage}.log"
            if entry.attempts <= batch.policy.retries:
                state.status, outcome = "pending", "retry"
            else:
                state.status, state.error, outcome = STAGE[job.stage].failed, entry.error, "failed"
        paths.write_state(state)
        write_final(batch, paths, state)
    return outcome


def _wait_for_lock(paths: SubmissionPaths, seconds: float = 60.0):
    end = time.monotonic() + seconds
    while True:
        lock = hold_lock(paths)
        if lock is not None:
            return lock
        if time.monotonic() > end:
            raise RuntimeError(f"{paths.root}: still locked {seconds:g} s after its stage ended")
        time.sleep(0.1)


def reap_orphans(batch: Batch, submission_id: str) -> None:
    """Stop what an interrupted earlier run left of this submission's stage on this host.

    Called while holding the batch's lock (no other grader works on this folder here), so a
    stage marked running on this host is an orphan: its processes are killed before the stage
    starts again from its beginning.
    """
    paths = batch.submission(submission_id)
    state = paths.read_state()
    host = socket.gethostname()
    for entry in state.stages.values():
        if entry.state == RUNNING and entry.host == host and entry.pgid:
            pids = processes_in_group(entry.pgid, str(batch.paths.root))
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            end = time.monotonic() + 10
            while pids and time.monotonic() < end:
                time.sleep(0.05)
                pids = processes_in_group(entry.pgid, str(batch.paths.root))


def pool_of(stage: str) -> str:
    return "gpu" if STAGE[stage].gpu else "cpu"


def run_sequentially(batch: Batch, submission_id: str, slot: Slot | None, on_event=None) -> str:
    """Every remaining stage of one submission, one after another (a Slurm task's work)."""
    paths = batch.submission(submission_id)
    retries_left = 10  # bounded even if a stage keeps dying
    while (stage := next_stage(paths.read_state())) is not None:
        job = start_stage(batch, submission_id, stage, slot if pool_of(stage) == "gpu" else None)
        while (code := poll(job)) is None:
            time.sleep(0.2)
        outcome = settle(batch, job, code)
        if on_event:
            on_event(job, outcome)
        if outcome == "busy":
            return "busy"
        if outcome == "retry":
            retries_left -= 1
            if retries_left == 0:
                return "failed"
            continue
        if outcome == "failed":
            return "failed"
    return paths.read_state().status
