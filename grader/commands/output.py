"""A command's result on stdout: a reader that leaves early (`status --json | head`) ends it quietly."""

from __future__ import annotations

import os
import sys


def emit(text: str) -> None:
    """Print ``text`` and flush; when the reader has gone, drop the rest (no traceback, no 'Exception ignored')."""
    try:
        print(text, flush=True)
    except BrokenPipeError:  # the exit code still says how the command went
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
