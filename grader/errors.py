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


def first_line(exc: BaseException, *, innermost: bool = False, limit: int = 200) -> str:
    """A library's exception as one short line: its message's first line, else its type.

    ``innermost``: the message of the exception's deepest cause instead (a wrapper such as
    "An error occurred while generating the dataset" hides the parse error that says what).
    """
    while innermost and exc.__cause__ is not None:
        exc = exc.__cause__
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else type(exc).__name__
