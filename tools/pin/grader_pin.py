"""The name ``grader`` is never taken from the current folder: it is the kit's own package.

Python puts the current folder (``python -m grader``, ``python -c``) or a script's folder first on
``sys.path``, so a folder named ``grader/`` there, a student's submission say, would be imported
in place of the kit and run as whoever runs the command. The kit's installation puts this module
and ``grader_pin.pth`` beside the installed packages (tools/pin/build_backend.py adds them to the wheel);
Python runs the .pth at every start, and ``install()`` puts a finder first on ``sys.meta_path``
that looks ``grader`` up on ``sys.path`` without the current folder and the script's folder, and
else in the kit's installed folder, and never anywhere else. ``PYTHONPATH`` (or code that adds to
``sys.path``) still chooses a kit explicitly.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import PathFinder

KIT_ROOT: str | None = None  # the folder holding the kit's grader/ (an editable install); None: beside this file
NAMES = ("grader",)


def kit_root() -> str:
    return KIT_ROOT or os.path.dirname(os.path.abspath(__file__))


def _where_python_started() -> set[str]:
    """The current folder and the running script's: what Python itself put on sys.path."""
    here = set()
    try:
        here.add(os.path.realpath(os.getcwd()))
    except OSError:
        pass
    argv = getattr(sys, "argv", None) or [""]
    if argv[0] not in ("", "-c", "-m"):
        here.add(os.path.realpath(os.path.dirname(os.path.abspath(argv[0]))))
    return here


class GraderPin:
    """A meta path finder for the kit's top-level names: never from where Python was started."""

    @classmethod
    def find_spec(cls, fullname: str, path=None, target=None):
        if fullname not in NAMES:
            return None
        started = _where_python_started()
        search = [p for p in sys.path if isinstance(p, str) and os.path.realpath(p or ".") not in started]
        spec = PathFinder.find_spec(fullname, search) or PathFinder.find_spec(fullname, [kit_root()])
        if spec is None:  # never fall back to the current folder's
            raise ModuleNotFoundError(f"no module named {fullname!r} but in the current folder, which is never "
                                      f"imported as the kit (the kit's installation at {kit_root()} is gone)", name=fullname)
        return spec

    @classmethod
    def invalidate_caches(cls) -> None:
        pass


def install() -> None:
    if GraderPin not in sys.meta_path:
        sys.meta_path.insert(0, GraderPin)
