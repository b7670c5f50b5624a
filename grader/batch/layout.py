"""Where a graded batch keeps everything: one folder ``DIR``, readable by ``status`` and ``report``.

```
DIR/
  batch.json                      the batch's inputs: test set digest, base model, policy, kit versions
  ids.json                        every source in SUBMISSIONS -> its submission id (given once) and digests
  test.jsonl                      a frozen copy of the hidden test set (every stage reads this one)
  baseline/                       the untrained base model on the test set (the report's reference line)
    predictions.jsonl summary.json
  grades.csv                      one row per submission (rewritten atomically after every change)
  submissions/<id>/
    state.json                    SubmissionState: status, error, per-stage times and attempts
    snapshot/                     read-only copy of the submission; every later stage reads it
    snapshot.json                 {relative path: sha256} of the snapshot
    check.json                    check's report (the `check --json` schema) + trained-token estimate
    dataset/                      the validated token ids (Arrow) + meta.json: what is trained
    checkpoint/                   sft.py's output dir; the model is checkpoint/final
    training_record.json          copied from the checkpoint: config, stats, digest, loss history
    generations.jsonl generation.json   raw outputs on the hidden set and the run's settings (evaluate stage)
    predictions.jsonl summary.json   graded outputs and scores (score stage; `evaluate`'s schema)
    results.json                  Gradescope results
    record.json                   reproducibility record (hashes, seed, versions, hardware, times)
    logs/<stage>.log              each stage's full output
```

Every file is written atomically (``grader.atomic``); a stage's outputs are complete before
``state.json`` says the stage is done, so whatever ``state.json`` says is there, is whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from grader import records


@dataclass(frozen=True)
class Stage:
    """One row of the stage table: all that stage-aware code (runner, scheduler, Slurm, policy,
    gradebook, retries) knows about a stage. Adding a stage is a row here and its function in
    ``grader.batch.stages``."""

    name: str
    gpu: bool  # takes a GPU slot (with its devices and port); the others run beside them on CPU
    limit: str | None  # the grading.yaml key of its wall-time limit; None: done by `grade` itself (intake)
    outputs: tuple[str, ...]  # SubmissionPaths properties it writes: cleared before a new attempt
    failed: str  # the submission's final status when the stage fails
    baseline: bool = False  # the untrained base model runs it too
    port: bool = False  # gets a free rendezvous port (accelerate's main_process_port)
    python: str | None = None  # the grading.yaml key of the interpreter its process runs with; None: the grader's own


STAGE_TABLE = (
    Stage("snapshot", gpu=False, limit=None, outputs=(), failed="intake_failed"),
    Stage("check", gpu=False, limit="check_seconds", outputs=("check", "dataset"), failed="check_failed"),
    Stage("train", gpu=True, limit="train_seconds", outputs=("checkpoint", "training_record"), failed="train_failed",
          port=True),
    Stage("evaluate", gpu=True, limit="evaluate_seconds", outputs=("generations", "generation"), failed="eval_failed",
          baseline=True, python="eval_python"),
    Stage("score", gpu=False, limit="score_seconds", outputs=("predictions", "summary", "results", "record"),
          failed="eval_failed", baseline=True),
)  # fmt: skip
STAGE = {stage.name: stage for stage in STAGE_TABLE}
STAGES = tuple(STAGE)  # every stage's name, in order
PROCESS_STAGES = tuple(s.name for s in STAGE_TABLE if s.limit is not None)  # each runs as `python -m grader stage`
BASELINE_STAGES = tuple(s.name for s in STAGE_TABLE if s.baseline)
# Final statuses: each names what ended the submission's grading.
FINAL = {
    "graded": "trained, evaluated and scored",
    "invalid": "the submission breaks a rule (check's violations)",
    "over_budget": "the submission would train more tokens than the policy's compute budget",
    "intake_failed": "the submission could not be taken in (unsafe or oversized zip, unreadable folder)",
    "check_failed": "checking failed for a reason other than the submission's rules",
    "train_failed": "training crashed (the log has the traceback)",
    "eval_failed": "generation or scoring crashed",
    "timeout": "a stage ran past its wall-time limit",
}
PENDING, RUNNING = "pending", "running"
# How `status` shows a stage marked running that has no process left (never saved in state.json).
INTERRUPTED = "interrupted"
# grades.csv, in this order; ``<stage>_seconds`` for every stage.
GRADE_COLUMNS = (
    "id", "status", "accuracy", "correct", "total", "trained_tokens", "final_train_loss",
    *(f"{stage}_seconds" for stage in STAGES), "error",
)  # fmt: skip
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


@dataclass
class StageState:
    state: str = PENDING  # pending | running | done | failed
    attempts: int = 0
    started: float | None = None  # time.time()
    seconds: float | None = None
    error: str | None = None
    host: str | None = None
    pgid: int | None = None  # the stage process's group: every process the stage started
    devices: str | None = None  # CUDA_VISIBLE_DEVICES it ran with
    port: int | None = None  # its rendezvous port (accelerate's main_process_port)
    launched: float | None = None  # when the scheduler started its process (time.time())
    exited: float | None = None  # when the scheduler saw that process end: the rest of (exited - launched) is overhead


@dataclass
class Figures:
    """The numbers a submission's stages found: what grades.csv, ``status`` and the reports show."""

    OMIT_NONE: ClassVar[bool] = True
    files: int | None = None  # snapshot
    train_examples: int | None = None  # check
    val_examples: int | None = None
    trained_tokens: int | None = None  # check's estimate, then train's count
    final_train_loss: float | None = None  # train
    generate_seconds: float | None = None  # evaluate
    backend: str | None = None
    accuracy: float | None = None  # score
    correct: int | None = None
    total: int | None = None
    never_stopped: float | None = None
    no_box: float | None = None


@dataclass
class SubmissionState:
    """state.json: where one submission's grading stands (written only under the submission's lock)."""

    id: str
    status: str = PENDING  # pending | running | one of FINAL
    error: str | None = None  # one line, for failures
    stages: dict[str, StageState] = field(default_factory=lambda: {s: StageState() for s in STAGES})
    values: Figures = field(default_factory=Figures)

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def running_stage(self) -> str | None:
        return next((s for s in STAGES if self.stages[s].state == RUNNING), None)

    def shown_stage(self) -> str | None:
        """The stage `status` names: the running one, or the one shown as interrupted."""
        return next((s for s in STAGES if self.stages[s].state in (RUNNING, INTERRUPTED)), None)


@dataclass(frozen=True)
class SubmissionPaths:
    root: Path

    @property
    def id(self) -> str:
        return self.root.name

    state = property(lambda self: self.root / "state.json")
    snapshot = property(lambda self: self.root / "snapshot")
    manifest = property(lambda self: self.root / "snapshot.json")
    check = property(lambda self: self.root / "check.json")
    dataset = property(lambda self: self.root / "dataset")
    checkpoint = property(lambda self: self.root / "checkpoint")
    model = property(lambda self: self.root / "checkpoint" / "final")
    training_record = property(lambda self: self.root / "training_record.json")
    generations = property(lambda self: self.root / "generations.jsonl")
    generation = property(lambda self: self.root / "generation.json")
    predictions = property(lambda self: self.root / "predictions.jsonl")
    summary = property(lambda self: self.root / "summary.json")
    results = property(lambda self: self.root / "results.json")
    record = property(lambda self: self.root / "record.json")
    logs = property(lambda self: self.root / "logs")
    lock = property(lambda self: self.root / ".lock")

    def log(self, stage: str) -> Path:
        return self.logs / f"{stage}.log"

    def read_state(self) -> SubmissionState:
        """The saved state, or a fresh one before the submission's first stage."""
        state = records.load_optional(self.state, SubmissionState)
        if state is None:
            return SubmissionState(self.id)
        if set(state.stages) != set(STAGES):
            raise records.RecordError(f"{self.state}: stages {sorted(state.stages)}, expected {list(STAGES)}")
        return state

    def write_state(self, state: SubmissionState) -> None:
        records.save(self.state, state)


@dataclass(frozen=True)
class BatchPaths:
    root: Path

    batch = property(lambda self: self.root / "batch.json")
    ids = property(lambda self: self.root / "ids.json")
    test = property(lambda self: self.root / "test.jsonl")
    baseline = property(lambda self: self.root / "baseline")
    grades = property(lambda self: self.root / "grades.csv")
    lock = property(lambda self: self.root / ".grade.lock")
    slurm = property(lambda self: self.root / "slurm")
    submissions_dir = property(lambda self: self.root / "submissions")

    def submission(self, submission_id: str) -> SubmissionPaths:
        return SubmissionPaths(self.submissions_dir / submission_id)

    def submission_ids(self) -> list[str]:
        """Every submission taken in, sorted (the gradebook's order)."""
        if not self.submissions_dir.is_dir():
            return []
        return sorted(p.name for p in self.submissions_dir.iterdir() if p.is_dir() and ID_PATTERN.match(p.name))

    def states(self) -> list[SubmissionState]:
        return [self.submission(i).read_state() for i in self.submission_ids()]
