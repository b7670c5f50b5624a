"""Decontamination: trained text that is, or overlaps, a hidden test problem.

Every trained text is checked: each example's problem and solution, and the chat template's
constant text (the prompt before and after every problem). Both sides go through one
normalization, ``fold``, which undoes what changes the characters but not what is read:
compatibility forms (NFKD: full-width, math alphanumerics, ligatures), invisible characters
(marks, controls, format characters such as zero-width spaces and soft hyphens, variation
selectors, blank fillers), homoglyphs of any script (Unicode's confusables data, UTS #39),
decimal digits of any script, case, and LaTeX that only spaces, sizes or styles. Then two rules:
the same text as a whole (ignoring whitespace, backslashes, ``$`` and braces), or a shared run
of 13 consecutive words. docs/check.md ("Decontamination") states the rules exactly.

Speed: the test side is indexed once. Any shared 13-word run contains a 7-word run starting at
a multiple of 7, so only those 7-grams of a trained text are looked up (in C, through ``zip``),
and only around a hit are 13-grams compared. ``fold`` is a ``str.translate`` through a
per-character table (ASCII text stays on CPython's fast path; other characters are folded once,
on first sight) and one regular expression.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from grader.errors import UserError
from grader.jsonl import DataError, iter_jsonl
from grader.submission.limits import Violation
from grader.submission.sandbox import Deadline

NGRAM = 13
FIELDS = ("problem", "solution")
_CHECK_EVERY = 4096  # texts between deadline checks
# Default_Ignorable_Code_Point letters (Lo): the Hangul fillers render as nothing. Every other
# default-ignorable code point is a mark or a format/unassigned character, deleted by category.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
_BLANK_SPACES = frozenset("\u2800")  # BRAILLE PATTERN BLANK: renders as a space
_LATEX = re.compile(
    r"\\(?:"
    r"[,:;!> /()\[\]\n\t]"  # thin/medium/thick/negative spaces, control space, math delimiters
    r"|(?:q?quad|enspace|enskip|thinspace|medspace|thickspace|neg(?:thin|med|thick)space|space|nobreakspace"
    r"|allowbreak|nobreak|relax|strut|displaystyle|textstyle|scriptstyle|scriptscriptstyle|limits|nolimits"
    r"|middle|bigg?[lrm]?"
    r"|text|textrm|textit|textbf|textsf|texttt|textup|textnormal|mathrm|mathit|mathbf|mathsf|mathtt"
    r"|mathnormal|mathbb|mathcal|mathfrak|mathscr|boldsymbol|bm|pmb|mbox|hbox|operatorname|emph"
    r"|rm|bf|it|sf|tt|cal)(?![a-z])\*?"
    r"|(?:left|right)(?![a-z])\.?"  # \left. and \right. are invisible delimiters
    r"|[dt](?=(?:frac|binom)(?![a-z]))"  # \dfrac -> frac (the key drops backslashes anyway)
    r"|[hv]space\*?\{[^{}]*\}|[hv]?phantom\{[^{}]*\}|(?:kern|mkern|hskip|mskip)\s*-?[\d.]+\s*[a-z]{2}"
    r")"
)
_WORD = re.compile(r"[^\W_]+")
_KEY_DROP = str.maketrans("", "", " \\${}")
_NOT_WORD = {code: chr(code) if chr(code).isalnum() else " " for code in range(128)}


@functools.cache
def _confusables() -> dict[str, str]:
    """Each non-ASCII character Unicode lists as confusable -> its class's representative.

    ``confusables.json`` holds every (source, prototype) pair of UTS #39 in both directions;
    the classes are its connected components. The representative is the class's single ASCII
    character when it has one (a lower-case letter first: ``l`` for l/1/I/|), otherwise its
    shortest ASCII string (``rn``), otherwise its prototype (the member listing the most
    look-alikes).
    """
    try:
        source = importlib.resources.files("confusable_homoglyphs") / "confusables.json"
    except ModuleNotFoundError:  # a declared dependency; say which, rather than a traceback
        raise UserError("--test needs the 'confusable-homoglyphs' package (pip install -e .)", exit_code=2) from None
    pairs = json.loads(source.read_text(encoding="utf-8"))
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent.setdefault(item, item) != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    listed: dict[str, int] = {}
    for key, alikes in pairs.items():
        key = key.replace("\u200e", "")  # the file wraps right-to-left characters in LRM marks
        listed[key] = len(alikes)
        for alike in alikes:
            parent[root(alike["c"].replace("\u200e", ""))] = root(key)
    classes: dict[str, list[str]] = {}
    for item in list(parent):
        classes.setdefault(root(item), []).append(item)

    def rank(item: str) -> tuple:
        ascii_single = len(item) == 1 and item.isascii()
        return (
            not ascii_single, not (ascii_single and item.islower()), not (ascii_single and item.isalpha()),
            not item.isascii(), len(item), -listed.get(item, 0), item,
        )  # fmt: skip

    mapping: dict[str, str] = {}
    for members in classes.values():
        best = min(members, key=rank)
        mapping.update((m, best) for m in members if len(m) == 1 and not m.isascii() and m != best)
    return mapping


def _fold_char(char: str) -> str:
    """What one character folds to; applied until nothing changes (the result is stable)."""
    text = char
    for _ in range(8):
        out = []
        for x in unicodedata.normalize("NFKD", text):
            if x.isascii():
                out.append(" " if x.isspace() else "" if not x.isprintable() else x.lower())
            elif x.isspace() or x in _BLANK_SPACES:
                out.append(" ")
            elif unicodedata.category(x) == "Nd":
                out.append(str(unicodedata.digit(x)))
            elif x in _confusables():
                alike = _confusables()[x]
                out.append("i" if alike == "l" and x.casefold() != x else alike.casefold())
            elif unicodedata.category(x)[0] in "MC" or x in _BLANK_LETTERS:
                out.append("")
            else:
                out.append(x.casefold())
        folded = "".join(out)
        if folded == text:
            break
        text = folded
    return text


class _FoldTable(dict):
    """``str.translate`` table of ``_fold_char``, filled in on first sight of each character."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = _fold_char(chr(code))
        return folded


@functools.cache
def _tables() -> tuple[_FoldTable, dict[int, str | None], bytes, bytes]:
    """The fold table, and its ASCII part as a ``str`` table (1:1, so ASCII text stays on
    CPython's fast path) and as a ``bytes`` table plus deleted bytes (for mixed text)."""
    table = _FoldTable()
    ascii_str = {code: table[code] or None for code in range(128)}
    ascii_str[ord("~")] = " "  # LaTeX's unbreakable space
    as_bytes = bytes((ord(v) if v else code) for code, v in ascii_str.items()) + bytes(range(128, 256))
    deleted = bytes(code for code, v in ascii_str.items() if v is None)
    return table, ascii_str, as_bytes, deleted


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def fold(text: str) -> str:
    """The normalization both sides go through: what differs only invisibly, in look-alike
    characters, digits' script, case, or LaTeX spacing and styling, folds to the same text.

    Per character (``_fold_char``): NFKD; ASCII is lower-cased (controls deleted, whitespace a
    space); other whitespace is a space; a decimal digit becomes its ASCII digit; a confusable
    becomes its class's representative, case-folded; marks, controls, format, private-use and
    unassigned characters and blank fillers are deleted; the rest is case-folded. Then ``~``
    is a space, the LaTeX of ``_LATEX`` is a space, and empty groups ``{}`` are deleted.
    """
    table, ascii_str, as_bytes, deleted = _tables()
    if not text.isascii():
        text = _NON_ASCII.sub(lambda run: run.group().translate(table), text)
    if text.isascii():
        text = text.translate(ascii_str)
    else:  # what is left non-ASCII is folded already: fold the ASCII bytes around it
        text = text.encode("utf-8", "surrogatepass").translate(as_bytes, deleted).decode("utf-8", "surrogatepass")
    return _LATEX.sub(" ", text).replace("{}", "")  # an empty group joins what it splits


def normalize(text: str) -> str:
    """The comparable form of a whole text: whitespace, backslashes, ``$`` and braces dropped."""
    return fold(text).translate(_KEY_DROP)


def words(text: str) -> list[str]:
    """The words whose 13-grams are compared: runs of letters and digits of the folded text."""
    return _words(fold(text))


def _words(folded: str) -> list[str]:
    if folded.isascii():  # the same words as the regular expression, three times as fast
        return folded.translate(_NOT_WORD).split()
    return _WORD.findall(folded)


def _ngrams(items: list[str], n: int):
    return zip(*(items[i:] for i in range(n)))


@dataclass(frozen=True)
class Contamination(Violation):
    """A contamination violation; ``test_id`` names the test problem, ``field`` the trained text
    (``problem``, ``solution`` or ``template``)."""

    test_id: str | None = None
    field: str | None = None


class TestSet:
    """Test problems indexed by normalized text, by word 13-gram and by word 7-gram."""

    __test__ = False  # not a pytest test class

    def __init__(self, ids: Sequence[str], problems: Sequence[str], n: int = NGRAM):
        self.ids, self.n, self.probe = list(ids), n, (n + 1) // 2
        self.exact: dict[str, int] = {}
        self.grams: dict[tuple[str, ...], int] = {}
        self.probes: set[tuple[str, ...]] = set()
        self.letters: set[str] = set()
        for index, problem in enumerate(problems):
            folded = fold(problem)
            self.exact.setdefault(folded.translate(_KEY_DROP), index)
            found = _words(folded)
            self.letters.add("".join(found))
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

    def match(self, text: str) -> tuple[int, str | None] | None:
        """(test index, shared words or None for an exact match), or None when clean."""
        folded = fold(text)
        found = _words(folded)
        if "".join(found) in self.letters:  # equal keys have equal letters and digits: cheap first
            index = self.exact.get(folded.translate(_KEY_DROP))
            if index is not None:
                return index, None
        n, k = self.n, self.probe
        if len(found) < n or self.probes.isdisjoint(zip(*[iter(found)] * k)):
            return None
        for start in range(0, len(found) - k + 1, k):  # a shared 13-gram holds this 7-gram
            if tuple(found[start : start + k]) in self.probes:
                for first in range(max(0, start + k - n), min(start, len(found) - n) + 1):
                    gram = tuple(found[first : first + n])
                    if gram in self.grams:
                        return self.grams[gram], " ".join(gram)
        return None

    def contained(self, text: str) -> int | None:
        """The first test problem whose whole normalized text occurs inside ``text``'s.

        Used for the one template text (5,000 substring searches): a short test problem pasted
        into the prompt has no 13 words to share but is still found.
        """
        key = normalize(text)
        return next((index for problem, index in self.exact.items() if problem and problem in key), None)


def _how(tests: TestSet, shared: str | None, whole: str) -> str:
    if shared is None:
        return whole
    return f"shares {tests.n} consecutive words with it: {_clip(shared)!r}"


def find_contamination(
    tests: TestSet,
    split: str,
    file: str,
    texts: Sequence[str],
    deadline: Deadline = Deadline(),
    field: str = "problem",
    indices: Sequence[int] | None = None,
) -> list[Contamination]:
    """One violation per contaminated example's ``field`` (``problem`` or ``solution``).

    ``indices``: the examples' indices in their split (a streamed chunk), default 0, 1, ...
    """
    if field not in FIELDS:
        raise ValueError(f"field must be one of {FIELDS}, got {field!r}")
    where = f"{split} data ({file} via sft_utils.load_split)"
    found: list[Contamination] = []
    for position, text in enumerate(texts):
        index = position if indices is None else indices[position]
        if position % _CHECK_EVERY == 0:
            deadline.check(f"decontaminating the '{split}' {field}s")
        hit = tests.match(text)
        if hit is None:
            continue
        test_index, shared = hit
        test_id = tests.ids[test_index]
        verb = "matches" if field == "problem" or shared is None else "contains"
        how = _how(tests, shared, f"the same text after normalization; {_NORMALIZED}")
        found.append(
            Contamination(
                "contamination", f"{where} example {index}, {field}: {verb} test problem {test_id!r} ({how})",
                split, index, test_id=test_id, field=field,
            )  # fmt: skip
        )
    return found


_NORMALIZED = "docs/check.md, 'Decontamination'"


def find_template_contamination(tests: TestSet, prefix: str, suffix: str) -> list[Contamination]:
    """The template's constant text (the prompt before and after every problem) is trained on
    with every example: one violation per part that contains or shares 13 words with a test problem."""
    found: list[Contamination] = []
    for part, text in (("before", prefix), ("after", suffix)):
        index = tests.contained(text)
        hit = (index, None) if index is not None else tests.match(text)
        if hit is None:
            continue
        test_id = tests.ids[hit[0]]
        how = _how(tests, hit[1], f"the whole problem after normalization; {_NORMALIZED}")
        found.append(
            Contamination(
                "contamination",
                f"CHAT_TEMPLATE (sft_utils.py): the prompt text {part} the problem contains test problem {test_id!r} ({how})",
                test_id=test_id, field="template",
            )  # fmt: skip
        )
    return found


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
