"""Answer grading: is the last ``\\boxed{}`` of an output equivalent to the reference?

The public API lives in :mod:`grader.answers.grade`; docs/grading.md has the rules.
Importing this package imports neither sympy nor torch.
"""

from grader.answers.grade import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    REASONS,
    Verdict,
    extract_last_boxed,
    grade,
    grade_fast,
    grade_many,
    is_correct,
)

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WORKERS",
    "REASONS",
    "Verdict",
    "extract_last_boxed",
    "grade",
    "grade_fast",
    "grade_many",
    "is_correct",
]
