"""`python -m grader grade | status | grade-one | stage`: batch grading of a whole class.

    grade SUBMISSIONS --test HIDDEN.jsonl --base-model PATH --out DIR   check, train, evaluate, score
                                                                        every submission; resumable
    status DIR                                                          where the batch stands
    grade-one DIR ID                                                    one submission's remaining
                                                                        stages (what a Slurm task runs)
    stage DIR ID STAGE                                                  one stage (what every job runs)

Running the same `grade` command again finishes an interrupted batch. See docs/grading-a-class.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from grader import api
from grader.batch.gradebook import counts, duration, grade_row, status_table
from grader.batch.layout import PROCESS_STAGES
from grader.batch.stages import BASELINE, EXIT_BUSY, Batch
from grader.commands.args import add_unconfined_argument, nonnegative_int, positive_int
from grader.commands.output import emit


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
    p.add_argument("--retake", nargs="+", metavar="ID", help="take these submissions in again from SUBMISSIONS (a fixed or "
                   "late one) and grade them from the start; their earlier snapshot and results are cleared")
    p.add_argument("--title", help="the class report's title (default: the batch folder's name)")
    p.add_argument("--no-baseline", action="store_true", help="skip scoring the untrained base model")
    p.add_argument("--eval-python", metavar="PATH", help="the Python the evaluate stage runs with: the vLLM virtualenv's "
                   "(`make vllm-env`: .venv-vllm/bin/python); overrides grading.yaml's eval_python")  # fmt: skip
    p.add_argument("--json", action="store_true", help="end with one JSON object on stdout")
    add_unconfined_argument(p)


def _states_text(batch: Batch, states, as_json: bool, rows: list[dict] | None = None, extra: dict | None = None,
                 lines: list[str] = ()) -> str:  # fmt: skip
    """The gradebook as `grade` and `status` print it: a table (then ``lines``), or one JSON object (``rows``
    default: grades.csv's; ``extra``: more keys)."""
    baseline = batch.submission(BASELINE).read_state() if batch.paths.baseline.exists() else None
    if as_json:
        return json.dumps({
            "dir": str(batch.paths.root),
            "counts": counts(states),
            "baseline_accuracy": baseline.values.accuracy if baseline else None,
            "submissions": rows if rows is not None else [grade_row(s) for s in states],
            **(extra or {}),
        })  # fmt: skip
    return "\n".join([status_table(states, baseline), *lines])


def run_grade(args: argparse.Namespace) -> int:
    slurm = None
    if args.slurm:
        slurm = api.SlurmOptions(args.partition, args.account, args.max_parallel, args.cpus_per_task, wait=not args.no_wait)
    try:
        result = api.grade(
            args.submissions, test=args.test, base_model=args.base_model, out=args.out, policy=args.policy,
            gpus=args.gpus, gpus_per_job=args.gpus_per_job, cpu_workers=args.cpu_workers, slurm=slurm, only=args.only,
            retry_failed=args.retry_failed, retake=args.retake, baseline=not args.no_baseline,
            progress="lines" if args.json else "auto", title=args.title,
            eval_python=args.eval_python, unconfined_student_code=args.unconfined_student_code,
        )  # fmt: skip
    except KeyboardInterrupt:  # Ctrl-C: what finished is kept; running stages were stopped (Slurm's go on)
        what = "the Slurm tasks go on; " if args.slurm else ""
        print(f"grade: interrupted; {what}run the same command again to resume (`status {args.out}` shows where it "
              "stands)", file=sys.stderr)  # fmt: skip
        return 130
    if result.submitted_only or (slurm is not None and not slurm.wait):
        return 0
    extra = {"changed": result.changed}
    emit(_states_text(result.batch, result.states, args.json, extra=extra, lines=[f"grades: {result.batch.paths.grades}"]))
    if result.unfinished:
        shown = ", ".join(result.unfinished[:5])
        print(f"grade: {len(result.unfinished)} submission(s) unfinished ({shown}); run the same command again", file=sys.stderr)
        return 1
    return 0


def add_status_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="a batch folder (grade --out)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _status_lines(status: api.Status) -> list[str]:
    """What `status` says below the table: interruptions, changed and new sources, time, Slurm."""
    lines = []
    if status.interrupted:
        lines.append(f"interrupted: {', '.join(status.interrupted)} (a stage marked running has no process left); "
                     "run the same command again to resume")  # fmt: skip
    if status.changed:
        lines.append(f"changed since taken in: {', '.join(status.changed)} (its snapshot is what is graded; "
                     "`grade ... --retake ID` takes it in again and regrades it)")  # fmt: skip
    if status.untaken:
        lines.append(f"not taken in yet: {', '.join(status.untaken)} (run the same `grade` command again)")
    if status.elapsed_seconds is not None:
        left = "nothing left" if not any(not s.final for s in status.states) else (
            f"about {duration(status.remaining_seconds)} left ({status.running} stage(s) running)"
            if status.remaining_seconds is not None else "time left unknown until each stage has finished once")
        lines.append(f"elapsed: {duration(status.elapsed_seconds)} since the first stage began; {left}")
    if status.queued:
        lines.append(f"Slurm: {len(status.queued)} task(s) queued or running")
    return lines


def run_status(args: argparse.Namespace) -> int:
    status = api.status(args.dir)
    rows = [{**grade_row(s), "queued": s.id in status.queued, "stage": s.shown_stage()} for s in status.states]
    extra = {
        "interrupted": status.interrupted, "changed": status.changed, "untaken": status.untaken,
        "running": status.running, "elapsed_seconds": status.elapsed_seconds, "remaining_seconds": status.remaining_seconds,
    }  # fmt: skip
    emit(_states_text(status.batch, status.states, args.json, rows, extra, _status_lines(status)))
    return 0


def add_grade_one_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR")
    p.add_argument("id", metavar="ID")


def run_grade_one(args: argparse.Namespace) -> int:
    outcome, state = api.grade_one(args.dir, args.id)
    print(f"{args.id}: {state.status}" + (f": {state.error}" if state.error else ""))
    return EXIT_BUSY if outcome == "busy" else 0


def add_stage_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR")
    p.add_argument("id", metavar="ID")
    p.add_argument("stage", choices=PROCESS_STAGES)
    p.add_argument("--devices", help="CUDA_VISIBLE_DEVICES this stage runs with (recorded)")
    p.add_argument("--port", type=int, help="rendezvous port for training")
    p.add_argument("--launched", type=float, help="when the scheduler started this process (recorded)")


def run_stage(args: argparse.Namespace) -> int:
    from grader.batch import stages

    code = stages.run_stage(Batch.load(args.dir), args.id, args.stage, args.devices, args.port, args.launched)
    # Everything is on disk (atomic writes, fsync'd): skip the interpreter's teardown of torch & co,
    # which is pure overhead here (about a second a stage).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
