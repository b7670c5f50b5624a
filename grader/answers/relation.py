"""Relations in an answer: ``x \\geq 5``, ``-1 \\leq x < 3``, ``a \\neq 0``, and the intervals they describe.

Normalization has already written every relation one way (``>=``, ``=>``, ``\\ge``, ``\\geqslant`` and
``≥`` are all ``\\geq``); here a relation chain is split at its top-level operators, and a relation in
one variable (``x > 5``, ``5 < x``, ``-1 \\leq x < 3``, ``x \\neq 2``) gives its interval (or two), so that it
can be compared with an interval answer: ``x \\geq 5`` is ``[5, \\infty)``, never ``(5, \\infty)``.
"""

from __future__ import annotations

import re

from grader.answers.names import is_name

FLIP = {"<": ">", ">": "<", "\\leq": "\\geq", "\\geq": "\\leq", "\\neq": "\\neq"}
_EVENTS = re.compile(r"\\(?:leq|geq|neq)(?![A-Za-z])|[<>]|\\(?:[A-Za-z]+|.)|[()\[\]{}]", re.S)
_UPWARD = {"<": False, "\\leq": True}  # operator -> closed end
_DOWNWARD = {">": False, "\\geq": True}


def split_relation(s: str) -> tuple[list[str], list[str]] | None:
    """(operands, operators) of a top-level relation chain, or None when ``s`` is not one."""
    operands: list[str] = []
    ops: list[str] = []
    depth = start = 0
    for m in _EVENTS.finditer(s):
        tok = m.group()
        if tok in FLIP and depth == 0:
            operands.append(s[start : m.start()].strip())
            ops.append(tok)
            start = m.end()
        elif tok in ("(", "[", "{", "\\{"):
            depth += 1
        elif tok in (")", "]", "}", "\\}"):
            depth -= 1
    if not ops:
        return None
    operands.append(s[start:].strip())
    return (operands, ops) if all(operands) else None


Interval = tuple[str, str, str, str]  # (variable, lower end, upper end, brackets)


def intervals(operands: list[str], ops: list[str]) -> list[Interval] | None:
    """The intervals whose union a relation in one variable describes (two for ``x \\neq a``), or None."""
    if len(ops) == 1:
        (a, b), op = operands, ops[0]
        if is_name(b) and not is_name(a):  # 5 < x is x > 5
            a, b, op = b, a, FLIP[op]
        if not is_name(a):
            return None
        if op == "\\neq":
            return [(a, "-\\infty", b, "()"), (a, b, "\\infty", "()")]
        if op in _UPWARD:
            return [(a, "-\\infty", b, "(" + ("]" if _UPWARD[op] else ")"))]
        return [(a, b, "\\infty", ("[" if _DOWNWARD[op] else "(") + ")")]
    if len(ops) == 2 and is_name(operands[1]):
        low, var, high = operands
        if all(op in _DOWNWARD for op in ops):  # 3 >= x > -1 is -1 < x <= 3
            low, high, ops = high, low, [FLIP[ops[1]], FLIP[ops[0]]]
        if all(op in _UPWARD for op in ops):
            return [(var, low, high, ("[" if _UPWARD[ops[0]] else "(") + ("]" if _UPWARD[ops[1]] else ")"))]
    return None
