"""One stage of one submission, run in its own process: ``python -m grader stage DIR ID STAGE``.

The stage process is the only writer of its submission's state while it runs: it takes the
submission's lock, marks the stage running, clears whatever an interrupted earlier attempt left,
does the work, writes its outputs atomically and only then marks the stage done. A failure that
is the submission's (invalid, over budget, a crash in training) becomes the submission's final
status with a one-line error; the full output stays in ``logs/<stage>.log``.

check     the same ``validate_submission`` as ``python -m grader check``, on the snapshot, with the
          hidden set for decontamination; writes check.json and the validated dataset, and
          compares the trained-token estimate with the policy's budget
train     the fixed ``sft.py --validated`` on that dataset (no student code runs again), under
          ``accelerate launch`` with deepspeed_zero3.yaml on GPUs, plain python on CPU
evaluate  generation on the batch's frozen copy of the hidden set, prompts from the recorded format
score     last-\\boxed{} grading -> predictions.jsonl, summary.json, results.json, record.json
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from grader import records
from grader.batch.gradebook import read_check, write_final
from grader.batch.gradescope import write_results
from grader.batch.layout import BASELINE_STAGES, RUNNING, STAGE, STAGES, BatchPaths, SubmissionPaths, SubmissionState
from grader.batch.policy import Policy
from grader.batch.procs import die_with_parent, try_lock
from grader.batch.record import write_record
from grader.errors import UserError

KIT = Path(__file__).resolve().parent.parent.parent  # sft.py, deepspeed_zero3.yaml
BASELINE = "baseline"
EXIT_BUSY = 75  # another process holds the submission (a stage of it is running)


@dataclass(frozen=True)
class BatchRecord:
    """batch.json: the batch's fixed inputs; a later `grade` on the folder must give the same ones."""

    test_sha256: str
    base_model: str
    policy: Policy
    gpus_per_job: int
    test_file: str  # where the frozen test.jsonl was copied from
    created: str


@dataclass(frozen=True)
class Batch:
    """A batch folder and its fixed inputs (batch.json)."""

    paths: BatchPaths
    record: BatchRecord

    base_model = property(lambda self: self.record.base_model)
    policy = property(lambda self: self.record.policy)
    gpus_per_job = property(lambda self: self.record.gpus_per_job)
    test_sha256 = property(lambda self: self.record.test_sha256)

    @classmethod
    def load(cls, root: str | Path) -> Batch:
        paths = BatchPaths(Path(root).resolve())
        if not paths.batch.is_file():
            raise UserError(f"{paths.root}: not a batch folder (no batch.json; `python -m grader grade` makes one)", exit_code=2)
        return cls(paths, records.load(paths.batch, BatchRecord))

    def submission(self, submission_id: str) -> SubmissionPaths:
        if submission_id == BASELINE:
            return SubmissionPaths(self.paths.baseline)
        return self.paths.submission(submission_id)


def kit_env() -> dict[str, str]:
    """This environment, with the kit first on PYTHONPATH: what every process the batch starts runs with."""
    return {**os.environ, "PYTHONPATH": str(KIT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


class StageFailure(Exception):
    """Ends the submission with ``status`` and a one-line message."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def one_line(text: str, width: int = 400) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def stages_of(submission_id: str) -> tuple[str, ...]:
    return BASELINE_STAGES if submission_id == BASELINE else STAGES


def next_stage(state: SubmissionState) -> str | None:
    """The first stage not done, or None when the submission is finished."""
    if state.final:
        return None
    return next((s for s in stages_of(state.id) if state.stages[s].state != "done"), None)


# --- the stages -------------------------------------------------------------------------------


@dataclass
class StageRun:
    """What a stage function works with; it records its figures in ``state.values``."""

    batch: Batch
    paths: SubmissionPaths
    state: SubmissionState
    port: int | None = None  # the rendezvous port of a GPU stage


WORK: dict[str, Callable[[StageRun], None]] = {}


def does(name: str):
    """Registers the function that does stage ``name`` (a row of ``grader.batch.layout.STAGE_TABLE``)."""

    def register(fn: Callable[[StageRun], None]) -> Callable[[StageRun], None]:
        assert STAGE[name].limit is not None and name not in WORK, name
        WORK[name] = fn
        return fn

    return register


@does("check")
def _check(run: StageRun) -> None:
    from grader.submission.budget import EVAL_TOKEN_COST
    from grader.submission.check import Budget, report
    from grader.submission.sandbox import Deadline
    from grader.submission.validate import validate_submission

    batch, paths, state = run.batch, run.paths, run.state
    start = time.monotonic()
    validation = validate_submission(
        paths.snapshot,
        base_model=batch.base_model,
        test_file=batch.paths.test,
        deadline=Deadline.after(max(1.0, batch.policy.check_seconds - 30)),
        data_dir=paths.dataset,
        confined=True,  # grading: bubblewrap or a separate uid, never a plain subprocess unless allowed
    )
    result = report(validation, paths.snapshot, time.monotonic() - start, [], batch.gpus_per_job)
    compute, limit = result.compute_tokens, batch.policy.max_trained_tokens
    result = replace(result, budget=Budget(limit, bool(compute and compute > limit)))
    records.save(paths.check, result)
    figures = state.values
    figures.trained_tokens, figures.train_examples, figures.val_examples = (
        result.trained_tokens, result.train.examples, result.val.examples)
    if not validation.ok:
        first = validation.violations[0]
        more = len(validation.violations) - 1
        raise StageFailure("invalid", f"{first.code}: {first.message}" + (f" (+{more} more in check.json)" if more else ""))
    if result.budget.over:
        evaluated = (f" + {result.eval_tokens:,} evaluated in {result.eval_passes:,} validation passes / {EVAL_TOKEN_COST}"
                     if result.eval_tokens else "")
        raise StageFailure(
            "over_budget",
            f"the config would cost {compute:,} tokens of compute ({result.trained_tokens:,} trained{evaluated}); "
            f"the compute budget is {limit:,} (fewer epochs, max_steps or examples; fewer evaluations: eval_strategy, "
            "eval_steps)",
        )


def train_command(batch: Batch, paths: SubmissionPaths, port: int | None, cuda: bool) -> list[str]:
    """The fixed sft.py on the validated dataset: accelerate + ZeRO-3 on GPUs, one plain process on CPU.

    The launch is the students' (deepspeed_zero3.yaml as shipped); precision is sft.py's to decide
    from the validated config's bf16, so no --mixed_precision here.
    """
    args = [str(KIT / "sft.py"), "--validated", str(paths.dataset), "--base-model", batch.base_model,
            "--output-dir", str(paths.checkpoint)]  # fmt: skip
    if not cuda:
        return [sys.executable, *args]
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(KIT / "deepspeed_zero3.yaml"),
              "--num_processes", str(batch.gpus_per_job)]  # fmt: skip
    if port is not None:
        launch += ["--main_process_port", str(port)]
    return [*launch, *args]


def _train_error(log: Path) -> str:
    """The one line that says why training failed, from the end of its log."""
    try:
        with open(log, "rb") as handle:
            handle.seek(max(0, handle.seek(0, 2) - 200_000))
            lines = handle.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return "training failed (no log)"
    text = "\n".join(lines)
    if "CUDA out of memory" in text or "OutOfMemoryError" in text:
        return "training ran out of GPU memory (a smaller per_device_train_batch_size, or gradient_checkpointing)"
    for line in reversed(lines):
        if line.startswith("error: ") or "Error" in line or "error" in line.split(":")[0]:
            return one_line(line.removeprefix("error: "))
    return one_line(lines[-1]) if lines else "training failed"


def train_checkpoint(batch: Batch, paths: SubmissionPaths, port: int | None, cuda: bool):
    """Run ``train_command`` (its output goes to this process's, the stage log); the checkpoint's TrainingRecord."""
    from grader.training.train import read_record

    command = train_command(batch, paths, port, cuda)
    print("$ " + " ".join(command), flush=True)
    env = {**kit_env(), "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(command, cwd=paths.root, env=env, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
    if proc.returncode != 0:
        raise StageFailure("train_failed", _train_error(paths.log("train")))
    record = read_record(paths.model)
    if record is None:
        raise StageFailure("train_failed", "training ended without a checkpoint")
    return record


@does("train")
def _train(run: StageRun) -> None:
    import torch

    batch, paths, state = run.batch, run.paths, run.state
    record = train_checkpoint(batch, paths, run.port, torch.cuda.is_available())
    records.save(paths.training_record, record)
    state.values.final_train_loss, state.values.trained_tokens = record.final_train_loss, record.trained_tokens


def _items(batch: Batch):
    from grader.evaluation.evaluate import read_items

    return read_items(batch.paths.test)


def _baseline_format(batch: Batch, paths: SubmissionPaths) -> Path:
    """The untrained model is prompted with the kit's own default template (fixed code, not a student's)."""
    from grader.submission.prompts import DEFAULT_CHAT_TEMPLATE, prompt_format, write_format
    from grader.submission.tokenizer import load_tokenizer

    write_format(paths.root, prompt_format(load_tokenizer(batch.base_model), DEFAULT_CHAT_TEMPLATE))
    return paths.root


@does("evaluate")
def _evaluate(run: StageRun) -> None:
    from grader.evaluation.evaluate import generate_answers

    batch, paths, state = run.batch, run.paths, run.state
    baseline = paths.root == batch.paths.baseline
    model = Path(batch.base_model) if baseline else paths.model
    format_dir = _baseline_format(batch, paths) if baseline else None
    meta = generate_answers(model, _items(batch), paths.root, batch.policy.max_new_tokens, format_dir=format_dir)
    state.values.generate_seconds, state.values.backend = meta.generate_seconds, meta.backend


@does("score")
def _score(run: StageRun) -> None:
    from grader.evaluation.evaluate import score_answers

    batch, paths, state = run.batch, run.paths, run.state
    summary = score_answers(_items(batch), batch.paths.test, paths.root)
    state.values = replace(state.values, accuracy=summary.accuracy, correct=summary.correct, total=summary.n,
                           never_stopped=summary.never_stopped, no_box=summary.no_box)  # fmt: skip
    state.status = "graded"  # the last stage: what results.json and record.json describe
    if paths.root != batch.paths.baseline:
        write_results(paths, state, summary, read_check(paths), max_score=batch.policy.max_score)
        write_record(batch, paths, state)


# --- running one stage --------------------------------------------------------------------------


def clear_outputs(paths: SubmissionPaths, stage: str) -> None:
    """What an interrupted attempt of ``stage`` may have left; nothing of it is ever read."""
    for path in (getattr(paths, name) for name in STAGE[stage].outputs):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def hold_lock(paths: SubmissionPaths):
    """The submission's exclusive lock, or None when another process holds it."""
    paths.root.mkdir(parents=True, exist_ok=True)
    return try_lock(paths.lock)


def run_stage(
    batch: Batch, submission_id: str, stage: str, devices: str | None = None, port: int | None = None,
    launched: float | None = None,
) -> int:  # fmt: skip
    """Run one stage now; the exit code says what happened (0 done or already done, 1 failed, 75 busy)."""
    paths = batch.submission(submission_id)
    lock = hold_lock(paths)
    if lock is None:
        print(f"{submission_id}: busy (another process holds {paths.lock})", file=sys.stderr)
        return EXIT_BUSY
    with lock:
        state = paths.read_state()
        if state.final or state.stages[stage].state == "done":
            return 0
        entry = state.stages[stage]
        entry.state, entry.attempts, entry.started, entry.error = RUNNING, entry.attempts + 1, time.time(), None
        entry.host, entry.pgid, entry.devices, entry.port = socket.gethostname(), os.getpgrp(), devices, port
        entry.launched, entry.exited = launched, None
        state.status = RUNNING
        paths.write_state(state)
        print(f"=== {submission_id}: {stage}, attempt {entry.attempts}, {time.strftime('%Y-%m-%d %H:%M:%S')} on {entry.host}"
              + (f", devices {devices}" if devices else "") + (f", port {port}" if port else ""), flush=True)  # fmt: skip
        clear_outputs(paths, stage)
        start = time.monotonic()
        code = 0
        try:
            WORK[stage](StageRun(batch, paths, state, port))
            entry.state = "done"
        except StageFailure as exc:
            entry.state, entry.error = "failed", str(exc)
            state.status, state.error = exc.status, str(exc)
            code = 1
        except UserError as exc:
            entry.state, entry.error = "failed", one_line(str(exc))
            state.status, state.error = STAGE[stage].failed, one_line(str(exc))
            code = 1
        except Exception as exc:  # a crash of the fixed code on this submission: recorded, the batch goes on
            traceback.print_exc()
            message = one_line(f"{type(exc).__name__}: {exc}")
            entry.state, entry.error = "failed", message
            state.status, state.error = STAGE[stage].failed, message
            code = 1
        entry.seconds = round(time.monotonic() - start, 3)
        if code == 0:
            state.status = "graded" if next_stage(state) is None else "pending"
        paths.write_state(state)
        if code != 0:
            write_final(batch, paths, state)
        print(f"=== {submission_id}: {stage} {entry.state} in {entry.seconds:.1f} s"
              + (f": {entry.error}" if entry.error else ""), flush=True)  # fmt: skip
        return code
