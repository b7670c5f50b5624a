"""`python -m grader grade | status | grade-one | stage`: batch grading of a whole class.

    grade SUBMISSIONS --test HIDDEN.jsonl --base-model PATH --out DIR   check, train, evaluate, score
                                                                        every submission; resumable
    status DIR                                                          where the batch stands
    grade-one DIR ID                                                    one submission's remaining
                                                                        stages (what a Slurm task runs)
    stage DIR ID STAGE                                                  one stage (what every job runs)

Running the same `grade` command again finishes an interrupted batch: finished stages are never
redone, an interrupted stage restarts from its beginning. See docs/grading-a-class.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

from grader.atomic import file_sha256, read_json, write_json_atomic
from grader.batch.gradebook import counts, grade_row, status_table, write_final, write_grades
from grader.batch.intake import IntakeError, discover, snapshot
from grader.batch.layout import STAGES, BatchPaths, SubmissionState
from grader.batch.policy import read_policy
from grader.batch.procs import try_lock
from grader.batch import stages
from grader.batch.stages import BASELINE, Batch, one_line
from grader.cli import nonnegative_int, positive_int
from grader.errors import UserError

RETRYABLE = {"intake_failed", "check_failed", "train_failed", "eval_failed", "timeout"}


# --- grade ------------------------------------------------------------------------------------


def _gpus(text: str) -> str:
    return text if text == "auto" else str(nonnegative_int(text))


def add_grade_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("submissions", metavar="SUBMISSIONS", help="folder with one sub-folder or .zip per student")
    p.add_argument("--test", required=True, metavar="HIDDEN.jsonl", help="the hidden test set (problem, answer; id, source, subject, level optional)")
    p.add_argument("--base-model", required=True, metavar="PATH", help="the base model every submission is trained from")
    p.add_argument("--out", required=True, metavar="DIR", help="the batch folder: state, checkpoints, grades.csv (resumable)")
    p.add_argument("--policy", metavar="grading.yaml", help="time limits, compute budget, generation length, retries")
    p.add_argument("--gpus", default="auto", type=_gpus, help="GPUs to use: auto (every visible one) or a number (default auto)")
    p.add_argument("--gpus-per-job", type=nonnegative_int, default=1, metavar="K", help="GPUs each training gets; 0 trains on CPU (default 1)")
    p.add_argument("--cpu-workers", type=positive_int, default=None, metavar="N", help="checks and scorings at once (default: cores / 2, at least 1)")
    p.add_argument("--slurm", action="store_true", help="submit a Slurm job array instead of running here")
    p.add_argument("--partition", help="Slurm partition")
    p.add_argument("--account", help="Slurm account")
    p.add_argument("--max-parallel", type=positive_int, metavar="M", help="Slurm: at most M tasks at once (%%M)")
    p.add_argument("--cpus-per-task", type=positive_int, default=8, metavar="C", help="Slurm: CPUs per task (default 8)")
    p.add_argument("--no-wait", action="store_true", help="Slurm: return once submitted (follow with `status DIR`)")
    p.add_argument("--only", nargs="+", metavar="ID", help="grade only these submissions")
    p.add_argument("--retry-failed", action="store_true", help="re-run submissions that failed (not invalid or over budget ones)")
    p.add_argument("--no-baseline", action="store_true", help="skip scoring the untrained base model")
    p.add_argument("--json", action="store_true", help="end with one JSON object on stdout")


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
    wanted = {
        "test_sha256": file_sha256(test),
        "base_model": str(Path(base_model).resolve()),
        "policy": policy.to_json(),
        "gpus_per_job": gpus_per_job,
    }
    existing = read_json(paths.batch)
    if existing is None:
        paths.root.mkdir(parents=True, exist_ok=True)
        tmp = paths.test.with_name(".test.jsonl.tmp")
        shutil.copyfile(test, tmp)
        os.replace(tmp, paths.test)
        write_json_atomic(paths.batch, {**wanted, "test_file": str(test.resolve()), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    else:
        for key, value in wanted.items():
            if existing.get(key) != value:
                raise UserError(
                    f"{paths.root} was started with another {key.replace('_', ' ')} ({existing.get(key)!r}); "
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
            state.values["files"] = len(record["files"])
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


def retry_failed(batch: Batch, ids: list[str]) -> None:
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
        for stage in ("snapshot", "check", "train"):
            state.stages[stage].state = "done"  # nothing to take in, check or train: the base model as it is
        paths.write_state(state)


def batch_lock(paths: BatchPaths):
    paths.root.mkdir(parents=True, exist_ok=True)
    handle = try_lock(paths.lock)
    if handle is None:
        raise UserError(f"{paths.root}: another `grade` is running on this folder", exit_code=2)
    return handle


def run_grade(args: argparse.Namespace) -> int:
    from grader.batch.runner import reap_orphans

    paths = BatchPaths(Path(args.out).resolve())
    policy = read_policy(args.policy)
    sources = discover(Path(args.submissions))
    with batch_lock(paths):
        batch = init_batch(paths, Path(args.test), args.base_model, policy, args.gpus_per_job)
        ids = take_in(batch, sources, args.only)
        if args.retry_failed:
            retry_failed(batch, ids)
        if not args.no_baseline and not args.only:
            ensure_baseline(batch)
            ids = [BASELINE, *ids]
        write_grades(paths)
        if args.slurm:
            return _grade_slurm(batch, [i for i in ids], args)
        for submission_id in ids:
            reap_orphans(batch, submission_id)
        _grade_local(batch, ids, args)
    return _finish(batch, ids, args)


def _grade_local(batch: Batch, ids: list[str], args) -> None:
    from grader.batch.scheduler import gpu_slots, live_show, plain_show, run_local

    slots = gpu_slots(args.gpus, args.gpus_per_job)
    cpu_workers = args.cpu_workers or max(1, (os.cpu_count() or 2) // 2)
    print(f"grade: {len(ids)} jobs in {batch.paths.root}; GPU slots: {', '.join(s.name for s in slots)}; "
          f"CPU workers: {cpu_workers}", file=sys.stderr)  # fmt: skip
    stop = None
    if sys.stderr.isatty() and not args.json:
        from rich.console import Console

        show, stop = live_show(Console(stderr=True))
    else:
        show = plain_show()
    try:
        run_local(batch, ids, slots, cpu_workers, show)
    finally:
        if stop:
            stop()


def _grade_slurm(batch: Batch, ids: list[str], args) -> int:
    from grader.batch import slurm

    queued = slurm.active_ids(batch)
    todo = [i for i in ids if not batch.submission(i).read_state().final and i not in queued]
    if todo:
        job = slurm.submit(batch, todo, args.max_parallel, args.partition, args.account, args.cpus_per_task)
        print(f"grade: submitted Slurm array {job} with {len(todo)} tasks"
              + (f" (at most {args.max_parallel} at once)" if args.max_parallel else ""), file=sys.stderr)  # fmt: skip
    else:
        print(f"grade: nothing to submit ({len(queued)} still queued or running)", file=sys.stderr)
    if args.no_wait:
        return 0
    follow(batch, ids)
    return _finish(batch, ids, args)


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


def _print_states(batch: Batch, states: list[SubmissionState], as_json: bool, rows: list[dict] | None = None) -> None:
    """The gradebook as `grade` and `status` print it: a table, or one JSON object (``rows`` default: grades.csv's)."""
    baseline = batch.submission(BASELINE).read_state() if batch.paths.baseline.exists() else None
    if as_json:
        print(json.dumps({
            "dir": str(batch.paths.root),
            "counts": counts(states),
            "baseline_accuracy": baseline.values.get("accuracy") if baseline else None,
            "submissions": rows if rows is not None else [grade_row(s) for s in states],
        }))  # fmt: skip
    else:
        print(status_table(states, baseline))


def _finish(batch: Batch, ids: list[str], args) -> int:
    mine = [s for s in write_grades(batch.paths) if s.id in ids]
    _print_states(batch, mine, args.json)
    if not args.json:
        print(f"grades: {batch.paths.grades}")
    _class_report(batch)
    unfinished = [s.id for s in mine if not s.final]
    if unfinished:
        print(f"grade: {len(unfinished)} submission(s) unfinished ({', '.join(unfinished[:5])}); run the same command again",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _class_report(batch: Batch) -> None:
    """DIR/report.html, the class at a glance (`python -m grader report DIR` makes it and more)."""
    from grader.report.command import add_arguments, run

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            run(parser.parse_args([str(batch.paths.root), "--no-gradescope"]))
    except Exception as exc:  # the gradebook is written; a report problem must not hide it
        print(f"warning: the class report could not be written ({type(exc).__name__}: {exc}); "
              f"try `python -m grader report {batch.paths.root}`", file=sys.stderr)  # fmt: skip


# --- status, grade-one, stage ------------------------------------------------------------------


def add_status_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="a batch folder (grade --out)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run_status(args: argparse.Namespace) -> int:
    batch = Batch.load(args.dir)
    states = write_grades(batch.paths)
    queued: set[str] = set()
    if (batch.paths.slurm / "jobs.json").exists():
        from grader.batch import slurm

        queued = slurm.active_ids(batch)
    rows = [{**grade_row(s), "queued": s.id in queued,
             "stage": next((st for st in STAGES if s.stages[st].state == "running"), None)} for s in states]  # fmt: skip
    _print_states(batch, states, args.json, rows)
    if queued and not args.json:
        print(f"Slurm: {len(queued)} task(s) queued or running")
    return 0


def add_grade_one_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR")
    p.add_argument("id", metavar="ID")


def run_grade_one(args: argparse.Namespace) -> int:
    from grader.batch.runner import Slot, run_sequentially

    batch = Batch.load(args.dir)
    devices = os.environ.get("CUDA_VISIBLE_DEVICES")
    outcome = run_sequentially(batch, args.id, Slot("here", devices))
    write_grades(batch.paths)
    state = batch.submission(args.id).read_state()
    print(f"{args.id}: {state.status}" + (f": {state.error}" if state.error else ""))
    return 0 if outcome != "busy" else 75


def add_stage_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR")
    p.add_argument("id", metavar="ID")
    p.add_argument("stage", choices=STAGES[1:])
    p.add_argument("--devices", help="CUDA_VISIBLE_DEVICES this stage runs with (recorded)")
    p.add_argument("--port", type=int, help="rendezvous port for training")
    p.add_argument("--launched", type=float, help="when the scheduler started this process (recorded)")


def run_stage(args: argparse.Namespace) -> int:
    code = stages.run_stage(Batch.load(args.dir), args.id, args.stage, args.devices, args.port, args.launched)
    # Everything is on disk (atomic writes, fsync'd): skip the interpreter's teardown of torch & co,
    # which is pure overhead here (about a second a stage).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

