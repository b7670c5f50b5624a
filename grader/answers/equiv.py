"""Structure of an answer (tuple, interval, set, list, union, matrix, equation, atom) and equivalence.

Comparison is three-valued: True, False, or None ("cannot tell without a CAS"). The main process
compares with :func:`fast_atom_cmp` only; a None result is sent to a worker process, which runs the
very same structural comparison with sympy behind the atom comparator (:mod:`grader.answers.symbolic`).

Rules (see docs/grading.md): tuples and intervals are ordered and their brackets must match; bare
lists of solutions and ``\\{...\\}`` sets are unordered multisets; unions compare their parts
unordered; matrices elementwise (a column or row vector also matches a parenthesized tuple);
``x = 5`` matches ``5``; ``a \\pm b`` is the list ``a+b, a-b``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from grader.answers.normalize import TooComplex
from grader.answers.number import _GREEK, definitely_different, evaluate, plain_number_key

EXACT, NUMERIC, SYMBOLIC = 0, 1, 2  # how a True verdict was reached, weakest evidence wins the label
METHOD_NAMES = ("exact", "numeric", "symbolic")
MAX_UNORDERED = 40  # unordered items left after removing identical ones; beyond this: too complex

Result = tuple["bool | None", int]
AtomCmp = Callable[[str, str], Result]


@dataclass(frozen=True)
class Node:
    """One parsed answer: ``kind`` is atom, tuple, set, list, union, matrix or eq."""

    kind: str
    items: tuple["Node", ...] = ()
    text: str = ""
    brackets: str = ""
    shape: tuple[int, int] = (0, 0)


def _atom(text: str) -> Node:
    return Node("atom", text=text)


def split_top(s: str, sep: str) -> list[str]:
    """Split ``s`` at ``sep`` where it is outside every bracket pair (``\\{ \\}`` included).

    Only brackets, backslashes and separators are visited (a regex jumps over everything else), so
    a long run of digits costs almost nothing.
    """
    if sep not in s:
        return [s]
    parts: list[str] = []
    depth = 0
    start = 0
    word_sep = sep[0] == "\\" and sep[-1].isalpha()
    for m in _SPLIT_EVENTS[sep].finditer(s):
        i = m.start()
        tok = m.group()
        if tok == sep:
            end = m.end()
            if depth == 0 and not (word_sep and end < len(s) and s[end].isalpha()):
                parts.append(s[start:i])
                start = end
                continue
        if tok[0] == "\\":
            depth += {"\\{": 1, "\\}": -1}.get(tok, 0)
        elif tok in "([{":
            depth += 1
        elif tok in ")]}":
            depth -= 1
    parts.append(s[start:])
    return parts


class _SplitEvents(dict):
    """Per separator, a regex for the characters that matter to :func:`split_top`."""

    def __missing__(self, sep: str) -> re.Pattern[str]:
        self[sep] = re.compile(re.escape(sep) + r"|\\(?:[A-Za-z]+|.)|[()\[\]{}]", re.S)
        return self[sep]


_SPLIT_EVENTS = _SplitEvents()


def _outer_pair(s: str) -> tuple[str, str, str] | None:
    """``(open, close, inner)`` when one bracket pair wraps all of ``s``; intervals may mix types."""
    if s.startswith("\\{"):
        opener = "\\{"
    elif s[:1] in ("(", "["):
        opener = s[0]
    else:
        return None
    depth = 0
    i = 0
    n = len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            nxt = s[i + 1 : i + 2]
            if nxt in ("{", "}"):
                depth += 1 if nxt == "{" else -1
                if depth == 0:
                    return (opener, "\\}", s[2:-2]) if i + 2 == n and opener == "\\{" else None
            i += 2
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                if i == n - 1 and opener != "\\{" and ch in ")]":
                    return (opener, ch, s[1:-1])
                return None
        i += 1
    return None


_GROUPED = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_MATRIX = re.compile(r"^\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[lcr|]*\})?(.*)\\end\{\1\}$", re.S)
_NAME = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?[0-9A-Za-z]+\}?)?'*(?:\([A-Za-z]\))?$")


def _is_name(s: str) -> bool:
    """A variable or function name that may stand left of ``=`` in an answer such as ``x = 5``."""
    m = _NAME.match(s)
    if m is None:
        return False
    if s.startswith("\\"):
        return s[1:].split("_")[0].split("(")[0] in _GREEK
    return True


def _is_name_tuple(s: str) -> bool:
    pair = _outer_pair(s)
    return pair is not None and pair[0] == "(" and all(_is_name(p) for p in split_top(pair[2], ","))


def _flat(node: Node) -> tuple[Node, ...]:
    return node.items if node.kind == "list" else (node,)


def _expand_pm(s: str) -> Node | None:
    """``a \\pm b`` as the unordered list ``a+b, a-b``; None when there is no top-level ``\\pm``."""
    for sign, (first, second) in (("\\pm", ("+", "-")), ("\\mp", ("-", "+"))):
        parts = split_top(s, sign)
        if len(parts) > 1:
            left, right = parts[0], sign.join(parts[1:])
            items = _flat(parse(left + first + right, False)) + _flat(parse(left + second + right, False))
            return Node("list", items)
    return None


def parse(s: str, grouping: bool = True) -> Node:
    """Parse a normalized answer. ``grouping``: read ``1,000`` as one number, not a list."""
    if s == "\\emptyset":
        return Node("set")
    parts = split_top(s, "\\cup")
    if len(parts) > 1:
        return Node("union", tuple(parse(p, False) for p in parts))
    m = _MATRIX.match(s)
    if m:
        rows = [r for r in split_top(m.group(2), "\\\\") if r.strip()]
        cells = [split_top(r, "&") for r in rows]
        width = len(cells[0]) if cells else 0
        if cells and all(len(c) == width for c in cells):
            items = tuple(parse(c, False) for row in cells for c in row)
            return Node("matrix", items, shape=(len(cells), width))
        return _atom(s)
    if grouping and _GROUPED.match(s):
        return _atom(s.replace(",", ""))
    parts = [p for chunk in split_top(s, ";") for p in split_top(chunk, ",")]
    if len(parts) > 1:
        items = tuple(x for p in parts if p for x in _flat(parse(p, False)))
        return items[0] if len(items) == 1 else Node("list", items)
    pair = _outer_pair(s)
    if pair is not None:
        opener, closer, inner = pair
        inner_parts = split_top(inner, ",")
        if opener == "\\{":
            items = () if not inner.strip() else tuple(x for p in inner_parts for x in _flat(parse(p, False)))
            return Node("set", items)
        if len(inner_parts) > 1:
            return Node("tuple", tuple(parse(p, False) for p in inner_parts), brackets=opener + closer)
        if opener + closer in ("()", "[]"):
            return parse(inner, grouping)
    parts = split_top(s, "=")
    if len(parts) > 1:
        return Node("eq", tuple(parse(p, False) if i else _atom(p) for i, p in enumerate(parts)))
    parts = split_top(s, "\\in")
    if len(parts) == 2 and _is_name(parts[0]):
        return Node("eq", (_atom(parts[0]), parse(parts[1], False)))
    expanded = _expand_pm(s)
    if expanded is not None:
        return expanded
    return _atom(s)


def _is_assignment(node: Node) -> bool:
    lhs = node.items[0].text
    return _is_name(lhs) or _is_name_tuple(lhs)


def _all(results: list[Result]) -> Result:
    """Conjunction of three-valued results; the label is the weakest evidence used."""
    method = max((m for _, m in results), default=EXACT)
    if any(v is False for v, _ in results):
        return False, method
    if all(v is True for v, _ in results):
        return True, method
    return None, method


def _has_matching(edges: list[list[int]], n: int) -> bool:
    """Whether the bipartite graph (left i -> right j in edges[i]) has a perfect matching (Kuhn)."""
    owner = [-1] * n

    def augment(i: int, seen: list[bool]) -> bool:
        for j in edges[i]:
            if not seen[j]:
                seen[j] = True
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(augment(i, [False] * n) for i in range(n))


def _unordered(cs: tuple[Node, ...], rs: tuple[Node, ...], cmp: AtomCmp) -> Result:
    if len(cs) != len(rs):
        return False, EXACT
    left = Counter(cs)
    left.subtract(Counter(rs))
    rest_c = [n for n, k in left.items() for _ in range(max(k, 0))]
    rest_r = [n for n, k in left.items() for _ in range(max(-k, 0))]
    n = len(rest_c)
    if n == 0:
        return True, EXACT
    if n > MAX_UNORDERED:
        raise TooComplex("too many unordered items")
    table = [[compare(c, r, cmp) for r in rest_r] for c in rest_c]
    sure = [[j for j in range(n) if table[i][j][0] is True] for i in range(n)]
    maybe = [[j for j in range(n) if table[i][j][0] is not False] for i in range(n)]
    method = max((m for row in table for v, m in row if v is not False), default=EXACT)
    if _has_matching(sure, n):
        return True, method
    if not _has_matching(maybe, n):
        return False, method
    return None, method


def _equation_difference(node: Node) -> str:
    return f"{node.items[0].text}-({node.items[-1].text})"


def _compare_equations(c: Node, r: Node, cmp: AtomCmp) -> Result:
    if _is_assignment(c) and _is_assignment(r):
        if c.items[0].text != r.items[0].text:
            return False, EXACT
        return compare(c.items[-1], r.items[-1], cmp)
    if any(side.kind != "atom" for side in (c.items[0], c.items[-1], r.items[0], r.items[-1])):
        return False, EXACT
    dc, dr = _equation_difference(c), _equation_difference(r)
    same, m1 = cmp(dc, dr)
    if same is True:
        return True, m1
    flipped, m2 = cmp(f"-({dc})", dr)  # the same equation with its sides swapped
    if flipped is True:
        return True, m2
    if same is False and flipped is False:
        return False, max(m1, m2)
    return None, max(m1, m2)


def compare(c: Node, r: Node, cmp: AtomCmp) -> Result:
    """Three-valued equivalence of candidate ``c`` and reference ``r``; ``cmp`` compares atoms."""
    if c == r:
        return True, EXACT
    if c.kind == "eq" and r.kind == "eq":
        return _compare_equations(c, r, cmp)
    if r.kind == "eq":
        return compare(c, r.items[-1], cmp) if _is_assignment(r) else (False, EXACT)
    if c.kind == "eq":
        return compare(c.items[-1], r, cmp)
    if c.kind == "atom" and r.kind == "atom":
        return cmp(c.text, r.text)
    unordered = {"list", "set"}
    if c.kind in unordered and r.kind in unordered or c.kind == r.kind == "union":
        return _unordered(c.items, r.items, cmp)
    if c.kind == "set" and len(c.items) == 1 and r.kind == "atom":
        return compare(c.items[0], r, cmp)
    if r.kind == "set" and len(r.items) == 1 and c.kind == "atom":
        return compare(c, r.items[0], cmp)
    if c.kind == r.kind == "tuple" and c.brackets == r.brackets or c.kind == r.kind == "matrix" and c.shape == r.shape:
        if len(c.items) != len(r.items):
            return False, EXACT
        return _all([compare(a, b, cmp) for a, b in zip(c.items, r.items)])
    vector = {c.kind, r.kind} == {"matrix", "tuple"}
    if vector:
        m, t = (c, r) if c.kind == "matrix" else (r, c)
        if t.brackets == "()" and 1 in m.shape and len(m.items) == len(t.items):
            return _all([compare(a, b, cmp) for a, b in zip(c.items, r.items)])
    return False, EXACT


_TEXT_ATOM = re.compile(r"^\\text\{[a-z0-9]*\}$")
_BASE = re.compile(r"^([0-9A-Za-z]+)_\{?(\d+)\}?$")


def _text_key(s: str) -> str:
    return s[6:-1] if _TEXT_ATOM.match(s) else re.sub(r"[^a-z0-9]", "", s.lower())


def _digits(s: str) -> str:
    return s.lower().lstrip("0") or "0"


def fast_atom_cmp(c: str, r: str) -> Result:
    """Compare two atoms without a CAS: identical text, text answers, bases, exact numbers, bounds."""
    if c == r:
        return True, EXACT
    if _TEXT_ATOM.match(c) or _TEXT_ATOM.match(r):
        return _text_key(c) == _text_key(r), EXACT
    if "\\infty" in c or "\\infty" in r:
        return False, EXACT
    bc, br = _BASE.match(c), _BASE.match(r)
    if bc or br:  # 52_8: the subscript may be left out, but a different base is wrong
        if bc and br:
            return bc.group(2) == br.group(2) and _digits(bc.group(1)) == _digits(br.group(1)), EXACT
        digits, other = (br.group(1), c) if br else (bc.group(1), r)  # type: ignore[union-attr]
        if other.isalnum():
            return _digits(digits) == _digits(other), EXACT
    kc, kr = plain_number_key(c), plain_number_key(r)
    if kc is not None and kr is not None:
        return kc == kr, NUMERIC
    vc, vr = evaluate(c), evaluate(r)
    if vc is not None and vr is not None:
        if vc.exact is not None and vr.exact is not None:
            return vc.exact == vr.exact, NUMERIC
        if definitely_different(vc, vr):
            return False, NUMERIC
    return None, NUMERIC


def parse_pair(cand: str, ref: str) -> tuple[Node, Node]:
    """Parse both normalized answers; digit grouping in the candidate only when the reference is one value."""
    ref_node = parse(ref)
    return parse(cand, grouping=ref_node.kind in ("atom", "eq")), ref_node


def equivalent(cand: str, ref: str, cmp: AtomCmp = fast_atom_cmp) -> Result:
    """Three-valued equivalence of two normalized answers."""
    if cand == ref:
        return True, EXACT
    c, r = parse_pair(cand, ref)
    return compare(c, r, cmp)
