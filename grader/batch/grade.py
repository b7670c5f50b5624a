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
import socket
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader import records
from grader.atomic import file_sha256, sweep
from grader.batch import intake
from grader.batch.gradebook import write_final, write_grades
from grader.batch.intake import IdMap, IntakeError, Source, snapshot
from grader.batch.layout import INTERRUPTED, RUNNING, STAGE_TABLE, STAGES, BatchPaths, SubmissionState
from grader.batch.policy import Policy, read_policy
from grader.batch.procs import processes_in_group, try_lock
from grader.batch.stages import BASELINE, Batch, BatchRecord, clear_outputs, hold_lock, one_line
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
    changed: list[str] = field(default_factory=list)  # ids whose source changed since it was taken in (--retake ID)

    @property
    def unfinished(self) -> list[str]:
        return [s.id for s in self.states if not s.final]


@dataclass
class Status:
    """Where a batch stands. An interrupted submission's state shows ``interrupted`` (in ``states`` and
    grades.csv; state.json still says running): its stage has no process left, and re-running
    the same `grade` command resumes it."""

    batch: Batch
    states: list[SubmissionState]
    queued: set[str] = field(default_factory=set)  # Slurm tasks queued or running
    interrupted: list[str] = field(default_factory=list)  # a stage marked running, with no process left
    changed: list[str] = field(default_factory=list)  # ids whose source changed since it was taken in
    untaken: list[str] = field(default_factory=list)  # sources in SUBMISSIONS not taken in yet (names)
    running: int = 0  # stages running now
    elapsed_seconds: float | None = None  # since the batch's first stage began (to its last end, once finished)
    remaining_seconds: float | None = None  # estimate: the stages left, at the mean time of those finished


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


def take_in(batch: Batch, sources: list[Source], ids: IdMap) -> None:
    """Snapshot every source not taken in yet; record what each was then in ``ids`` (ids.json)."""
    for source in sources:
        paths = batch.submission(source.id)
        state = paths.read_state()
        taken = ids.sources[source.path.name]
        if state.stages["snapshot"].state == "done" or state.final:
            continue
        paths.root.mkdir(parents=True, exist_ok=True)
        entry = state.stages["snapshot"]
        entry.attempts += 1
        start = time.monotonic()
        taken.stamp, taken.sha256 = intake.source_stamp(source.path), None
        try:
            zipped = file_sha256(source.path) if source.is_zip else None
            record = snapshot(source, paths.snapshot, paths.manifest, batch.policy.max_submission_mb << 20,
                              batch.policy.max_submission_files)  # fmt: skip
            entry.state, taken.sha256 = "done", zipped or record.sha256
            state.values.files = len(record.files)
        except (IntakeError, OSError) as exc:
            message = str(exc) if isinstance(exc, IntakeError) else f"{source.id}: {exc}"
            entry.state, entry.error = "failed", one_line(message)
            state.status, state.error = "intake_failed", entry.error
        entry.seconds = round(time.monotonic() - start, 3)
        paths.write_state(state)
        intake.save_ids(batch.paths, ids)
        write_final(batch, paths, state)


def _chosen(sources: list[Source], only: list[str] | None) -> list[str]:
    """The ids to grade: every source's, or the ``--only`` ones (each must exist)."""
    if not only:
        return [s.id for s in sources]
    unknown = sorted(set(only) - {s.id for s in sources})
    if unknown:
        raise UserError(f"--only: no submission named {', '.join(unknown)}", exit_code=2)
    return [s.id for s in sources if s.id in only]


def changed_sources(ids: IdMap, sources: list[Source], batch: Batch) -> list[str]:
    """Ids whose source differs from what was taken in (snapshotted, or refused at intake)."""
    out = []
    for source in sources:
        entry = batch.submission(source.id).read_state().stages["snapshot"]
        if entry.state in ("done", "failed") and intake.changed(source.path, ids.sources[source.path.name]):
            out.append(source.id)
    return out


def _retake(batch: Batch, sources: list[Source], retake: list[str], active: set[str]) -> None:
    """``--retake ID``: forget the submission's snapshot and every later stage; it is taken in again."""
    by_id = {s.id: s for s in sources}
    unknown = sorted(set(retake) - set(by_id))
    if unknown:
        raise UserError(f"--retake: no submission named {', '.join(unknown)} in SUBMISSIONS", exit_code=2)
    busy = sorted(set(retake) & active)
    if busy:
        raise UserError(f"--retake: {', '.join(busy)} still has a Slurm task queued or running (scancel it first)", exit_code=2)
    from grader.batch.runner import reap_orphans

    for submission_id in dict.fromkeys(retake):
        paths = batch.submission(submission_id)
        reap_orphans(batch, submission_id)  # what an interrupted run left of it here, before its files go
        lock = hold_lock(paths)
        if lock is None:
            raise UserError(f"--retake: {submission_id} is being graded right now (a stage holds {paths.lock})", exit_code=2)
        with lock:
            intake.make_writable(paths.snapshot)
            shutil.rmtree(paths.snapshot, ignore_errors=True)
            paths.manifest.unlink(missing_ok=True)
            for stage in STAGES:
                clear_outputs(paths, stage)
            paths.write_state(SubmissionState(submission_id))
        print(f"grade: {submission_id}: taken in again from {by_id[submission_id].path.name} (--retake)", file=sys.stderr)


def _retry_failed(batch: Batch, ids: list[str]) -> None:
    """Failed (not invalid or over-budget) submissions start again from their failed stage (intake too)."""
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


def settle_eval_python(rules: Policy, source: str, show: bool) -> Policy:
    """The policy with ``eval_python`` made absolute (not resolved: a virtualenv's python is a symbolic link to
    the base interpreter) and checked before anything runs: one line if it cannot run the evaluate stage."""
    if rules.eval_python is None:
        return rules
    from grader.batch.runner import check_stage_python

    python = os.path.abspath(os.path.expanduser(rules.eval_python))
    stack = check_stage_python(python, source)
    if show:
        vllm = f"vllm {stack['vllm']}" if stack.get("vllm") else "no vllm there: transformers generates"
        print(f"grade: the evaluate stage runs with {python} (Python {stack['python']}, torch {stack['torch']}, "
              f"transformers {stack['transformers']}, {vllm})", file=sys.stderr)  # fmt: skip
    return replace(rules, eval_python=python)


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
    retake: list[str] | None = None,
    baseline: bool = True,
    progress: str = "auto",
    eval_python: str | Path | None = None,
) -> GradeResult:
    """Grade every submission under ``submissions`` into the batch folder ``out`` (resumable).

    ``policy``: a Policy, a grading.yaml path, or None for the defaults. ``gpus``: "auto" (every
    visible GPU) or a count; ``gpus_per_job`` 0 trains on CPU. ``slurm``: submit a job array
    instead of running here. ``only``: these ids. ``retake``: take these ids in again from their
    source (a fixed or late submission) and grade them from the start. ``baseline``: also score
    the untrained model. ``eval_python``: the interpreter of the evaluate stage (the vLLM
    virtualenv's), over the policy's.
    """
    from grader.batch.runner import reap_orphans, record_kit

    if progress not in PROGRESS:
        raise ValueError(f"progress must be one of {PROGRESS}, got {progress!r}")
    paths = BatchPaths(Path(out).resolve())
    rules = policy if isinstance(policy, Policy) else read_policy(policy)
    if eval_python is not None:
        rules, source = replace(rules, eval_python=str(eval_python)), "--eval-python"
    else:
        source = f"{policy}: eval_python" if isinstance(policy, (str, Path)) else "eval_python"
    rules = settle_eval_python(rules, source, show=progress != "none")
    folder = Path(submissions)
    entries = intake.find_sources(folder)
    if slurm is None:  # here, before anything is taken in: student code runs confined, or grading refuses
        grading_confinement(secrets=(Path(test),))
    if slurm is not None:  # before anything is written: a request Slurm refuses is one line, and nothing to undo
        from grader.batch.slurm import preflight

        preflight(rules, gpus_per_job, slurm.partition, slurm.account, slurm.cpus_per_task)
    with batch_lock(paths):
        record_kit()  # before any student code runs
        batch = init_batch(paths, Path(test), str(base_model), rules, gpus_per_job)
        ids = intake.read_ids(paths, folder)
        sources = intake.assign_ids(entries, ids, set(paths.submission_ids()))  # known: their ids; new: new ones
        intake.save_ids(paths, ids)
        chosen = _chosen(sources, [*only, *(retake or [])] if only else None)
        if retake:
            _retake(batch, sources, retake, queued_ids(batch))
        if retry_failed:
            _retry_failed(batch, chosen)
        wanted = [s for s in sources if s.id in set(chosen)]
        take_in(batch, wanted, ids)
        changed = changed_sources(ids, wanted, batch)
        for submission_id in changed:
            name = ids.name_of(submission_id)
            print(f"grade: {submission_id}: {name} changed since it was taken in; the snapshot is what is graded "
                  f"(--retake {submission_id} takes it in again and regrades it)", file=sys.stderr)  # fmt: skip
        jobs = chosen
        if baseline and not only:
            ensure_baseline(batch)
            jobs = [BASELINE, *chosen]
        write_grades(paths)
        if slurm is not None:
            submitted = _grade_slurm(batch, jobs, slurm)
            if not slurm.wait:
                return GradeResult(batch, _states(batch, chosen), submitted_only=submitted, changed=changed)
        else:
            for submission_id in jobs:
                reap_orphans(batch, submission_id)  # then nothing of an earlier run writes there any more
                sweep(batch.submission(submission_id).root)
            _grade_local(batch, jobs, str(gpus), gpus_per_job, cpu_workers, progress)
    return GradeResult(batch, _states(batch, chosen), changed=changed)


def _states(batch: Batch, ids: list[str]) -> list[SubmissionState]:
    """Every state, gradebook rebuilt; the ones asked for, in gradebook order."""
    wanted = set(ids)
    return [s for s in write_grades(batch.paths) if s.id in wanted]


def _grade_local(batch: Batch, ids: list[str], gpus: str, gpus_per_job: int, cpu_workers: int | None, progress: str) -> None:
    from grader.batch.scheduler import gpu_slots, live_show, plain_show, run_local

    slots = gpu_slots(gpus, gpus_per_job)
    workers = cpu_workers or max(1, (os.cpu_count() or 2) // 2)
    if progress != "none":
        count = len([i for i in ids if i != BASELINE])
        print(f"grade: {count} submission{'s' if count != 1 else ''}" + (" and the base model" if BASELINE in ids else "")
              + f" in {batch.paths.root}; GPU slots: {', '.join(s.name for s in slots)}; CPU workers: {workers}",
              file=sys.stderr)  # fmt: skip
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


def queued_ids(batch: Batch) -> set[str]:
    """Submissions whose Slurm task is queued or running (none for a batch never sent to Slurm)."""
    if not (batch.paths.slurm / "jobs.json").exists():
        return set()
    from grader.batch import slurm

    return slurm.active_ids(batch)


def stage_gone(batch: Batch, state: SubmissionState, queued: set[str]) -> bool:
    """A stage marked running with no process left: on this host its process group is gone; elsewhere, its
    Slurm task is neither queued nor running. (A stage on another host without Slurm is taken as running.)"""
    stage = state.running_stage()
    if stage is None or state.id in queued:
        return False
    entry = state.stages[stage]
    if entry.host == socket.gethostname():
        return not (entry.pgid and processes_in_group(entry.pgid, str(batch.paths.root)))
    return (batch.paths.slurm / "jobs.json").exists()


def _shown_interrupted(state: SubmissionState) -> SubmissionState:
    """The state as `status` shows it when its running stage has no process left (state.json is not changed)."""
    stage = state.running_stage()
    if stage is not None:
        state.stages[stage].state = INTERRUPTED
    state.status = INTERRUPTED
    return state


def estimate_times(everyone: list[SubmissionState], now: float) -> tuple[float | None, float | None, int]:
    """(elapsed, remaining, running) of a batch's states (the baseline's included): seconds since the first
    stage began, an estimate of the time left, and how many stages run now. The estimate: each stage left
    costs the mean time of that stage where it finished (what a running one has spent is subtracted), the
    sum shared by the stages running now."""
    starts = [e.started for s in everyone for e in s.stages.values() if e.started]
    ends = [e.started + e.seconds for s in everyone for e in s.stages.values() if e.started and e.seconds is not None]
    unfinished = [s for s in everyone if not s.final]
    running = sum(s.running_stage() is not None for s in unfinished)
    elapsed = None
    if starts:
        elapsed = (now if unfinished else max(ends, default=now)) - min(starts)
    done: dict[str, list[float]] = {}
    for s in everyone:
        for name, entry in s.stages.items():
            if entry.state == "done" and entry.seconds is not None and name != "snapshot":
                done.setdefault(name, []).append(entry.seconds)
    left = 0.0
    for s in unfinished:
        for name, entry in s.stages.items():
            if entry.state == "done" or name == "snapshot":
                continue
            if name not in done:
                return elapsed, None, running  # no such stage has finished yet: nothing to go by
            mean = sum(done[name]) / len(done[name])
            spent = now - entry.started if entry.state == RUNNING and entry.started else 0.0
            left += max(0.0, mean - spent)
    return elapsed, left / max(1, running), running


def status(batch_dir: str | Path) -> Status:
    """Where a batch stands: every state (grades.csv rebuilt from them), the Slurm tasks still queued, the
    stages interrupted, the sources changed or not taken in yet, and the time spent and left."""
    batch = Batch.load(batch_dir)
    queued = queued_ids(batch)

    def shown(state: SubmissionState) -> SubmissionState:
        return _shown_interrupted(state) if stage_gone(batch, state, queued) else state

    states = write_grades(batch.paths, view=shown)  # one read of every state: what is shown is what is counted
    baseline = [shown(batch.submission(BASELINE).read_state())] if batch.paths.baseline.exists() else []
    result = Status(batch, states, queued, interrupted=sorted(s.id for s in states if s.status == INTERRUPTED))
    ids = records.load_optional(batch.paths.ids, IdMap)
    folder = Path(ids.folder) if ids else None
    if ids and folder.is_dir():
        taken = {s.id for s in states}
        sources = intake.assign_ids(intake.find_sources(folder), ids, taken)  # as grade would
        result.changed = changed_sources(ids, [s for s in sources if s.id in taken], batch)
        result.untaken = [s.path.name for s in sources if s.id not in taken]
    result.elapsed_seconds, result.remaining_seconds, result.running = estimate_times([*states, *baseline], time.time())
    return result


def grade_one(batch_dir: str | Path, submission_id: str) -> tuple[str, SubmissionState]:
    """Every remaining stage of one submission here, one after another (what a Slurm task runs)."""
    from grader.batch.runner import Slot, record_kit, run_sequentially

    record_kit()
    batch = Batch.load(batch_dir)
    outcome = run_sequentially(batch, submission_id, Slot("here", os.environ.get("CUDA_VISIBLE_DEVICES")))
    write_grades(batch.paths)
    return outcome, batch.submission(submission_id).read_state()
