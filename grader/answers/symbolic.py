"""The sympy side of answer equivalence; imported only inside worker processes.

Atoms the fast path cannot settle are parsed with math-verify's LaTeX parser (latex2sympy2_extended)
and compared *exactly*: decimals are rewritten as fractions before parsing, and two values are equal
only when sympy proves their difference is zero (or, for constants it cannot simplify, when the
difference is below 1e-45 of their size at 60 digits). math-verify's own ``verify`` is not used
because it rounds floats to 6 places, accepts ``x%`` for ``x`` and compares relations by solving,
all of which this course's rules forbid.

Nothing here ever converts a sympy object to a string: printing can hang outside any timeout.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

import sympy
from latex2sympy2_extended.latex2sympy2 import ConversionConfig, latex2sympy
from math_verify.grader import should_treat_as_complex
from sympy.core.relational import Relational

from grader.answers.equiv import SYMBOLIC, Result, equivalent, fast_atom_cmp

_CONVERSION = ConversionConfig(lowercase_symbols=False)
_DECIMAL = re.compile(r"(?<![\d.])(\d*)\.(\d*)(?:\\(?:overline|bar)\{(\d+)\})?")
_INVERSE = {sympy.StrictLessThan: sympy.StrictGreaterThan, sympy.StrictGreaterThan: sympy.StrictLessThan,
            sympy.LessThan: sympy.GreaterThan, sympy.GreaterThan: sympy.LessThan}


def _exact_decimal(m: re.Match[str]) -> str:
    """``0.1\\overline{6}`` -> ``{\\frac{1}{6}}``: sympy then never sees a float."""
    whole, frac, rep = m.group(1), m.group(2), m.group(3)
    if not (whole or frac or rep):
        return m.group(0)
    value = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    if rep:
        value += Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(frac))
    return "{\\frac{%d}{%d}}" % (value.numerator, value.denominator)


@lru_cache(maxsize=2048)
def to_sympy(atom: str, is_real: bool) -> sympy.Basic | None:
    """sympy form of one normalized atom, or None when it does not parse."""
    try:
        expr = latex2sympy(_DECIMAL.sub(_exact_decimal, atom), is_real=is_real, convert_degrees=False,
                           normalization_config=None, conversion_config=_CONVERSION)
    except Exception:  # the parser raises many kinds; any of them means "not an expression"
        return None
    if not isinstance(expr, sympy.Basic):
        return None
    imaginary = [s for s in expr.free_symbols if getattr(s, "name", "") == "i"]
    if imaginary:
        expr = expr.subs({s: sympy.I for s in imaginary})
    if expr.has(sympy.Float):
        expr = sympy.nsimplify(expr, rational=True)
    return expr


def _is_zero(d: sympy.Expr, scale: sympy.Expr) -> bool:
    if d == 0:
        return True
    d = sympy.simplify(d)
    if d == 0 or d.is_zero is True:
        return True
    if d.is_zero is False:
        return False
    if not d.free_symbols:
        value = d.evalf(60)
        size = max(sympy.Integer(1), abs(scale.evalf(60)))
        return bool(value.is_Number and abs(value) < sympy.Float("1e-45", 60) * size)
    return sympy.expand(d) == 0


def sympy_equal(a: sympy.Basic, b: sympy.Basic) -> bool:
    """Exact equality of two parsed atoms (expressions, or relations of the same direction)."""
    if a == b:
        return True
    if isinstance(a, Relational) and isinstance(b, Relational):
        da, db = a.lhs - a.rhs, b.lhs - b.rhs
        if type(a) is type(b):
            return _is_zero(da - db, abs(da) + abs(db))
        if _INVERSE.get(type(a)) is type(b):
            return _is_zero(da + db, abs(da) + abs(db))
        return False
    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        return False
    return _is_zero(a - b, abs(a) + abs(b))


def symbolic_atom_cmp(c: str, r: str) -> Result:
    """Fast comparison first; sympy only for what it leaves open."""
    fast = fast_atom_cmp(c, r)
    if fast[0] is not None:
        return fast
    is_real = not (should_treat_as_complex(c) or should_treat_as_complex(r) or "i" in re.sub(r"\\[A-Za-z]+", "", c + r))
    a, b = to_sympy(c, is_real), to_sympy(r, is_real)
    if a is None or b is None:
        return False, SYMBOLIC
    return sympy_equal(a, b), SYMBOLIC


def symbolic_verdict(cand: str, ref: str) -> tuple[bool, int]:
    """Full structural comparison of two normalized answers with sympy behind the atoms."""
    value, method = equivalent(cand, ref, symbolic_atom_cmp)
    return value is True, method


# Warm the parser and simplify's trigonometric code once here, at worker start-up (never charged to a
# verdict): their lazy set-up costs about half a second, which would otherwise land on the first verdict.
to_sympy("1+\\frac{x}{2}", True)
sympy_equal(to_sympy("\\cot x", True), to_sympy("\\frac{\\cos x}{\\sin x}", True))
