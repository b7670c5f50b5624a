"""What may stand left of ``=`` in an answer: a variable name, or a label that names a quantity.

A reference such as ``AB = 4``, ``|AB| = 1``, ``V_1:V_2 = 11:21`` or ``\\frac{NO}{BO} = \\frac{1}{\\sqrt6}``
names the quantity it gives, so an answer that gives only the value is right. A left side that is an
expression (``x + y = 4``, ``7 = 11a + c``, ``xy = 4``) makes the reference an equation instead, and
its right side alone is not the answer. Labels are therefore only names, upper-case point labels
(``AB``, ``S_{MBCN}``), their lengths, angles and ratios, and trigonometric values of a name.
"""

from __future__ import annotations

import re

from grader.answers.grammar import GREEK

_NAME = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?[0-9A-Za-z]+\}?)?'*(?:\([A-Za-z]\))?$")
_POINTS = re.compile(r"^(?:[A-Z](?:_\{?[0-9A-Za-z]+\}?)?'*)+$")  # AB, A_1B_1, AA'
_SUBSCRIPTED = re.compile(r"^[A-Za-z]_\{[^{}]+\}$")  # S_{MBCN}, S_{\triangle ABC}
_QUALIFIED = re.compile(r"^(.+?)_\{[^{}]*\}$")  # f(x)_{\max}: a label with a qualifier
_WRAPPED = re.compile(r"^(?:\|(.+)\||\\(?:overline|vec|overrightarrow|widehat)\{(.+)\})$")
_ANGLE = re.compile(r"^m?\\(?:angle|measuredangle|triangle) ?(.+)$")
_FRACTION = re.compile(r"^\\frac\{([^{}]+)\}\{([^{}]+)\}$")
_TRIG = re.compile(r"^\\(?:sin|cos|tan|cot|sec|csc) ?(?:\((.+)\)|(.+))$")
_CALL = re.compile(r"^([A-Za-z](?:_\{?[0-9A-Za-z]+\}?)?)\(([A-Za-z])\)$")


def is_name(s: str) -> bool:
    """A variable or function name that may stand left of ``=`` in an answer such as ``x = 5``."""
    m = _NAME.match(s)
    if m is None:
        return False
    if s.startswith("\\"):
        return s[1:].split("_")[0].split("(")[0] in GREEK
    return True


def is_label(s: str) -> bool:
    """A name, or a label of a quantity: ``AB``, ``|AB|``, ``\\angle ABC``, ``V_1:V_2``, ``\\frac{a}{b}``."""
    if is_name(s) or _POINTS.match(s) or _SUBSCRIPTED.match(s):
        return True
    m = _WRAPPED.match(s) or _ANGLE.match(s) or _TRIG.match(s) or _QUALIFIED.match(s)
    if m:
        return is_label(m.group(m.lastindex or 0))
    for sep in (":", "/"):  # V_1:V_2, BD/DC
        if sep in s:
            return all(is_label(part) for part in s.split(sep))
    m = _FRACTION.match(s)
    return m is not None and is_label(m.group(1)) and is_label(m.group(2))


def _mentions(text: str, letter: str) -> bool:
    return re.search(r"(?<![\\A-Za-z])" + letter + r"(?![A-Za-z])", text) is not None


def same_label(c: str, r: str, c_value: str, r_value: str) -> bool:
    """Whether two labels name the same quantity: equal, or ``W(x)`` and ``W(n)`` when neither value
    mentions its argument (``W(x) = 1`` and ``W(n) = 1`` state the same constant function)."""
    if c == r:
        return True
    mc, mr = _CALL.match(c), _CALL.match(r)
    if mc is None or mr is None or mc.group(1) != mr.group(1):
        return False
    return not _mentions(c_value, mc.group(2)) and not _mentions(r_value, mr.group(2))
