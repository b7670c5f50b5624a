"""`python -m grader evaluate` end to end on CPU with a tiny Llama trained for a few seconds."""

from __future__ import annotations

import hashlib
import json
import time
import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from grader import answers
from grader import records
from grader.answers import Verdict
from grader.cli import main
from grader.evaluation.evaluate import Item, checkpoint_prompts, summarize
from grader.evaluation.generate import Generation, vllm_available
from grader.training.train import TrainingRecord
from grader.submission.encode import encode_examples
from grader.submission.prompts import FORMAT_NAME, prompt_format, write_format
from tests.test_prompts import default_template

pytestmark = pytest.mark.xdist_group("evaluate")

MAX_NEW = 40


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def train_briefly(base: Path, train_file: Path, out: Path, template: str, steps: int = 80) -> Path:
    """Save a checkpoint as the trainer does (weights, tokenizer + template, generation_config), after a
    plain loss-on-solution loop long enough to learn the format '... \\boxed{N}$.' + EOS (about 60 steps
    on this sample; 30 are not enough)."""
    tokenizer = AutoTokenizer.from_pretrained(base)
    rows = read_rows(train_file)
    fmt = prompt_format(tokenizer, template)
    encoded = encode_examples(tokenizer, fmt, [r["problem"] for r in rows], [r["solution"] for r in rows])
    model = AutoModelForCausalLM.from_pretrained(base)
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(steps):
        batch = torch.randint(0, len(encoded.input_ids), (32,)).tolist()
        width = max(len(encoded.input_ids[i]) for i in batch)
        ids = torch.full((len(batch), width), tokenizer.pad_token_id)
        labels = torch.full((len(batch), width), -100)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            seq, prompt = encoded.input_ids[i], encoded.prompt_lengths[i]
            ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
            labels[row, prompt : len(seq)] = torch.tensor(seq[prompt:])
        model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.chat_template = template
    tokenizer.save_pretrained(out)
    write_format(out, fmt)  # what sft.py records: evaluation needs nothing else to build prompts
    return out


@pytest.fixture(scope="session")
def checkpoint(tiny_default, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("eval-checkpoint") / "final"
    return train_briefly(tiny_default["base_model"], tiny_default["train"], out, default_template())


@pytest.fixture(scope="session")
def data_file(tiny_default, tmp_path_factory) -> Path:
    """12 held-out problems with subject and level added, so the per-group tables have two rows each."""
    rows = read_rows(tiny_default["test"])[:12]
    for i, row in enumerate(rows):
        row["subject"] = "counting" if i % 3 else "arithmetic"
        row["level"] = 1 + i % 2
    path = tmp_path_factory.mktemp("eval-data") / "heldout.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def clone(checkpoint: Path, dest: Path, template: str | None = "keep") -> Path:
    """A copy of the checkpoint, with another chat template (None: none at all)."""
    shutil.copytree(checkpoint, dest)
    if template != "keep":
        (dest / "chat_template.jinja").unlink()
        if template is not None:
            tokenizer = AutoTokenizer.from_pretrained(dest)
            tokenizer.chat_template = template
            tokenizer.save_pretrained(dest)
    return dest


def evaluate_cli(capsys, *args) -> tuple[int, str, str]:
    rc = main(["evaluate", *map(str, args)])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_end_to_end_writes_graded_items_and_summary(checkpoint, data_file, tmp_path, capsys):
    out = tmp_path / "out"
    rc, stdout, stderr = evaluate_cli(
        capsys, checkpoint, "--data", data_file, "--out", out, "--max-new-tokens", MAX_NEW
    )
    assert rc == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "generation.json", "generations.jsonl", "predictions.jsonl", "report.html", "summary.json",
    ]  # no temp files left  # fmt: skip
    inputs, rows = read_rows(data_file), read_rows(out / "predictions.jsonl")
    summary = json.loads((out / "summary.json").read_text())

    assert [r["id"] for r in rows] == [r["id"] for r in inputs]
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    for given, row in zip(inputs, rows):
        rendered = tokenizer.apply_chat_template(
            [{"role": "user", "content": given["problem"]}], tokenize=False, add_generation_prompt=True
        )
        assert row["prompt"] == rendered
        assert (row["answer"], row["subject"], row["level"], row["source"]) == (
            given["answer"], given["subject"], given["level"], given["source"],
        )  # fmt: skip
        verdict = answers.grade(row["output"], given["answer"])
        assert (row["correct"], row["extracted"], row["reason"]) == (verdict.correct, verdict.extracted, verdict.reason)
        assert row["stopped"] == (row["generated_tokens"] < MAX_NEW)

    # The briefly trained model has learned the format: it stops and boxes an answer.
    assert sum(r["stopped"] for r in rows) >= 10 and sum(r["extracted"] is not None for r in rows) >= 10, summary
    correct = sum(r["correct"] for r in rows)
    assert (summary["n"], summary["correct"], summary["accuracy"]) == (12, correct, round(correct / 12, 6))
    assert summary["by_subject"]["arithmetic"]["n"] == 4 and summary["by_subject"]["counting"]["n"] == 8
    assert summary["by_level"]["1"]["correct"] + summary["by_level"]["2"]["correct"] == correct
    assert summary["by_source"] == {"synthetic": {"n": 12, "correct": correct, "accuracy": summary["accuracy"]}}
    assert summary["never_stopped"] == round(sum(not r["stopped"] for r in rows) / 12, 6)
    assert summary["no_box"] == round(sum(r["reason"] == "no_box" for r in rows) / 12, 6)
    assert summary["reasons"] == {reason: sum(r["reason"] == reason for r in rows) for reason in summary["reasons"]}
    assert sum(summary["reasons"].values()) == 12
    assert summary["mean_output_tokens"] == round(sum(r["generated_tokens"] for r in rows) / 12, 3)
    assert summary["data_sha256"] == hashlib.sha256(data_file.read_bytes()).hexdigest()
    assert summary["predictions_sha256"] == hashlib.sha256((out / "predictions.jsonl").read_bytes()).hexdigest()
    assert (summary["backend"], summary["model"]) == ("transformers", str(checkpoint))
    assert summary["max_new_tokens"] == MAX_NEW
    assert "backend transformers" in stderr
    assert f"accuracy        {correct}/12" in stdout and "subject counting" in stdout

    # `grader score` re-grades the predictions file on its own and agrees.
    rc = main(["score", "--predictions", str(out / "predictions.jsonl"), "--data", str(data_file),
               "--out", str(tmp_path / "scored.jsonl"), "--json"])  # fmt: skip
    rescored = json.loads(capsys.readouterr().out)
    assert rc == 0 and (rescored["n_correct"], rescored["reasons"]) == (correct, summary["reasons"])


def test_training_prompt_equals_grading_prompt(checkpoint, tiny_default):
    """The trainer's sequence (student template, encode_examples) starts with exactly the ids evaluate sends."""
    rows = read_rows(tiny_default["test"])
    problems, solutions = [r["problem"] for r in rows], [r["solution"] for r in rows]
    tokenizer = AutoTokenizer.from_pretrained(tiny_default["base_model"])
    training = encode_examples(tokenizer, prompt_format(tokenizer, default_template()), problems, solutions)
    _, grading = checkpoint_prompts(checkpoint, problems)
    assert len(grading) == len(rows)
    for sequence, prompt_length, prompt in zip(training.input_ids, training.prompt_lengths, grading):
        assert sequence[:prompt_length] == prompt
        assert prompt.count(tokenizer.bos_token_id) == 1 and prompt[0] == tokenizer.bos_token_id


def test_two_runs_give_byte_identical_predictions(checkpoint, data_file, tmp_path, capsys):
    for name in ("a", "b"):
        rc, _, stderr = evaluate_cli(
            capsys, checkpoint, "--data", data_file, "--out", tmp_path / name,
            "--max-new-tokens", MAX_NEW, "--batch-size", 5,
        )  # fmt: skip
        assert rc == 0, stderr
    first, second = ((tmp_path / name / "predictions.jsonl").read_bytes() for name in ("a", "b"))
    assert first == second and len(first.splitlines()) == 12


@pytest.mark.parametrize(
    "template",
    [
        # Raises with the hidden problem's text on problems the probes do not resemble.
        "{% if 'marbles' in messages[0]['content'] %}{{ raise_exception(messages[0]['content']) }}{% endif %}"
        "Problem: {{ messages[0]['content'] }}\nSolution:",
        # Stalls for hours on them.
        "{% if 'marbles' in messages[0]['content'] %}{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}{% endif %}Q: {{ messages[0]['content'] }}\nA:",
        # Depends on the clock.
        "{{ strftime_now('%Y-%m-%d %H:%M:%S') * 100000 }}Q: {{ messages[0]['content'] }}",
    ],
)
def test_the_checkpoints_template_never_runs_on_the_hidden_problems(checkpoint, data_file, tmp_path, capsys, template):
    """Prompts come from the recorded format: a hostile template in the checkpoint changes nothing."""
    assert "marbles" in data_file.read_text()
    rc, _, stderr = evaluate_cli(capsys, checkpoint, "--data", data_file, "--out", tmp_path / "ref", "--max-new-tokens", 8)
    assert rc == 0, stderr
    model = clone(checkpoint, tmp_path / "hostile", template)
    start = time.monotonic()
    rc, _, stderr = evaluate_cli(capsys, model, "--data", data_file, "--out", tmp_path / "out", "--max-new-tokens", 8)
    assert rc == 0, stderr
    assert time.monotonic() - start < 60
    assert "marbles" not in stderr
    assert read_rows(tmp_path / "out" / "predictions.jsonl") == read_rows(tmp_path / "ref" / "predictions.jsonl")


def test_model_that_never_emits_eos_is_reported_as_never_stopped(checkpoint, data_file, tmp_path, capsys):
    """Final norm zeroed: every logit is 0, greedy picks id 0 (BOS, special) at every step, never EOS."""
    model_dir = clone(checkpoint, tmp_path / "mute")
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    with torch.no_grad():
        model.model.norm.weight.zero_()
    model.save_pretrained(model_dir)
    out = tmp_path / "out"
    rc, stdout, stderr = evaluate_cli(capsys, model_dir, "--data", data_file, "--out", out, "--max-new-tokens", 8)
    assert rc == 0, stderr
    rows = read_rows(out / "predictions.jsonl")
    assert {(r["output"], r["generated_tokens"], r["stopped"], r["correct"], r["reason"]) for r in rows} == {
        ("", 8, False, False, "no_box")
    }
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["never_stopped"], summary["no_box"], summary["accuracy"]) == (1.0, 1.0, 0.0)
    assert "never stopped   100.0%" in stdout


def test_default_out_dir_and_limit(checkpoint, data_file, tmp_path, capsys):
    model_dir = clone(checkpoint, tmp_path / "ckpt")
    rc, stdout, stderr = evaluate_cli(capsys, model_dir, "--data", data_file, "--limit", 3, "--max-new-tokens", 8)
    assert rc == 0, stderr
    out = model_dir / "eval" / "heldout"
    assert [r["id"] for r in read_rows(out / "predictions.jsonl")] == [r["id"] for r in read_rows(data_file)[:3]]
    assert json.loads((out / "summary.json").read_text())["limit"] == 3
    assert str(out / "summary.json") in stdout


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD = '{"id": "a", "problem": "What is 1 + 1?", "answer": "2"}\n'


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing-model", "model folder not found"),
        ("no-format", "no prompt_format.json (the prompt format validated for this model)"),
        ("other-format", "prompt_format.json does not match the format recorded in training_record.json"),
        ("empty-data", "no problems (the file is empty)"),
        ("bad-json", "line 3: invalid JSON"),
        ("no-answer", "line 2: missing field 'answer'"),
        ("no-answer-no-box", "line 2: no field 'answer', and no \\boxed{} in field 'solution' to take it from"),
        ("duplicate-id", "line 3: duplicate id 'a' (first on line 1)"),
        ("bad-level", "line 1: field 'level' must be a string or an integer, got list"),
    ],
)
def test_user_mistakes_fail_with_one_line(checkpoint, tmp_path, capsys, case, expected):
    model, data = checkpoint, write(tmp_path / "data.jsonl", GOOD)
    if case == "missing-model":
        model = tmp_path / "nowhere"
    elif case == "no-format":
        model = clone(checkpoint, tmp_path / "plain")
        (model / FORMAT_NAME).unlink()
    elif case == "other-format":  # the format of another template put in the checkpoint after training
        model = clone(checkpoint, tmp_path / "swapped")
        record = TrainingRecord("base", {}, {}, "0" * 64, "1" * 64, 100, 1, 0.5, 1.0, [])  # another format's digest
        records.save(model / "training_record.json", record)
    elif case == "empty-data":
        write(data, "\n")
    elif case == "bad-json":
        write(data, GOOD + "\n" + '{"problem": "x", "answer": }\n')
    elif case == "no-answer":
        write(data, GOOD + '{"id": "b", "problem": "x"}\n')
    elif case == "no-answer-no-box":
        write(data, GOOD + '{"id": "b", "problem": "x", "solution": "It is 2."}\n')
    elif case == "duplicate-id":
        write(data, GOOD + GOOD.replace('"a"', '"b"') + GOOD)
    elif case == "bad-level":
        write(data, GOOD.replace('"answer"', '"level": [5], "answer"'))
    rc, _, stderr = evaluate_cli(capsys, model, "--data", data, "--out", tmp_path / "out")
    assert rc == 1
    assert stderr.startswith("error: ") and expected in stderr and stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_rows_without_answer_take_the_last_box_of_their_solution(checkpoint, data_file, tmp_path, capsys):
    """NuminaMath-style rows (problem, solution): the reference is the solution's last box, and evaluate says so."""
    rows = read_rows(data_file)[:4]
    for row in rows[:3]:
        answer = row.pop("answer")
        row["solution"] = f"First try $\\boxed{{{int(answer) + 1}}}$; no: {{it}} is $\\boxed{{{answer}}}$. Done."
    data = tmp_path / "numina.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    rc, stdout, stderr = evaluate_cli(capsys, checkpoint, "--data", data, "--out", tmp_path / "out", "--max-new-tokens", 8)
    assert rc == 0, stderr
    predictions = read_rows(tmp_path / "out" / "predictions.jsonl")
    assert [p["answer"] for p in predictions] == [r["answer"] for r in read_rows(data_file)[:4]]
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["answers_from_solution"] == 3
    assert "answers         3 of 4 taken from the last \\boxed{} of 'solution' (no 'answer' field)\n" in stdout


def test_summary_counts_accuracy_per_group_stops_and_boxes():
    items = [
        Item("a", "p", "2", {"source": "amc", "level": 1}),
        Item("b", "p", "2", {"source": "amc", "level": 2}),
        Item("c", "p", "2", {"source": "aime"}),
        Item("d", "p", "2", {"source": "aime", "level": 1}),
    ]
    results = [Generation("", 5, True), Generation("", 10, False), Generation("", 3, True), Generation("", 2, True)]
    verdicts = [
        Verdict(True, "2", "exact"),
        Verdict(False, None, "no_box"),
        Verdict(False, "3", "mismatch"),
        Verdict(True, "2.0", "numeric"),
    ]
    assert records.to_json(summarize(items, results, verdicts)) == {
        "n": 4,
        "correct": 2,
        "accuracy": 0.5,
        "by_source": {"aime": {"n": 2, "correct": 1, "accuracy": 0.5}, "amc": {"n": 2, "correct": 1, "accuracy": 0.5}},
        "by_level": {
            "(none)": {"n": 1, "correct": 0, "accuracy": 0.0},
            "1": {"n": 2, "correct": 2, "accuracy": 1.0},
            "2": {"n": 1, "correct": 0, "accuracy": 0.0},
        },
        "mean_output_tokens": 5.0,
        "never_stopped": 0.25,
        "no_box": 0.25,
        "reasons": {"exact": 1, "mismatch": 1, "no_box": 1, "numeric": 1},
    }


@pytest.mark.skipif(vllm_available() is None, reason="vLLM and a GPU are present here")
def test_vllm_backend_without_vllm_is_a_one_line_error(checkpoint, data_file, tmp_path, capsys):
    rc, _, stderr = evaluate_cli(capsys, checkpoint, "--data", data_file, "--out", tmp_path, "--backend", "vllm")
    assert rc == 1 and stderr.startswith("error: --backend vllm: vLLM") and stderr.count("\n") == 1


def test_evaluate_runs_in_an_environment_without_the_training_stack_or_matplotlib(checkpoint, data_file, other_python,
                                                                                  tmp_path, capsys):  # fmt: skip
    """The vLLM virtualenv holds neither trl, deepspeed, accelerate, liger-kernel nor matplotlib: evaluate
    writes everything there (the page says where its plots would be), with the same predictions."""
    import subprocess

    from tests.conftest import NOT_IN_VLLM_ENV, ROOT

    for module in NOT_IN_VLLM_ENV:
        probe = subprocess.run([str(other_python.python), "-c", f"import {module}"], capture_output=True, text=True)
        assert probe.returncode == 1 and "ModuleNotFoundError" in probe.stderr, module
    args = [checkpoint, "--data", data_file, "--max-new-tokens", 16]
    proc = subprocess.run([str(other_python.python), "-m", "grader", "evaluate", *map(str, args), "--out", str(tmp_path / "light")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    light = tmp_path / "light"
    assert sorted(p.name for p in light.iterdir()) == [
        "generation.json", "generations.jsonl", "predictions.jsonl", "report.html", "summary.json"]  # fmt: skip
    page = (light / "report.html").read_text()
    assert page.count("plot not drawn: matplotlib is not installed") == 2  # accuracy per subject and per level
    assert "<svg" not in page and 'id="by-subject"' in page and 'id="by-level"' in page  # the tables are there
    rc, _, _ = evaluate_cli(capsys, *args, "--out", tmp_path / "full")
    assert rc == 0 and "<svg" in (tmp_path / "full" / "report.html").read_text()
    assert (light / "predictions.jsonl").read_bytes() == (tmp_path / "full" / "predictions.jsonl").read_bytes()
    scored = subprocess.run([str(other_python.python), "-m", "grader", "score", "--predictions", str(light / "generations.jsonl"),
                             "--data", str(data_file), "--out", str(tmp_path / "scored.jsonl"), "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert scored.returncode == 0, scored.stderr[-3000:]
    assert json.loads(scored.stdout.splitlines()[-1])["n_correct"] == json.loads((light / "summary.json").read_text())["correct"]
