"""Decontamination: trained text that is, or overlaps, a hidden test problem.

Every trained text is checked: each example's problem and solution, and the chat template's
constant text (the prompt before and after every problem). Both sides go through one
normalization, ``fold``, which undoes what changes the characters but not what is read:
compatibility forms (NFKD: full-width, math alphanumerics, ligatures), invisible characters
(marks, controls, format characters such as zero-width spaces and soft hyphens, variation
selectors, blank fillers), homoglyphs of any script (Unicode's confusables data, UTS #39),
decimal digits of any script, case, LaTeX that only spaces, sizes, styles or colours, and
braces. A trained text is also read with its LaTeX ``%`` comments removed. Then two rules: the
same text as a whole (ignoring whitespace, backslashes and ``$``, a leading label such as
``Problem 3:`` and punctuation at the ends), or a shared run of 13 consecutive words. A test
problem of fewer than 13 words can only be found by the first. docs/check.md
("Decontamination") states the rules exactly.

What a student is told names their own example and field, never the test problem's id or
words: the id is kept apart (``Contamination.test_id``) for the instructor.

Speed: the test side is indexed once. Any shared 13-word run contains a 7-word run starting at
a multiple of 7, so only those 7-grams of a trained text are looked up (in C, through ``zip``),
and only around a hit are 13-grams compared. ``fold`` is a ``str.translate`` through a
per-character table (ASCII text stays on CPython's fast path; other characters are folded once,
on first sight), one regular expression that stops only at backslashes, and two ``str.replace``.
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
from grader.submission.limits import Violation, where
from grader.submission.sandbox import Deadline

NGRAM = 13
FIELDS = ("problem", "solution")
_CHECK_EVERY = 4096  # texts between deadline checks
# Default_Ignorable_Code_Point letters (Lo): the Hangul fillers render as nothing. Every other
# default-ignorable code point is a mark or a format/unassigned character, deleted by category.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
_BLANK_SPACES = frozenset("\u2800")  # BRAILLE PATTERN BLANK: renders as a space
# LaTeX commands without arguments that render as a space, and those that render as nothing
# themselves (sizes, styles, fonts, spacing classes: what they apply to stays).
SPACE_COMMANDS = (
    "quad qquad enspace enskip thinspace medspace thickspace space nobreakspace hfil hfill newline linebreak"
).split()
INVISIBLE_COMMANDS = (
    "negthinspace negmedspace negthickspace allowbreak nobreak nolinebreak relax protect null empty strut mathstrut "
    "ensuremath smash "
    "displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits displaylimits middle "
    "big bigl bigr bigm bigg biggl biggr biggm tiny scriptsize footnotesize small normalsize large huge "
    "mathrel mathbin mathord mathop mathopen mathclose mathpunct mathinner "
    "text textrm textit textbf textsf texttt textup textsl textsc textmd textnormal mathrm mathit mathbf mathsf "
    "mathtt mathnormal mathbb mathcal mathfrak mathscr boldsymbol bm pmb mbox hbox operatorname emph "
    "rm bf it sf tt cal sl sc em bfseries itshape rmfamily sffamily ttfamily upshape mdseries normalfont"
).split()  # all lower case: the text is case-folded first, so \Big is \big and \LARGE is \large


def _trie(names: list[str]) -> str:
    """One regular expression for ``names`` that branches on one character at a time: a command
    that is none of them is rejected after a character or two, not after a hundred names."""
    by_first: dict[str, list[str]] = {}
    for name in names:
        by_first.setdefault(name[0], []).append(name[1:])
    branches = []
    for first, rests in sorted(by_first.items()):
        longer = [rest for rest in rests if rest]
        inner = f"(?:{_trie(longer)})" if longer else ""
        branches.append(re.escape(first) + (inner + "?" if longer and "" in rests else inner))
    return "|".join(branches)


# LaTeX that changes no character of what is read, on folded (lower-case) text: the named group
# ``space`` renders as a space and becomes one; everything else renders as nothing and is deleted.
_LATEX = re.compile(
    r"\\(?:"
    r"(?:[hv]space\*?\{\s*(?:-[^{}]*|[0.]*\s*[a-z]*\s*)\}"  # zero or negative space: nothing
    r"|(?:kern|mkern|hskip|mskip)\s*(?:-\s*[\d.]+|0*\.?0+)\s*[a-z]{2} ?"  # (a dimension ends with one space)
    r"|vspace\*?\{[^{}]*\}|vphantom\{[^{}]*\}"
    r"|(?:textcolor|colorbox|color|pagecolor)\s*(?:\[[^\]]*\])?\s*\{[^{}]*\}"  # colour: the colour goes
    r"|fcolorbox\s*(?:\[[^\]]*\])?\s*\{[^{}]*\}\s*\{[^{}]*\}"
    r"|(?:raisebox|scalebox)\s*\{[^{}]*\})"
    r"|(?P<space>\\|[,:;> ()\[\]\n\t]"  # a line break, thin/medium/thick and control spaces, math delimiters
    rf"|(?:{_trie(SPACE_COMMANDS)})(?![a-z]) *"  # TeX drops the spaces after a command's name
    r"|hspace\*?\{[^{}]*\}|h?phantom\{[^{}]*\}|(?:kern|mkern|hskip|mskip)\s*[\d.]+\s*[a-z]{2} ?"
    r"|[dtc](?=frac(?![a-z]))|[dt](?=binom(?![a-z])))"  # \dfrac -> frac (the key drops backslashes anyway)
    r"|[!/@-]"  # negative thin space, italic correction, end-of-sentence marker, discretionary hyphen
    rf"|(?:{_trie(INVISIBLE_COMMANDS)})(?![a-z])\*? *"
    r"|(?:left|right)(?![a-z])\.?"  # \left. and \right. are invisible delimiters
    r")"
)
# A LaTeX comment: from an unescaped % to the end of its line, with the next line's indentation.
_COMMENT = re.compile(r"(?<!\\)%[^\n\r]*(?:\r?\n|\r)?[ \t]*")
# A label before the problem: "Problem:", "Question 3:", "Q1.", "3)", "(a)", "**Problem 2.**"...
_DECOR = r"[\s*#>\"'`_]*"
_LEAD = re.compile(
    rf"(?:{_DECOR}(?:"
    r"[a-z]+(?:\s*#?\s*(?:\d+[a-z]?|[ivx]+)(?:\.\d+)*)?\s*:"  # a name, maybe numbered, then a colon
    r"|(?:[a-z]+\s*)?#?\d+(?:\.\d+)*[a-z]?\s*[.)\]]"  # a number, maybe named, then . ) ]
    r"|[(\[]\s*[a-z0-9]{1,4}\s*[)\]]"  # a bracketed number or letter
    r"|[a-z][.)]"  # a lone letter
    rf")[*_`'\"]*(?=\s|$)){{0,2}}{_DECOR}"
)
_HEAD_CHARS = 48  # a leading label is within this many characters (so at most 24 words)
_TAIL_LABEL = re.compile(r"[\s*#>\"'`_][a-z]+\Z")  # one word before a final colon: "Answer:"
_TRAIL = " .?;,:*#\"'`_"  # punctuation and decoration at the end
_ENDS = ".?;,:*#>\"'`_"  # what is stripped from both ends of the key
_SPACE = "\0"  # stands for a LaTeX space in a folded text (controls are deleted before, so it is free)
_MIN_INSIDE_WORDS = 3  # a test problem looked for inside the template's text has at least this many words
_WORD = re.compile(r"[^\W_]+")
_KEY_DROP = str.maketrans("", "", " \\$")
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
    characters, digits' script, case, or LaTeX spacing, sizing, styling, colour and braces,
    folds to the same text.

    Per character (``_fold_char``): NFKD; ASCII is lower-cased (controls deleted, whitespace a
    space); other whitespace is a space; a decimal digit becomes its ASCII digit; a confusable
    becomes its class's representative, case-folded; marks, controls, format, private-use and
    unassigned characters and blank fillers are deleted; the rest is case-folded. Then ``~``
    is a space, the LaTeX of ``_LATEX`` a space or nothing, and braces are deleted (they never
    render: ``fi{nd}``, ``{}``, ``x^{2}`` are ``find``, nothing, ``x^2``).
    """
    return _fold(text).replace(_SPACE, " ")


def _fold(text: str) -> str:
    """``fold``, with ``_SPACE`` where LaTeX spacing was (a space or nothing: see ``readings``)."""
    table, ascii_str, as_bytes, deleted = _tables()
    if not text.isascii():
        text = _NON_ASCII.sub(lambda run: run.group().translate(table), text)
    if text.isascii():
        text = text.translate(ascii_str)
    else:  # what is left non-ASCII is folded already: fold the ASCII bytes around it
        text = text.encode("utf-8", "surrogatepass").translate(as_bytes, deleted).decode("utf-8", "surrogatepass")
    if "\\" in text:
        text = _LATEX.sub(_latex_as, text)
    if "{" in text or "}" in text:
        text = text.replace("{", "").replace("}", "")
    return text


def _latex_as(match: re.Match) -> str:
    return "" if match.group("space") is None else _SPACE


def readings(text: str) -> list[str]:
    """The folded readings of a trained text, any of which may match. ``%`` is a percent sign
    in plain text and starts a comment in LaTeX: a text with one is read both ways. A LaTeX
    space renders as a space between words but can also split one (``fi\\,nd``): a text with
    one is read with it as a space and as nothing."""
    sources = [text]
    if "%" in text:
        uncommented = _COMMENT.sub("", text)
        if uncommented != text:
            sources.append(uncommented)
    out = []
    for source in sources:
        folded = _fold(source)
        if _SPACE in folded:
            out += (folded.replace(_SPACE, " "), folded.replace(_SPACE, ""))
        else:
            out.append(folded)
    return out


def _body(folded: str) -> tuple[int, int]:
    """Where the text is between a leading label (``Problem 3:``, ``Q1.``, ``(a)``) and the
    punctuation at its end, with a trailing label (``Answer:``)."""
    head = folded[:_HEAD_CHARS]  # a label ends with ":", ".", ")" or "]" (checked first: it is cheap)
    start = _LEAD.match(folded).end() if ":" in head or "." in head or ")" in head or "]" in head else 0
    start = start if start <= _HEAD_CHARS else 0  # a label is short
    end = len(folded.rstrip(_TRAIL))
    if end > start and ":" in folded[end:]:
        label = _TAIL_LABEL.search(folded, max(start, end - _HEAD_CHARS), end)
        if label is not None:
            end = start + len(folded[start : label.start()].rstrip(_TRAIL))
    return start, max(start, end)


def _key(folded: str, start: int, end: int) -> str:
    return folded[start:end].translate(_KEY_DROP).strip(_ENDS)


def normalize(text: str) -> str:
    """The comparable form of a whole text: folded, without its end labels and punctuation,
    whitespace, backslashes and ``$``."""
    folded = fold(text)
    return _key(folded, *_body(folded))


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
    """A contamination violation. ``field`` names the trained text (``problem``, ``solution`` or
    ``template``); ``test_id`` the test problem, for the instructor only: the message, which is
    what a student is shown, never holds the test problem's id or words."""

    test_id: str | None = None
    field: str | None = None


class TestSet:
    """Test problems indexed by normalized text, by word 13-gram and by word 7-gram."""

    __test__ = False  # not a pytest test class

    def __init__(self, ids: Sequence[str], problems: Sequence[str], n: int = NGRAM):
        self.ids, self.n, self.probe = list(ids), n, (n + 1) // 2
        self.exact: dict[str, int] = {}
        self.inside: dict[str, int] = {}  # the keys looked for inside the template's text
        self.grams: dict[tuple[str, ...], int] = {}
        self.probes: set[tuple[str, ...]] = set()
        self.letters: set[str] = set()
        self.longest = 0  # words of the longest test problem, labels aside
        for index, problem in enumerate(problems):
            folded = fold(problem)
            found = _words(folded)
            start, end = _body(folded)
            key = _key(folded, start, end)
            self.exact.setdefault(key, index)
            body = _trim(found, folded, start, end)
            self.letters.add("".join(body))
            self.longest = max(self.longest, len(body))
            if len(body) >= _MIN_INSIDE_WORDS:
                self.inside.setdefault(key, index)
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
        """(test index, shared words or None for a whole-text match), or None when clean. Every
        reading of the text (``readings``) is tried, for the whole text first."""
        parsed = [(folded, _words(folded)) for folded in readings(text)]
        for folded, found in parsed:
            index = self._whole(folded, found)
            if index is not None:
                return index, None
        for _, found in parsed:
            hit = self._shared(found)
            if hit is not None:
                return hit
        return None

    def _whole(self, folded: str, found: list[str]) -> int | None:
        if len(found) > self.longest + _HEAD_CHARS // 2 + 1:  # longer than any test problem with labels
            return None
        start, end = _body(folded)
        if "".join(_trim(found, folded, start, end)) not in self.letters:  # equal keys, equal letters: cheap first
            return None
        return self.exact.get(_key(folded, start, end))

    def _shared(self, found: list[str]) -> tuple[int, str] | None:
        n, k = self.n, self.probe
        if len(found) < n or self.probes.isdisjoint(zip(*[iter(found)] * k)):
            return None
        for first_probe in range(0, len(found) - k + 1, k):  # a shared 13-gram holds this 7-gram
            if tuple(found[first_probe : first_probe + k]) in self.probes:
                for first in range(max(0, first_probe + k - n), min(first_probe, len(found) - n) + 1):
                    gram = tuple(found[first : first + n])
                    if gram in self.grams:
                        return self.grams[gram], " ".join(gram)
        return None

    def contained(self, text: str) -> int | None:
        """The first test problem (of at least 3 words) whose whole normalized text occurs
        inside ``text``'s, read as it is or without LaTeX comments.

        Used for the one template text (5,000 substring searches): a short test problem pasted
        into the prompt has no 13 words to share but is still found.
        """
        for folded in readings(text):
            key = folded.translate(_KEY_DROP)
            index = next((index for problem, index in self.inside.items() if problem in key), None)
            if index is not None:
                return index
        return None


def _trim(found: list[str], folded: str, start: int, end: int) -> list[str]:
    """``found`` (the words of ``folded``) without the words of its end labels."""
    lead = len(_words(folded[:start])) if start else 0
    tail = len(_words(folded[end:])) if ":" in folded[end:] else 0  # otherwise only punctuation is cut
    return found[lead : len(found) - tail] if lead or tail else found


_SEE = "docs/check.md, 'Decontamination'"


def _what(tests: TestSet, shared: str | None, verb: str, whole: str) -> str:
    """How the text matched, without the test problem's id or a word of it: a student must not
    learn the hidden set from a message."""
    if shared is None:
        return f"{verb} a hidden test problem ({whole}, after normalization; {_SEE})"
    return f"shares {tests.n} consecutive words with a hidden test problem ({_SEE})"


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
    found: list[Contamination] = []
    for position, text in enumerate(texts):
        index = position if indices is None else indices[position]
        if position % _CHECK_EVERY == 0:
            deadline.check(f"decontaminating the '{split}' {field}s")
        hit = tests.match(text)
        if hit is None:
            continue
        message = f"{where(split, file)} example {index}, {field}: {_what(tests, hit[1], 'matches', 'the whole text')}"
        found.append(Contamination("contamination", message, split, index, test_id=tests.ids[hit[0]], field=field))
    return found


def find_template_contamination(tests: TestSet, prefix: str, suffix: str) -> list[Contamination]:
    """The template's constant text (the prompt before and after every problem) is trained on
    with every example: one violation per part that contains or shares 13 words with a test problem."""
    found: list[Contamination] = []
    for part, text in (("before", prefix), ("after", suffix)):
        index = tests.contained(text)
        hit = (index, None) if index is not None else tests.match(text)
        if hit is None:
            continue
        what = _what(tests, hit[1], "contains", "the whole problem")
        message = f"CHAT_TEMPLATE (sft_utils.py): the prompt text {part} the problem {what}"
        found.append(Contamination("contamination", message, test_id=tests.ids[hit[0]], field="template"))
    return found
