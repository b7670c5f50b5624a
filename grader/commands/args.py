"""argparse types shared by the commands: a bad number is a one-line usage error, not a traceback."""

from __future__ import annotations

import argparse

from grader.submission.sandbox import ALLOW_UNCONFINED_ENV, UNCONFINED_FLAG


def _number(text: str, kind: type, low: float, what: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not low <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: 1, 2, 3, ..."""
    return _number(text, int, 1, "a positive integer")


def nonnegative_int(text: str) -> int:
    """An argparse type: 0, 1, 2, ..."""
    return _number(text, int, 0, "a whole number (0 or more)")


def add_unconfined_argument(parser: argparse.ArgumentParser) -> None:
    """The loud opt-out for grading where sft_utils.py cannot be confined (no bubblewrap, not root)."""
    parser.add_argument(
        UNCONFINED_FLAG, action="store_true",
        help=f"grading where sft_utils.py cannot be confined (no bubblewrap, not root): run it anyway as a plain "
        f"subprocess, which can read and change everything this user can (the same as {ALLOW_UNCONFINED_ENV}=1)",
    )  # fmt: skip


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0."""
    value = _number(text, float, 0, "a positive number")
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value
