"""Checking one submission (`python -m grader check [DIR]`): every violation at once, as data and as text.

It runs ``validate_submission``, the very pipeline ``sft.py`` runs before training (schema,
sandboxed materialization, exact-token limits, and decontamination with ``--test``), so what
passes here trains there. Output is a short report (with the prompt the model gets, and the
warnings: what breaks no rule but will cost a grade), or with ``--json`` one object on stdout.
Exit codes: 0 valid, 1 a rule is broken (or, with ``strict``, a warning), 2 the command was used
wrongly. Student-controlled text (exception messages, problem snippets, what sft_utils.py
printed, the template's text) is escaped so it cannot forge lines or drive the terminal.
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from grader.errors import UserError
from grader.submission.budget import EVAL_TOKEN_COST, Cost, cost
from grader.submission.materialize import Progress, StudentOutput
from grader.submission.sandbox import Deadline, SandboxLimits
from grader.submission.survey import DataWarning, SplitSurvey
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
class PromptShown:
    """The prompt the model gets, as token ids and decoded (special tokens as their text): prefix, the problem, suffix."""

    prefix: str
    suffix: str
    prefix_ids: list[int]
    suffix_ids: list[int]
    eos: str  # the token trained after every solution
    checked_problems: int  # the submission's problems the template was rendered on: each gave prefix + problem + suffix

    def lines(self) -> list[str]:
        """The whole prompt with ``{problem}`` in place of the problem, line by line (for people)."""
        return (self.prefix + "{problem}" + self.suffix).split("\n")


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
    warnings: list[DataWarning] = field(default_factory=list)  # break no rule; fail the check only with strict
    strict: bool = False  # warnings counted as failures (``ok`` is then false when there is one)
    prompt: PromptShown | None = None  # once the template gave a prompt format
    survey: dict[str, SplitSurvey] = field(default_factory=dict)  # per split read: boxes, duplicates, sources, lengths
    output: StudentOutput | None = None  # what sft_utils.py printed
    max_length: int | None = None  # the config's token limit per example (at most 2048)

    def split(self, name: str) -> SplitStats:
        return {"train": self.train, "val": self.val}[name]


def _prompt(validation: Validation) -> PromptShown | None:
    fmt, tokenizer = validation.fmt, validation.tokenizer
    if fmt is None or tokenizer is None:
        return None

    def decode(ids: tuple[int, ...]) -> str:
        return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)

    return PromptShown(decode(fmt.prefix_ids), decode(fmt.suffix_ids), list(fmt.prefix_ids), list(fmt.suffix_ids),
                       decode((fmt.eos_id,)), validation.rendered)  # fmt: skip


def report(validation: Validation, submission: Path, seconds: float, notes: list[str], world_size: int = 1,
           strict: bool = False) -> CheckReport:  # fmt: skip
    """The machine-readable result (the --json schema, documented in docs/check.md)."""
    stats = validation.stats()
    work = estimate(validation, world_size)
    trained, passes, evaluated, compute = (
        (None,) * 4 if work is None else (work.trained_tokens, work.eval_passes, work.eval_tokens, work.compute_tokens))
    return CheckReport(
        ok=validation.ok and not (strict and validation.warnings),
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
        warnings=list(validation.warnings),
        strict=strict,
        prompt=_prompt(validation),
        survey=dict(validation.surveys),
        output=validation.output,
        max_length=validation.config.max_length,
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _split_line(name: str, entry: SplitStats, failed: bool) -> str:
    if entry.examples is None:
        return f"{name}: not read" + (" (load_split failed: see below)" if failed else "")
    line = f"{name}: {_plural(entry.examples, 'example')}"
    if entry.max_tokens is not None:
        line += f"; tokens max {entry.max_tokens:,}, p50 {entry.p50_tokens:,}, p99 {entry.p99_tokens:,}"
    return line


def compute_line(result: CheckReport) -> str:
    """What the compute budget counts: trained tokens, plus the validation passes' tokens at a third each."""
    passes = result.eval_passes or 0
    return (f"compute: {result.compute_tokens:,} = {result.trained_tokens:,} trained + {result.eval_tokens:,} evaluated "
            f"/ {EVAL_TOKEN_COST} ({passes:,} validation pass{'es' if passes != 1 else ''} during training; "
            "the compute budget counts this)")  # fmt: skip


def _output_lines(output: StudentOutput | None) -> list[str]:
    if output is None or not output.lines:
        return []
    shown = len(output.head)
    head = f"sft_utils.py printed {_plural(output.lines, 'line')}" + (f" (the first {shown}):" if shown < output.lines else ":")
    return [head, *(f"  sft_utils.py| {printable(line)}" for line in output.head)]


def _prompt_lines(prompt: PromptShown | None) -> list[str]:
    if prompt is None:
        return []
    head = (f"prompt format ({len(prompt.prefix_ids)} + {len(prompt.suffix_ids)} tokens around your problem; the model "
            f"then learns your solution and {printable(prompt.eos)}):")  # fmt: skip
    return [head, *(f"  | {printable(line)}" for line in prompt.lines())]


def human(result: CheckReport) -> str:
    """The report: a header, what sft_utils.py printed, counts and token percentiles, the prompt, warnings, violations."""
    lines = [f"check {result.submission} (sandbox: {result.sandbox or 'not run'}, {result.seconds:.1f} s)"]
    lines += _output_lines(result.output)
    failed = {v.split for v in result.violations if v.code != "template"}
    lines += [_split_line(name, result.split(name), name in failed) for name in SPLITS]
    if result.trained_tokens is not None:
        lines.append(f"training: {result.trained_tokens:,} tokens with this config (prompt + solution, all epochs)")
    if result.compute_tokens is not None:
        lines.append(compute_line(result))
    lines += _prompt_lines(result.prompt)
    lines += [f"note: {printable(note)}" for note in result.notes]
    lines += [f"warning: {w.code}: {printable(w.message)}" for w in result.warnings]
    violations, warned = result.violations, len(result.warnings)
    if not violations and result.strict and warned:
        return "\n".join([*lines, f"FAILED (--strict): {_plural(warned, 'warning')}"])
    if warned:
        lines.append(f"{_plural(warned, 'warning')}: {'they do' if warned > 1 else 'it does'} not fail the check "
                     "(--strict makes warnings fail it)")  # fmt: skip
    if not violations:
        return "\n".join([*lines, "OK: the submission is valid"])
    lines.append(f"FAILED: {_plural(len(violations), 'violation')}")
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
    strict: bool = False,
    progress: Progress | None = None,
) -> CheckReport:
    """Validate one submission folder; the report (``--json``'s schema: ``ok``, splits, violations, ...).

    A mistake of the caller (no such folder, a base model that does not load) raises UserError;
    the submission's own problems are violations in the report. ``confined``, and always with
    ``save`` (grading): sft_utils.py runs under bubblewrap or as a separate uid, else UserError.
    ``strict``: warnings fail it too (``ok`` false; ``save`` still follows the violations only).
    ``progress(stage, rows, seconds)`` hears from the sandbox about twice a second while it runs.
    """
    start = time.monotonic()
    deadline = Deadline.after(timeout)
    folder = Path(submission).resolve()
    if not folder.is_dir():
        raise UserError(f"{submission}: not a folder (DIR is the submission folder)", exit_code=2)
    with warnings.catch_warnings(record=True) as caught:  # e.g. "bubblewrap is not available"
        warnings.simplefilter("always")
        validation = validate_submission(folder, base_model=base_model, test_file=test, deadline=deadline, data_dir=save,
                                         confined=confined or save is not None, progress=progress)  # fmt: skip
    if base_model:  # a tokenizer that does not load from --base-model is the caller's mistake
        for v in validation.violations:
            if v.code == "base_model":
                raise UserError(f"--base-model: {v.message}", exit_code=2)
    notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)))
    return report(validation, folder, time.monotonic() - start, notes, world_size, strict)
