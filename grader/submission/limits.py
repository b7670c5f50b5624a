"""The course's limits, checked on the exact token sequences the trainer consumes.

Every violation is collected (never the first only), each naming the split, the example, the
measured value and the limit. Nothing is truncated or dropped to make a submission fit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from grader.submission.config import MAX_TOKENS_PER_EXAMPLE, MAX_TRAIN_EXAMPLES, MAX_VAL_EXAMPLES
from grader.submission.encode import EncodedSplit

COUNT_LIMITS = {"train": MAX_TRAIN_EXAMPLES, "val": MAX_VAL_EXAMPLES}


@dataclass(frozen=True)
class Violation:
    code: str  # stable: too_many_examples, no_examples, example_too_long, config, data, template, contamination
    message: str
    split: str | None = None
    index: int | None = None
    value: int | None = None
    limit: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _snippet(text: str, width: int = 50) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def check_split(split: EncodedSplit, max_length: int) -> list[Violation]:
    """Count and per-example length violations of one split."""
    where = f"{split.name} data ({split.file} via sft_utils.load_split)"
    found: list[Violation] = []
    limit = COUNT_LIMITS[split.name]
    if split.count == 0:
        found.append(Violation("no_examples", f"{where}: no examples", split.name, value=0, limit=limit))
    elif split.count > limit:
        counted = (
            f"at least {split.count:,} examples (counting stopped there)"
            if split.count_capped
            else f"{split.count:,} examples"
        )
        found.append(
            Violation(
                "too_many_examples",
                f"{where}: {counted}, limit {limit:,}",
                split.name,
                value=split.count,
                limit=limit,
            )
        )
    source = "" if max_length == MAX_TOKENS_PER_EXAMPLE else " (max_length in sft_config.yaml)"
    for index, (ids, prompt_len) in enumerate(zip(split.input_ids[:limit], split.prompt_lengths)):
        if len(ids) > max_length:
            found.append(
                Violation(
                    "example_too_long",
                    f"{where} example {index}: {len(ids)} tokens (prompt {prompt_len} + solution and EOS "
                    f"{len(ids) - prompt_len}), limit {max_length}{source}; problem: {_snippet(split.problems[index])!r}",
                    split.name,
                    index=index,
                    value=len(ids),
                    limit=max_length,
                )
            )
    return found
