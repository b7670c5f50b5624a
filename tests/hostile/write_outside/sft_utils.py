"""Hostile: tries to write outside its output folder: the kit (also after remounting it
writable, which a process with CAP_SYS_ADMIN can do), its own folder, and the grader's disk.
It reports every outcome in one exception, so the test can see that each attempt failed."""

import ctypes
import json
from pathlib import Path

MS_REMOUNT, MS_BIND = 32, 4096
targets = json.loads((Path(__file__).parent / "targets.json").read_text())
outcomes = []
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(b"none", b"/kit/grader", None, MS_REMOUNT | MS_BIND, None) != 0:
    outcomes.append(f"remount /kit/grader=errno {ctypes.get_errno()}")
else:
    outcomes.append("remount /kit/grader=ok")
for target in targets:
    try:
        with open(target, "a") as handle:
            handle.write("\n# pwned\n")
        outcomes.append(f"{target}=ok")
    except OSError as exc:
        outcomes.append(f"{target}={type(exc).__name__}")
raise PermissionError("; ".join(outcomes))
