"""Grading a class from Python: ``grade``, ``status`` and ``grade_one``, the work behind those commands.

    grade(SUBMISSIONS, test=HIDDEN.jsonl, base_model=PATH, out=DIR)   snapshot, check, train, evaluate and
                                                                      score every submission; resumable
    status(DIR)                                                       where the batch stands
    grade_one(DIR, ID)                                                one submission's remaining stages
                                                                      (what a Slurm task runs)

Running the same ``grade`` again finishes an interrupted batch: finished stages are never redone,
an interrupted stage restarts from its beginning. See docs/grading-a-class.md. The class report
is composed on top of this by ``grader.api.grade`` (report sits above batch).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import records
from grader.atomic import file_sha256
from grader.batch.gradebook import write_final, write_grades
from grader.batch.intake import IntakeError, discover, snapshot
from grader.batch.layout import STAGE_TABLE, BatchPaths, SubmissionState
from grader.batch.policy import Policy, read_policy
from grader.batch.procs import try_lock
from grader.batch.stages import BASELINE, Batch, BatchRecord, one_line
from grader.errors import UserError
from grader.submission.sandbox import grading_confinement

RETRYABLE = {"intake_failed", "check_failed", "train_failed", "eval_failed", "timeout"}
PROGRESS = ("auto", "lines", "none")  # a live view on a terminal (else lines), event lines, nothing


@dataclass(frozen=True)
class SlurmOptions:
    """``grade --slurm``: one job array; ``wait=False`` returns once it is submitted."""

    partition: str | None = None
    account: str | None = None
    max_parallel: int | None = None  # at most this many tasks at once (%M)
    cpus_per_task: int = 8
    wait: bool = True


@dataclass
class GradeResult:
    """What a ``grade`` call left: the batch and the states of the submissions it was asked to grade."""

    batch: Batch
    states: list[SubmissionState]  # the graded ids' states, baseline excluded, gradebook order
    submitted_only: bool = False  # Slurm without waiting: the states are as they were at submission

    @property
    def unfinished(self) -> list[str]:
        return [s.id for s in self.states if not s.final]


@dataclass
class Status:
    batch: Batch
    states: list[SubmissionState]
    queued: set[str] = field(default_factory=set)  # Slurm tasks queued or running


def init_batch(paths: BatchPaths, test: Path, base_model: str, policy, gpus_per_job: int) -> Batch:
    """batch.json and the frozen test set on the first run; on later runs, the same inputs or an error."""
    from grader.evaluation.evaluate import read_items

    if not test.is_file():
        raise UserError(f"--test: {test}: file not found", exit_code=2)
    try:
        read_items(test)
    except UserError as exc:
        raise UserError(f"--test: {exc}", exit_code=2) from None
    if not Path(base_model).is_dir() or not (Path(base_model) / "config.json").is_file():
        raise UserError(f"--base-model: {base_model}: not a model folder (no config.json)", exit_code=2)
    wanted = BatchRecord(
        test_sha256=file_sha256(test),
        base_model=str(Path(base_model).resolve()),
        policy=policy,
        gpus_per_job=gpus_per_job,
        test_file=str(test.resolve()),
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o700)  # the hidden set, every submission and its outputs: the grader's alone
    if not paths.batch.exists():
        tmp = paths.test.with_name(".test.jsonl.tmp")
        shutil.copyfile(test, tmp)
        tmp.chmod(0o600)
        os.replace(tmp, paths.test)
        records.save(paths.batch, wanted)
    else:
        existing = records.load(paths.batch, BatchRecord)
        for key in ("test_sha256", "base_model", "policy", "gpus_per_job"):
            if getattr(existing, key) != getattr(wanted, key):
                raise UserError(
                    f"{paths.root} was started with another {key.replace('_', ' ')} ({records.to_json(getattr(existing, key))!r}); "
                    "grade into a new --out folder, or re-run with the same inputs",
                    exit_code=2,
                )
    return Batch.load(paths.root)


def take_in(batch: Batch, sources, only: list[str] | None) -> list[str]:
    """Snapshot every new submission; return the ids to grade."""
    ids = []
    for source in sources:
        if only and source.id not in only:
            continue
        ids.append(source.id)
        paths = batch.submission(source.id)
        state = paths.read_state()
        if state.stages["snapshot"].state == "done" or state.final:
            continue
        paths.root.mkdir(parents=True, exist_ok=True)
        entry = state.stages["snapshot"]
        entry.attempts += 1
        start = time.monotonic()
        try:
            record = snapshot(source, paths.snapshot, paths.manifest, batch.policy.max_submission_mb << 20,
                              batch.policy.max_submission_files)  # fmt: skip
            entry.state = "done"
            state.values.files = len(record.files)
        except (IntakeError, OSError) as exc:
            entry.state, entry.error = "failed", one_line(str(exc))
            state.status, state.error = "intake_failed", entry.error
        entry.seconds = round(time.monotonic() - start, 3)
        paths.write_state(state)
        write_final(batch, paths, state)
    if only:
        unknown = sorted(set(only) - {s.id for s in sources})
        if unknown:
            raise UserError(f"--only: no submission named {', '.join(unknown)}", exit_code=2)
    return ids


def _retry_failed(batch: Batch, ids: list[str]) -> None:
    """Failed (not invalid or over-budget) submissions start again from their failed stage."""
    for submission_id in ids:
        paths = batch.submission(submission_id)
        state = paths.read_state()
        if state.status not in RETRYABLE:
            continue
        for entry in state.stages.values():
            if entry.state == "failed":
                entry.state, entry.error = "pending", None
        state.status, state.error = "pending", None
        paths.write_state(state)


def ensure_baseline(batch: Batch) -> None:
    paths = batch.submission(BASELINE)
    if not paths.state.exists():
        paths.root.mkdir(parents=True, exist_ok=True)
        state = SubmissionState(BASELINE)
        for stage in STAGE_TABLE:
            if not stage.baseline:  # nothing to take in, check or train: the base model as it is
                state.stages[stage.name].state = "done"
        paths.write_state(state)


def batch_lock(paths: BatchPaths):
    paths.root.mkdir(parents=True, exist_ok=True)
    handle = try_lock(paths.lock)
    if handle is None:
        raise UserError(f"{paths.root}: another `grade` is running on this folder", exit_code=2)
    return handle


def grade(
    submissions: str | Path,
    *,
    test: str | Path,
    base_model: str | Path,
    out: str | Path,
    policy: Policy | str | Path | None = None,
    gpus: str | int = "auto",
    gpus_per_job: int = 1,
    cpu_workers: int | None = None,
    slurm: SlurmOptions | None = None,
    only: list[str] | None = None,
    retry_failed: bool = False,
    baseline: bool = True,
    progress: str = "auto",
) -> GradeResult:
    """Grade every submission under ``submissions`` into the batch folder ``out`` (resumable).

    ``policy``: a Policy, a grading.yaml path, or None for the defaults. ``gpus``: "auto" (every
    visible GPU) or a count; ``gpus_per_job`` 0 trains on CPU. ``slurm``: submit a job array
    instead of running here. ``only``: these ids. ``baseline``: also score the untrained model.
    """
    from grader.batch.runner import reap_orphans, record_kit

    if progress not in PROGRESS:
        raise ValueError(f"progress must be one of {PROGRESS}, got {progress!r}")
    paths = BatchPaths(Path(out).resolve())
    rules = policy if isinstance(policy, Policy) else read_policy(policy)
    sources = discover(Path(submissions))
    if slurm is None:  # here, before anything is taken in: student code runs confined, or grading refuses
        grading_confinement(secrets=(Path(test),))
    with batch_lock(paths):
        record_kit()  # before any student code runs
        batch = init_batch(paths, Path(test), str(base_model), rules, gpus_per_job)
        ids = take_in(batch, sources, only)
        if retry_failed:
            _retry_failed(batch, ids)
        jobs = ids
        if baseline and not only:
            ensure_baseline(batch)
            jobs = [BASELINE, *ids]
        write_grades(paths)
        if slurm is not None:
            submitted = _grade_slurm(batch, jobs, slurm)
            if not slurm.wait:
                return GradeResult(batch, _states(batch, ids), submitted_only=submitted)
        else:
            for submission_id in jobs:
                reap_orphans(batch, submission_id)
            _grade_local(batch, jobs, str(gpus), gpus_per_job, cpu_workers, progress)
    return GradeResult(batch, _states(batch, ids))


def _states(batch: Batch, ids: list[str]) -> list[SubmissionState]:
    """Every state, gradebook rebuilt; the ones asked for, in gradebook order."""
    wanted = set(ids)
    return [s for s in write_grades(batch.paths) if s.id in wanted]


def _grade_local(batch: Batch, ids: list[str], gpus: str, gpus_per_job: int, cpu_workers: int | None, progress: str) -> None:
    from grader.batch.scheduler import gpu_slots, live_show, plain_show, run_local

    slots = gpu_slots(gpus, gpus_per_job)
    workers = cpu_workers or max(1, (os.cpu_count() or 2) // 2)
    if progress != "none":
        print(f"grade: {len(ids)} jobs in {batch.paths.root}; GPU slots: {', '.join(s.name for s in slots)}; "
              f"CPU workers: {workers}", file=sys.stderr)  # fmt: skip
    stop = None
    if progress == "none":
        show = None
    elif progress == "auto" and sys.stderr.isatty():
        from rich.console import Console

        show, stop = live_show(Console(stderr=True))
    else:
        show = plain_show()
    try:
        run_local(batch, ids, slots, workers, show)
    finally:
        if stop:
            stop()


def _grade_slurm(batch: Batch, ids: list[str], options: SlurmOptions) -> bool:
    """Submit what is neither finished nor queued; with ``wait``, follow the array to its end."""
    from grader.batch import slurm

    queued = slurm.active_ids(batch)
    todo = [i for i in ids if not batch.submission(i).read_state().final and i not in queued]
    if todo:
        job = slurm.submit(batch, todo, options.max_parallel, options.partition, options.account, options.cpus_per_task)
        print(f"grade: submitted Slurm array {job} with {len(todo)} tasks"
              + (f" (at most {options.max_parallel} at once)" if options.max_parallel else ""), file=sys.stderr)  # fmt: skip
    else:
        print(f"grade: nothing to submit ({len(queued)} still queued or running)", file=sys.stderr)
    if options.wait:
        follow(batch, ids)
    return bool(todo)


def follow(batch: Batch, ids: list[str], poll_seconds: float = 2.0) -> None:
    """Until every task has ended: print each submission's status change."""
    from grader.batch import slurm

    seen: dict[str, str] = {}
    while True:
        states = [batch.submission(i).read_state() for i in ids]
        for state in states:
            if seen.get(state.id) != state.status:
                seen[state.id] = state.status
                print(f"[{time.strftime('%H:%M:%S')}] {state.id}: {state.status}" + (f": {state.error}" if state.error else ""),
                      file=sys.stderr, flush=True)  # fmt: skip
        if all(s.final for s in states) or not slurm.active_ids(batch):
            return
        time.sleep(poll_seconds)


def status(batch_dir: str | Path) -> Status:
    """Where a batch stands: every state (grades.csv rebuilt from them) and the Slurm tasks still queued."""
    batch = Batch.load(batch_dir)
    states = write_grades(batch.paths)
    queued: set[str] = set()
    if (batch.paths.slurm / "jobs.json").exists():
        from grader.batch import slurm

        queued = slurm.active_ids(batch)
    return Status(batch, states, queued)


def grade_one(batch_dir: str | Path, submission_id: str) -> tuple[str, SubmissionState]:
    """Every remaining stage of one submission here, one after another (what a Slurm task runs)."""
    from grader.batch.runner import Slot, record_kit, run_sequentially

    record_kit()
    batch = Batch.load(batch_dir)
    outcome = run_sequentially(batch, submission_id, Slot("here", os.environ.get("CUDA_VISIBLE_DEVICES")))
    write_grades(batch.paths)
    return outcome, batch.submission(submission_id).read_state()
