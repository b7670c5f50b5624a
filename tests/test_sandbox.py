"""The sandbox itself: no network, nothing writable but its output folder, nothing visible but the submission."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from grader.submission.sandbox import SandboxLimits, bubblewrap_path, run_confined
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(bubblewrap_path() is None, reason="bubblewrap cannot create namespaces here")

ATTEMPT = r"""
import json, os, socket, sys
out = os.environ["GRADER_SANDBOX_OUT"]
report = {}
def attempt(name, fn):
    try:
        fn(); report[name] = "allowed"
    except Exception as exc:
        report[name] = type(exc).__name__
"""  # a probe's start: attempt(name, fn) records what each attempt met, for report.json in the output folder
PROBE = ATTEMPT + r"""
attempt("tcp", lambda: socket.create_connection(("93.184.216.34", 80), timeout=3))
attempt("loopback", lambda: socket.create_connection(("127.0.0.1", 22), timeout=3))
attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("write_submission", lambda: open("written.txt", "w").write("x"))
attempt("write_kit", lambda: open("/kit/grader/pwned.py", "w").write("x"))
attempt("write_host_tmp", lambda: open(sys.argv[1], "w").write("x"))
attempt("read_secret", lambda: open(sys.argv[2]).read())
attempt("read_etc_passwd", lambda: open("/etc/passwd").read())
attempt("write_out", lambda: open(os.path.join(out, "ok.txt"), "w").write("fine"))
attempt("write_tmp", lambda: open("/tmp/scratch", "w").write("fine"))
report["uid"] = os.getuid()
json.dump(report, open(os.path.join(out, "report.json"), "w"))
"""


def test_confinement(tmp_path: Path):
    submission, out = tmp_path / "submission", tmp_path / "out"
    submission.mkdir()
    (submission / "probe.py").write_text(PROBE)
    secret = tmp_path / "hidden_test.jsonl"
    secret.write_text('{"problem": "secret"}\n')
    host_file = tmp_path / "escaped.txt"
    result = run_confined(
        [sys.executable, "probe.py", str(host_file), str(secret)], submission, out, SandboxLimits(wall_seconds=60)
    )
    assert result.returncode == 0 and result.confinement == "bubblewrap", result.stderr_tail
    report = json.loads((out / "report.json").read_text())
    for blocked in ("tcp", "loopback", "dns", "write_submission", "write_kit", "write_host_tmp", "read_secret", "read_etc_passwd"):
        assert report[blocked] != "allowed", blocked
    assert report["write_out"] == report["write_tmp"] == "allowed"
    assert (out / "ok.txt").read_text() == "fine"
    assert not host_file.exists() and not (submission / "written.txt").exists()
    assert not (ROOT / "grader" / "pwned.py").exists()


def test_wall_time_limit_kills_the_process_group(tmp_path: Path):
    submission = tmp_path / "s"
    submission.mkdir()
    (submission / "loop.py").write_text("import os\nos.fork()\nwhile True: pass\n")
    result = run_confined([sys.executable, "loop.py"], submission, tmp_path / "o", SandboxLimits(wall_seconds=2))
    assert result.timed_out and result.seconds < 10


def test_memory_limit(tmp_path: Path):
    submission = tmp_path / "s"
    submission.mkdir()
    (submission / "hog.py").write_text("x = bytearray(3 << 30)\n")
    result = run_confined([sys.executable, "hog.py"], submission, tmp_path / "o", SandboxLimits(memory_bytes=1 << 30))
    assert result.returncode != 0 and "MemoryError" in result.stderr_tail
