"""Tokenize materialized examples once, exactly as the trainer consumes them.

An example is ``prompt ids + solution ids + [EOS]``: the prompt from the one prompt function,
the solution encoded without special tokens, EOS appended so the model learns to stop. The limit
check and the trainer read these same lists; nothing tokenizes a second time.
(Named ``encode`` rather than ``tokenize`` so it can never shadow the standard library module.)
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.materialize import Split
from grader.prompts import PromptFormat, encode_prompts


@dataclass(frozen=True)
class EncodedSplit:
    name: str
    file: str
    problems: list[str]
    input_ids: list[list[int]]
    prompt_lengths: list[int]
    count: int  # examples load_split produced; more than len(input_ids) when it overflowed

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]

    def completion_masks(self) -> list[list[int]]:
        """1 on solution + EOS tokens (trained), 0 on the prompt (not trained)."""
        return [[0] * p + [1] * (len(ids) - p) for ids, p in zip(self.input_ids, self.prompt_lengths)]


def encode_split(tokenizer, fmt: PromptFormat, split: Split) -> EncodedSplit:
    prompts = encode_prompts(tokenizer, fmt, split.problems)
    solutions = tokenizer(split.solutions, add_special_tokens=False, return_attention_mask=False)["input_ids"]
    eos = [fmt.eos_id]
    input_ids = [p + s + eos for p, s in zip(prompts, solutions)]
    return EncodedSplit(
        name=split.name,
        file=split.file,
        problems=split.problems,
        input_ids=input_ids,
        prompt_lengths=[len(p) for p in prompts],
        count=split.count,
    )
