"""What a submission's data looks like, and what in it will predictably cost a grade: facts and warnings.

``check`` looks at every example once, as it streams through the validation pipeline
(validate.py), with the fixed code only: never the student's. Warnings do not fail a check
(``check --strict`` makes them); they name the split, the count and the first example. Memory
stays bounded at 100,000 examples: counters, 8-byte hashes for the duplicates, at most
``MAX_SOURCES`` source names, the first example of each kind; never a list of texts.

Codes (stable; docs/check.md lists them):

- ``no_box``: training solutions without a complete ``\\boxed{...}`` (grading reads only the last box);
- ``answer_mismatch``: the solution's last box is not equivalent to the example's ``answer``;
- ``empty_solution``, ``empty_problem``: nothing but whitespace;
- ``duplicate``: an example (problem and solution) identical to an earlier one of the same split;
- ``val_in_train``: a validation problem that is also a training problem;
- ``special_token_text``: the text of a special token (``<|end_of_text|>``...) in a problem or solution,
  which the tokenizer turns into that token.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from grader.answers import extract_last_boxed, grade_fast
from grader.submission.config import MAX_TOKENS_PER_EXAMPLE
from grader.submission.limits import where

BIN_TOKENS = 32  # histogram bins of 32 tokens: 64 bins up to the course limit of 2048
MAX_SOURCES = 40  # distinct `source` values counted; the rest are counted as OTHER
MAX_SOURCE_CHARS = 60
OTHER = "(other)"
SHOWN_CHARS = 40  # of a box, an answer or a token quoted in a message
MAX_COMPARED_CHARS = 1000  # a box or an answer longer than this is not compared (real answers are far shorter)


@dataclass(frozen=True)
class LengthHistogram:
    """A split's token lengths (prompt + solution + EOS) in bins of ``bin_tokens``, up to the course limit."""

    bin_tokens: int
    counts: list[int]  # examples per bin: [0, bin_tokens), [bin_tokens, 2 bin_tokens), ... up to 2048
    over: int  # examples counted exactly and longer than 2048 tokens
    unmeasured: int  # examples proven too long without counting all their tokens (docs/check.md)


@dataclass(frozen=True)
class SplitSurvey:
    """What check saw in one split: the facts behind the warnings and the data page."""

    examples: int  # examples looked at (read, up to the split's limit)
    boxed: int  # solutions whose last \boxed{...} is complete and not empty
    with_answer: int  # examples that carry an `answer`
    answer_mismatch: int  # ... whose solution's last box is not equivalent to it
    empty_problems: int
    empty_solutions: int
    duplicates: int  # examples identical to an earlier one of the same split
    in_train: int  # val: problems that are also training problems
    special_tokens: int  # examples holding the text of a special token
    sources: dict[str, int] = field(default_factory=dict)  # examples per `source`, when examples carry one
    lengths: LengthHistogram | None = None  # once tokenized


@dataclass(frozen=True)
class DataWarning:
    """Something that does not break a rule but predictably costs a grade (``check --json``'s ``warnings``)."""

    OMIT_NONE: ClassVar[bool] = True
    code: str
    message: str
    split: str | None = None
    index: int | None = None  # the first example concerned
    count: int | None = None  # the examples concerned
    total: int | None = None  # of the examples looked at


def length_histogram(lengths: np.ndarray) -> LengthHistogram:
    """Bins of BIN_TOKENS up to the course limit; -1 marks an example proven too long without counting."""
    edges = MAX_TOKENS_PER_EXAMPLE // BIN_TOKENS
    measured = lengths[lengths >= 0]
    inside = measured[measured <= MAX_TOKENS_PER_EXAMPLE]
    counts = np.bincount(np.minimum(inside // BIN_TOKENS, edges - 1), minlength=edges)
    return LengthHistogram(BIN_TOKENS, [int(c) for c in counts], int((measured > MAX_TOKENS_PER_EXAMPLE).sum()),
                           int((lengths < 0).sum()))  # fmt: skip




def special_token_pattern(tokenizer) -> re.Pattern | None:
    """The special tokens' texts that the tokenizer turns into the tokens themselves when they appear in text."""
    if tokenizer is None:
        return None
    texts = {t for t in getattr(tokenizer, "added_tokens_encoder", {}) if t and t.strip()}
    if not texts or bool(getattr(tokenizer, "split_special_tokens", False)):
        return None
    return re.compile("|".join(map(re.escape, sorted(texts, key=len, reverse=True))))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


@dataclass
class Surveyor:
    """One split's survey, fed example by example; ``train_problems`` (hashes) is shared with the val split."""

    split: str
    file: str
    specials: re.Pattern | None = None
    train_problems: dict[int, int] = field(default_factory=dict)
    examples: int = 0
    counts: Counter = field(default_factory=Counter)
    first: dict[str, tuple[int, str]] = field(default_factory=dict)  # code -> (example, what to quote)
    seen: dict[int, int] = field(default_factory=dict)  # example hash -> first index
    sources: Counter = field(default_factory=Counter)

    def _hit(self, code: str, index: int, detail: str = "") -> None:
        self.counts[code] += 1
        self.first.setdefault(code, (index, detail))

    def add(self, index: int, problem: str, solution: str, answer: str | None, source: str | None) -> None:
        self.examples += 1
        box = extract_last_boxed(solution)
        if box is None:
            self._hit("no_box", index)
        if answer is not None:
            self.counts["with_answer"] += 1
            if box is not None and box.strip() != answer.strip() and max(len(box), len(answer)) <= MAX_COMPARED_CHARS:
                verdict = grade_fast(solution, answer)  # None: only sympy could tell; not warned about
                if verdict is not None and not verdict.correct:
                    self._hit("answer_mismatch", index, f"box {_short(box)!r}, answer {_short(answer)!r}")
        if not problem.strip():
            self._hit("empty_problem", index)
        if not solution.strip():
            self._hit("empty_solution", index)
        # Python's 64-bit string hash, salted per process (PYTHONHASHSEED): two different examples
        # share one with a chance of about 1 in 10^9 at 10^5 examples, and a student cannot aim at it.
        problem_key = hash(problem)
        earlier = self.seen.setdefault(hash((problem_key, solution)), index)
        if earlier != index:
            self._hit("duplicate", index, str(earlier))
        if self.split == "train":
            self.train_problems.setdefault(problem_key, index)
        elif problem_key in self.train_problems:
            self._hit("val_in_train", index, str(self.train_problems[problem_key]))
        if self.specials is not None:
            for what, text in (("problem", problem), ("solution", solution)):
                found = self.specials.search(text)
                if found:
                    self._hit("special_token_text", index, f"{found.group()!r} in its {what}")
                    break
        if source is not None:
            name = source[:MAX_SOURCE_CHARS]
            if name in self.sources or len(self.sources) < MAX_SOURCES:
                self.sources[name] += 1
            else:
                self.sources[OTHER] += 1

    def survey(self, lengths: np.ndarray | None) -> SplitSurvey:
        c = self.counts
        return SplitSurvey(
            examples=self.examples, boxed=self.examples - c["no_box"], with_answer=c["with_answer"],
            answer_mismatch=c["answer_mismatch"], empty_problems=c["empty_problem"], empty_solutions=c["empty_solution"],
            duplicates=c["duplicate"], in_train=c["val_in_train"], special_tokens=c["special_token_text"],
            sources=dict(self.sources.most_common()),
            lengths=length_histogram(lengths) if lengths is not None and lengths.size else None,
        )  # fmt: skip

    def warnings(self) -> list[DataWarning]:
        """One warning per kind found, in a fixed order, each naming the count and the first example."""
        out = []
        for code in ("no_box", "answer_mismatch", "empty_solution", "empty_problem", "duplicate", "val_in_train",
                     "special_token_text"):  # fmt: skip
            if code not in self.first or (code == "no_box" and self.split != "train"):
                continue
            index, detail = self.first[code]
            count = self.counts[code]
            total = self.counts["with_answer"] if code == "answer_mismatch" else self.examples
            text = _MESSAGES[code].format(n=f"{count:,}", total=f"{total:,}", share=f"{count / max(total, 1):.1%}",
                                          i=index, detail=detail)  # fmt: skip
            out.append(DataWarning(code, f"{where(self.split, self.file)}: {text}", self.split, index, count, total))
        return out


_MESSAGES = {
    "no_box": "{n} of {total} solutions ({share}) have no complete \\boxed{{...}} (first: example {i}); grading reads "
              "only the last \\boxed{{}} of the model's output, so teach it to end with one: add the box, or drop "
              "these examples in load_split (docs/grading.md)",
    "answer_mismatch": "{n} of the {total} examples with an 'answer' end their solution with another \\boxed{{}} "
                       "(first: example {i}, {detail}); the model learns the solution, not the answer field",
    "empty_solution": "{n} of {total} examples have an empty solution (first: example {i}); the model learns to stop "
                      "at once: drop them in load_split",
    "empty_problem": "{n} of {total} examples have an empty problem (first: example {i}): drop them in load_split",
    "duplicate": "{n} of {total} examples are exact copies of an earlier one (first: example {i}, a copy of example "
                 "{detail}); each copy is trained again, which weights it: drop copies in load_split",
    "val_in_train": "{n} of {total} validation problems are also training problems (first: example {i}, training "
                    "example {detail}); the validation loss then measures memory, not skill",
    "special_token_text": "{n} of {total} examples hold the text of a special token (first: example {i}, {detail}); "
                          "the tokenizer turns that text into the token itself (an end-of-text token mid-solution "
                          "teaches the model to stop there): remove it in load_split",
}
