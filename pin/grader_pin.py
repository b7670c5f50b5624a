"""The name ``grader`` is the math-sft-kit's own package, whatever the current folder holds.

Python puts the current folder (``python -m grader``, ``python -c``) or a script's folder first on
``sys.path``, so a folder named ``grader/`` there, a student's submission say, would be imported
in place of the kit and run as whoever runs the command. The kit's installation puts this module
and ``grader_pin.pth`` beside the installed packages (pin/build_backend.py adds them to the wheel);
Python runs the .pth at every start, before the current folder joins ``sys.path``, and
``install()`` puts a finder first on ``sys.meta_path`` that looks ``grader`` up in the kit's
folder only. Where that folder is gone (inside the sandbox, which mounts the kit elsewhere),
nothing is pinned.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import PathFinder

KIT_ROOT: str | None = None  # the folder holding the kit's grader/ (an editable install); None: beside this file
NAMES = ("grader",)


def kit_root() -> str:
    return KIT_ROOT or os.path.dirname(os.path.abspath(__file__))


class GraderPin:
    """A meta path finder for the kit's top-level names: found in the kit's folder, or not at all here."""

    @classmethod
    def find_spec(cls, fullname: str, path=None, target=None):
        if fullname not in NAMES:
            return None
        return PathFinder.find_spec(fullname, [kit_root()])

    @classmethod
    def invalidate_caches(cls) -> None:
        pass


def install() -> None:
    if GraderPin in sys.meta_path or not os.path.isfile(os.path.join(kit_root(), "grader", "__init__.py")):
        return
    sys.meta_path.insert(0, GraderPin)
