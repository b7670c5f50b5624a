"""Read a normalized answer as a structure: tuple, interval, set, list, union, matrix, equation, record,
relation, ratio or a single expression (an atom).

Why a separate step: the structure decides how two answers compare (:mod:`grader.answers.equiv`), and
reading it is the same for every comparison. Splitting is by top-level separators only (brackets and
``\\{ \\}`` respected), so the cost is linear in the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.answers.names import is_label, is_name
from grader.answers.relation import intervals, split_relation


@dataclass(frozen=True)
class Node:
    """One parsed answer: ``kind`` is atom, tuple, set, list, union, matrix, eq, record, rel or ratio.

    ``ops`` are a relation's operators (``("\\in",)`` for ``x \\in I``); ``labels`` a record's names,
    or the variable of an interval read from a relation.
    """

    kind: str
    items: tuple["Node", ...] = ()
    text: str = ""
    brackets: str = ""
    shape: tuple[int, int] = (0, 0)
    ops: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


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
_BUILDER = re.compile(r"^([A-Za-z])(?:\\in[^|:]*?)?(?:\\mid|\||:)(.+)$")


def _is_name_tuple(s: str) -> bool:
    pair = _outer_pair(s)
    return pair is not None and pair[0] == "(" and all(is_name(p) for p in split_top(pair[2], ","))


def _elements(inner: str) -> list[str]:
    """Elements inside brackets: separated by commas, or by semicolons (``(0;-2;6)``) when there is no comma."""
    parts = split_top(inner, ",")
    return split_top(inner, ";") if len(parts) == 1 else parts


def _interval(var: str, low: str, high: str, brackets: str) -> Node:
    return Node("tuple", (_atom(low), _atom(high)), brackets=brackets, labels=(var,))


def _set_builder(inner: str) -> Node | None:
    """``\\{x \\mid -1 < x \\leq 2\\}`` as the interval ``(-1, 2]`` (``x<-1`` or ``x>3``: a union); None
    for any other set."""
    m = _BUILDER.match(inner)
    if m is None:
        return None
    conditions = [_atom_relation(part) for part in split_top(m.group(2), ";")]
    found = as_interval(Node("list", tuple(c for c in conditions if c))) if all(conditions) else None
    return found if found is not None and found.labels == (m.group(1),) else None


def _atom_relation(s: str) -> Node | None:
    relation = split_relation(s)
    return None if relation is None else Node("rel", tuple(_atom(x) for x in relation[0]), ops=tuple(relation[1]))


def _record(items: tuple[Node, ...]) -> Node | None:
    """``AB=4, CD=5``: values named by distinct labels; None unless every item is such an assignment."""
    if not all(x.kind == "eq" and is_assignment(x) for x in items):
        return None
    labels = tuple(x.items[0].text for x in items)
    return Node("record", items, labels=labels) if len(set(labels)) == len(labels) else None


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
    approximate = split_top(s, "\\approx")
    if len(approximate) > 1 and approximate[0]:  # an exact value, then its approximation: the exact one counts
        s = approximate[0]
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
    chunks = split_top(s, ";")
    if len(chunks) > 1:  # p=5,q=2;p=7,q=2: alternatives, each a record
        groups = tuple(parse(chunk, False) for chunk in chunks if chunk)
        if groups and all(g.kind == "record" for g in groups):
            return Node("list", groups)
    parts = [p for chunk in chunks for p in split_top(chunk, ",")]
    if len(parts) > 1:
        items = tuple(x for p in parts if p for x in _flat(parse(p, False)))
        return items[0] if len(items) == 1 else _record(items) or Node("list", items)
    pair = _outer_pair(s)
    if pair is not None:
        opener, closer, inner = pair
        inner_parts = _elements(inner)
        if opener == "\\{":
            builder = _set_builder(inner)
            if builder is not None:
                return builder
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
    if len(parts) == 2 and is_name(parts[0]):
        return Node("eq", (_atom(parts[0]), parse(parts[1], False)), ops=("\\in",))
    relation = _atom_relation(s)
    if relation is not None:
        return relation
    parts = split_top(s, ":")
    if len(parts) > 1 and all(parts):
        return Node("ratio", tuple(_atom(p) for p in parts))
    expanded = _expand_pm(s)
    if expanded is not None:
        return expanded
    return _atom(s)


def is_assignment(node: Node) -> bool:
    lhs = node.items[0].text
    return is_label(lhs) or _is_name_tuple(lhs)


def as_interval(node: Node) -> Node | None:
    """The interval a relation in one variable describes (a union for ``x \\neq a`` or a list of them), or None."""
    rels = node.items if node.kind == "list" else (node,)
    if not rels or any(x.kind != "rel" for x in rels):
        return None
    found = []
    for rel in rels:
        part = intervals([x.text for x in rel.items], list(rel.ops))
        if part is None:
            return None
        found.extend(_interval(*p) for p in part)
    if len({p.labels for p in found}) != 1:
        return None
    return found[0] if len(found) == 1 else Node("union", tuple(found), labels=found[0].labels)
