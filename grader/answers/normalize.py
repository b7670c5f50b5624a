"""Rewrite one boxed answer (or one reference) into a canonical LaTeX string.

Everything here is presentation that a fair human grader ignores: ``$``, ``\\left``/``\\right``,
spacing commands, ``\\dfrac``, degree signs, ``\\%``, units and ``\\text{...}`` around a number,
``{,}`` digit groups. What is left is compared by :mod:`grader.answers.equiv`. Every step is a
linear scan or a regex without nested quantifiers, so megabytes of input stay cheap.

Pure-text answers (``\\text{Evelyn}``, ``\\text{(C)}``) become *text atoms* ``\\text{key}`` with a
lower-case alphanumeric key, so ``Evelyn``, ``\\textbf{evelyn}`` and ``(C)``/``C`` compare equal.
"""

from __future__ import annotations

import re

from grader.answers.extract import closing_brace

ROW = "\x01"  # stands for the LaTeX row separator ``\\`` while spacing commands are removed
MAX_DEPTH = 64  # bracket nesting beyond this is not a real answer; refusing it keeps every step bounded


class TooComplex(Exception):
    """The answer nests deeper (or is larger) than any real answer; it is judged wrong, quickly."""


def nesting_depth(s: str) -> int:
    """Deepest bracket nesting of ``{([`` in ``s`` (one linear pass)."""
    depth = best = 0
    for ch in s:
        if ch in "{([":
            depth += 1
            if depth > best:
                best = depth
        elif ch in "})]":
            depth -= 1
    return best


_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u00d7": r"\times ", "\u00b7": r"\cdot ", "\u22c5": r"\cdot ",
    "\u00f7": r"\div ", "\u221e": r"\infty ", "\u03c0": r"\pi ", "\u2205": r"\emptyset ",
    "\u2264": r"\leq ", "\u2265": r"\geq ", "\u2260": r"\neq ", "\u00b0": "", "\u00a0": " ",
    "\u2009": " ", "\u202f": " ", "\u2032": "'", "\u222a": r"\cup ", "\u00b1": r"\pm ",
    "\u2a7d": r"\leq ", "\u2a7e": r"\geq ", "\u2266": r"\leq ", "\u2267": r"\geq ",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))
_CONTROL = {c: None for c in range(0, 32) if chr(c) not in "\t\n\r"}

_BOX_WRAP = re.compile(r"\\(?:boxed|fbox)\s*\{")
_DELIMS = re.compile(r"\\\$|\$|\\[()\[\]]")
_FRAC_VARIANTS = re.compile(r"\\[dtc]frac(?![A-Za-z])")
_BINOM_VARIANTS = re.compile(r"\\[dt]binom(?![A-Za-z])")
_SIZING_DOT = re.compile(r"\\(?:left|right)\s*\.")
_SIZING = re.compile(r"\\(?:left|right|middle|[bB]igg?[lrm]?)(?![A-Za-z])")
_SPACING = re.compile(
    r"\\[,;:!> ]|~|\\q?quad(?![A-Za-z])|\\(?:display|text|script)style(?![A-Za-z])"
    r"|\\(?:hspace|vspace|phantom|hphantom)\*?\s*\{[^{}]*\}"
)
_GROUP_COMMA = re.compile(r"\{\s*,\s*\}")
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![A-Za-z])|\\circ(?![A-Za-z])|\\degree(?![A-Za-z])")
_PERCENT = re.compile(r"\\?%")
_TEXT_CMD = re.compile(
    r"\\(text|textbf|textit|textrm|textsf|texttt|textup|textnormal|emph|mbox|hbox"
    r"|mathrm|mathbf|mathit|mathsf|mathtt|mathnormal|operatorname)\s*\{"
)
_MATH_FONT = {"mathrm", "mathbf", "mathit", "mathsf", "mathtt", "mathnormal", "operatorname"}
_CONNECTOR = re.compile(r"^\s*(?:or|and|,|;)\s*$", re.IGNORECASE)
_WORDS = re.compile(r"^[A-Za-z][A-Za-z .'/-]*$")
_AFTER_UNIT_POWER = re.compile(r"\s*\^\s*\{?\s*[23]\s*\}?")
_TEXT_ANSWER = re.compile(r"^\(?[A-Za-z][A-Za-z .'()\-:]*$")
_OPTION_WITH_TEXT = re.compile(r"^\(([A-Ea-e])\)\s+\S")
_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.IGNORECASE)
_PLAIN_CONNECTOR = re.compile(r"(?<=\S)\s+(?:and|or)\s+(?=\S)")
_GLUED_CONNECTOR = re.compile(r"(?<=[0-9)\]}])(?:or|and)(?=[A-Z0-9(\[\\{-])")  # (11,7)or(7,11), 1orW(x)=-1
_LIST_COMMA = re.compile(r"(?<=\d),[ \t\n]+(?=\d{3}(?![\d.]))")  # "32, 349" is two numbers; 32,349 is one
_CLOCK_SUFFIX = re.compile(  # 3:45 p.m., 3 PM, 10:00\text{ a.m.}
    r"(?<![\d.:])(\d{1,2})(:\d{2})?\s*(\\(?:text|textrm|mathrm|mbox|rm)\s*\{\s*)?([aApP])\.?\s*[mM]\.?(?(3)\s*\})(?![A-Za-z])"
)
_MATH_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "max", "min", "gcd", "lcm", "mod"}
_UNIT_NAMES = (
    "cm|mm|km|meters?|metres?|in|inch(?:es)?|ft|feet|foot|yards?|yd|miles?|mi|units?|degrees?|deg|"
    "dollars?|cents?|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|kg|"
    "grams?|pounds?|lbs?|ounces?|oz|liters?|litres?|ml|gallons?|mph|kph"
)
_UNIT_TAIL = re.compile(
    r"(?<=[0-9}])(?:\s*(?:(?:square|sq\.?|cubic|cu\.?)\s+)?(?:" + _UNIT_NAMES + r")|\s+[mghsL])\.?"
    r"(?:\s*\^\s*\{?\s*[23]\s*\}?)?(?=\s*(?:$|[,;)\]=]|\\\}))"
)
_WORD_TAIL = re.compile(r"(?<=[0-9}])\s+([A-Za-z]{3,}(?:\s+[A-Za-z]{2,})*)\.?(?=\s*(?:$|[,;)\]]|\\\}))")
_SIMPLE = [
    (re.compile(r"\\(?:le|leqslant|leqq)(?![A-Za-z])"), r"\\leq "),
    (re.compile(r"\\(?:ge|geqslant|geqq)(?![A-Za-z])"), r"\\geq "),
    (re.compile(r"\\ne(?![A-Za-z])|\\not\s*="), r"\\neq "),
    (re.compile(r"\\lt(?![A-Za-z])"), "<"),
    (re.compile(r"\\gt(?![A-Za-z])"), ">"),
    (re.compile(r">=|=>"), r"\\geq "),  # ASCII relations, as typed
    (re.compile(r"<=|=<"), r"\\leq "),
    (re.compile(r"(?<![0-9)!])!="), r"\\neq "),  # not 5!=120, a factorial
    (re.compile(r"\\lbrace(?![A-Za-z])"), r"\\{"),
    (re.compile(r"\\rbrace(?![A-Za-z])"), r"\\}"),
    (re.compile(r"\\lbrack(?![A-Za-z])"), "["),
    (re.compile(r"\\rbrack(?![A-Za-z])"), "]"),
    (re.compile(r"\\[lr]?vert(?![A-Za-z])"), "|"),
    (re.compile(r"\\(?:varnothing|emptyset|O)(?![A-Za-z])"), r"\\emptyset "),
    (re.compile(r"\\(?:infinity|infin)(?![A-Za-z])"), r"\\infty "),
    (re.compile(r"\\bigcup(?![A-Za-z])"), r"\\cup "),
    (re.compile(r"\\(?:mathbb|mathcal|mathscr)\s*\{\s*R\s*\}"), r"(-\\infty,\\infty)"),
]
_KEEP_SPACE = re.compile(r"(\\[A-Za-z]+)\s+(?=[A-Za-z])")
_WHITESPACE = re.compile(r"\s+")
_FRAC_TWO_CHARS = re.compile(r"\\(frac|binom)\s?([0-9A-Za-z])\s?([0-9A-Za-z])")
_FRAC_CHAR_GROUP = re.compile(r"\\(frac|binom)\s?([0-9A-Za-z])\{")
_FRAC_GROUP_CHAR = re.compile(r"\\(frac|binom)\{([^{}]*)\}([0-9A-Za-z])")
_SQRT_CHAR = re.compile(r"\\sqrt\s?([0-9A-Za-z])")
_SCRIPT_BRACED = re.compile(r"([_^])\{([0-9A-Za-z])\}")
_EMPTY_SET = re.compile(r"\\\{\\\}")
_PLUS_INFTY = re.compile(r"(^|[(\[,;])\+\\infty")


def _replace_groups(s: str, pattern: re.Pattern[str], repl) -> str:
    """Replace every ``\\cmd{...}`` matched by ``pattern`` (brace-balanced) by ``repl(match, body, rest_at)``.

    ``repl`` returns ``(replacement, resume_at)`` so it can also swallow text after the group.
    """
    out: list[str] = []
    pos = 0
    while True:
        m = pattern.search(s, pos)
        if m is None:
            out.append(s[pos:])
            return "".join(out)
        end = closing_brace(s, m.end() - 1)
        if end < 0:  # unclosed: keep the rest verbatim
            out.append(s[pos:])
            return "".join(out)
        out.append(s[pos : m.start()])
        text, pos = repl(m, s[m.end() : end], end + 1)
        out.append(text)


def _unwrap_all_text(s: str) -> str:
    return _replace_groups(s, _TEXT_CMD, lambda m, body, after: (_unwrap_all_text(body), after))


def _text_atom(content: str) -> str:
    """Canonical text atom: ``\\text{key}`` with only lower-case letters and digits kept."""
    content = _ARTICLE.sub("", content.strip())
    option = _OPTION_WITH_TEXT.match(content)
    if option:  # "(C) Plane": a multiple-choice answer is its letter; the option's text only repeats it
        content = option.group(1)
    return r"\text{" + re.sub(r"[^a-z0-9]", "", content.lower()) + "}"


def _handle_text(s: str) -> str:
    """Unwrap or drop ``\\text{...}``-like groups depending on whether the answer is text or math.

    A pure-text answer becomes text atoms; inside a math answer, a group of words (a unit, "dollars")
    is dropped with any ``^2`` after it, ``\\text{ or }`` becomes a list separator, and anything else
    (``\\mathrm{i}``, ``\\text{5}``) is unwrapped.
    """
    if not _TEXT_CMD.search(s):
        return s
    outside = _replace_groups(s, _TEXT_CMD, lambda m, body, after: ("", after))
    if not re.search(r"[0-9A-Za-z\\]", outside):
        plain = _unwrap_all_text(s)
        parts = plain.split(",")
        if all(_TEXT_ANSWER.match(p.strip()) for p in parts):
            return ",".join(_text_atom(p) for p in parts)
        return plain

    def repl(m: re.Match[str], body: str, after: int) -> tuple[str, int]:
        inner = _unwrap_all_text(body)
        if _CONNECTOR.match(inner):
            return ";", after  # a list separator that can never be read as a digit group
        words = inner.strip()
        is_font = m.group(1) in _MATH_FONT
        if not words or (_WORDS.match(words) and not (is_font and len(words) == 1)
                         and words.lower() not in _MATH_WORDS):
            power = _AFTER_UNIT_POWER.match(s, after)
            return " ", power.end() if power else after
        return inner, after

    return _replace_groups(s, _TEXT_CMD, repl)


def _strip_plain_units(s: str) -> str:
    s = _PLAIN_CONNECTOR.sub(";", s)
    s = _GLUED_CONNECTOR.sub(";", s)
    s = _UNIT_TAIL.sub("", s)

    def word(m: re.Match[str]) -> str:
        return m.group(0) if m.group(1).split()[0].lower() in _MATH_WORDS else ""

    return _WORD_TAIL.sub(word, s)


def _strip_outer_braces(s: str) -> str:
    while s.startswith("{") and closing_brace(s, 0) == len(s) - 1:
        s = s[1:-1]
    return s


def normalize(answer: str) -> str:
    """Canonical form of one answer; raises :class:`TooComplex` for absurd nesting."""
    s = answer.translate(_CONTROL)
    if nesting_depth(s) > MAX_DEPTH:
        raise TooComplex("nesting too deep")
    s = s.replace("\\\\", ROW)
    s = _UNICODE_RE.sub(lambda m: _UNICODE[m.group()], s)
    s = _LIST_COMMA.sub(";", s)
    s = _replace_groups(s, _BOX_WRAP, lambda m, body, after: (body, after))
    s = _DELIMS.sub(" ", s)
    s = _FRAC_VARIANTS.sub(r"\\frac", s)
    s = _BINOM_VARIANTS.sub(r"\\binom", s)
    s = _SIZING_DOT.sub(" ", s)
    s = _SIZING.sub(" ", s)
    s = _SPACING.sub(" ", s)
    s = _GROUP_COMMA.sub(",", s)
    s = _DEGREES.sub(" ", s)
    s = _PERCENT.sub(" ", s)
    s = _CLOCK_SUFFIX.sub(lambda m: m.group(1) + (m.group(2) or ":00") + m.group(4).lower() + "m", s)  # -> 3:45pm
    s = _handle_text(s)
    s = _strip_plain_units(s)
    for pattern, repl in _SIMPLE:
        s = pattern.sub(repl, s)
    s = _KEEP_SPACE.sub("\\1\x02", s.strip())
    s = _WHITESPACE.sub("", s).replace("\x02", " ")
    s = _FRAC_TWO_CHARS.sub(r"\\\1{\2}{\3}", s)
    s = _FRAC_CHAR_GROUP.sub(r"\\\1{\2}{", s)
    s = _FRAC_GROUP_CHAR.sub(r"\\\1{\2}{\3}", s)
    s = _SQRT_CHAR.sub(r"\\sqrt{\1}", s)
    s = _SCRIPT_BRACED.sub(r"\1\2", s)
    s = s.rstrip(".,;:")
    if s.endswith("\\"):  # a lone trailing backslash (a row break was set aside above) is debris
        s = s[:-1].rstrip(".,;:")
    s = _strip_outer_braces(s)
    if s.startswith("=") and not s.startswith("=="):  # "\text{Area} = 12" once its words are gone
        s = s[1:]
    s = _EMPTY_SET.sub(r"\\emptyset", s)
    s = _PLUS_INFTY.sub(r"\1\\infty", s)
    if s.startswith("+") and s[1:2].isdigit():
        s = s[1:]
    return s.replace(ROW, "\\\\")
