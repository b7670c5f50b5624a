"""A graded batch folder made of real runs, for the report tests (until `python -m grader grade` writes one).

Everything inside comes from the real code paths: ``check.json`` is check's ``report()`` of a real
validation (one valid submission, one that breaks rules), the checkpoint is trained by the
trainer ``sft.py`` runs (so ``training_record.json`` holds the trainer's real log history), and
every ``predictions.jsonl`` / ``summary.json`` is an ``evaluate`` run of the tiny model on the
batch's ``test.jsonl``. Students differ by their generation budget: a short budget cuts the
answer off, which gives outputs that never stop and outputs without a box. ``state.json`` goes
through ``SubmissionPaths.write_state`` and ``grades.csv`` follows ``GRADE_COLUMNS``.

The only parts written by hand are what the batch grader itself decides (which status a failed
submission gets and its one-line error); when ``grade`` exists, a real run replaces
``make_batch_dir``.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from grader import records
from grader.atomic import write_text_atomic
from grader.batch.gradebook import write_grades
from grader.batch.layout import BatchPaths, Figures, StageState, SubmissionState
from grader.batch.policy import DEFAULT_POLICY
from grader.batch.stages import BatchRecord
from grader.evaluation.evaluate import Summary
from grader.submission.check import CheckReport
from grader.training.train import TrainingRecord
from tests.conftest import ROOT

TRAIN_CONFIG = """\
learning_rate: 3.0e-3
num_train_epochs: 2
per_device_train_batch_size: 16
gradient_accumulation_steps: 1
gradient_checkpointing: false
logging_steps: 5
eval_strategy: steps
eval_steps: 15
"""
TRAIN_ROWS = 600


@dataclass(frozen=True)
class Student:
    id: str
    status: str = "graded"
    max_new_tokens: int = 48  # graded ones: the generation budget of their evaluation
    error: str | None = None  # failed ones: the batch grader's one-line error
    invalid: bool = False  # check.json is the report of the submission that breaks rules


CLASS = (
    Student("ada", max_new_tokens=48),
    Student("bo", max_new_tokens=22),
    Student("cy", max_new_tokens=20),
    Student("dee", max_new_tokens=17),
    Student("eve", "invalid", error="2 violations: unknown key 'foo' in sft_config.yaml; train example 1 is 3,004 tokens", invalid=True),
    Student("fay", "over_budget", error="would train 9,812,340 tokens; the policy's budget is 5,000,000"),
    Student("gus", "train_failed", error="RuntimeError: <script>alert('x')</script> & the loss became NaN at step 12"),
)


@dataclass
class Runs:
    """The slow parts, made once per test session and shared by every batch folder."""

    base_model: Path  # the untrained tiny model with the kit's chat template: the baseline
    checkpoint: Path  # trained by grader.training.train (training_record.json inside)
    check: CheckReport  # check's report of the valid submission
    invalid_check: CheckReport  # check's report of one that breaks rules
    train_seconds: float
    check_seconds: float


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _quiet(fn, *args, **kwargs):
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        return fn(*args, **kwargs)


def _submission(folder: Path, train_rows: list[dict], val_rows: list[dict], config: str) -> Path:
    (folder / "data").mkdir(parents=True)
    shutil.copy(ROOT / "sft_utils.py", folder / "sft_utils.py")
    (folder / "sft_config.yaml").write_text(config)
    for name, rows in (("train", train_rows), ("val", val_rows)):
        (folder / "data" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def _check(folder: Path, base_model: Path) -> tuple[CheckReport, float]:
    from grader.submission.check import report
    from grader.submission.validate import validate_submission

    start = time.monotonic()
    validation = validate_submission(folder, base_model=str(base_model))
    seconds = time.monotonic() - start
    return report(validation, folder, seconds, []), seconds


def build_runs(work: Path, tiny: dict) -> Runs:
    """Check two submissions, train one (about 10 s on CPU) and save the baseline model."""
    from grader.training.train import train

    train_rows, val_rows = _rows(tiny["train"])[:TRAIN_ROWS], _rows(tiny["val"])[:20]
    valid = _submission(work / "valid", train_rows, val_rows, TRAIN_CONFIG)
    check, check_seconds = _check(valid, tiny["base_model"])
    assert check.ok, check.violations
    bad_rows = [train_rows[0], {"problem": "p", "solution": "word " * 3000}]
    invalid, _ = _check(_submission(work / "invalid", bad_rows, val_rows[:2], TRAIN_CONFIG + "foo: 1\n"), tiny["base_model"])
    assert not invalid.ok

    start = time.monotonic()
    checkpoint = _quiet(train, valid, base_model=str(tiny["base_model"]), output_dir=work / "checkpoints")
    train_seconds = time.monotonic() - start

    # The baseline: the untrained base model, prompted with the same template (as the demo does).
    from transformers import AutoTokenizer

    base = work / "base-with-template"
    shutil.copytree(tiny["base_model"], base)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    tokenizer.save_pretrained(base)
    shutil.copy(checkpoint / "prompt_format.json", base)  # the validated format, as the batch's baseline has
    return Runs(base, checkpoint, check, invalid, train_seconds, check_seconds)


# A problem whose text, reference answer and markup appear nowhere else: the leak and escaping canary.
CANARY = {
    "id": "canary",
    "problem": "Quentin has 3 zebras and gets 4 more. <b>How many</b> zebras <script>window.pwned=1</script> now?",
    "answer": "\\frac{14}{2}",
}


def hidden_rows(tiny: dict, n: int = 15, groups: bool = True) -> list[dict]:
    """The hidden set: n held-out problems and the canary; subject and level unless ``groups`` is off."""
    rows = [*_rows(tiny["test"])[:n], dict(CANARY, source="synthetic")]
    for i, row in enumerate(rows):
        row.pop("solution", None)
        if groups:
            row["subject"] = "counting" if i % 3 else "arithmetic"
            row["level"] = 1 + i % 3
        else:
            row.pop("source", None)
    return rows


def _evaluate(model: Path, test: Path, out: Path, max_new_tokens: int) -> tuple[Summary, float]:
    from grader.evaluation.evaluate import evaluate

    start = time.monotonic()
    summary = _quiet(evaluate, model, test, out, max_new_tokens=max_new_tokens)
    return summary, time.monotonic() - start


def make_batch_dir(
    root: Path, runs: Runs, rows: Sequence[dict], students: Sequence[Student] = CLASS, baseline: bool = True
) -> BatchPaths:
    """A finished batch: batch.json, test.jsonl, baseline/, grades.csv and one folder per student."""
    batch = BatchPaths(root)
    root.mkdir(parents=True)
    write_text_atomic(batch.test, "".join(json.dumps(r) + "\n" for r in rows))
    digest = hashlib.sha256(batch.test.read_bytes()).hexdigest()
    records.save(batch.batch, BatchRecord(digest, str(runs.base_model), replace(DEFAULT_POLICY, max_new_tokens=48), 0,
                                          str(batch.test), "2026-12-01T00:00:00+0000"))  # fmt: skip
    if baseline:
        _evaluate(runs.base_model, batch.test, batch.baseline, 48)
    record = records.load(runs.checkpoint / "training_record.json", TrainingRecord)
    trained_tokens = int(record.stats["train"].total_tokens * record.config["num_train_epochs"])
    for student in students:
        paths = batch.submission(student.id)
        paths.root.mkdir(parents=True)
        state = SubmissionState(student.id)
        state.stages["snapshot"] = StageState("done", 1, time.time(), 0.01)
        records.save(paths.check, replace(runs.invalid_check if student.invalid else runs.check, trained_tokens=trained_tokens))
        state.stages["check"] = StageState("done", 1, time.time(), round(runs.check_seconds, 3))
        if student.status == "graded":
            shutil.copy(runs.checkpoint / "training_record.json", paths.training_record)
            state.stages["train"] = StageState("done", 1, time.time(), round(runs.train_seconds, 3))
            summary, seconds = _evaluate(runs.checkpoint, batch.test, paths.root, student.max_new_tokens)
            generate = summary.generate_seconds
            state.stages["evaluate"] = StageState("done", 1, time.time(), generate)
            state.stages["score"] = StageState("done", 1, time.time(), round(max(seconds - generate, 0.001), 3))
            state.values = Figures(accuracy=summary.accuracy, correct=summary.correct, total=summary.n,
                                   trained_tokens=trained_tokens, final_train_loss=record.final_train_loss)  # fmt: skip
        elif student.status == "train_failed":
            state.stages["train"] = StageState("failed", 1, time.time(), 3.5, student.error)
        state.status, state.error = student.status, student.error
        paths.write_state(state)
    write_grades(batch)
    return batch
