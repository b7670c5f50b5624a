"""Hostile: a start-up hook Python runs when this folder is on its path."""

import os
from pathlib import Path

Path(os.environ.get("HOSTILE_MARKER", "/tmp/grader-hostile-shadow-ran")).write_text(f"{__name__} ran\n")
