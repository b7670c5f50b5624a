"""Files of a submission that would stand in for the kit, the standard library or an installed package.

Python puts the folder it runs in first on ``sys.path`` (``python -m``, ``python -c``, a script's
own folder), so a submission holding ``grader/``, ``json.py`` or ``yaml/__init__.py`` would be
imported in place of the real module by anything run there; ``sitecustomize.py``,
``usercustomize.py`` and ``*.pth`` files run code at every start of Python once their folder is on
the path or a site folder. No submission needs any of them, and each is a ``shadowing``
violation, found by name before any code of the submission runs (at ``check`` and at intake).
Helper modules with other names, and ``sft_utils.py`` itself, are fine.
"""

from __future__ import annotations

import functools
import os
import sys
from importlib.machinery import all_suffixes
from pathlib import Path

KIT_PACKAGES = ("grader",)  # the kit's top-level names (tools/pin/grader_pin.py pins the same)
STARTUP_HOOKS = ("sitecustomize", "usercustomize")
KIT_ROOT = Path(__file__).resolve().parent.parent.parent  # this kit's folder: checked as a submission (a clone) ...
KIT_OWN = ("grader", "tests")  # ... its own packages are the kit, not shadows


@functools.lru_cache(maxsize=1)
def _installed() -> dict[str, str]:
    """{top-level importable name: the distribution(s) that install it} in this interpreter."""
    from importlib.metadata import packages_distributions

    return {name: ", ".join(sorted(set(dists))) for name, dists in packages_distributions().items()}


def shadowed(name: str) -> str | None:
    """Why a top-level module called ``name`` in a submission is refused, or None when it is harmless."""
    instead = "Python started in the submission folder would import it in place of"
    if name in KIT_PACKAGES:
        return f"{instead} the kit's own package '{name}'"
    if name in STARTUP_HOOKS:
        return f"Python imports '{name}' at start-up from any folder on its path"
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        return f"{instead} the standard library's '{name}'"
    if name in _installed():
        return f"{instead} the installed package '{name}' ({_installed()[name]})"
    return None


def _module_name(entry: Path) -> str | None:
    """The top-level name Python would import ``entry`` as (a module file or a regular package)."""
    if entry.is_dir():
        if entry.name.isidentifier() and any((entry / f"__init__{s}").exists() for s in all_suffixes()):
            return entry.name
        return None
    for suffix in sorted(all_suffixes(), key=len, reverse=True):  # .cpython-311-x86_64-linux-gnu.so before .so
        if entry.name.endswith(suffix):
            stem = entry.name[: -len(suffix)]
            return stem if stem.isidentifier() else None
    return None


def find_shadowing(folder: str | os.PathLike[str]) -> list[str]:
    """One line per top-level file of ``folder`` that would shadow something, in name order."""
    found = []
    the_kit = Path(folder).resolve() == KIT_ROOT
    for entry in sorted(Path(folder).iterdir(), key=lambda p: p.name):
        shown = entry.name + ("/" if entry.is_dir() else "")
        if entry.name.endswith(".pth") and not entry.is_dir():
            why: str | None = "a path configuration file: Python runs its import lines at start-up from a site folder"
        elif the_kit and entry.name in KIT_OWN:
            why = None
        elif entry.name in KIT_PACKAGES:  # any entry at all, package or not
            why = shadowed(entry.name)
        else:
            name = _module_name(entry)
            why = shadowed(name) if name else None
        if why:
            found.append(f"{shown}: {why}; rename or remove it")
    return found
