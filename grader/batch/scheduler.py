"""Local scheduling: every submission's stages on this machine's GPU slots and CPU workers.

GPU stages (train, evaluate) take a slot: ``gpus_per_job`` devices of their own, with their own
CUDA_VISIBLE_DEVICES and rendezvous port; on a machine without GPUs there is one slot and
training runs on CPU. CPU stages (check, score) run beside them, so the next submissions are
checked while the current ones train. Each stage is a separate process (runner.py): a crash,
a timeout or an out-of-memory ends that submission only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from grader.batch.gradebook import counts, write_grades
from grader.batch.procs import kill_group
from grader.batch.runner import Job, Slot, poll, pool_of, settle, start_stage
from grader.batch.stages import BASELINE, Batch, next_stage

BUSY_RETRY_SECONDS = 2.0
BUSY_GIVE_UP_SECONDS = 120.0


def visible_gpus() -> list[str]:
    """Device ids this process may use: CUDA_VISIBLE_DEVICES when set, else what nvidia-smi lists."""
    given = os.environ.get("CUDA_VISIBLE_DEVICES")
    if given is not None:
        return [d for d in given.split(",") if d.strip() and d.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(i) for i, line in enumerate(line for line in listing.splitlines() if line.startswith("GPU "))]


def gpu_slots(gpus: str, gpus_per_job: int) -> list[Slot]:
    """``--gpus auto|N`` and ``--gpus-per-job K`` -> N // K slots of K devices; one CPU slot without GPUs."""
    devices = visible_gpus() if gpus == "auto" else [str(i) for i in range(int(gpus))]
    if not devices or gpus_per_job <= 0:
        return [Slot("cpu", None)]
    per = max(1, gpus_per_job)
    return [Slot(f"gpu{','.join(devices[i:i + per])}", ",".join(devices[i : i + per])) for i in range(0, len(devices) - per + 1, per)]


@dataclass
class Progress:
    """What the live view shows; fed by the scheduler's events."""

    events: list[str] = field(default_factory=list)
    finished_seconds: list[float] = field(default_factory=list)

    def eta(self, remaining: int, parallel: int) -> float | None:
        if not self.finished_seconds:
            return None
        return sum(self.finished_seconds) / len(self.finished_seconds) * remaining / max(1, parallel)


def run_local(
    batch: Batch,
    ids: list[str],
    slots: list[Slot],
    cpu_workers: int,
    show: Callable[[list, list[Job], Progress], None] | None = None,
) -> None:
    """Run every remaining stage of ``ids`` until each is final (or busy elsewhere for too long)."""
    # On CPU, torch's threads spin-wait: jobs sharing cores each get their share, or all crawl.
    threads = max(1, (os.cpu_count() or 1) // (len(slots) + cpu_workers))
    running: list[Job] = []
    busy_until: dict[str, float] = {}
    busy_since: dict[str, float] = {}
    progress = Progress()
    # Only a stage process changes a state while it runs, and its outcome is read when it ends:
    # the states are read once here, then one at a time as jobs finish.
    states = {i: batch.submission(i).read_state() for i in ids}
    try:
        while True:
            active = {job.submission for job in running}
            now = time.monotonic()
            for submission_id in ids:
                state = states[submission_id]
                if submission_id in active or busy_until.get(submission_id, 0) > now:
                    continue
                stage = next_stage(state)
                if stage is None:
                    continue
                pool = pool_of(stage)
                if pool == "gpu":
                    slot = next((s for s in slots if not s.busy), None)
                    if slot is None:
                        continue
                    running.append(start_stage(batch, submission_id, stage, slot, threads))
                elif sum(pool_of(j.stage) == "cpu" for j in running) < cpu_workers:
                    running.append(start_stage(batch, submission_id, stage, threads=threads))
                else:
                    continue
                active.add(submission_id)
            for job in list(running):
                code = poll(job)
                if code is None:
                    continue
                running.remove(job)
                outcome = settle(batch, job, code)
                if outcome == "busy":
                    busy_since.setdefault(job.submission, time.monotonic())
                    busy_until[job.submission] = time.monotonic() + BUSY_RETRY_SECONDS
                else:
                    busy_since.pop(job.submission, None)
                state = states[job.submission] = batch.submission(job.submission).read_state()
                progress.events.append(_event(job, outcome, state))
                if state.final and job.submission != BASELINE:
                    progress.finished_seconds.append(sum(s.seconds or 0 for s in state.stages.values()))
                write_grades(batch.paths)
            if show:
                show(list(states.values()), running, progress)
            waiting = [i for i, s in states.items() if not s.final and i not in busy_since]
            stuck = [i for i in busy_since if time.monotonic() - busy_since[i] > BUSY_GIVE_UP_SECONDS]
            if not running and not waiting and (not busy_since or len(stuck) == len(busy_since)):
                return
            time.sleep(0.2)
    finally:
        for job in running:  # Ctrl-C or an error here: stop every stage we started
            kill_group(job.proc.pid)
            job.proc.wait()
            job.log.close()


def _event(job: Job, outcome: str, state) -> str:
    stamp = time.strftime("%H:%M:%S")
    took = f"{job.elapsed:.1f} s"
    if outcome == "done":
        accuracy = state.values.accuracy
        tail = ("graded" + (f", accuracy {accuracy:.1%}" if accuracy is not None else "")) if state.status == "graded" else "done"
        return f"[{stamp}] {job.submission}: {job.stage} {tail} ({took})"
    if outcome == "failed":
        return f"[{stamp}] {job.submission}: {job.stage} -> {state.status}: {state.error} ({took})"
    return f"[{stamp}] {job.submission}: {job.stage} {outcome} ({took})"


def plain_show(stream=sys.stderr) -> Callable:
    """Event lines, for logs and pipes (no terminal): each finished stage once."""
    printed = [0]

    def show(states, running, progress: Progress) -> None:
        for line in progress.events[printed[0]:]:
            print(line, file=stream, flush=True)
        printed[0] = len(progress.events)

    return show


def progress_title(states, running: list[Job], progress: Progress) -> str:
    """The live view's headline: submissions finished and their statuses (the base model is not one of them)."""
    subs = [s for s in states if s.id != BASELINE]
    done = sum(s.final for s in subs)
    eta = progress.eta(len(subs) - done, max(1, len(running)))
    head = ", ".join(f"{n} {status}" for status, n in counts(subs).items())
    return f"{done}/{len(subs)} submissions finished ({head})" + (f", about {eta / 60:.0f} min left" if eta else "")


def live_show(console) -> tuple[Callable, Callable]:
    """A rich live view: counts and ETA, what runs where, the latest events; returns (show, stop)."""
    from rich.console import Group
    from rich.live import Live
    from rich.table import Table
    from rich.text import Text

    live = Live(console=console, refresh_per_second=4)
    live.start()

    def show(states, running: list[Job], progress: Progress) -> None:
        table = Table(title=progress_title(states, running, progress), title_justify="left")
        for column in ("submission", "stage", "on", "elapsed"):
            table.add_column(column)
        for job in running:
            table.add_row(job.submission, job.stage, job.slot.name if job.slot else "cpu", f"{job.elapsed:.0f} s")
        live.update(Group(table, Text("\n".join(progress.events[-8:]))))

    return show, live.stop
