"""Equivalence of two parsed answers (:mod:`grader.answers.parse` reads their structure).

Comparison is three-valued: True, False, or None ("cannot tell without a CAS"). The main process
compares with :func:`fast_atom_cmp` only; a None result is sent to a worker process, which runs the
very same structural comparison with sympy behind the atom comparator (:mod:`grader.answers.symbolic`).

Rules (see docs/grading.md): tuples and intervals are ordered and their brackets must match; bare
lists of solutions and ``\\{...\\}`` sets are unordered multisets; unions compare their parts
unordered; matrices elementwise (a column or row vector also matches a parenthesized tuple);
``x = 5`` matches ``5``; ``a \\pm b`` is the list ``a+b, a-b``. Values labelled with distinct names
(``AB=4, CD=5``) form a *record*, matched label by label or, given bare, in order; records separated
by ``;`` are alternatives. Relations keep their operators (an interval answer matches a relation in one
variable); ratios are equal when proportional; a reference that reads as a clock time is a time.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable

from grader.answers.canon import canonical, canonical_up_to_scale, distinct_polynomials
from grader.answers.clock import clock_time, same_time
from grader.answers.names import same_label
from grader.answers.normalize import TooComplex
from grader.answers.number import definitely_different, evaluate, plain_number_key
from grader.answers.parse import Node, as_interval, is_assignment, parse
from grader.answers.relation import FLIP

EXACT, NUMERIC, SYMBOLIC = 0, 1, 2  # how a True verdict was reached, weakest evidence wins the label
METHOD_NAMES = ("exact", "numeric", "symbolic")
MAX_UNORDERED = 40  # unordered items left after removing identical ones; beyond this: too complex

Result = tuple["bool | None", int]
AtomCmp = Callable[[str, str], Result]


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


def _any(results: list[Result]) -> Result:
    """Disjunction of three-valued results (no result at all is False)."""
    for value, method in results:
        if value is True:
            return True, method
    method = max((m for _, m in results), default=EXACT)
    return (False if all(v is False for v, _ in results) else None), method


def _unordered(cs: tuple[Node, ...], rs: tuple[Node, ...], cmp: AtomCmp) -> Result:
    if len(set(rs)) == len(rs) and len(set(cs)) < len(cs):  # an answer may repeat an item the reference lists once
        cs = tuple(dict.fromkeys(cs))
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
    if is_assignment(c) and is_assignment(r):
        if not same_label(c.items[0].text, r.items[0].text, c.items[-1].text, r.items[-1].text):
            return False, EXACT
        return compare(c.items[-1], r.items[-1], cmp)
    if any(side.kind != "atom" for side in (c.items[0], c.items[-1], r.items[0], r.items[-1])):
        return False, EXACT
    dc, dr = _equation_difference(c), _equation_difference(r)
    scaled = canonical_up_to_scale(dc)
    if scaled is not None and scaled == canonical_up_to_scale(dr):  # 2x+4y=3 is 4y = 3-2x is y = -x/2 + 3/4
        return True, NUMERIC
    same, m1 = cmp(dc, dr)
    if same is True:
        return True, m1
    flipped, m2 = cmp(f"-({dc})", dr)  # the same equation with its sides swapped
    if flipped is True:
        return True, m2
    if same is False and flipped is False:
        return False, max(m1, m2)
    return None, max(m1, m2)


def _compare_records(c: Node, r: Node, cmp: AtomCmp) -> Result:
    """A reference record matches a record with the same labels, or bare values (or a tuple) in its order."""
    if r.kind != "record":  # the answer names its values, the reference does not: compare as equations
        return compare(Node("list", c.items), r, cmp)
    if c.kind == "record":
        if sorted(c.labels) != sorted(r.labels):
            return False, EXACT
        by_label = dict(zip(c.labels, c.items))
        return _all([compare(by_label[label].items[-1], x.items[-1], cmp) for label, x in zip(r.labels, r.items)])
    bare = c.kind == "list" and all(x.kind != "eq" for x in c.items) or c.kind == "tuple" and c.brackets == "()"
    if not bare or len(c.items) != len(r.items):
        return False, EXACT
    return _all([compare(a, b.items[-1], cmp) for a, b in zip(c.items, r.items)])


def _compare_relations(c: Node, r: Node, cmp: AtomCmp) -> Result:
    """Same operators and operands, the chain read backwards (``5 \\geq x``), or one relation's two sides
    moved across (``-x > -1`` is ``x < 1``)."""
    ci, ri = as_interval(c), as_interval(r)
    if ci is not None and ri is not None and ci.labels == ri.labels:  # -\\infty < x < 3 is x < 3
        return compare(ci, ri, cmp)
    if len(c.items) != len(r.items):
        return False, EXACT
    results = []
    if c.ops == r.ops:
        results.append(_all([compare(a, b, cmp) for a, b in zip(c.items, r.items)]))
    if c.ops == tuple(FLIP[op] for op in reversed(r.ops)):
        results.append(_all([compare(a, b, cmp) for a, b in zip(c.items, reversed(r.items))]))
    if len(c.items) == 2:
        dc, dr = f"{c.items[0].text}-({c.items[1].text})", f"{r.items[0].text}-({r.items[1].text})"
        if c.ops == r.ops:
            results.append(cmp(dc, dr))
        if c.ops[0] == FLIP[r.ops[0]]:
            results.append(cmp(f"-({dc})", dr))
    return _any(results)


def _variable_clash(named: Node, other: Node) -> bool:
    """``x \\in I`` against a relation in another variable."""
    found = as_interval(other) if named.ops == ("\\in",) else None
    return found is not None and named.items[0].text not in found.labels


def _compare_ratios(c: Node, r: Node, cmp: AtomCmp) -> Result:
    """Ratios are equal when proportional (every cross product agrees); ``a:b`` also equals ``a/b``."""
    if c.kind == r.kind == "ratio":
        if len(c.items) != len(r.items):
            return False, EXACT
        cs, rs = [x.text for x in c.items], [x.text for x in r.items]
        pairs = [(i, j) for i in range(len(cs)) for j in range(i + 1, len(cs))]
        return _all([cmp(f"({cs[i]})\\cdot({rs[j]})", f"({cs[j]})\\cdot({rs[i]})") for i, j in pairs])
    ratio, other = (c, r) if c.kind == "ratio" else (r, c)
    if len(ratio.items) != 2 or other.kind != "atom":
        return False, EXACT
    quotient = f"\\frac{{{ratio.items[0].text}}}{{{ratio.items[1].text}}}"
    return cmp(other.text, quotient) if other is c else cmp(quotient, other.text)


def compare(c: Node, r: Node, cmp: AtomCmp) -> Result:
    """Three-valued equivalence of candidate ``c`` and reference ``r``; ``cmp`` compares atoms."""
    if c == r:
        return True, EXACT
    if c.kind == "eq" and r.kind == "eq":
        return _compare_equations(c, r, cmp)
    if r.kind == "eq":
        if not is_assignment(r) or _variable_clash(r, c):
            return False, EXACT
        return compare(c, r.items[-1], cmp)
    if c.kind == "eq":
        return (False, EXACT) if _variable_clash(c, r) else compare(c.items[-1], r, cmp)
    if "record" in (c.kind, r.kind):
        return _compare_records(c, r, cmp)
    if c.kind == r.kind == "rel":
        return _compare_relations(c, r, cmp)
    if "ratio" in (c.kind, r.kind):
        return _compare_ratios(c, r, cmp)
    intervals, relations = ("tuple", "union"), ("rel", "list")
    if c.kind in relations and r.kind in intervals or r.kind in relations and c.kind in intervals:
        ci, ri = as_interval(c), as_interval(r)
        if (ci is None) != (ri is None):
            return compare(ci or c, ri or r, cmp)
    if c.kind == "atom" and r.kind == "atom":
        return cmp(c.text, r.text)
    unordered = {"list", "set"}
    if c.kind in unordered and r.kind in unordered or c.kind == r.kind == "union":
        return _unordered(c.items, r.items, cmp)
    if c.kind == "set" and len(c.items) == 1 and r.kind == "atom":
        return compare(c.items[0], r, cmp)
    if r.kind == "set" and len(r.items) == 1 and c.kind == "atom":
        return compare(c, r.items[0], cmp)
    same_variable = not (c.labels and r.labels and c.labels != r.labels)  # intervals read from relations
    if c.kind == r.kind == "tuple" and c.brackets == r.brackets and same_variable \
            or c.kind == r.kind == "matrix" and c.shape == r.shape:
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
    kc = canonical(c)
    if kc is not None and kc == canonical(r):  # the same terms and factors in another order
        return True, EXACT
    if distinct_polynomials(c, r):
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
    time = clock_time(ref)
    if time is not None:  # the reference's form decides: a time is never a ratio
        return same_time(cand, time), EXACT
    c, r = parse_pair(cand, ref)
    return compare(c, r, cmp)
