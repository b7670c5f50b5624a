"""The course's limits, checked on the exact token sequences the trainer consumes.

Every violation is collected (never the first only), each naming the split, the example, the
measured value and the limit. Nothing is truncated or dropped to make a submission fit. The
checks are per example, so the validation pipeline applies them chunk by chunk as it streams.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from grader.submission.config import MAX_TOKENS_PER_EXAMPLE, MAX_TRAIN_EXAMPLES, MAX_VAL_EXAMPLES

COUNT_LIMITS = {"train": MAX_TRAIN_EXAMPLES, "val": MAX_VAL_EXAMPLES}


@dataclass(frozen=True)
class Violation:
    code: str  # stable: too_many_examples, no_examples, example_too_long, config, data, template, contamination, ...
    message: str
    split: str | None = None
    index: int | None = None
    value: int | None = None
    limit: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def where(split: str, file: str) -> str:
    return f"{split} data ({file} via sft_utils.load_split)"


def _snippet(text: str, width: int = 50) -> str:
    flat = " ".join(text[: width * 4].split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def count_violation(split: str, file: str, count: int, capped: bool) -> Violation | None:
    """No examples, or more than the split's limit."""
    limit = COUNT_LIMITS[split]
    if count == 0:
        return Violation("no_examples", f"{where(split, file)}: no examples", split, value=0, limit=limit)
    if count <= limit:
        return None
    counted = f"at least {count:,} examples (counting stopped there)" if capped else f"{count:,} examples"
    return Violation("too_many_examples", f"{where(split, file)}: {counted}, limit {limit:,}", split, value=count, limit=limit)


def _source(max_length: int) -> str:
    return "" if max_length == MAX_TOKENS_PER_EXAMPLE else " (max_length in sft_config.yaml)"


def length_violation(split: str, file: str, index: int, length: int, prompt_length: int, max_length: int, problem: str) -> Violation | None:
    """An example whose exact token count is over ``max_length``."""
    if length <= max_length:
        return None
    return Violation(
        "example_too_long",
        f"{where(split, file)} example {index}: {length} tokens (prompt {prompt_length} + solution and EOS "
        f"{length - prompt_length}), limit {max_length}{_source(max_length)}; problem: {_snippet(problem)!r}",
        split, index, length, max_length,
    )  # fmt: skip


def lower_bound_violation(split: str, file: str, index: int, at_least: int, why: str, max_length: int, problem: str) -> Violation:
    """An example proven over ``max_length`` without tokenizing all of it; ``value`` is a lower bound."""
    return Violation(
        "example_too_long",
        f"{where(split, file)} example {index}: at least {at_least:,} tokens ({why}), limit {max_length}"
        f"{_source(max_length)}; problem: {_snippet(problem)!r}",
        split, index, at_least, max_length,
    )  # fmt: skip
