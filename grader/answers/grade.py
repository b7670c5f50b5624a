"""Public API of the grading core: is the last ``\\boxed{}`` of an output equivalent to the reference?

The course rule and every equivalence are documented in docs/grading.md. Work is split so that
most verdicts never touch a CAS:

1. :mod:`grader.answers.extract` finds the last box (no box, empty or unclosed box: wrong);
2. :mod:`grader.answers.normalize` rewrites both answers to canonical LaTeX;
3. :mod:`grader.answers.equiv` compares their structure with exact arithmetic
   (:mod:`grader.answers.number`), settling almost every case in the calling process;
4. what is left goes to killable sympy workers (:mod:`grader.answers.pool`,
   :mod:`grader.answers.symbolic`) with a time and memory cap.

Importing this module imports neither sympy nor torch.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from grader.answers.equiv import METHOD_NAMES, equivalent
from grader.answers.extract import OK, extract_last_boxed, find_last_box
from grader.answers.normalize import TooComplex, normalize
from grader.answers.pool import OK as JOB_OK
from grader.answers.pool import TIMEOUT as JOB_TIMEOUT
from grader.answers.pool import get_pool

__all__ = ["REASONS", "Verdict", "extract_last_boxed", "grade", "grade_fast", "grade_many", "is_correct"]

REASONS: dict[str, str] = {
    "exact": "correct: identical after normalization (spacing, \\left, \\dfrac, units, text case...)",
    "numeric": "correct: equal as exact numbers, elementwise for tuples, sets, matrices",
    "symbolic": "correct: sympy proves the difference is zero",
    "no_box": "wrong: the output has no \\boxed{...}",
    "empty_box": "wrong: the last box is empty",
    "unclosed_box": "wrong: the last box is never closed (a truncated output)",
    "mismatch": "wrong: the last box is not equivalent to the reference",
    "too_complex": "wrong: the answer is too large or too deeply nested to compare within bounds",
    "timeout": "wrong: the symbolic comparison ran out of time and its worker was killed",
    "error": "wrong: the symbolic worker failed (memory cap, parser crash)",
}

DEFAULT_TIMEOUT = 3.0  # seconds of sympy per verdict; with worker start-up a verdict stays under 5 s
DEFAULT_MEMORY_MB = 2048  # address-space cap of each symbolic worker
DEFAULT_WORKERS = 4  # at most; fewer than 2% of realistic verdicts need sympy, so more rarely helps
MAX_SYMBOLIC_CHARS = 1000  # real answers are far shorter; longer ones are not worth a CAS
MAX_ANSWER_CHARS = 200_000  # a box this large is not an answer (a 20,000-term sum still fits)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One grading decision: ``reason`` is a key of :data:`REASONS`; ``extracted`` is the raw box."""

    correct: bool
    extracted: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class _Pending:
    extracted: str
    candidate: str
    reference: str


_normalize_reference = lru_cache(maxsize=8192)(normalize)
_POOL_LOCK = threading.Lock()


def _fast(output: str, reference: str) -> Verdict | _Pending:
    """Everything decidable in this process; a :class:`_Pending` when sympy must decide."""
    status, content = find_last_box(output)
    if status != OK or content is None:
        return Verdict(False, None, status)
    if len(content) > MAX_ANSWER_CHARS and content != reference:
        return Verdict(False, content, "too_complex")
    try:
        cand, ref = normalize(content), _normalize_reference(reference)
        if not cand:
            return Verdict(False, content, "mismatch")
        value, method = equivalent(cand, ref)
    except TooComplex:
        return Verdict(False, content, "too_complex")
    if value is not None:
        return Verdict(value, content, METHOD_NAMES[method] if value else "mismatch")
    if len(cand) > MAX_SYMBOLIC_CHARS or len(ref) > MAX_SYMBOLIC_CHARS:
        return Verdict(False, content, "too_complex")
    return _Pending(content, cand, ref)


def _finish(p: _Pending, status: str, equal: bool, method: int) -> Verdict:
    if status == JOB_OK:
        return Verdict(equal, p.extracted, METHOD_NAMES[method] if equal else "mismatch")
    return Verdict(False, p.extracted, "timeout" if status == JOB_TIMEOUT else "error")


def grade_many(pairs: Iterable[tuple[str, str]], workers: int | None = None,
               timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
               progress: bool = False) -> list[Verdict]:
    """Grade ``(output, reference)`` pairs, in order; symbolic cases run on ``workers`` processes
    (default: the CPU count, at most :data:`DEFAULT_WORKERS`).

    Identical symbolic questions are asked once. ``progress`` shows a tqdm bar on stderr.
    """
    pairs = list(pairs)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(pairs), desc="grading", unit="item", leave=False, disable=None)
    first = []
    for output, reference in pairs:
        first.append(_fast(output, reference))
        if bar is not None and isinstance(first[-1], Verdict):
            bar.update()
    pending = [v for v in first if isinstance(v, _Pending)]
    jobs = list(dict.fromkeys((p.candidate, p.reference) for p in pending))
    answers: dict[tuple[str, str], tuple[str, bool, int]] = {}
    if bar is not None:
        bar.total = len(pairs) - len(pending) + len(jobs)  # duplicates are asked once
        bar.refresh()
    if jobs:
        size = workers or min(DEFAULT_WORKERS, os.cpu_count() or 1)
        done = (lambda: bar.update()) if bar is not None else None
        with _POOL_LOCK:
            results = get_pool(memory_mb).run(jobs, size, timeout, on_done=done)
        answers = dict(zip(jobs, results))
    if bar is not None:
        bar.close()
    return [v if isinstance(v, Verdict) else _finish(v, *answers[(v.candidate, v.reference)]) for v in first]


def grade_fast(output: str, reference: str) -> Verdict | None:
    """``grade`` without sympy: the verdict when this process decides it (almost always), else None.

    For bulk checks that must stay cheap and start no worker (``check``'s answer warnings).
    """
    verdict = _fast(output, reference)
    return verdict if isinstance(verdict, Verdict) else None


def grade(output: str, reference: str, timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    """Grade one output: its last box against the reference."""
    return grade_many([(output, reference)], workers=1, timeout=timeout)[0]


def is_correct(output: str, reference: str) -> bool:
    """The course rule as a boolean: the last box of ``output`` is equivalent to ``reference``."""
    return grade(output, reference).correct
