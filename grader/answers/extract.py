"""Find the last ``\\boxed{...}`` (or ``\\fbox{...}``) in a model output: the only answer that counts.

The scan is linear in the text (megabytes of output must stay cheap) and never uses regex
backtracking over the box body: braces are matched by hand, skipping escaped ``\\{`` and ``\\}``.
"""

from __future__ import annotations

import re

OK = "ok"
NO_BOX = "no_box"
EMPTY_BOX = "empty_box"
UNCLOSED_BOX = "unclosed_box"

_BOX = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_BARE_TOKEN = re.compile(r"[^\s$]+")
_BRACE_EVENT = re.compile(r"\\.|[{}]", re.S)  # an escaped character (\{, \}, \\) never opens or closes


def closing_brace(text: str, open_at: int) -> int:
    """Index of the ``}`` that closes the ``{`` at ``open_at``, or -1 if the text ends first."""
    depth = 0
    for m in _BRACE_EVENT.finditer(text, open_at):
        tok = m.group()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


def find_last_box(text: str) -> tuple[str, str | None]:
    """Return ``(status, content)`` for the last box: status is ok, no_box, empty_box or unclosed_box.

    Boxes are found left to right, each one skipping over its own body, so a box nested in a box
    belongs to its outer box. An unclosed box runs to the end of the text, so it is always the last
    one (a truncated generation), and it makes the answer wrong even if an earlier box was closed.
    """
    result: tuple[str, str | None] = (NO_BOX, None)
    pos = 0
    n = len(text)
    while True:
        m = _BOX.search(text, pos)
        if m is None:
            return result
        k = m.end()
        while k < n and text[k] in " \t":
            k += 1
        if k < n and text[k] == "{":
            end = closing_brace(text, k)
            if end < 0:
                return (UNCLOSED_BOX, None)
            body = text[k + 1 : end]
            result = (OK, body) if body.strip() else (EMPTY_BOX, None)
            pos = end + 1
            continue
        bare = _BARE_TOKEN.match(text, k)  # the ``\boxed 5`` form: one bare token, up to a space or $
        if bare is not None:
            result = (OK, bare.group())
            pos = bare.end()
            continue
        result = (UNCLOSED_BOX, None) if text[k:].strip() == "" else (EMPTY_BOX, None)
        pos = k


def extract_last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}``/``\\fbox{...}`` (nested braces kept), else None.

    None when there is no box, or when the last box is empty or unclosed; text after the box is
    ignored.
    """
    status, content = find_last_box(text)
    return content if status == OK else None
