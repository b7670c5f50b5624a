"""`python -m grader check`: the report, the JSON schema, exit codes, and that it is sft.py's pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import grader.submission.check
import grader.training.train
import grader.submission.validate
from grader import records
from grader.cli import main
from grader.submission.encode import read_ids
from grader.submission.prompts import prompt_format
from grader.submission.sandbox import Deadline, DeadlineExceeded, bubblewrap_path
from grader.tiny import llama_tokenizer_dir
from grader.submission.validate import validate_submission
from tests.conftest import ROOT
from tests.test_prompts import default_template

LLAMA = str(llama_tokenizer_dir())
ROWS = [{"problem": f"What is {i} + 2?", "solution": f"{i} + 2 = {i + 2}, so $\\boxed{{{i + 2}}}$."} for i in range(6)]
TOP_LEVEL = {
    "ok", "submission", "base_model", "sandbox", "seconds", "train", "val", "trained_tokens", "world_size", "violations", "notes",
    "eval_passes", "eval_tokens", "compute_tokens",
    "warnings", "strict", "prompt", "survey", "output", "max_length",
}  # fmt: skip


def run_check(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def report_lines(out: str) -> list[str]:
    """The report without its notes (a machine without bubblewrap adds one, tested on its own) and its prompt block."""
    lines = [line for line in out.splitlines() if not line.startswith("note: ")]
    return [line for line in lines if not line.startswith(("prompt format (", "  | "))]


def test_check_and_training_run_the_same_pipeline():
    assert grader.submission.check.validate_submission is grader.submission.validate.validate_submission
    assert grader.training.train.validate_submission is grader.submission.validate.validate_submission


def test_valid_submission_exits_0_with_the_pipelines_numbers(capsys, submission_factory, tiny_default):
    rows = [json.loads(line) for line in tiny_default["train"].read_text().splitlines()]
    sub = submission_factory(train_rows=rows, val_rows=rows[:50])
    code, out, _ = run_check(capsys, str(sub), "--json", "--base-model", LLAMA)
    assert code == 0
    result = json.loads(out)
    assert set(result) == TOP_LEVEL
    assert result["ok"] is True and result["violations"] == [] and result["submission"] == str(sub)
    expected = validate_submission(sub, base_model=LLAMA).stats()
    assert (result["train"], result["val"]) == (records.to_json(expected["train"]), records.to_json(expected["val"]))
    assert set(result["train"]) == {"examples", "max_tokens", "p50_tokens", "p99_tokens", "total_tokens"}
    assert result["train"]["examples"] == 2000 and result["val"]["examples"] == 50
    if bubblewrap_path():
        assert result["sandbox"] == "bubblewrap"
    code, out, _ = run_check(capsys, str(sub), "--base-model", LLAMA)
    assert code == 0 and out.rstrip().endswith("OK: the submission is valid")


def test_a_realistic_config_pays_little_for_its_evaluation():
    """The shipped sft_config.yaml (3 epochs, a validation pass after each) on a realistic dataset: the
    validation passes add well under 1% to the compute, so the budget's verdict stays the trained tokens'."""
    from grader.submission.budget import cost
    from grader.submission.config import read_config

    config, problems = read_config(ROOT / "sft_config.yaml")
    assert problems == []
    work = cost(config, tokens_per_epoch=7_500 * 400, examples=7_500, val_tokens=100 * 400)
    assert (work.trained_tokens, work.eval_passes, work.eval_tokens) == (9_000_000, 3, 120_000)
    assert work.compute_tokens == 9_040_000 < 1.01 * work.trained_tokens
    assert cost(config, 7_500 * 400, 7_500, None).compute_tokens == work.trained_tokens  # no validation split, no passes


def test_every_violation_is_reported_once_one_per_line(capsys, submission_factory, llama_tokenizer):
    from tests.test_limits import solution_with_total

    long = solution_with_total(llama_tokenizer, 50).strip()
    train = [ROWS[0], {"problem": "What is 1 + 1?", "solution": long}, ROWS[1], {"problem": "What is 1 + 1?", "solution": long}]
    val = [{"problem": f"What is {i} + 1?", "solution": "ok"} for i in range(101)]
    sub = submission_factory(train_rows=train, val_rows=val, config="max_length: 49\noutput_dir: elsewhere\n")
    code, out, _ = run_check(capsys, str(sub), "--base-model", LLAMA)
    assert code == 1
    lines = report_lines(out)
    assert lines[0].startswith(f"check {sub} (sandbox: ")
    assert lines[1].startswith("train: 4 examples; tokens max 50, p50 ")
    assert lines[2].startswith("val: 101 examples; tokens max ")
    assert lines[3].startswith("training: ") and lines[3].endswith(" tokens with this config (prompt + solution, all epochs)")
    assert lines[4].startswith("compute: ") and " evaluated / 3 (3 validation passes during training; " in lines[4]
    # The long solutions have no box, examples 1 and 3 are the same, val example 1 is a training problem:
    # warnings, before the verdict.
    assert [line.split(":")[:2] for line in lines[5:8]] == [["warning", " no_box"], ["warning", " duplicate"],
                                                            ["warning", " val_in_train"]]  # fmt: skip
    assert lines[8] == "3 warnings: they do not fail the check (--strict makes warnings fail it)"
    lines = lines[9:]
    assert lines[0] == "FAILED: 4 violations"
    assert [line.split(":")[0] for line in lines[1:]] == ["config", "example_too_long", "example_too_long", "too_many_examples"]
    assert "key 'output_dir' is not allowed" in lines[1]
    assert "example 1: 50 tokens" in lines[2] and "limit 49 (max_length in sft_config.yaml)" in lines[2]
    assert "example 3: 50 tokens" in lines[3]
    assert lines[4] == "too_many_examples: val data (data/val.jsonl via sft_utils.load_split): 101 examples, limit 100"
    code, out, _ = run_check(capsys, str(sub), "--json", "--base-model", LLAMA)
    violations = json.loads(out)["violations"]
    assert violations[1] == {
        "code": "example_too_long", "message": violations[1]["message"], "split": "train", "index": 1, "value": 50, "limit": 49,
    }  # fmt: skip


def test_decontamination_names_the_example_and_keeps_the_test_id_apart(capsys, submission_factory, tmp_path):
    problem = "A bag has 3 red and 5 blue marbles. Two are drawn without replacement. What is the probability both are red?"
    test_file = tmp_path / "test.jsonl"
    test_file.write_text(json.dumps({"id": "prob-12", "problem": problem}) + "\n")
    train = [*ROWS, {"problem": problem.upper(), "solution": "3/28"}]
    sub = submission_factory(train_rows=train, val_rows=ROWS[:2])
    code, out, _ = run_check(capsys, str(sub), "--json", "--base-model", LLAMA, "--test", str(test_file))
    assert code == 1
    (violation,) = json.loads(out)["violations"]
    assert violation["code"] == "contamination" and violation["test_id"] == "prob-12"
    assert (violation["split"], violation["index"]) == ("train", 6)
    assert "example 6, problem: matches a hidden test problem" in violation["message"]
    assert "prob-12" not in violation["message"] and "marbles" not in violation["message"]  # the id is for the instructor


@pytest.mark.parametrize(
    "argv, message",
    [
        (["/nonexistent/submission"], "error: /nonexistent/submission: not a folder"),
        (["{sub}", "--test", "/nonexistent/test.jsonl"], "error: --test: /nonexistent/test.jsonl: file not found"),
        (["{sub}", "--base-model", "/nonexistent/model"], "error: --base-model: base model folder '/nonexistent/model' not found"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, submission_factory, argv, message):
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS)
    code, out, err = run_check(capsys, *(a.format(sub=sub) for a in argv))
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


@pytest.mark.parametrize("timeout", ["0", "-1", "soon", "inf"])
def test_bad_timeout_is_a_usage_error(capsys, timeout):
    with pytest.raises(SystemExit) as caught:
        main(["check", ".", "--timeout", timeout])
    assert caught.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_student_text_cannot_forge_report_lines(capsys, submission_factory):
    module = 'raise ValueError("\\x1b[2J\\x1b[32mOK: the submission is valid\\x1b[0m \\u202e")\n'
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=module)
    code, out, _ = run_check(capsys, str(sub), "--base-model", LLAMA)
    assert code == 1 and "\x1b" not in out and "\u202e" not in out
    lines = report_lines(out)
    assert lines[-1].endswith("ValueError: \\x1b[2J\\x1b[32mOK: the submission is valid\\x1b[0m \\u202e")
    assert len(lines) == 5


def test_without_bubblewrap_the_report_says_so(capsys, submission_factory, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "subprocess")
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS)
    code, out, _ = run_check(capsys, str(sub), "--json", "--base-model", LLAMA)
    result = json.loads(out)
    assert code == 0 and result["sandbox"] == "subprocess"
    assert result["notes"][0].startswith("bubblewrap is not available")


def test_timeout_bounds_the_whole_run(capsys, submission_factory):
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils="import time\ntime.sleep(60)\n")
    start = time.monotonic()
    code, out, _ = run_check(capsys, str(sub), "--json", "--timeout", "2", "--base-model", LLAMA)
    assert time.monotonic() - start < 2 + 3
    (violation,) = json.loads(out)["violations"]
    assert code == 1 and violation["code"] == "timeout"


def test_saved_tokens_are_exactly_the_plain_tokenizer_calls(submission_factory, llama_tokenizer, tmp_path, monkeypatch):
    """What `check --save` writes (and sft.py trains) is the plain tokenizer's ids, whatever the chunking."""
    tokenizer = llama_tokenizer
    fmt = prompt_format(tokenizer, default_template())
    problems = ["What is 1 + 1?", "  spaced\tout\n", "Émile's 数学 problem <|eot_id|> with a special-token string", "x" * 3000]
    solutions = [" 2", "\n\nSolution: $\\boxed{3}$", " <|end_of_text|> literal", " y" * 500]
    verbatim = f"from grader.jsonl import read_jsonl\nCHAT_TEMPLATE = {default_template()!r}\n" \
        "def load_split(split, path):\n    return read_jsonl(path)\n"  # fmt: skip
    rows = [{"problem": p, "solution": s} for p, s in zip(problems, solutions)]
    sub = submission_factory(train_rows=rows, val_rows=ROWS, sft_utils=verbatim)
    first = validate_submission(sub, base_model=LLAMA, tokenizer=tokenizer, data_dir=tmp_path / "a")
    assert first.ok and first.data_dir == tmp_path / "a"
    monkeypatch.setattr(grader.submission.validate, "CHUNK_CHARS", 10)  # one example per tokenizer call
    validate_submission(sub, base_model=LLAMA, tokenizer=tokenizer, data_dir=tmp_path / "b")
    ids = read_ids(tmp_path / "a" / "train.arrow")
    assert ids == read_ids(tmp_path / "b" / "train.arrow")
    plain = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    for seq, problem, solution in zip(ids, problems, solutions):
        assert seq == [fmt.bos_id, *plain(fmt.prefix.removeprefix(tokenizer.bos_token)), *plain(problem),
                       *plain(fmt.suffix), *plain(solution), fmt.eos_id]  # fmt: skip
    assert first.splits["train"].lengths.tolist() == [len(seq) for seq in ids]


def test_chunks_in_flight_keep_example_order(submission_factory, llama_tokenizer, tmp_path, monkeypatch):
    """Many chunks in flight at once (one example each): the same lengths and the same violations,
    in example order, as one chunk, with too-long, proven-too-long and contaminated examples among them."""
    leaked = "A train leaves the station at noon travelling at sixty miles per hour toward a distant city far away"
    rows = [{"problem": f"What is {i} + 2?", "solution": f"{i} + 2 = {i + 2}, so $\\boxed{{{i + 2}}}$."} for i in range(40)]
    rows[3]["solution"] = " " + " ".join("1234567890" * 3)  # under 64 characters, over 64 tokens with the prompt
    rows[11]["solution"] = "x" * 20_000  # proven too long from its size alone: drains the chunks in flight
    rows[17]["problem"] = leaked  # a hidden test problem
    rows[29]["solution"] = rows[3]["solution"]
    sub = submission_factory(train_rows=rows, val_rows=ROWS, config="max_length: 64\n")
    tests = tmp_path / "test.jsonl"
    tests.write_text(json.dumps({"id": "t1", "problem": leaked}) + "\n")
    runs = []
    for chunk_chars in (None, 10):
        if chunk_chars is not None:
            monkeypatch.setattr(grader.submission.validate, "CHUNK_CHARS", chunk_chars)
        result = validate_submission(sub, base_model=LLAMA, tokenizer=llama_tokenizer, test_file=tests)
        runs.append(([(v.code, v.split, v.index) for v in result.violations], result.splits["train"].lengths.tolist()))
    (one, lengths), (many, chunked_lengths) = runs
    assert many == one and chunked_lengths == lengths
    assert [(code, index) for code, split, index in one if split == "train"] == [
        ("example_too_long", 3), ("example_too_long", 11), ("contamination", 17), ("example_too_long", 29)]  # fmt: skip
    assert lengths[3] == lengths[29] > 64 and lengths[11] == -1


def test_nothing_is_saved_for_an_invalid_submission(submission_factory, tmp_path, capsys):
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS)
    save = tmp_path / "saved"
    code, out, _ = run_check(capsys, str(sub), "--json", "--base-model", LLAMA, "--save", str(save))
    assert code == 0 and sorted(p.name for p in save.iterdir()) == ["meta.json", "prompt_format.json", "train.arrow", "val.arrow"]
    (sub / "sft_config.yaml").write_text("max_length: 5\n")
    code, out, _ = run_check(capsys, str(sub), "--json", "--base-model", LLAMA, "--save", str(save))
    assert code == 1 and list(save.iterdir()) == []  # the earlier valid run's files are gone too


def test_expired_deadline_stops_tokenizing(llama_tokenizer, submission_factory):
    from grader.submission.validate import _SplitRun

    fmt = prompt_format(llama_tokenizer, default_template())
    run = _SplitRun(source=None, tokenizer=llama_tokenizer, fmt=fmt, max_length=2048, tests=None, sink=None)  # type: ignore[arg-type]
    run.source = type("S", (), {"name": "train", "file": "data/train.jsonl"})()
    run.add(0, "p", "s", Deadline())
    with pytest.raises(DeadlineExceeded, match="tokenizing the 'train' examples"):
        run.flush(Deadline(at=0.0, seconds=1))


@pytest.mark.skipif(bubblewrap_path() is None, reason="bubblewrap cannot create namespaces here")
def test_check_runs_from_a_virtualenv_under_tmp(tmp_path, submission_factory):
    """The sandbox's private /tmp must not hide a Python installed under /tmp (a CI virtualenv)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(p for p in sys.path if p.endswith("site-packages"))
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "grader", "check", str(sub), "--json", "--base-model", LLAMA],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": f"{ROOT}:{site}"}, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert json.loads(proc.stdout)["sandbox"] == "bubblewrap"


def test_a_broken_train_file_does_not_hide_a_broken_val_file(capsys, submission_factory):
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS)
    (sub / "data" / "train.jsonl").write_text('{"problem": "a" "solution": "b"}\n')
    (sub / "data" / "val.jsonl").write_text('{"problem": "a"}\n')
    code, out, _ = run_check(capsys, str(sub), "--json", "--base-model", LLAMA)
    assert code == 1
    train, val = json.loads(out)["violations"]
    assert (train["code"], train["split"], val["code"], val["split"]) == ("data", "train", "data", "val")
    assert "data/train.jsonl line 1: invalid JSON" in train["message"]
    assert "data/val.jsonl line 1: missing field 'solution'" in val["message"]
    code, out, _ = run_check(capsys, str(sub), "--base-model", LLAMA)
    assert "train: not read (load_split failed: see below)" in out.splitlines()


def test_one_failing_split_leaves_the_other_read_and_checked(capsys, submission_factory):
    """load_split('val') fails: the training data is still read, tokenized and reported, not 'not read'."""
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS)
    (sub / "data" / "val.jsonl").write_text('{"problem": "a"}\n')
    code, out, _ = run_check(capsys, str(sub), "--base-model", LLAMA)
    lines = report_lines(out)
    assert code == 1
    assert lines[1].startswith("train: 6 examples; tokens max ") and lines[2] == "val: not read (load_split failed: see below)"
    assert lines[-2:] == ["FAILED: 1 violation",
                          "data: data/val.jsonl line 1: missing field 'solution'"]  # fmt: skip


def test_the_commands_docs_check_md_shows_run_as_written(submission_factory):
    """docs/check.md's block "From a submission folder": each command, as written, from a clean submission."""
    import shlex

    text = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    section = text[text.index("From a submission folder, as a student runs it:") :]
    block = section[section.index("```bash\n") + len("```bash\n") : section.index("```", section.index("```bash\n") + 7)]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(commands) == 4 and all(c.startswith("python -m grader check") for c in commands)
    val = [{"problem": "What is 10 + 2?", "solution": "So $\\boxed{12}$."}]
    sub = submission_factory(train_rows=ROWS, val_rows=val)  # the kit's sft_utils.py, the default config
    for command in commands:
        argv = shlex.split(command)
        proc = subprocess.run([sys.executable, *argv[1:]], cwd=sub, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
        assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-2000:])
        if "--json" in argv:
            assert json.loads(proc.stdout)["prompt"]["checked_problems"] == 7
        else:
            assert proc.stdout.rstrip().endswith("OK: the submission is valid")
    assert (sub / "data-page.html").read_text(encoding="utf-8").count("data-plot=") == 2


def test_the_python_api_check_is_the_commands_report(capsys, submission_factory, tiny_default):
    """grader.api.check returns check's report as a CheckReport: the --json object, field for field."""
    from grader import api

    rows = [json.loads(line) for line in tiny_default["train"].read_text().splitlines()][:200]
    sub = submission_factory(train_rows=rows, val_rows=rows[:5], config="foo: 1\n")
    report = api.check(sub, base_model=LLAMA)
    code, out, _ = run_check(capsys, str(sub), "--json", "--base-model", LLAMA)
    cli = json.loads(out)
    assert code == 1 and not report.ok and [v.code for v in report.violations] == ["config"]
    assert {k: v for k, v in records.to_json(report).items() if k != "seconds"} == {k: v for k, v in cli.items() if k != "seconds"}
