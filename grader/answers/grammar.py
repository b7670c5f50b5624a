"""The small arithmetic grammar both fast-path readers share: its tokens and its recursive descent.

:mod:`grader.answers.number` reads an atom as a number (exact, or bounded floating point) and
:mod:`grader.answers.canon` as a canonically ordered sum of products. They must agree on what an atom
*says*, so they parse it once, the same way, with the same refusals of ambiguous input (``a/bc``,
``a^b^c``, implicit products only where they cannot be misread); a subclass says what a sum, product,
power or primary is in its own terms.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Generic, TypeVar

MAX_NESTING = 64

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Phi", "Psi", "Omega",
}
MUL = {"*", r"\cdot", r"\times"}
DIV = {"/", r"\div"}
_TOKEN = re.compile(
    r"\s*(?:(\d+(?:\.\d*)?|\.\d+|\.(?=\\overline|\\bar))|(\\[A-Za-z]+)|(\\[{}]|[^\sA-Za-z0-9\\])|([A-Za-z]))"
)

T = TypeVar("T")


class Unknown(Exception):
    """The answer is outside the small unambiguous grammar the fast path reads."""


def tokenize(s: str) -> list[str]:
    """Numbers, macros, single symbols and single letters, in order; Unknown on anything else."""
    tokens: list[str] = []
    pos = 0
    n = len(s)
    while pos < n:
        m = _TOKEN.match(s, pos)
        if m is None:
            if s[pos:].strip() == "":
                break
            raise Unknown("unexpected character")
        tokens.append(m.group(m.lastindex or 0))
        pos = m.end()
    return tokens


def is_number(tok: str) -> bool:
    return tok[0].isdigit() or tok[0] == "."


class TokenParser(Generic[T]):
    """Sums, products, signs, powers and groups over a token list; subclasses read primaries and
    exponents and say what ``add``, ``neg``, ``mul``, ``div`` and ``raise_to`` build."""

    MACROS: frozenset[str] = frozenset(GREEK)  # macro names (without the backslash) that start a primary

    def __init__(self, tokens: list[str]):
        self.t = tokens
        self.i = 0
        self.depth = 0

    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise Unknown("unexpected token")
        self.i += 1
        return tok

    def starts_primary(self, tok: str | None) -> bool:
        if tok is None:
            return False
        return (is_number(tok) or tok in ("(", "{", r"\frac", r"\sqrt", r"\pi")
                or (tok.startswith("\\") and tok[1:] in self.MACROS) or (len(tok) == 1 and tok.isalpha()))

    def add(self, a: T, b: T) -> T:
        raise NotImplementedError

    def neg(self, a: T) -> T:
        raise NotImplementedError

    def mul(self, a: T, b: T) -> T:
        raise NotImplementedError

    def div(self, a: T, b: T) -> T:
        raise NotImplementedError

    def constant(self, a: T) -> Fraction | None:
        """The exact rational value of ``a``, if it has one (for root indices)."""
        raise NotImplementedError

    def exponent(self) -> T:
        """What follows ``^``."""
        raise NotImplementedError

    def raise_to(self, base: T, exp: T) -> T:
        raise NotImplementedError

    def primary(self) -> T:
        raise NotImplementedError

    def power(self) -> T:
        base = self.primary()
        if self.peek() != "^":
            return base
        self.take()
        exp = self.exponent()
        if self.peek() == "^":
            raise Unknown("a^b^c is ambiguous")
        return self.raise_to(base, exp)

    def expr(self) -> T:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise Unknown("too deep")
        v = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            w = self.term()
            v = self.add(v, w if op == "+" else self.neg(w))
        self.depth -= 1
        return v

    def term(self) -> T:
        v = self.signed()
        while True:
            tok = self.peek()
            if tok in MUL:
                self.take()
                v = self.mul(v, self.signed())
            elif tok in DIV:
                self.take()
                d = self.power()
                if self.starts_primary(self.peek()):
                    raise Unknown("a/bc is ambiguous")
                v = self.div(v, d)
            elif self.starts_primary(tok):
                v = self.mul(v, self.power())
            else:
                return v

    def signed(self) -> T:
        tok = self.peek()
        if tok == "-":
            self.take()
            return self.neg(self.signed())
        if tok == "+":
            self.take()
            return self.signed()
        return self.power()

    def group(self, opener: str) -> T:
        """The expression after ``(`` or ``{``, up to its closing bracket."""
        v = self.expr()
        self.take(")" if opener == "(" else "}")
        return v

    def root_index(self) -> int:
        """``k`` of ``\\sqrt[k]{...}`` (2 without brackets), an integer from 2 to 12."""
        if self.peek() != "[":
            return 2
        self.take()
        index = self.constant(self.expr())
        self.take("]")
        if index is None or index.denominator != 1 or not 2 <= index <= 12:
            raise Unknown("bad root index")
        return int(index)
