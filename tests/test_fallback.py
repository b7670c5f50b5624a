"""Grading where bubblewrap cannot run: a separate unprivileged uid, or one line and nothing runs.

Everything here runs with bubblewrap turned off (GRADER_SANDBOX=subprocess, what a container that
denies namespaces amounts to), through the real commands, as real uids: root grades, student code
runs as a fresh uid; a non-root grader (uid 65534 via setpriv) gets the refusal. The interpreter is
``shared_python`` (tests/conftest.py), one every user may start, with this environment's packages
and the kit taken from the current folder, so a test can grade with a copy of the kit that student
code may try to change. Needs root (and setpriv); skips otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from grader import integrity
from grader.tiny import llama_tokenizer_dir
from tests.conftest import ROOT, make_submission
from tests.test_sandbox import ATTEMPT

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")

HOSTILE = Path(__file__).resolve().parent / "hostile"
LLAMA = str(llama_tokenizer_dir())
ROWS = [{"problem": f"What is {i} + 1?", "solution": f" {i} + 1 = {i + 1}. The answer is $\\boxed{{{i + 1}}}$."} for i in range(8)]
NO_BWRAP = {"GRADER_SANDBOX": "subprocess", "OMP_NUM_THREADS": "1"}
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def run(command: list, cwd: Path, timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADER_ALLOW_UNCONFINED", "GRADER_SANDBOX")}
    return subprocess.run([str(c) for c in command], cwd=cwd, env={**clean, **NO_BWRAP, **env}, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def public_folder(prefix: str, mode: int = 0o755) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(mode)
    return folder


@pytest.fixture
def kit() -> Path:
    """A copy of the kit's code where every user can reach it (the sandbox's uid imports the worker from it)."""
    top = public_folder("grader-kit-copy-")
    kit = top / "kit"
    kit.mkdir()
    try:
        for name in integrity.CODE + ("sft_utils.py", "sft_config.yaml"):
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, kit / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif (ROOT / name).exists():
                shutil.copy(ROOT / name, kit / name)
        yield kit
    finally:
        shutil.rmtree(top)


PROBE = ATTEMPT + r"""
targets = json.load(open("targets.json"))
attempt("loopback", lambda: socket.create_connection(("127.0.0.1", int(targets["port"])), timeout=3))
attempt("write_submission", lambda: open("written.txt", "w").write("x"))
attempt("write_kit", lambda: open(targets["kit"], "a").write("x"))
attempt("write_host", lambda: open(targets["host"], "w").write("x"))
attempt("read_secret", lambda: open(targets["secret"]).read())
attempt("write_out", lambda: open(os.path.join(out, "ok.txt"), "w").write("fine"))
def forks():
    try:
        for _ in range(100):
            if os.fork() == 0:
                os._exit(0)
    finally:
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
attempt("forks", forks)
if os.fork() == 0:  # a daemon that leaves the process group: it must die with the run anyway
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", targets["marker"]])
report["uid"] = os.getuid()
report["groups"] = os.getgroups()
json.dump(report, open(os.path.join(out, "report.json"), "w"))
"""


def test_the_separate_uid_confines_what_bubblewrap_would(shared_python, tmp_path):
    """Root without bubblewrap: a fresh uid, no groups, nothing of the kit or the grader's files
    writable, private files unreadable, a process cap, no survivor, no network (where the kernel allows)."""
    import socket

    from tests.test_hostile import _processes_with

    submission, out = public_folder("grader-probe-"), tmp_path / "out"
    (submission / "probe.py").write_text(PROBE)
    secret = tmp_path / "hidden.jsonl"  # pytest's folders are private (700): as the hidden set should be
    secret.write_text('{"problem": "SECRET"}\n')
    marker = f"uid-sandbox-daemon-{os.getpid()}"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        targets = {"port": listener.getsockname()[1], "kit": str(ROOT / "grader" / "jsonl.py"), "host": str(tmp_path / "escaped"),
                   "secret": str(secret), "marker": marker}  # fmt: skip
        (submission / "targets.json").write_text(json.dumps(targets))
        script = (
            "import json, sys\nfrom pathlib import Path\nfrom grader.submission.sandbox import SandboxLimits, run_confined\n"
            "from grader.submission.sandbox_uid import probe\n"
            "r = run_confined([sys.executable, 'probe.py'], Path(sys.argv[1]), Path(sys.argv[2]), SandboxLimits(wall_seconds=60), confined=True)\n"
            "print(json.dumps({'confinement': r.confinement, 'code': r.returncode, 'tail': r.stderr_tail, 'net_cut': probe(sys.argv[3])[1]}))\n"
        )  # fmt: skip
        kit_before = (ROOT / "grader" / "jsonl.py").read_bytes()
        proc = run([shared_python, "-c", script, submission, out, ROOT], cwd=ROOT)
    try:
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout.splitlines()[-1])
        assert result["confinement"] == "uid" and result["code"] == 0, result["tail"]
        report = json.loads((out / "report.json").read_text())
        assert report["uid"] >= 1 << 30 and report["groups"] == []
        for blocked in ("write_submission", "write_kit", "write_host", "read_secret"):
            assert report[blocked] in ("PermissionError", "FileNotFoundError"), (blocked, report[blocked])
        assert report["write_out"] == "allowed" and report["forks"] == "BlockingIOError"  # 64 processes at most
        if result["net_cut"]:
            assert report["loopback"] == "OSError"  # an empty network namespace: not even loopback is up
        assert (ROOT / "grader" / "jsonl.py").read_bytes() == kit_before and not (tmp_path / "escaped").exists()
        assert not (submission / "written.txt").exists()
        assert _processes_with(marker) == []
        assert not list(Path(tempfile.gettempdir()).glob("grader-sandbox-*/submission/probe.py"))  # the view is gone
    finally:
        shutil.rmtree(submission)


def test_grading_refuses_with_one_line_where_nothing_can_confine(shared_python, kit, tmp_path):
    """Not root, no bubblewrap: check --confined, check --save and grade refuse, naming the flag;
    with the flag, check runs and its notes say loudly that nothing was confined. A student's plain
    check keeps the warning fallback."""
    home = public_folder("grader-nobody-", 0o777)  # the non-root grader's own folder
    sub = make_submission(home / "sub", ROWS, ROWS)
    check = [*NOBODY, shared_python, "-m", "grader", "check", sub, "--json", "--base-model", LLAMA, "--timeout", "60"]
    try:
        for extra in (["--confined"], ["--save", home / "saved"]):
            proc = run([*check, *extra], cwd=kit, HOME=str(home))
            assert proc.returncode == 2 and proc.stdout == "", proc.stderr[-2000:]
            assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: student code must run confined when grading")
            assert "the separate-uid sandbox needs root" in proc.stderr and "--unconfined-student-code" in proc.stderr
        proc = run([*NOBODY, shared_python, "-m", "grader", "grade", home, "--test", sub / "data" / "val.jsonl",
                    "--base-model", LLAMA, "--out", home / "batch"], cwd=kit, HOME=str(home))  # fmt: skip
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr[-2000:]
        assert proc.stderr.startswith("error: student code must run confined when grading")
        assert not (home / "batch").exists()  # nothing was taken in
        allowed = run([*check, "--confined", "--unconfined-student-code"], cwd=kit, HOME=str(home))
        assert allowed.returncode == 0, allowed.stderr[-2000:]
        report = json.loads(allowed.stdout)
        assert report["sandbox"] == "subprocess" and "ran UNCONFINED" in report["notes"][0]
        plain = json.loads(run(check, cwd=kit, HOME=str(home)).stdout)
        assert plain["ok"] and plain["notes"][0].startswith("bubblewrap is not available: sft_utils.py runs as a plain subprocess")
    finally:
        shutil.rmtree(home)


def tamper_targets(folder: Path, targets: list[tuple[Path, str]]) -> None:
    (folder / "targets.json").write_text(json.dumps([[str(path), action] for path, action in targets]))


def autograde(shared_python: Path, kit: Path, root: Path, **env: str) -> tuple[subprocess.CompletedProcess, dict]:
    proc = run([ROOT / "docs" / "gradescope" / "run_autograder"], cwd=root, AUTOGRADER_ROOT=str(root), KIT=str(kit),
               PYTHON=str(shared_python), **env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_without_bubblewrap_cannot_be_rewritten_by_the_submission(shared_python, kit, tmp_path):
    """tamper_grading, through the Gradescope example with bubblewrap off: as a separate uid it can
    change neither the kit nor the results; run unconfined on purpose, it changes the kit, and the
    process that writes results.json finds the kit's digest changed and gives no score."""
    root = tmp_path / "gradescope"
    graded = root / "source" / "graded" / "submission_1" / "results.json"  # another student's offline results
    graded.parent.mkdir(parents=True)
    graded.write_text('{"score": 12.0}\n')
    (root / "submission_metadata.json").write_text(json.dumps({"id": 99}))
    sub = make_submission(root / "submission", ROWS, ROWS)
    shutil.copy(HOSTILE / "tamper_grading" / "sft_utils.py", sub / "sft_utils.py")
    writer = kit / "grader" / "batch" / "gradescope.py"
    results = root / "results" / "results.json"
    tamper_targets(sub, [(writer, "kit"), (results, "write"), (graded, "write")])
    before = integrity.manifest(kit)

    proc, result = autograde(shared_python, kit, root)
    assert integrity.manifest(kit) == before and graded.read_text() == '{"score": 12.0}\n'
    assert result["score"] == 0 and "breaks the rules" in result["output"], proc.stdout
    message = result["tests"][0]["output"]
    assert f"kit {writer}=PermissionError" in message and f"write {results}=" in message and f"write {graded}=" in message
    assert "=ok" not in message

    proc, result = autograde(shared_python, kit, root, GRADER_SANDBOX="none", GRADER_ALLOW_UNCONFINED="1")
    assert "planted by a submission" in writer.read_text()  # unconfined, it did change the kit
    assert result["score"] == 0 and result["tests"] == [], result
    assert result["output"].startswith("The grader's own files changed while this submission's code ran (grader/batch/gradescope.py)")


def test_grade_without_bubblewrap_keeps_the_test_set_gradebook_and_kit_out_of_reach(shared_python, kit, tiny_default, tmp_path):
    """tamper_grading in a batch with bubblewrap off: as a separate uid it can read the hidden set
    (the batch folder is private) no more than change it, the gradebook or the kit; run unconfined
    on purpose, it changes the kit, and no further stage starts on it."""
    subs, out = tmp_path / "subs", tmp_path / "batch"
    test = tmp_path / "hidden.jsonl"
    test.write_text("".join(json.dumps({"id": f"t{i}", "problem": f"What is {i} + 2?", "answer": str(i + 2)}) + "\n" for i in range(3)))
    sub = make_submission(subs / "mallory", ROWS, ROWS)
    shutil.copy(HOSTILE / "tamper_grading" / "sft_utils.py", sub / "sft_utils.py")
    targets = [(kit / "grader" / "batch" / "gradescope.py", "kit"), (out / "test.jsonl", "read"), (out / "test.jsonl", "write"),
               (out / "grades.csv", "write"), (test, "write")]  # fmt: skip
    tamper_targets(sub, targets)
    before = integrity.manifest(kit)
    grade = [shared_python, "-m", "grader", "grade", subs, "--test", test, "--base-model", tiny_default["base_model"],
             "--out", out, "--no-baseline", "--json"]  # fmt: skip

    proc = run(grade, cwd=kit, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = json.loads(proc.stdout)["submissions"]
    assert row["status"] == "invalid", row
    (violation,) = json.loads((out / "submissions" / "mallory" / "check.json").read_text())["violations"]
    for path, action in targets:
        assert f"{action} {path}=PermissionError" in violation["message"], violation["message"]
    assert integrity.manifest(kit) == before and (out / "test.jsonl").read_bytes() == test.read_bytes()
    assert '"score": 100.0' not in test.read_text() + (out / "grades.csv").read_text()
    assert oct((out).stat().st_mode & 0o777) == "0o700"

    shutil.rmtree(out)
    proc = run([*grade, "--unconfined-student-code"], cwd=kit, timeout=600, GRADER_SANDBOX="none")
    assert "planted by a submission" in (kit / "grader" / "batch" / "gradescope.py").read_text()
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.splitlines()[-1].startswith("error: the kit's code changed since grading began (grader/batch/gradescope.py)")
