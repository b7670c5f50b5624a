"""Evaluate plain arithmetic answers exactly, or approximately with a proven error bound, without a CAS.

This is the fast path that keeps grading at hundreds of verdicts per second: integers, decimals,
repeating decimals, fractions, mixed numbers, ``+ - * / ^``, ``\\sqrt`` and ``\\pi`` are evaluated
here. A result is exact (a :class:`~fractions.Fraction`) when no irrational or variable is involved;
otherwise it is a float with a rigorous bound on its error (variables take fixed sample values), which
is only ever used to prove two answers *different*. Anything ambiguous or unsupported raises
:class:`Unknown` and is left to sympy in a worker process.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from grader.answers.grammar import GREEK, TokenParser, Unknown, is_number, tokenize

MAX_BITS = 20_000  # exact values beyond ~6,000 digits are not worth the time; sympy (bounded) decides
MAX_LITERAL_DIGITS = 2_000  # int() of longer digit strings is slow and capped by Python itself
MAX_EVAL_CHARS = 200_000  # a 20,000-term sum still evaluates; megabytes do not
EPS = 2.0**-52
INF = math.inf


@dataclass(frozen=True, slots=True)
class Value:
    """An exact value (no variables, small enough) and/or an approximation with an error bound."""

    exact: Fraction | None
    x: float
    err: float


def _exact(q: Fraction) -> Value:
    if max(q.numerator.bit_length(), q.denominator.bit_length()) > MAX_BITS:
        raise Unknown("number too large")
    try:
        return Value(q, float(q), abs(float(q)) * EPS)
    except OverflowError:
        return Value(q, INF, INF)


def _approx(x: float, err: float) -> Value:
    if not (math.isfinite(x) and math.isfinite(err)):
        return Value(None, INF, INF)
    return Value(None, x, err + EPS * abs(x))


def _add(a: Value, b: Value) -> Value:
    if a.exact is not None and b.exact is not None:
        return _exact(a.exact + b.exact)
    return _approx(a.x + b.x, a.err + b.err)


def _neg(a: Value) -> Value:
    return Value(None if a.exact is None else -a.exact, -a.x, a.err)


def _mul(a: Value, b: Value) -> Value:
    if a.exact is not None and b.exact is not None:
        return _exact(a.exact * b.exact)
    if (a.exact == 0) or (b.exact == 0):
        return _exact(Fraction(0))
    return _approx(a.x * b.x, abs(a.x) * b.err + abs(b.x) * a.err + a.err * b.err)


def _div(a: Value, b: Value) -> Value:
    if b.exact == 0:
        raise Unknown("division by zero")
    if a.exact is not None and b.exact is not None:
        return _exact(a.exact / b.exact)
    if not abs(b.x) > 2 * b.err:
        return Value(None, INF, INF)
    err = (abs(a.x) * b.err + abs(b.x) * a.err) / (abs(b.x) * (abs(b.x) - b.err))
    return _approx(a.x / b.x, err)


def _int_root(n: int, k: int) -> int | None:
    """The exact integer k-th root of n >= 0, or None."""
    if n < 2:
        return n
    r = math.isqrt(n) if k == 2 else int(round(n ** (1.0 / k)))
    for cand in (r - 1, r, r + 1):
        if cand >= 0 and cand**k == n:
            return cand
    return None


def _pow(base: Value, exp: Value) -> Value:
    if exp.exact is None:
        raise Unknown("non-rational exponent")
    p, q = exp.exact.numerator, exp.exact.denominator
    if q > 12 or abs(p) > 100_000:
        raise Unknown("exponent out of range")
    if base.exact is not None:
        b = base.exact
        if b == 0 and p <= 0:
            raise Unknown("0 to a non-positive power")
        bits = max(b.numerator.bit_length(), b.denominator.bit_length())
        if q == 1 and bits * abs(p) <= MAX_BITS:
            return _exact(b**p)
        if q > 1 and b >= 0 and bits <= MAX_BITS:
            num, den = _int_root(b.numerator, q), _int_root(b.denominator, q)
            if num is not None and den is not None:
                return _pow(_exact(Fraction(num, den)), _exact(Fraction(p)))
    if q > 1 and not base.x - base.err > 0:
        raise Unknown("even root of a possibly negative number")
    if base.x == 0:
        return _approx(0.0, 0.0) if base.err == 0 else Value(None, INF, INF)
    rel = base.err / abs(base.x)
    e = p / q
    if rel >= 0.5:
        return Value(None, INF, INF)
    try:
        x = math.pow(base.x, e)
        grow = max((1 + rel) ** abs(e), 1 / (1 - rel) ** abs(e)) - 1
    except (OverflowError, ValueError):
        return Value(None, INF, INF)
    return _approx(x, abs(x) * grow * 2 + abs(x) * EPS * abs(e))


_PI = Value(None, math.pi, 2 * EPS * math.pi)
_MIXED = re.compile(r"^(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$")


def _sample(name: str) -> Value:
    """A fixed, irrational-looking sample value for a variable: both answers see the same one."""
    k = sum(ord(c) * (i + 7) for i, c in enumerate(name))
    return Value(None, 1.1 + ((k * 0.6180339887498949) % 1.0) * 1.8, 0.0)


class _Parser(TokenParser[Value]):
    """Numbers, with variables at fixed sample values; implicit multiplication only where it cannot be misread."""

    def add(self, a: Value, b: Value) -> Value:
        return _add(a, b)

    def neg(self, a: Value) -> Value:
        return _neg(a)

    def mul(self, a: Value, b: Value) -> Value:
        return _mul(a, b)

    def div(self, a: Value, b: Value) -> Value:
        return _div(a, b)

    def constant(self, a: Value) -> Fraction | None:
        return a.exact

    def raise_to(self, base: Value, exp: Value) -> Value:
        return _pow(base, exp)

    def exponent(self) -> Value:
        tok = self.peek()
        if tok == "{":
            self.take()
            return self.group("{")
        if tok is not None and is_number(tok) and len(tok) == 1:
            return _exact(Fraction(int(self.take())))
        raise Unknown("unbraced exponent")  # 2^10 means 2^1 0 in LaTeX; leave it to sympy

    def arg(self) -> Value:
        """One LaTeX macro argument: a braced group or a single token."""
        tok = self.peek()
        if tok == "{":
            self.take()
            return self.group("{")
        if tok is not None and is_number(tok) and len(tok) == 1:
            return _exact(Fraction(int(self.take())))
        if tok is not None and (tok == r"\pi" or tok[1:] in GREEK or (len(tok) == 1 and tok.isalpha())):
            return self.primary()
        raise Unknown("unsupported argument")

    def number(self, tok: str) -> Value:
        if len(tok) > MAX_LITERAL_DIGITS:
            raise Unknown("literal too long")
        if self.peek() in (r"\overline", r"\bar") and "." in tok:
            self.take()
            self.take("{")
            rep = self.take()
            self.take("}")
            if not rep.isdigit():
                raise Unknown("bad repeating part")
            head = Fraction(tok.rstrip(".") or "0")
            k = len(tok.split(".")[1])
            return _exact(head + Fraction(int(rep), (10 ** len(rep) - 1) * 10**k))
        if "." not in tok and self.peek() == r"\frac":
            raise Unknown("2\\frac{1}{2} inside an expression is ambiguous")
        return _exact(Fraction(tok))

    def primary(self) -> Value:
        tok = self.take()
        if is_number(tok):
            return self.number(tok)
        if tok in ("(", "{"):
            return self.group(tok)
        if tok == r"\frac":
            num = self.arg()
            return _div(num, self.arg())
        if tok == r"\sqrt":
            k = self.root_index()
            return _pow(self.arg(), _exact(Fraction(1, k)))
        if tok == r"\pi":
            return _PI
        if tok.startswith("\\") and tok[1:] in GREEK:
            return _sample(tok)
        if len(tok) == 1 and tok.isalpha():
            if tok in "ei":
                raise Unknown("e and i are constants or variables")
            if self.peek() == "(":
                raise Unknown("f(x) may be a function call")
            return _sample(tok)
        raise Unknown(f"unsupported token {tok!r}")


@lru_cache(maxsize=8192)
def evaluate(atom: str) -> Value | None:
    """Value of a normalized atom, or None when it is not plain arithmetic (sympy will decide)."""
    if len(atom) > MAX_EVAL_CHARS:
        return None
    m = _MIXED.match(atom)
    try:
        if m:
            whole = Fraction(int(m.group(2))) + Fraction(int(m.group(3)), int(m.group(4)))
            return _exact(-whole if m.group(1) else whole)
        p = _Parser(tokenize(atom))
        v = p.expr()
        if p.peek() is not None:
            return None
        return v
    except (Unknown, ValueError, ZeroDivisionError, OverflowError):
        return None


def definitely_different(a: Value, b: Value) -> bool:
    """True only when the error bounds prove the two values differ (never for a near tie)."""
    if not all(map(math.isfinite, (a.x, b.x, a.err, b.err))):
        return False
    slack = 4 * (a.err + b.err) + 1e-13 * max(abs(a.x), abs(b.x))
    return abs(a.x - b.x) > slack


_PLAIN = re.compile(r"^(-?)0*(\d*)(?:\.(\d*?)0*)?$")


def plain_number_key(s: str) -> tuple[str, str, str] | None:
    """Canonical (sign, integer digits, fraction digits) of a plain decimal literal of any length."""
    m = _PLAIN.match(s)
    if m is None or not (m.group(2) or m.group(3) or s.lstrip("-").startswith("0")):
        return None
    if not any(ch.isdigit() for ch in s):
        return None
    ints, frac = m.group(2), m.group(3) or ""
    sign = "" if not (ints or frac) else m.group(1)
    return (sign, ints, frac)
