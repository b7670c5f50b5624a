"""How a command ends: its exit code, or one line for a user's mistake or an interrupt (no traceback)."""

from __future__ import annotations

import sys
from typing import Callable


def one_line_errors(command: Callable[[], int | None]) -> int:
    """Run ``command``; a UserError prints ``error: <message>`` and exits with its code, Ctrl-C with 130."""
    from grader.errors import UserError

    try:
        return int(command() or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
