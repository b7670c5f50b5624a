"""argparse types shared by the commands: a bad number is a one-line usage error, not a traceback."""

from __future__ import annotations

import argparse


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


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0."""
    value = _number(text, float, 0, "a positive number")
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value
