"""One exception type for user mistakes, so every entry point prints one line and exits non-zero."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave us (file, key, example, limit).

    The CLI prints ``error: <message>`` on one line, with no traceback, and exits with
    ``exit_code`` (1: the submission or input breaks a rule; 2: the command was used wrongly).
    """

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
