"""Hostile: stands in for the kit when Python starts in this folder; leaves a marker to prove it ran."""

import os
from pathlib import Path

Path(os.environ.get("HOSTILE_MARKER", "/tmp/grader-hostile-shadow-ran")).write_text("the submission's grader/ ran\n")
