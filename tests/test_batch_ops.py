"""Running a class's batch over days (issue 18, items 4-7), with real `grade` runs on the tiny model:
the compute budget counts training's evaluation; ids are given once and a changed source is re-taken
only on `--retake`; Ctrl-C leaves `interrupted` stages that `status` names, with time spent and
left; the class report's title; output into a closed pipe; Slurm requests checked before anything
is written; grades.csv cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io
import json
import shlex
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.batch.gradebook import grades_csv
from grader.batch.layout import BatchPaths, StageState, SubmissionState
from tests.batch_class import FAST
from tests.conftest import ROOT
from tests.test_batch import ENV, read_grades

pytestmark = pytest.mark.xdist_group("batch")
HOSTILE = ROOT / "tests" / "hostile"
DOC = ROOT / "docs" / "grading-a-class.md"


def run(*argv: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *argv], cwd=ROOT, env=env or ENV, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def doc_command(start: str, **values: str) -> list[str]:
    """The command of docs/grading-a-class.md that begins with ``start``, as written, its placeholders filled."""
    line = next(line for line in DOC.read_text().splitlines() if line.startswith(start))
    words = shlex.split(line.split("  #")[0])
    assert words[:3] == ["python", "-m", "grader"], line
    return [sys.executable, *words[1:3], *(values.get(w, w) for w in words[3:])]


def checks(out: Path, submission: str) -> int:
    """How many times the check stage of ``submission`` ran, from its log (one '=== ID: check, attempt' line each)."""
    return (out / "submissions" / submission / "logs" / "check.log").read_text().count(f"=== {submission}: check, attempt")


def html_title(page: Path) -> str:
    text = page.read_text()
    return text[text.index("<title>") + len("<title>") : text.index("</title>")]


@pytest.fixture
def batch_inputs(tiny_default, tmp_path):
    """(submissions folder, the rest of `grade`'s arguments up to the policy)."""
    subs = tmp_path / "subs"
    subs.mkdir()
    policy = tmp_path / "grading.yaml"
    policy.write_text("max_new_tokens: 8\ncheck_seconds: 120\ntrain_seconds: 5\nevaluate_seconds: 120\nmax_trained_tokens: 100000000\n")
    args = ["--test", str(tiny_default["test"]), "--base-model", str(tiny_default["base_model"]), "--policy", str(policy)]
    return subs, args


def invalid(folder: Path, text: str = "x: 1\n") -> Path:
    """A submission that check refuses at once (an unknown config key): cheap to grade."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sft_config.yaml").write_text(text)
    return folder


# --- item 4: the compute budget counts training's evaluation ----------------------------------------


def test_an_evaluation_every_step_is_over_budget_before_any_training(batch_inputs, tmp_path):
    """The hostile config trains 1,000,000 steps of one example (under the budget) but evaluates 100
    examples after each: over budget at check, so nothing trains (it used to train to the time limit)."""
    subs, args = batch_inputs
    folder = subs / "greedy"
    shutil.copytree(HOSTILE / "eval_every_step", folder)
    shutil.copy(ROOT / "sft_utils.py", folder / "sft_utils.py")
    out = tmp_path / "out"
    proc = run("grade", str(subs), *args, "--out", str(out), "--no-baseline", "--gpus-per-job", "0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = read_grades(out)
    check = json.loads((out / "submissions" / "greedy" / "check.json").read_text())
    assert row["status"] == "over_budget", row
    assert check["trained_tokens"] < 100_000_000 < check["compute_tokens"] and check["budget"]["over"] is True
    assert int(row["trained_tokens"]) == check["trained_tokens"]  # grades.csv's column keeps its meaning
    assert f"the config would cost {check['compute_tokens']:,} tokens of compute" in row["error"]
    assert f"+ {check['eval_tokens']:,} evaluated in 1,000,000 validation passes / 3" in row["error"]
    assert "the compute budget is 100,000,000" in row["error"] and row["train_seconds"] == ""


# --- item 5: ids are given once; a changed source is re-taken only on --retake ------------------------


def test_ids_are_given_once_and_a_changed_source_is_retaken_only_when_asked(batch_inputs, tmp_path):
    subs, args = batch_inputs
    out = tmp_path / "out"
    invalid(subs / "john_smith")
    invalid(subs / ".alice")  # a hidden name gets a row, never a silent skip
    first = run("grade", str(subs), *args, "--out", str(out), "--no-baseline")
    assert first.returncode == 0, first.stderr[-3000:]
    assert [(r["id"], r["status"]) for r in read_grades(out)] == [("alice", "invalid"), ("john_smith", "invalid")]

    # A late submission whose cleaned name collides, and that sorts first: a new id, nobody graded twice.
    invalid(subs / "john smith", "y: 2\n")
    late = run("grade", str(subs), *args, "--out", str(out), "--no-baseline")
    assert late.returncode == 0, late.stderr[-3000:]
    rows = {r["id"]: r for r in read_grades(out)}
    assert sorted(rows) == ["alice", "john_smith", "john_smith-2"]
    assert "unknown key 'x'" in rows["john_smith"]["error"] and "unknown key 'y'" in rows["john_smith-2"]["error"]
    assert checks(out, "john_smith") == 1  # not re-mapped, not graded again
    ids = json.loads((out / "ids.json").read_text())
    assert {name: entry["id"] for name, entry in ids["sources"].items()} == {
        ".alice": "alice", "john smith": "john_smith-2", "john_smith": "john_smith"}  # fmt: skip

    # A source changed after it was taken in: reported by grade and status, graded from its snapshot.
    (subs / ".alice" / "sft_config.yaml").write_text("z: 3\n")
    status = run("status", str(out), "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["changed"] == ["alice"], status.stderr
    assert "changed since taken in: alice" in run("status", str(out)).stdout
    again = run("grade", str(subs), *args, "--out", str(out), "--no-baseline")
    assert again.returncode == 0 and "grade: alice: .alice changed since it was taken in" in again.stderr, again.stderr
    assert checks(out, "alice") == 1 and "unknown key 'x'" in read_grades(out)[0]["error"]

    # The documented way to regrade it, as written in docs/grading-a-class.md.
    command = doc_command("python -m grader grade SUBMISSIONS --test HIDDEN.jsonl --base-model PATH", SUBMISSIONS=str(subs), **{
        "HIDDEN.jsonl": args[1], "PATH": args[3], "DIR": str(out)})  # fmt: skip
    assert command[-2:] == ["--retake", "alice"]
    retaken = subprocess.run([*command, "--policy", args[5], "--no-baseline"], cwd=ROOT, env=ENV, capture_output=True,
                             text=True, timeout=600)  # fmt: skip
    assert retaken.returncode == 0, retaken.stderr[-3000:]
    assert checks(out, "alice") == 2 and "unknown key 'z'" in read_grades(out)[0]["error"]
    assert (out / "submissions" / "alice" / "snapshot" / "sft_config.yaml").read_text() == "z: 3\n"
    assert json.loads(run("status", str(out), "--json").stdout)["changed"] == []
    assert [checks(out, i) for i in ("john_smith", "john_smith-2")] == [1, 1]

    refused = run("grade", str(subs), *args, "--out", str(out), "--retake", "zoe")
    assert refused.returncode == 2 and refused.stderr == "error: --retake: no submission named zoe in SUBMISSIONS\n"


# --- item 7: spreadsheet formulas -------------------------------------------------------------------------


def test_grades_csv_cells_never_start_a_formula(batch_inputs, tmp_path):
    subs, args = batch_inputs
    with zipfile.ZipFile(subs / "=HYPERLINK(1).zip", "w") as zf:
        zf.writestr("../escaped.txt", "x")
    out = tmp_path / "out"
    proc = run("grade", str(subs), *args, "--out", str(out), "--no-baseline")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = read_grades(out)
    assert (row["id"], row["status"]) == ("HYPERLINK_1_", "intake_failed")
    assert row["error"] == "HYPERLINK_1_: member '../escaped.txt' would be written outside the submission"

    state = SubmissionState("alice", status="train_failed", error="=cmd|' /C calc'!A0")
    state.values.final_train_loss, state.values.accuracy = -0.5, 0.25
    cells = {}
    for error in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "fine = 1"):
        state.error = error
        (cells[error],) = list(csv.DictReader(io.StringIO(grades_csv([state]))))
    assert [cells[e]["error"] for e in cells] == ["'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "' x", "fine = 1"]
    assert {(c["final_train_loss"], c["accuracy"]) for c in cells.values()} == {("-0.5", "0.25")}  # numbers stay numbers


# --- item 6: Ctrl-C, status, counts, titles, pipes, Slurm -------------------------------------------------


def _wait_until_running(out: Path, stage: str, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(s.stages[stage].state == "running" for s in BatchPaths(out).states()):
            return
        time.sleep(0.05)
    raise AssertionError(f"no {stage} stage ever ran")


def test_ctrl_c_leaves_interrupted_stages_that_status_names_and_a_rerun_resumes(batch_inputs, tiny_default, tmp_path):
    subs, args = batch_inputs
    rows = tiny_default["train"].read_text()
    folder = subs / "ana"
    (folder / "data").mkdir(parents=True)
    shutil.copy(ROOT / "sft_utils.py", folder)
    (folder / "sft_config.yaml").write_text(FAST + "num_train_epochs: 20\n")  # over budget once checked: nothing trains
    (folder / "data" / "train.jsonl").write_text(rows)
    (folder / "data" / "val.jsonl").write_text("".join(rows.splitlines(keepends=True)[:20]))
    (tmp_path / "grading.yaml").write_text("max_new_tokens: 8\nmax_trained_tokens: 1000\n")
    out = tmp_path / "fall-2026"
    command = [sys.executable, "-m", "grader", "grade", str(subs), *args, "--out", str(out), "--gpus-per-job", "0"]
    proc = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_running(out, "check")
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.splitlines()[-1] == (f"grade: interrupted; run the same command again to resume (`status {out}` shows "
                                    "where it stands)")  # fmt: skip

    status = run("status", str(out), "--json")
    result = json.loads(status.stdout)
    assert result["interrupted"] == ["ana"] and result["counts"] == {"interrupted": 1}
    assert [(s["id"], s["status"], s["stage"]) for s in result["submissions"]] == [("ana", "interrupted", "check")]
    assert result["elapsed_seconds"] > 0 and result["running"] == 0
    assert read_grades(out)[0]["status"] == "interrupted"
    human = run("status", str(out)).stdout
    assert "interrupted: ana (a stage marked running has no process left); run the same command again to resume" in human
    assert "\nelapsed: " in human

    again = subprocess.run([*command, "--title", "Math SFT, fall"], cwd=ROOT, env=ENV, capture_output=True, text=True,
                           timeout=600)  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert "grade: 1 submission and the base model in " in again.stderr  # the base model is not a submission
    result = json.loads(run("status", str(out), "--json").stdout)
    assert result["counts"] == {"over_budget": 1} and result["interrupted"] == [] and result["remaining_seconds"] == 0
    assert "nothing left" in run("status", str(out)).stdout
    assert html_title(out / "report.html") == "Math SFT, fall"
    assert run("report", str(out)).returncode == 0 and html_title(out / "report.html") == "fall-2026"  # the folder's name

    # `status --json | head`: the reader is gone before anything is written; the command ends quietly.
    reader = subprocess.Popen([sys.executable, "-m", "grader", "status", str(out), "--json"], cwd=ROOT, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    reader.stdout.close()
    assert (reader.stderr.read(), reader.wait(timeout=120)) == (b"", 0)


def test_the_live_view_counts_submissions_not_the_base_model():
    from grader.batch.scheduler import Progress, progress_title

    states = [SubmissionState("baseline", status="graded"), SubmissionState("ana", status="graded"), SubmissionState("bo")]
    assert progress_title(states, [], Progress()) == "1/2 submissions finished (1 graded, 1 pending)"


def test_status_estimates_what_remains_from_the_stages_that_finished():
    from grader.batch.grade import estimate_times

    def state(name: str, *stages: tuple[str, str, float | None, float | None]) -> SubmissionState:
        out = SubmissionState(name, status="pending")
        out.stages["snapshot"].state = "done"
        for stage, how, started, seconds in stages:
            out.stages[stage] = StageState(how, 1, started, seconds)
        return out

    now = 1000.0
    done = state("a", ("check", "done", 100, 10), ("train", "done", 110, 100), ("evaluate", "done", 210, 20),
                 ("score", "done", 230, 5))  # fmt: skip
    done.status = "graded"
    training = state("b", ("check", "done", 900, 10), ("train", "running", now - 40, None))
    waiting = state("c")
    elapsed, left, running = estimate_times([done, training, waiting], now)
    assert (elapsed, running) == (900.0, 1)
    assert left == (100 - 40) + 20 + 5 + (10 + 100 + 20 + 5)  # b's rest of train, evaluate, score; all of c's
    first = state("d", ("check", "running", now - 5, None))
    assert estimate_times([first], now) == (5.0, None, 1)  # nothing has finished: nothing to go by


def test_slurm_requests_are_checked_before_anything_is_written(batch_inputs, tmp_path, slurm_cluster):
    subs, args = batch_inputs
    invalid(subs / "ana")
    env = {**slurm_cluster.client_env(ENV)}
    out = tmp_path / "out"
    gpus = run("grade", str(subs), *args, "--out", str(out), "--slurm", "--cpus-per-task", "1", env=env)
    assert gpus.returncode == 2 and gpus.stderr.count("\n") == 1 and "Traceback" not in gpus.stderr, gpus.stderr
    assert "sbatch: error: Invalid generic resource (gres) specification" in gpus.stderr
    assert "--gpus-per-job 0 to train on CPU" in gpus.stderr
    cpus = run("grade", str(subs), *args, "--out", str(out), "--slurm", "--gpus-per-job", "0", "--cpus-per-task", "64",
               env=env)  # fmt: skip
    assert cpus.returncode == 2 and cpus.stderr == (
        f"error: --cpus-per-task 64: the nodes of partition {slurm_cluster.partition} have at most {slurm_cluster.cpus} "
        f"CPUs (sinfo); ask for {slurm_cluster.cpus} or fewer\n")  # fmt: skip
    assert not out.exists()  # nothing to undo: the same command with the hint's fix starts a clean batch
