"""Clock times: ``1:00`` is one o'clock, not the ratio 1:0, so it never equals ``12:00``.

The reference's form decides: a reference that reads as a time (``H:MM``, minutes 00-59, hours
0-23, optionally ``am``/``pm`` as normalization writes them) is compared as a time and only a time
can match it; any other ``a:b`` is a ratio (:mod:`grader.answers.equiv`). ``3:45pm`` equals
``15:45`` and ``3:45`` (the suffix may be left out), never ``3:45am``.
"""

from __future__ import annotations

import re

_TIME = re.compile(r"^(\d{1,2}):([0-5]\d)(am|pm)?$")


def clock_time(s: str) -> tuple[int, int, str] | None:
    """(hour, minute, suffix) of a normalized time, or None."""
    m = _TIME.match(s)
    if m is None or int(m.group(1)) > 23 or (m.group(3) and not 1 <= int(m.group(1)) <= 12):
        return None
    return int(m.group(1)), int(m.group(2)), m.group(3) or ""


def _hour24(hour: int, suffix: str) -> int:
    return hour % 12 + (12 if suffix == "pm" else 0)


def same_time(cand: str, ref: tuple[int, int, str]) -> bool:
    """Whether the normalized candidate is the reference time."""
    c = clock_time(cand)
    if c is None or c[1] != ref[1]:
        return False
    (ch, _, cs), (rh, _, rs) = c, ref
    if cs and rs:
        return _hour24(ch, cs) == _hour24(rh, rs)
    if cs or rs:  # one side says am/pm: the other may give the same 12-hour or 24-hour reading
        hour, (h12, suffix) = (rh, (ch, cs)) if cs else (ch, (rh, rs))
        return hour in (h12, _hour24(h12, suffix))
    return ch == rh
