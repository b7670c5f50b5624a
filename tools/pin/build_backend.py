"""The kit's PEP 517 build backend: setuptools, plus the pin that keeps ``grader`` the kit's own.

Every wheel it builds, editable or not, also holds ``grader_pin.py`` and ``grader_pin.pth`` at its
root (tools/pin/grader_pin.py says why). For an editable install the pin names this source tree, where
``grader/`` lives; for a regular wheel it finds ``grader/`` beside itself in site-packages.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every other hook is setuptools' own

HERE = Path(__file__).resolve().parent
PTH = "import grader_pin; grader_pin.install()\n"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    _add_pin(Path(wheel_directory) / name, kit_root=None)
    return name


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    name = _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
    _add_pin(Path(wheel_directory) / name, kit_root=str(HERE.parent.parent))  # tools/pin/ -> the kit's root
    return name


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def _add_pin(wheel: Path, kit_root: str | None) -> None:
    """Rewrite ``wheel`` with the pin module and its .pth at the root, both listed in RECORD."""
    source = (HERE / "grader_pin.py").read_text(encoding="utf-8")
    marker = "KIT_ROOT: str | None = None"
    assert marker in source
    module = source.replace(marker, f"KIT_ROOT: str | None = {kit_root!r}").encode()
    added = {"grader_pin.py": module, "grader_pin.pth": PTH.encode()}
    with zipfile.ZipFile(wheel) as old:
        entries = [(info, old.read(info)) for info in old.infolist()]
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as new:
        for path, data in added.items():
            new.writestr(path, data)
        for info, data in entries:
            if info.filename.endswith(".dist-info/RECORD"):
                data = data + "".join(_record_line(p, d) for p, d in added.items()).encode()
            new.writestr(info, data)
    tmp.replace(wheel)
