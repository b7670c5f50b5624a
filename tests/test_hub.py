"""A base model that cannot be had stops `sft.py` at once, in one line naming the cause and the fix.

The Hub cannot be reached from here, so a stand-in answers on a local port (HF_ENDPOINT) the way
the Hub answers a gated, private or unknown repository (status and X-Error-Code headers); the
real huggingface_hub client reads those answers. Unreachable is a closed local port; offline is
HF_HUB_OFFLINE=1. Every case runs in its own process, with its own empty HF_HOME, no token
unless the case sets one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import ROOT, make_submission

FAST = 15.0  # seconds: imports included, on a busy machine; the hub client's own retries took 27 s
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused at once
MODEL = "meta-llama/Llama-3.2-1B"  # the shipped sft_config.yaml's model_name_or_path

# The Hub's answers to a HEAD request for a file of the repository: (status, X-Error-Code, X-Error-Message).
ANSWERS = {
    "gated": (401, "GatedRepo", "Access to model meta-llama/Llama-3.2-1B is restricted. Please log in."),
    "gated-token": (403, "GatedRepo", "Access to model meta-llama/Llama-3.2-1B is restricted and you are not in the authorized list."),
    "not-found": (401, "RepoNotFound", "Repository not found"),
    "bad-token": (401, None, "Invalid credentials in Authorization header"),
}  # fmt: skip


class StandIn(BaseHTTPRequestHandler):
    answer: tuple[int, str | None, str] = (500, None, "")
    seen: list[str] = []

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's name)
        status, code, message = self.answer
        self.seen.append(self.path)
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stand_in_hub():
    """Start a stand-in Hub answering every request with the case's answer; yields (endpoint, handler class)."""
    handler = type("Handler", (StandIn,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def run(cmd: list[str], cwd, tmp_path, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE_")) and k != "TRANSFORMERS_OFFLINE"}
    full = {**clean, "PYTHONPATH": str(ROOT), "HF_HOME": str(tmp_path / "hf-home"), **env}
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True, timeout=300)
    return proc, time.monotonic() - start


def files_asked(handler) -> list[str]:
    """The repository files the stand-in was asked for (the client also calls other endpoints of its own)."""
    return [path for path in handler.seen if "/resolve/" in path]


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "Retrying in" not in proc.stderr, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, proc.stderr[-2000:]
    return lines[0]


def student_folder(tmp_path):
    """A submission with the shipped sft_config.yaml (model_name_or_path: meta-llama/Llama-3.2-1B)."""
    rows = [{"problem": "What is 1 + 1?", "solution": "1 + 1 = 2, so $\\boxed{2}$."}]
    return make_submission(tmp_path / "sub", train_rows=rows, val_rows=rows, config=(ROOT / "sft_config.yaml").read_text())


@pytest.mark.parametrize(
    "case, token, expected",
    [
        ("gated", None, f"error: the base model '{MODEL}' is gated: accept its licence at {{endpoint}}/{MODEL}, then log in "
                        "(`hf auth login` or set HF_TOKEN); or pass --base-model PATH to a local copy of the model"),
        ("bad-token", "hf_expired", f"error: the Hub refused your Hugging Face token for the base model '{MODEL}': log "
                                    "in again (`hf auth login` or set HF_TOKEN) with a valid token; or pass --base-model"),
    ],
    ids=["gated", "unauthorised"],
)  # fmt: skip
def test_sft_names_a_gated_or_unauthorised_model_at_once(stand_in_hub, tmp_path, case, token, expected):
    endpoint, handler = stand_in_hub
    handler.answer = ANSWERS[case]
    sub = student_folder(tmp_path)
    env = {"HF_ENDPOINT": endpoint, **({"HF_TOKEN": token} if token else {})}
    proc, seconds = run([sys.executable, str(ROOT / "sft.py")], sub, tmp_path, **env)
    assert one_error_line(proc).startswith(expected.format(endpoint=endpoint))
    assert seconds < FAST
    assert files_asked(handler) == [f"/{MODEL}/resolve/main/config.json"]  # asked once, no retries
    assert not (sub / "checkpoints").exists()  # before validation: nothing was started


# One question to the Hub, as the commands ask it (in a process of its own: the client reads HF_* at import).
ASK = """
from grader.errors import UserError
from grader.hub import require_access
try:
    require_access("org/model", "the model", "FIX")
    print("reachable")
except UserError as exc:
    print(f"error: {exc}")
    raise SystemExit(1)
"""


@pytest.mark.parametrize(
    "case, token, expected",
    [
        ("gated-token", "hf_stand_in", "the model 'org/model' is gated and your Hugging Face account has no access to it "
                                       "yet: accept its licence at {endpoint}/org/model; FIX"),
        ("not-found", None, "the model 'org/model' is not on the Hub, or it is gated or private and you are not logged "
                            "in (`hf auth login` or set HF_TOKEN); FIX"),
        ("not-found", "hf_stand_in", "the model 'org/model' is not on the Hub, or your Hugging Face account may not read "
                                     "it: check the name and {endpoint}/org/model; FIX"),
        ("entry-not-found", None, None),  # the repository answers: a missing file is the download's business
    ],
    ids=["gated-with-token", "not-found", "not-found-with-token", "entry-not-found"],
)  # fmt: skip
def test_the_hubs_other_answers(stand_in_hub, tmp_path, case, token, expected):
    endpoint, handler = stand_in_hub
    handler.answer = ANSWERS.get(case, (404, "EntryNotFound", "Entry not found"))
    proc, seconds = run([sys.executable, "-c", ASK], ROOT, tmp_path, HF_ENDPOINT=endpoint, **({"HF_TOKEN": token} if token else {}))
    if expected is None:
        assert (proc.returncode, proc.stdout) == (0, "reachable\n"), proc.stderr
    else:
        assert (proc.returncode, proc.stdout) == (1, f"error: {expected.format(endpoint=endpoint)}\n"), proc.stderr
    assert seconds < FAST and files_asked(handler) == ["/org/model/resolve/main/config.json"]


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"HF_ENDPOINT": UNREACHABLE}, f"error: cannot reach the Hugging Face Hub at {UNREACHABLE} for the base model "
                                       f"'{MODEL}' ([Errno 111] Connection refused): connect to the network; "
                                       "or pass --base-model PATH to a local copy of the model"),
        ({"HF_HUB_OFFLINE": "1"}, f"error: the base model '{MODEL}' is not in the local cache, and HF_HUB_OFFLINE=1 "
                                  "forbids downloading it: unset it where the Hub is reachable; or pass --base-model PATH"),
    ],
    ids=["unreachable", "offline"],
)  # fmt: skip
def test_sft_names_an_unreachable_hub_at_once(tmp_path, env, expected):
    sub = student_folder(tmp_path)
    proc, seconds = run([sys.executable, str(ROOT / "sft.py")], sub, tmp_path, **env)
    assert one_error_line(proc).startswith(expected)
    assert seconds < FAST
    assert not (sub / "checkpoints").exists()


def test_check_names_a_gated_tokenizer(stand_in_hub, tmp_path):
    """check counts with the base model's tokenizer: one it cannot download is named the same way."""
    endpoint, handler = stand_in_hub
    handler.answer = ANSWERS["gated"]
    sub = student_folder(tmp_path)
    proc, seconds = run([sys.executable, "-m", "grader", "check", str(sub), "--base-model", "some-org/gated-model"],
                        ROOT, tmp_path, HF_ENDPOINT=endpoint)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout  # --base-model is the caller's
    assert proc.stderr.startswith(f"error: --base-model: the base model 'some-org/gated-model' is gated: accept its "
                                  f"licence at {endpoint}/some-org/gated-model, then log in (`hf auth login` or set "
                                  "HF_TOKEN)") and proc.stderr.count("\n") == 1  # fmt: skip
    assert seconds < FAST and files_asked(handler) == ["/some-org/gated-model/resolve/main/tokenizer_config.json"]
