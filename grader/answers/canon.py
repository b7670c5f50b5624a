"""Canonical text of an expression with its sums and products in a fixed order, without a CAS.

Why: answers that differ only in the order of terms or factors (``15+2\\sqrt{33}`` and
``2\\sqrt{33}+15``, ``(b+2)(a+5)`` and ``(a+5)(b+2)``, ``\\frac{x+2}{7}`` and ``\\frac{x}{7}+\\frac27``)
are the same answer, and sympy's ``simplify`` can spend seconds proving it when radicals are nested.
Here an expression becomes a sum of terms ``coefficient * factors`` (exact rational coefficients,
like terms and equal bases merged, numbers distributed over sums), each part printed in sorted order.
Equal texts prove two answers equal; different texts decide nothing, except between two polynomials
in free variables (``6-5i`` and ``7-5i``), whose printed form is unique.

The grammar is :mod:`grader.answers.grammar`'s, shared with the evaluator, with its refusals of
ambiguous input (``a/bc``, ``2\\frac12``, ``2^10``). A name followed by a parenthesis and ``\\sin x``-like
calls stay opaque factors (``f(x)`` may be a function), so no reading of them can make two different
answers equal.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from grader.answers.grammar import GREEK, TokenParser, Unknown, is_number, tokenize
from grader.answers.number import MAX_BITS, _int_root

MAX_CHARS = 2_000  # real answers are far shorter; a longer atom is left to the other comparisons
MAX_EXPONENT = 64  # integer powers are expanded into coefficients and exponents only up to this
_FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
              "log", "ln", "exp"}

_VARIABLE = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:[0-9A-Za-z]|\{.*\}))?$")  # x, x_1, \alpha; not f(x)
Monomial = tuple[tuple[str, Fraction], ...]  # sorted (base, exponent) pairs; () is the constant term
Poly = dict[Monomial, Fraction]  # monomial -> nonzero coefficient; {} is zero


def _check(q: Fraction) -> Fraction:
    if max(q.numerator.bit_length(), q.denominator.bit_length()) > MAX_BITS:
        raise Unknown("number too large")
    return q


def _key(p: Poly) -> str:
    """Printed form of a polynomial: terms sorted by their text."""
    if not p:
        return "0"
    terms = []
    for mono, coef in p.items():
        factors = "*".join(base if exp == 1 else f"{base}^{{{exp}}}" for base, exp in mono)
        terms.append(f"{coef}*{factors}" if factors else str(coef))
    return "+".join(sorted(terms))


def _monomial(factors: dict[str, Fraction]) -> Monomial:
    return tuple(sorted((b, e) for b, e in factors.items() if e != 0))


def _const(q: Fraction) -> Poly:
    return {(): _check(q)} if q else {}


def _factor(base: str, exp: Fraction = Fraction(1)) -> Poly:
    return {((base, exp),): Fraction(1)}


def _constant_of(p: Poly) -> Fraction | None:
    if not p:
        return Fraction(0)
    if len(p) == 1 and () in p:
        return p[()]
    return None


def _add(a: Poly, b: Poly) -> Poly:
    out = dict(a)
    for mono, coef in b.items():
        total = out.get(mono, 0) + coef
        if total:
            out[mono] = _check(total)
        else:
            out.pop(mono, None)
    return out


def _scale(p: Poly, q: Fraction) -> Poly:
    return {m: _check(c * q) for m, c in p.items()} if q else {}


def _as_monomial(p: Poly) -> tuple[Fraction, dict[str, Fraction]]:
    """(coefficient, factors) of a one-term polynomial; a longer sum is one opaque factor."""
    if len(p) == 1:
        ((mono, coef),) = p.items()
        return coef, dict(mono)
    return Fraction(1), {"(" + _key(p) + ")": Fraction(1)}


def _mul(a: Poly, b: Poly) -> Poly:
    ca, cb = _constant_of(a), _constant_of(b)
    if ca is not None:
        return _scale(b, ca)
    if cb is not None:
        return _scale(a, cb)
    coef_a, fa = _as_monomial(a)
    coef_b, fb = _as_monomial(b)
    for base, exp in fb.items():
        fa[base] = fa.get(base, 0) + exp
    return _collect(_check(coef_a * coef_b), fa)


def _collect(coef: Fraction, factors: dict[str, Fraction]) -> Poly:
    """One term, with integer powers of numeric bases folded into the coefficient."""
    for base, exp in list(factors.items()):
        if base.startswith("#") and exp.denominator == 1:
            if abs(exp) > MAX_EXPONENT:
                raise Unknown("exponent too large")
            coef = _check(coef * Fraction(base[1:]) ** int(exp))
            del factors[base]
    return {_monomial(factors): coef} if coef else {}


def _inverse(p: Poly) -> Poly:
    c = _constant_of(p)
    if c == 0:
        raise Unknown("division by zero")
    if c is not None:
        return _const(1 / c)
    coef, factors = _as_monomial(p)
    return _collect(_check(1 / coef), {b: -e for b, e in factors.items()})


def _root(q: Fraction, k: int) -> Fraction | None:
    if q < 0:
        return None
    num, den = _int_root(q.numerator, k), _int_root(q.denominator, k)
    return None if num is None or den is None else Fraction(num, den)


def _pow(base: Poly, exp: Poly) -> Poly:
    e = _constant_of(exp)
    if e is None:  # e^{\pi}, 2^{x}: one opaque factor
        return _factor("(" + _key(base) + ")^(" + _key(exp) + ")")
    if e == 0:
        return _const(Fraction(1))
    if abs(e) > MAX_EXPONENT or e.denominator > 12:
        raise Unknown("exponent out of range")
    c = _constant_of(base)
    if c is not None:
        if c == 0:
            raise Unknown("0 to a power")
        if e.denominator == 1:
            return _const(_check(c ** int(e)))
        root = _root(c, e.denominator)
        if root is not None:
            return _const(_check(root ** e.numerator))
        return _collect(Fraction(1), {"#" + str(c): e})
    if e.denominator == 1:  # (3xy)^2 = 9x^2y^2; a longer sum stays one factor
        coef, factors = _as_monomial(base)
        return _collect(_check(coef ** int(e)), {b: x * e for b, x in factors.items()})
    coef, factors = _as_monomial(base)
    if coef == 1 and len(factors) == 1:  # \sqrt{x} = x^{1/2}, \sqrt{x}\sqrt{x} = x
        ((b, x),) = factors.items()
        if x == 1:
            return _factor(b, e)
    return _factor("(" + _key(base) + ")", e)


class _Parser(TokenParser[Poly]):
    """Polynomials over the shared grammar; ``f(x)`` and ``\\sin x`` become opaque factors."""

    MACROS = frozenset(GREEK | _FUNCTIONS)

    def add(self, a: Poly, b: Poly) -> Poly:
        return _add(a, b)

    def neg(self, a: Poly) -> Poly:
        return _scale(a, Fraction(-1))

    def mul(self, a: Poly, b: Poly) -> Poly:
        return _mul(a, b)

    def div(self, a: Poly, b: Poly) -> Poly:
        return _mul(a, _inverse(b))

    def constant(self, a: Poly) -> Fraction | None:
        return _constant_of(a)

    def raise_to(self, base: Poly, exp: Poly) -> Poly:
        return _pow(base, exp)

    def exponent(self) -> Poly:
        return self.arg()

    def arg(self) -> Poly:
        """One macro argument or exponent: a braced group or one single-character token."""
        tok = self.peek()
        if tok == "{":
            self.take()
            return self.group("{")
        if tok is not None and (len(tok) == 1 and tok.isalnum() or tok == r"\pi" or tok[1:] in GREEK):
            return self.primary()
        raise Unknown("unsupported argument")

    def name(self, tok: str) -> str:
        """A symbol with its subscript (``x_1``, ``F_{n-k-1}``) as one name."""
        if self.peek() != "_":
            return tok
        self.take()
        sub = self.peek()
        if sub == "{":
            depth, parts = 0, []
            while True:
                part = self.take()
                depth += (part == "{") - (part == "}")
                parts.append(part)
                if depth == 0:
                    break
            return tok + "_" + " ".join(parts)
        if sub is not None and len(sub) == 1 and sub.isalnum():
            return tok + "_" + self.take()
        raise Unknown("unsupported subscript")

    def call(self, head: str) -> Poly:
        """``f(x)``, ``\\sin(x)``, ``\\sin x``: an opaque factor holding its canonical argument."""
        tok = self.peek()
        if tok in ("(", "{"):
            arg = self.group(self.take())
        else:
            arg = self.arg()
            if self.starts_primary(self.peek()) and not (self.peek() or "")[1:] in _FUNCTIONS:
                raise Unknown("\\sin xy is ambiguous")
        return _factor(head + "(" + _key(arg) + ")")

    def primary(self) -> Poly:
        tok = self.take()
        if is_number(tok):
            if self.peek() in (r"\overline", r"\bar") or ("." not in tok and self.peek() == r"\frac"):
                raise Unknown("repeating decimal or mixed number")
            return _const(Fraction(tok))
        if tok in ("(", "{"):
            return self.group(tok)
        if tok == r"\frac":
            num = self.arg()
            return _mul(num, _inverse(self.arg()))
        if tok == r"\sqrt":
            k = self.root_index()
            return _pow(self.arg(), _const(Fraction(1, k)))
        if tok == r"\pi":
            return _factor(tok)
        if tok[1:] in _FUNCTIONS:
            return self.call(tok)
        if tok[1:] in GREEK or (len(tok) == 1 and tok.isalpha()):
            name = self.name(tok)
            return self.call(name) if self.peek() == "(" else _factor(name)
        raise Unknown(f"unsupported token {tok!r}")


@lru_cache(maxsize=4096)
def _parse(atom: str) -> Poly | None:
    if len(atom) > MAX_CHARS:
        return None
    try:
        p = _Parser(tokenize(atom))
        poly = p.expr()
        return None if p.peek() is not None else poly
    except (Unknown, ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None


def canonical(atom: str) -> str | None:
    """Canonical text of a normalized atom, or None outside the grammar."""
    poly = _parse(atom)
    return None if poly is None else _key(poly)


def canonical_up_to_scale(atom: str) -> str | None:
    """Canonical text of ``atom`` divided by the coefficient of its first term: ``2x+4y-3`` and
    ``\\frac{x}{2}+y-\\frac34`` agree, so equations that differ by a constant factor do too."""
    poly = _parse(atom)
    if not poly:
        return None
    first = min(poly, key=lambda m: _key({m: Fraction(1)}))
    return _key(_scale(poly, 1 / poly[first]))


def _plain(poly: Poly) -> bool:
    """A polynomial over Q(i) in free variables: its printed form is then unique, so two different
    forms are two different answers. ``e`` and ``\\pi`` are excluded (constants whose algebraic
    relations are unknown), as are roots, opaque factors and ``i^2``."""
    for mono in poly:
        for base, exp in mono:
            if exp.denominator != 1 or exp < 1:
                return False
            if base == "i":
                if exp != 1:
                    return False
            elif base in ("e", "\\pi") or not _VARIABLE.match(base):
                return False
    return True


def distinct_polynomials(a: str, b: str) -> bool:
    """Whether two atoms are provably different polynomials (``6-5i`` and ``7-5i``, ``x^2+1`` and ``x^2+2``)."""
    pa, pb = _parse(a), _parse(b)
    return pa is not None and pb is not None and _plain(pa) and _plain(pb) and _key(pa) != _key(pb)
