"""Tokenize materialized examples once, exactly as the trainer consumes them, in bounded memory.

An example is ``prompt ids + solution ids + [EOS]``: the prompt from the one prompt function,
the solution encoded without special tokens, EOS appended so the model learns to stop. The limit
check and the trainer read these same ids: they are written, chunk by chunk, to an Arrow file
(``input_ids`` int32 lists and ``completion_mask`` int8 lists) that ``sft.py`` trains on, and
only the per-example lengths stay in memory (numpy arrays, 8 bytes an example).

A text too long to fit is not tokenized whole. Its length in characters bounds its token
count from below (no token is longer than the tokenizer's longest), and a text much longer than
the limit is tokenized only up to where its count provably passes it, cut at a pre-token
boundary so the count is exact for that part. So an oversize submission costs at most about
twice the tokenizing of a maximal valid one, whatever it holds.
(Named ``encode`` rather than ``tokenize`` so it can never shadow the standard library module.)
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from grader.submission.prompts import PromptFormat, encode_prompts, token_counts, token_ids

# Text per batched tokenizer call: short enough for the deadline to be checked often and for a
# chunk's Python lists to stay small (tens of MB), long enough to keep every core busy.
CHUNK_CHARS = 2 << 20
# A text longer than this many characters per allowed token is first tokenized only in part.
PARTIAL_FROM = 1


@dataclass
class EncodedSplit:
    """One split's token lengths (in memory) and, when it was written, its Arrow file of ids."""

    name: str
    file: str
    count: int  # examples load_split produced; more than were read when it overflowed
    count_capped: bool = False  # load_split never ended: ``count`` is where counting stopped
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: not tokenized (too long)
    prompt_lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    path: Path | None = None  # the Arrow file of input_ids + completion_mask, when kept

    def input_ids(self) -> list[list[int]]:
        """The stored ids as Python lists (tests and small inspections; the trainer memory-maps the file)."""
        if self.path is None:
            raise ValueError(f"the '{self.name}' split's ids were not kept")
        return read_ids(self.path)

    @property
    def tokenized(self) -> np.ndarray:
        return self.lengths[self.lengths >= 0]


@dataclass(frozen=True)
class Encoded:
    """A chunk's sequences: lengths, prompt lengths and (when asked for) ids, index-aligned with the examples."""

    input_ids: list[list[int]] | None  # None: only counted (a check that writes nothing needs the lengths only)
    prompt_lengths: list[int]
    lengths: list[int]

    def completion_masks(self) -> list[list[int]]:
        """1 on solution + EOS tokens (trained), 0 on the prompt (not trained)."""
        return [[0] * p + [1] * (len(ids) - p) for ids, p in zip(self.input_ids, self.prompt_lengths)]


def encode_examples(tokenizer, fmt: PromptFormat, problems: Sequence[str], solutions: Sequence[str],
                    ids: bool = True) -> Encoded:  # fmt: skip
    """Prompt ids + solution ids + EOS for each example (batched tokenizer calls).

    ``ids=False`` counts the same tokens without building 400 Python ints per example, in one
    call for problems and solutions together: what a check that saves nothing needs (a third of
    its time at course scale; docs/benchmarks.md).
    """
    if not ids:
        frame = len(fmt.prefix_ids) + len(fmt.suffix_ids)
        counts = token_counts(tokenizer, [*problems, *solutions])  # one call: the tokenizer's threads split it once
        prompt_lengths = [frame + n for n in counts[: len(problems)]]
        return Encoded(None, prompt_lengths, [p + n + 1 for p, n in zip(prompt_lengths, counts[len(problems) :])])
    prompts = encode_prompts(tokenizer, fmt, problems)
    eos = [fmt.eos_id]
    answers = token_ids(tokenizer, solutions)
    sequences = [p + s + eos for p, s in zip(prompts, answers)]
    return Encoded(sequences, [len(p) for p in prompts], [len(s) for s in sequences])


@functools.lru_cache(maxsize=8)
def longest_token_chars(tokenizer) -> int:
    """Characters in the longest token (byte-level vocabularies: bytes, an upper bound on characters)."""
    vocab = tokenizer.get_vocab()
    return max(max(map(len, vocab)), *(len(t) for t in tokenizer.all_special_tokens), 1)


def token_floor(tokenizer, chars: int) -> int:
    """Fewest tokens a text of ``chars`` characters can be."""
    return math.ceil(chars / longest_token_chars(tokenizer))


def _pretokens(tokenizer, text: str) -> list[tuple[int, int]] | None:
    backend = getattr(tokenizer, "_tokenizer", None)
    pre = getattr(backend, "pre_tokenizer", None)
    if pre is None or getattr(backend, "normalizer", None) is not None:
        return None
    return [span for _, span in pre.pre_tokenize_str(text)]


def tokens_at_least(tokenizer, text: str, limit: int) -> int | None:
    """A proven lower bound on ``len(token_ids(text))`` above ``limit``, or None when it may fit.

    Byte-level BPE tokenizes each pre-token on its own, so the ids of the text's leading
    pre-tokens are exactly the first ids of the whole text. The part is grown geometrically and
    cut two pre-tokens before its end (the last ones may continue past the cut), and before any
    special-token string, which the tokenizer splits off first. The next part is sized from the
    characters per token seen so far, so a text is cut about twice whatever its density.
    """
    width = PARTIAL_FROM * limit
    while width < len(text):
        part = text[:width]
        special = [part.find(t) for t in getattr(tokenizer, "added_tokens_encoder", {}) if t and t in part]
        if special:
            part = part[: min(special)]
        spans = _pretokens(tokenizer, part)
        if spans is None:
            return None
        cut = spans[-2][0] if len(spans) >= 2 else 0
        count = len(token_ids(tokenizer, [part[:cut]])[0]) if cut else 0
        if count > limit:
            return count
        width = int(width * max(1.5, 1.2 * (limit + 1) / max(count, 1)))
    return None


class ArrowSink:
    """Appends chunks of sequences to an Arrow stream file; visible under its name only once committed."""

    def __init__(self, path: Path):
        import pyarrow as pa

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.schema = pa.schema([("input_ids", pa.list_(pa.int32())), ("completion_mask", pa.list_(pa.int8()))])
        self._file = pa.OSFile(str(self.tmp), "wb")
        self._writer = pa.ipc.new_stream(self._file, self.schema)

    def write(self, encoded: Encoded) -> None:
        import pyarrow as pa

        ids = pa.array(encoded.input_ids, type=pa.list_(pa.int32()))  # converted in C++, no Python loop per token
        offsets = ids.offsets.to_numpy()
        mask = np.ones(int(offsets[-1] - offsets[0]), np.int8)
        for start, prompt in zip(offsets[:-1] - offsets[0], encoded.prompt_lengths):
            mask[start : start + prompt] = 0
        masks = pa.ListArray.from_arrays(pa.array(offsets - offsets[0], pa.int32()), pa.array(mask))
        self._writer.write_batch(pa.record_batch([ids, masks], schema=self.schema))

    def commit(self) -> Path:
        self._close()
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self) -> None:
        self._close()
        self.tmp.unlink(missing_ok=True)

    def _close(self) -> None:
        if not self._file.closed:
            self._writer.close()
            self._file.close()


def read_ids(path: Path) -> list[list[int]]:
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_stream(source).read_all().column("input_ids").to_pylist()
