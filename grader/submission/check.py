"""Checking one submission (`python -m grader check [DIR]`): every violation at once, as data and as text.

It runs ``validate_submission``, the very pipeline ``sft.py`` runs before training (schema,
sandboxed materialization, exact-token limits, and decontamination with ``--test``), so what
passes here trains there. Output is a short report, or with ``--json`` one object on stdout.
Exit codes: 0 valid, 1 a rule is broken, 2 the command was used wrongly. Student-controlled
text (exception messages, problem snippets) is escaped so it cannot forge lines or drive the
terminal.
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from grader.errors import UserError
from grader.submission.budget import EVAL_TOKEN_COST, Cost, cost
from grader.submission.sandbox import Deadline, SandboxLimits
from grader.submission.validate import SplitStats, Validation, validate_submission

DEFAULT_TIMEOUT = SandboxLimits.wall_seconds
SPLITS = ("train", "val")
# Line breaks, other control characters, zero-width and bidirectional-override characters.
_UNPRINTABLE = re.compile(r"[^\S ]|[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """One line of text safe for a terminal: control and bidi characters escaped."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def estimate(validation: Validation, world_size: int = 1) -> Cost | None:
    """What the config makes the trainer run (see grader.submission.budget), once the training data is known."""
    stats = validation.stats()
    train, val = stats.get("train"), stats.get("val")
    if train is None or train.total_tokens is None:
        return None
    return cost(validation.config, train.total_tokens, train.examples, val.total_tokens if val else None, world_size)


@dataclass(frozen=True)
class ViolationEntry:
    """One violation as check.json and ``--json`` carry it (grader.submission.limits.Violation and its kinds)."""

    OMIT_NONE: ClassVar[bool] = True
    code: str
    message: str
    split: str | None = None
    index: int | None = None
    value: int | None = None
    limit: int | None = None
    field: str | None = None  # contamination: problem, solution or template
    test_id: str | None = None


@dataclass(frozen=True)
class Budget:
    """The batch's compute budget against ``compute_tokens`` (check.json in a batch only)."""

    max_trained_tokens: int
    over: bool


@dataclass(frozen=True)
class CheckReport:
    """check's result: ``check --json`` prints it, a batch saves it as check.json (docs/check.md)."""

    OMIT_NONE: ClassVar[bool] = True
    ok: bool
    submission: str
    base_model: str
    sandbox: str | None
    seconds: float
    train: SplitStats
    val: SplitStats
    trained_tokens: int | None  # the config's estimate, once the training data is known
    world_size: int
    violations: list[ViolationEntry]
    notes: list[str]
    budget: Budget | None = None
    eval_passes: int | None = None  # validation-loss passes during training (grader.submission.budget)
    eval_tokens: int | None = None  # tokens those passes run forward
    compute_tokens: int | None = None  # trained + evaluated / 3: what the compute budget counts

    def split(self, name: str) -> SplitStats:
        return {"train": self.train, "val": self.val}[name]


def report(validation: Validation, submission: Path, seconds: float, notes: list[str], world_size: int = 1) -> CheckReport:
    """The machine-readable result (the --json schema, documented in docs/check.md)."""
    stats = validation.stats()
    work = estimate(validation, world_size)
    trained, passes, evaluated, compute = (
        (None,) * 4 if work is None else (work.trained_tokens, work.eval_passes, work.eval_tokens, work.compute_tokens))
    return CheckReport(
        ok=validation.ok,
        submission=str(submission),
        base_model=validation.base_model,
        sandbox=validation.confinement,
        seconds=round(seconds, 3),
        train=stats.get("train", SplitStats(None)),
        val=stats.get("val", SplitStats(None)),
        trained_tokens=trained,
        world_size=world_size,
        violations=[ViolationEntry(**v.as_dict()) for v in validation.violations],
        notes=notes,
        eval_passes=passes,
        eval_tokens=evaluated,
        compute_tokens=compute,
    )


def _split_line(name: str, entry: SplitStats) -> str:
    if entry.examples is None:
        return f"{name}: not read"
    count = entry.examples
    line = f"{name}: {count:,} example{'s' if count != 1 else ''}"
    if entry.max_tokens is not None:
        line += f"; tokens max {entry.max_tokens:,}, p50 {entry.p50_tokens:,}, p99 {entry.p99_tokens:,}"
    return line


def compute_line(result: CheckReport) -> str:
    """What the compute budget counts: trained tokens, plus the validation passes' tokens at a third each."""
    passes = result.eval_passes or 0
    return (f"compute: {result.compute_tokens:,} = {result.trained_tokens:,} trained + {result.eval_tokens:,} evaluated "
            f"/ {EVAL_TOKEN_COST} ({passes:,} validation pass{'es' if passes != 1 else ''} during training; "
            "the compute budget counts this)")  # fmt: skip


def human(result: CheckReport) -> str:
    """The report: a header with counts and token percentiles, then one line per violation."""
    lines = [f"check {result.submission} (sandbox: {result.sandbox or 'not run'}, {result.seconds:.1f} s)"]
    lines += [_split_line(name, result.split(name)) for name in SPLITS]
    if result.trained_tokens is not None:
        lines.append(f"training: {result.trained_tokens:,} tokens with this config (prompt + solution, all epochs)")
    if result.compute_tokens is not None:
        lines.append(compute_line(result))
    lines += [f"note: {printable(note)}" for note in result.notes]
    violations = result.violations
    if not violations:
        return "\n".join([*lines, "OK: the submission is valid"])
    lines.append(f"FAILED: {len(violations)} violation{'s' if len(violations) != 1 else ''}")
    lines += [f"{v.code}: {printable(v.message)}" for v in violations]
    return "\n".join(lines)


def check(
    submission: str | Path = ".",
    *,
    base_model: str | None = None,
    test: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    save: str | Path | None = None,
    world_size: int = 1,
    confined: bool = False,
) -> CheckReport:
    """Validate one submission folder; the report (``--json``'s schema: ``ok``, splits, violations, ...).

    A mistake of the caller (no such folder, a base model that does not load) raises UserError;
    the submission's own problems are violations in the report. ``confined``, and always with
    ``save`` (grading): sft_utils.py runs under bubblewrap or as a separate uid, else UserError.
    """
    start = time.monotonic()
    deadline = Deadline.after(timeout)
    folder = Path(submission).resolve()
    if not folder.is_dir():
        raise UserError(f"{submission}: not a folder (DIR is the submission folder)", exit_code=2)
    with warnings.catch_warnings(record=True) as caught:  # e.g. "bubblewrap is not available"
        warnings.simplefilter("always")
        validation = validate_submission(folder, base_model=base_model, test_file=test, deadline=deadline, data_dir=save,
                                         confined=confined or save is not None)  # fmt: skip
    if base_model:  # a tokenizer that does not load from --base-model is the caller's mistake
        for v in validation.violations:
            if v.code == "base_model":
                raise UserError(f"--base-model: {v.message}", exit_code=2)
    notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)))
    return report(validation, folder, time.monotonic() - start, notes, world_size)
