"""Decontamination: training or validation problems that are, or overlap, a test problem.

Two rules, as common decontamination practice has them:
- the same problem after normalization: Unicode NFKC, case folded, LaTeX spacing commands
  (``\\,`` ``\\quad`` ``~`` ...) and the sizing ``\\left`` / ``\\right`` dropped, and all
  whitespace removed (math mode ignores it, so ``x+1`` and ``x + 1`` are one problem);
- a shared run of 13 consecutive words (runs of letters and digits of the normalized text).

The test side is indexed once. The training side is scanned once per problem: any shared
13-word run contains a 7-word run starting at a multiple of 7, so only every 7th 7-gram of a
training problem is looked up (a seventh of the work) and only the problems with a hit get
the full 13-gram comparison. 100,000 problems against 5,000 take a few seconds.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from grader.jsonl import DataError, iter_jsonl
from grader.submission.limits import Violation
from grader.submission.sandbox import Deadline

NGRAM = 13
_CHECK_EVERY = 4096  # problems between deadline checks
_LATEX_SPACING = re.compile(
    r"\\(?:[,:;!> ]|(?:q?quad|enspace|thinspace|medspace|thickspace|neg(?:thin|med|thick)space"
    r"|left|right|displaystyle|textstyle)(?![a-z]))|~"
)
_WORD = re.compile(r"\w+")


def _folded(text: str) -> str:
    return _LATEX_SPACING.sub(" ", unicodedata.normalize("NFKC", text).casefold())


def normalize(text: str) -> str:
    """The comparable form of a whole problem: what differs only in case or spacing is equal."""
    return "".join(_folded(text).split())


def words(text: str) -> list[str]:
    """The words whose 13-grams are compared."""
    return _WORD.findall(_folded(text))


def _ngrams(items: list[str], n: int):
    return zip(*(items[i:] for i in range(n)))


@dataclass(frozen=True)
class Contamination(Violation):
    """A contamination violation; ``test_id`` names the test problem it matches."""

    test_id: str | None = None


class TestSet:
    """Test problems indexed by normalized text, by word 13-gram and by word 7-gram."""

    __test__ = False  # not a pytest test class

    def __init__(self, ids: Sequence[str], problems: Sequence[str], n: int = NGRAM):
        self.ids, self.n, self.probe = list(ids), n, (n + 1) // 2
        self.exact: dict[str, int] = {}
        self.grams: dict[tuple[str, ...], int] = {}
        self.probes: set[tuple[str, ...]] = set()
        for index, problem in enumerate(problems):
            self.exact.setdefault(normalize(problem), index)
            found = words(problem)
            if len(found) >= n:
                for gram in _ngrams(found, n):
                    self.grams.setdefault(gram, index)
                self.probes.update(_ngrams(found, self.probe))

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> TestSet:
        """A JSON Lines test set with ``problem`` (and ``id``; the line number stands in without one)."""
        ids: list[str] = []
        problems: list[str] = []
        for number, row in iter_jsonl(path, required=("problem",)):
            key = row.get("id")
            ids.append(str(key) if isinstance(key, (str, int)) and not isinstance(key, bool) else f"line {number}")
            problems.append(row["problem"])
        if not problems:
            raise DataError(f"{path}: no test problems (the file is empty)")
        return cls(ids, problems)

    def match(self, problem: str) -> tuple[int, str | None] | None:
        """(test index, shared words or None for an exact match), or None when clean."""
        folded = _folded(problem)
        index = self.exact.get("".join(folded.split()))
        if index is not None:
            return index, None
        found = _WORD.findall(folded)
        k = self.probe
        if len(found) < self.n or all(tuple(found[p : p + k]) not in self.probes for p in range(0, len(found) - k + 1, k)):
            return None
        gram = next((g for g in _ngrams(found, self.n) if g in self.grams), None)
        return None if gram is None else (self.grams[gram], " ".join(gram))


def find_contamination(
    tests: TestSet,
    split: str,
    file: str,
    problems: Sequence[str],
    deadline: Deadline = Deadline(),
    indices: Sequence[int] | None = None,
) -> list[Contamination]:
    """One violation per contaminated example, naming the test problem it matches.

    ``indices``: the examples' indices in their split (a streamed chunk), default 0, 1, ...
    """
    where = f"{split} data ({file} via sft_utils.load_split)"
    found: list[Contamination] = []
    for position, problem in enumerate(problems):
        index = position if indices is None else indices[position]
        if position % _CHECK_EVERY == 0:
            deadline.check(f"decontaminating the '{split}' examples")
        hit = tests.match(problem)
        if hit is None:
            continue
        test_index, shared = hit
        test_id = tests.ids[test_index]
        how = (
            "the same problem after normalizing case and spacing"
            if shared is None
            else f"shares {tests.n} consecutive words with it: {_clip(shared)!r}"
        )
        found.append(
            Contamination(
                "contamination", f"{where} example {index}: matches test problem {test_id!r} ({how})",
                split, index, test_id=test_id,
            )  # fmt: skip
        )
    return found


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
