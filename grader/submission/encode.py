"""Tokenize materialized examples once, exactly as the trainer consumes them.

An example is ``prompt ids + solution ids + [EOS]``: the prompt from the one prompt function,
the solution encoded without special tokens, EOS appended so the model learns to stop. The limit
check and the trainer read these same lists; nothing tokenizes a second time.
(Named ``encode`` rather than ``tokenize`` so it can never shadow the standard library module.)
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from grader.submission.materialize import Split
from grader.submission.prompts import PromptFormat, encode_prompts, token_ids
from grader.submission.sandbox import Deadline

# Text per batched tokenizer call. Chunks keep each call short enough for the deadline to be
# checked often (a hostile split can hold gigabytes) and cost nothing measurable: every call
# still spreads its few thousand texts over all cores. Chunking cannot change any ids: each
# text is tokenized on its own, whichever batch it is in.
CHUNK_CHARS = 4 << 20


@dataclass(frozen=True)
class EncodedSplit:
    name: str
    file: str
    problems: list[str]
    input_ids: list[list[int]]
    prompt_lengths: list[int]
    count: int  # examples load_split produced; more than len(input_ids) when it overflowed
    count_capped: bool = False  # load_split never ended: ``count`` is where counting stopped

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]

    def completion_masks(self) -> list[list[int]]:
        """1 on solution + EOS tokens (trained), 0 on the prompt (not trained)."""
        return [[0] * p + [1] * (len(ids) - p) for ids, p in zip(self.input_ids, self.prompt_lengths)]


def _chunks(split: Split, chunk_chars: int) -> list[tuple[int, int]]:
    """[start, end) ranges of examples holding about ``chunk_chars`` characters each."""
    sizes = accumulate(len(p) + len(s) for p, s in zip(split.problems, split.solutions))
    bounds, next_cut = [0], chunk_chars
    for index, total in enumerate(sizes, start=1):
        if total >= next_cut:
            bounds.append(index)
            next_cut = total + chunk_chars
    if bounds[-1] != len(split.problems):
        bounds.append(len(split.problems))
    return list(zip(bounds, bounds[1:]))


def encode_split(
    tokenizer, fmt: PromptFormat, split: Split, deadline: Deadline = Deadline(), chunk_chars: int = CHUNK_CHARS
) -> EncodedSplit:
    """Prompt ids + solution ids + EOS for every example; DeadlineExceeded past ``deadline``."""
    prompts: list[list[int]] = []
    solutions: list[list[int]] = []
    for start, end in _chunks(split, chunk_chars):
        deadline.check(f"tokenizing the '{split.name}' examples")
        prompts += encode_prompts(tokenizer, fmt, split.problems[start:end])
        solutions += token_ids(tokenizer, split.solutions[start:end])
    eos = [fmt.eos_id]
    input_ids = [p + s + eos for p, s in zip(prompts, solutions)]
    return EncodedSplit(
        name=split.name,
        file=split.file,
        problems=split.problems,
        input_ids=input_ids,
        prompt_lengths=[len(p) for p in prompts],
        count=split.count,
        count_capped=split.count_capped,
    )
