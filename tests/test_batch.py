"""`python -m grader grade` on a real class (tiny model, CPU): statuses, gradebook, resume after kill -9,
two simulated GPU slots, and the same batch through a real one-node Slurm."""

from __future__ import annotations

import csv
import html
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.batch.layout import GRADE_COLUMNS, STAGES, BatchPaths
from tests.batch_class import EXPECTED, make_class
from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("batch")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def grade(subs: Path, test: Path, policy: Path, base: Path, out: Path, *extra: str, timeout: int = 900) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "grader", "grade", str(subs), "--test", str(test), "--base-model", str(base),
               "--out", str(out), "--policy", str(policy), *extra]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)


def read_grades(out: Path) -> list[dict]:
    with open(out / "grades.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def without_times(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if not k.endswith("_seconds")} for row in rows]


def stage_runs(out: Path, submission: str) -> dict[str, int]:
    """How many times each stage ran to its end, from the logs (each run writes one '... done in' line)."""
    logs = BatchPaths(out).submission(submission).logs
    runs = {}
    for stage in STAGES[1:]:
        log = logs / f"{stage}.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        runs[stage] = text.count(f"=== {submission}: {stage} done in")
    return runs


@pytest.fixture(scope="module")
def klass(tiny_default, tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs, test, policy = make_class(root, tiny_default)
    return {"root": root, "subs": subs, "test": test, "policy": policy, "base": tiny_default["base_model"]}


@pytest.fixture(scope="module")
def graded(klass):
    """The uninterrupted batch, with two GPU slots simulated on CPU (the scheduler's code is the same)."""
    out = klass["root"] / "out"
    proc = grade(klass["subs"], klass["test"], klass["policy"], klass["base"], out, "--gpus", "2", "--gpus-per-job", "1", "--json")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out, json.loads(proc.stdout)


def test_every_submission_ends_with_the_right_status(graded, klass):
    out, result = graded
    rows = read_grades(out)
    assert list(rows[0]) == list(GRADE_COLUMNS)
    assert {r["id"]: r["status"] for r in rows} == EXPECTED
    assert result["counts"] == {"graded": 3, "invalid": 2, "over_budget": 1, "intake_failed": 1}
    by_id = {r["id"]: r for r in rows}
    assert by_id["carol"]["error"].startswith("example_too_long: train data (data/train.jsonl via sft_utils.load_split) example 50: ")
    assert "limit 128 (max_length in sft_config.yaml)" in by_id["carol"]["error"]
    assert "RuntimeError: my data is somewhere else" in by_id["dave"]["error"]
    assert "the compute budget is 400,000" in by_id["erin"]["error"] and int(by_id["erin"]["trained_tokens"]) > 400_000
    assert "'../../escaped.txt' would be written outside the submission" in by_id["frank"]["error"]
    assert not (klass["root"] / "escaped.txt").exists() and not (klass["subs"].parent / "escaped.txt").exists()
    for row in rows:
        assert (row["error"] == "") == (row["status"] == "graded")
        assert "\n" not in row["error"]
        results = json.loads((out / "submissions" / row["id"] / "results.json").read_text())  # every student gets one
        assert (results["score"] == 0) == (row["status"] != "graded" or float(row["accuracy"]) == 0)
    assert (out / "report.html").is_file()  # the class at a glance, written when the batch ends


def test_the_gradebook_holds_the_scores_of_the_files_beside_it(graded):
    out, _ = graded
    batch = BatchPaths(out)
    graded_rows = [r for r in read_grades(out) if r["status"] == "graded"]
    assert len(graded_rows) == 3
    for row in graded_rows:
        paths = batch.submission(row["id"])
        summary = json.loads(paths.summary.read_text())
        predictions = [json.loads(line) for line in paths.predictions.read_text().splitlines()]
        assert (float(row["accuracy"]), int(row["correct"]), int(row["total"])) == (summary["accuracy"], summary["correct"], 12)
        assert int(row["correct"]) == sum(p["correct"] for p in predictions)
        record = json.loads(paths.training_record.read_text())
        assert float(row["final_train_loss"]) == pytest.approx(record["final_train_loss"])
        assert int(row["trained_tokens"]) == record["trained_tokens"]
        assert all(float(row[f"{s}_seconds"]) > 0 for s in ("check", "train", "evaluate", "score"))
        results = json.loads(paths.results.read_text())
        assert results["score"] == pytest.approx(100 * summary["accuracy"], abs=1e-3)
        assert results["tests"][-1]["max_score"] == 100 or any(t["max_score"] == 100 for t in results["tests"])
        repro = json.loads(paths.record.read_text())
        assert repro["train_tokens_sha256"] == record["train_tokens_sha256"] and repro["seed"] == record["config"]["seed"]
        assert repro["snapshot_sha256"] == json.loads(paths.manifest.read_text())["sha256"]
        assert repro["environment"]["torch"] and repro["stage_attempts"]["train"] == 1
    assert sum(float(r["accuracy"]) for r in graded_rows) > 0  # someone learned something
    baseline = json.loads((out / "baseline" / "summary.json").read_text())
    assert baseline["n"] == 12 and baseline["accuracy"] == 0.0


def test_what_is_trained_is_the_frozen_snapshot(graded, klass):
    out, _ = graded
    paths = BatchPaths(out).submission("alice")
    manifest = json.loads(paths.manifest.read_text())
    assert set(manifest["files"]) == {"sft_config.yaml", "sft_utils.py", "data/train.jsonl", "data/val.jsonl"}
    assert oct((paths.snapshot / "sft_config.yaml").stat().st_mode & 0o777) == "0o444"
    gina = BatchPaths(out).submission("gina")
    assert (gina.snapshot / "sft_utils.py").is_file()  # the zipped folder was unwrapped


def test_two_slots_train_two_submissions_at_once_apart(graded):
    out, _ = graded
    batch = BatchPaths(out)
    trains = {i: batch.submission(i).read_state().stages["train"] for i in ("alice", "bob", "gina")}
    assert {t.devices for t in trains.values()} == {"0", "1"}
    intervals = sorted((t.started, t.started + t.seconds, name) for name, t in trains.items())
    overlapping = [(a, b) for a, b in zip(intervals, intervals[1:]) if b[0] < a[1]]
    assert overlapping, intervals  # two trainings ran at the same time
    for a, b in overlapping:
        first, second = trains[a[2]], trains[b[2]]
        assert first.devices != second.devices and first.port != second.port
    checkpoints = {batch.submission(i).model for i in trains}
    assert len(checkpoints) == 3 and all((c / "model.safetensors").is_file() for c in checkpoints)


def test_status_prints_the_same_table(graded):
    out, result = graded
    proc = subprocess.run([sys.executable, "-m", "grader", "status", str(out), "--json"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["counts"] == result["counts"]
    assert [(s["id"], s["status"]) for s in status["submissions"]] == [(s["id"], s["status"]) for s in result["submissions"]]
    human = subprocess.run([sys.executable, "-m", "grader", "status", str(out)], cwd=ROOT, env=ENV,
                           capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    assert "7 submissions: 3 graded, 2 invalid, 1 over_budget, 1 intake_failed" in human
    assert "base model (untrained): 0.0%" in human


def test_rerunning_a_finished_batch_redoes_nothing(graded, klass):
    out, _ = graded
    before = {i: stage_runs(out, i) for i in EXPECTED}
    proc = grade(klass["subs"], klass["test"], klass["policy"], klass["base"], out, "--gpus", "2", "--gpus-per-job", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {i: stage_runs(out, i) for i in EXPECTED} == before


def _wait_for(out: Path, predicate, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    batch = BatchPaths(out)
    while time.monotonic() < end:
        states = {s.id: s for s in batch.states()}
        if predicate(states):
            return
        time.sleep(0.05)
    raise AssertionError("the batch never reached the awaited point")


def _running(stage: str, submission: str | None = None):
    def predicate(states) -> bool:
        return any(s.stages[stage].state == "running" and (submission is None or s.id == submission) for s in states.values())

    return predicate


def test_kill_minus_9_at_any_point_then_rerun_gives_the_same_grades(graded, klass):
    """Kill the grade process during check, during training, between stages and during evaluation."""
    reference, _ = graded
    out = klass["root"] / "killed"
    command = [sys.executable, "-m", "grader", "grade", str(klass["subs"]), "--test", str(klass["test"]),
               "--base-model", str(klass["base"]), "--out", str(out), "--policy", str(klass["policy"]),
               "--gpus-per-job", "0", "--only", "alice", "carol", "erin"]  # fmt: skip
    points = [
        _running("check"),
        _running("train", "alice"),
        # between stages: the stage process writes "done" to state.json, then its last log line, then exits
        lambda states: "alice" in states and states["alice"].stages["train"].state == "done" and stage_runs(out, "alice")["train"],
        _running("evaluate", "alice"),
    ]
    for point in points:
        proc = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(out, point)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    proc = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = [r for r in without_times(read_grades(reference)) if r["id"] in ("alice", "carol", "erin")]
    assert without_times(read_grades(out)) == expected
    runs = stage_runs(out, "alice")
    assert runs == {"check": 1, "train": 1, "evaluate": 1, "score": 1}  # no finished stage ran twice
    state = BatchPaths(out).submission("alice").read_state()
    assert state.stages["train"].attempts == 2 and state.stages["evaluate"].attempts >= 2  # killed while running
    assert state.stages["score"].attempts == 1
    a, b = (BatchPaths(d).submission("alice") for d in (reference, out))
    assert json.loads(a.summary.read_text())["predictions_sha256"] == json.loads(b.summary.read_text())["predictions_sha256"]
    leftovers = [p for p in out.rglob("*") if p.name.endswith((".tmp", ".partial"))]
    assert leftovers == []


def test_the_evaluate_stage_runs_with_eval_python_and_the_grades_do_not_change(graded, klass, other_python):
    """`grade --eval-python` (the vLLM virtualenv on a GPU machine): here a second virtualenv without the training
    stack or matplotlib, like the one `make vllm-env` builds. Only the evaluate stage runs in it."""
    reference, _ = graded
    out = klass["root"] / "eval-python"
    proc = grade(klass["subs"], klass["test"], klass["policy"], klass["base"], out, "--only", "bob",
                 "--eval-python", str(other_python.python))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"grade: the evaluate stage runs with {other_python.python} (Python " in proc.stderr
    assert without_times(read_grades(out)) == [r for r in without_times(read_grades(reference)) if r["id"] == "bob"]
    a, b = (BatchPaths(d).submission("bob") for d in (reference, out))
    assert a.predictions.read_bytes() == b.predictions.read_bytes()
    stages = [argv[argv.index("stage") + 3] for argv in other_python.runs() if str(out) in argv and "stage" in argv]
    assert stages == ["evaluate"]  # the other stages ran with the grader's own interpreter
    assert json.loads(b.generation.read_text())["stack"]["executable"] == str(other_python.python)
    record = json.loads(b.record.read_text())
    assert record["evaluate_stack"]["executable"] == str(other_python.python)
    assert record["policy"]["eval_python"] == str(other_python.python)  # batch.json too: a re-run must use the same
    assert json.loads(a.record.read_text())["evaluate_stack"]["executable"] == sys.executable


def test_an_eval_python_that_cannot_run_the_evaluate_stage_is_one_line_before_anything(klass, tmp_path):
    bare = tmp_path / "bare"  # a virtualenv with nothing installed: no numpy, torch or transformers
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    plain = tmp_path / "not-a-program"
    plain.write_text("")
    policy = tmp_path / "grading.yaml"
    policy.write_text(klass["policy"].read_text() + "eval_python: missing/bin/python\n")
    for args, says in [
        (["--eval-python", str(tmp_path / "nope")], f"error: --eval-python: {tmp_path / 'nope'}: no such file"),
        (["--eval-python", str(plain)], f"error: --eval-python: {plain}: not executable"),
        (["--eval-python", str(bare / "bin" / "python")], "cannot run the kit's evaluate stage: ModuleNotFoundError: No module named"),
    ]:  # fmt: skip
        proc = grade(klass["subs"], klass["test"], klass["policy"], klass["base"], tmp_path / "out", *args, timeout=120)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and says in lines[0], proc.stderr
    proc = grade(klass["subs"], klass["test"], policy, klass["base"], tmp_path / "out", timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {policy}: eval_python: {ROOT / 'missing/bin/python'}: no such file (build the vLLM virtualenv with `make vllm-env`)"
    assert not (tmp_path / "out").exists()  # nothing was taken in


def test_the_same_batch_on_slurm_with_a_cancelled_task_picked_up_again(graded, klass, slurm_cluster):
    reference, _ = graded
    out = klass["root"] / "slurm"
    env = {**ENV, **slurm_cluster.env}
    command = [sys.executable, "-m", "grader", "grade", str(klass["subs"]), "--test", str(klass["test"]),
               "--base-model", str(klass["base"]), "--out", str(out), "--policy", str(klass["policy"]),
               "--slurm", "--max-parallel", "2", "--gpus-per-job", "0", "--cpus-per-task", "1"]  # fmt: skip
    first = subprocess.run([*command, "--no-wait"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    script = next((out / "slurm").glob("array-*.sh")).read_text()
    assert "#SBATCH --array=0-6%2" in script  # the baseline + the 6 submissions taken in (frank was refused)
    _wait_for(out, _running("train", "alice"))
    task = json.loads((out / "slurm" / "jobs.json").read_text())["alice"]
    subprocess.run(["scancel", task], env=env, check=True, timeout=60)
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    # The first array runs on; this run resubmits alice once her cancelled task is gone, then follows both.
    deadline = time.monotonic() + 600
    while "unfinished" in again.stderr and time.monotonic() < deadline:
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert without_times(read_grades(out)) == without_times(read_grades(reference))
    alice = BatchPaths(out).submission("alice").read_state()
    assert alice.stages["train"].attempts == 2 and stage_runs(out, "alice")["train"] == 1
    jobs = json.loads((out / "slurm" / "jobs.json").read_text())
    assert jobs["alice"] != task  # resubmitted in a new array


def test_the_report_of_a_real_batch(graded, tmp_path):
    """`report` on what `grade` wrote: rendered offline in Chromium, numbers equal grades.csv and summary.json."""
    from tests.test_report import PLOTS, open_in_chromium, parse, rows_in

    out, result = graded
    page, feedback = tmp_path / "class.html", tmp_path / "feedback"
    proc = subprocess.run([sys.executable, "-m", "grader", "report", str(out), "--out", str(page), "--feedback", str(feedback)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    rendered = open_in_chromium(page, tmp_path / "class.png", {
        "plots": PLOTS, "gradebook": rows_in("gradebook"), "failures": rows_in("failures"), "problems": rows_in("problems"),
    })  # fmt: skip
    assert rendered.values["gradebook"] == 7 and rendered.values["failures"] == 4 and rendered.values["problems"] == 12
    assert "accuracy-histogram:1" in rendered.values["plots"]
    parsed, rows = parse(page), {r["id"]: r for r in read_grades(out)}
    for row in parsed.tables["gradebook"].rows:
        assert [value for value, _ in row] == list(rows[row[0][0]].values())  # cell for cell
    accuracies = sorted(float(r["accuracy"]) for r in rows.values() if r["status"] == "graded")
    assert float(parsed.values["best-accuracy"]) == accuracies[-1]
    assert float(parsed.values["median-accuracy"]) == pytest.approx(accuracies[1])
    assert int(parsed.values["count-graded"]) == 3 and int(parsed.values["count-invalid"]) == 2
    assert float(parsed.values["baseline-accuracy"]) == result["baseline_accuracy"]
    assert sorted(p.stem for p in feedback.glob("*.html")) == sorted(EXPECTED)
    hidden = [json.loads(line)["problem"] for line in (out / "test.jsonl").read_text().splitlines()]
    for html_page in feedback.glob("*.html"):  # the default shows none of the hidden problems
        assert not any(problem in html_page.read_text() for problem in hidden)
    for sid in ("alice", "bob", "gina"):  # the train time a student reads is grades.csv's train_seconds
        card = parse(feedback / f"{sid}.html").values
        assert card["train-time"] == rows[sid]["train_seconds"] and "trainer-runtime" not in card

    # docs/grading-a-class.md's second report command, as written, run in a folder of its own on this batch
    line = next(line for line in (ROOT / "docs" / "grading-a-class.md").read_text().splitlines()
                if line.startswith("python -m grader report DIR --out class.html"))  # fmt: skip
    words = [str(out) if word == "DIR" else word for word in shlex.split(line)]
    (tmp_path / "doc").mkdir()
    proc = subprocess.run([sys.executable, *words[1:]], cwd=tmp_path / "doc", env=ENV, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    title = words[words.index("--title") + 1]
    assert f"<title>{html.escape(title)}</title>" in (tmp_path / "doc" / "class.html").read_text()
    assert sorted(p.stem for p in (tmp_path / "doc" / "pages").glob("*.html")) == sorted(EXPECTED)


def test_a_stage_past_its_limit_times_out_and_a_stage_that_dies_is_retried(klass):
    # A train stage limited to 3 s: killed with everything it started, the submission ends as timeout.
    policy = klass["root"] / "short.yaml"
    policy.write_text(klass["policy"].read_text().replace("train_seconds: 300", "train_seconds: 3"))
    out = klass["root"] / "limits"
    proc = grade(klass["subs"], klass["test"], policy, klass["base"], out, "--gpus-per-job", "0", "--only", "gina")
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = BatchPaths(out).submission("gina").read_state()
    assert (state.status, state.error) == ("timeout", "the train stage ran past its limit of 3 s")
    assert state.stages["train"].attempts == 1 and not (BatchPaths(out).submission("gina").model / "config.json").exists()

    # The training's process group killed from outside (an OOM killer, a node hiccup): retried, then graded.
    out = klass["root"] / "retried"
    command = [sys.executable, "-m", "grader", "grade", str(klass["subs"]), "--test", str(klass["test"]),
               "--base-model", str(klass["base"]), "--out", str(out), "--policy", str(klass["policy"]),
               "--gpus-per-job", "0", "--only", "gina"]  # fmt: skip
    runner = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for(out, _running("train", "gina"))
    time.sleep(2)
    os.killpg(BatchPaths(out).submission("gina").read_state().stages["train"].pgid, signal.SIGKILL)
    _, stderr = runner.communicate(timeout=600)
    assert runner.returncode == 0, stderr[-3000:]
    state = BatchPaths(out).submission("gina").read_state()
    assert state.status == "graded" and state.stages["train"].attempts == 2
    assert "gina: train retry" in stderr


def python_example(doc: Path, heading: str) -> str:
    """The ```python block under ``heading`` in a doc page, as written there."""
    text = doc.read_text(encoding="utf-8")
    section = text[text.index(heading):]
    start = section.index("```python\n") + len("```python\n")
    return section[start : section.index("```", start)]


def test_the_python_api_example_of_the_docs_runs_as_written(graded, klass, tmp_path, monkeypatch, capsys):
    """docs/grading-a-class.md, "From Python": grade (resuming the graded batch: nothing is redone), status, report."""
    out, result = graded
    for name, target in (("submissions", klass["subs"]), ("hidden.jsonl", klass["test"]), ("base-model", klass["base"]),
                         ("grading.yaml", klass["policy"]), ("batch", out)):  # fmt: skip
        (tmp_path / name).symlink_to(target)
    before = {i: stage_runs(out, i) for i in EXPECTED}
    monkeypatch.chdir(tmp_path)
    exec(compile(python_example(ROOT / "docs" / "grading-a-class.md", "## From Python"), "docs-example", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "unfinished: []"
    rows = {s["id"]: s for s in result["submissions"]}
    statuses = [line.split()[:2] for line in printed[1:-1]]
    assert statuses == [[i, rows[i]["status"]] for i in sorted(EXPECTED)]
    for line in printed[1:-1]:
        sid, status, accuracy = line.split()
        assert accuracy == ("None" if rows[sid]["accuracy"] is None else str(rows[sid]["accuracy"]))
    assert printed[-1] == f"{len(EXPECTED)} feedback pages"
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == sorted(f"{i}.html" for i in EXPECTED)
    assert {i: stage_runs(out, i) for i in EXPECTED} == before  # the API resumed the CLI's batch: nothing ran again
