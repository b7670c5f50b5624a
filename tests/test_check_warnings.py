"""check's warnings, the prompt format it shows, and the template rendered on every one of the student's problems.

Warnings break no rule but predictably cost a grade; they are computed by the fixed code on the
materialized examples (grader/submission/survey.py), never by student code, and do not fail a
check unless ``--strict``. The template is rendered, confined, on every problem the student
trains or validates on, and must give prefix + problem + suffix each time. Everything runs the
real command with the real sandbox and the real Llama 3.2 tokenizer.
"""

from __future__ import annotations

import json
import time

import pytest

import grader.submission.validate
from grader.cli import main
from grader.submission.prompts import DEFAULT_CHAT_TEMPLATE, TemplateError, prompt_format
from grader.tiny import llama_tokenizer_dir
from tests.conftest import SHARED_DATA

LLAMA = str(llama_tokenizer_dir())


def row(i: int, solution: str | None = None, **extra) -> dict:
    return {"problem": f"What is {i} + 2?", "solution": solution or f"{i} + 2 = {i + 2}, so $\\boxed{{{i + 2}}}$.", **extra}


def run(capsys, sub, *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["check", str(sub), "--base-model", LLAMA, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_each_kind_of_warning_names_its_split_count_and_first_example(capsys, submission_factory):
    train = [row(i, answer=str(i + 2), source="gsm8k" if i % 2 else "mine") for i in range(12)]
    train[2]["solution"] = "The answer is 4."  # no box
    train[3]["solution"] = "So $\\boxed{6}$."  # the answer field says 5
    train[4] = row(4, "So $\\boxed{\\frac{12}{2}}$.", answer="6")  # equivalent to its answer: no warning
    train[5]["solution"] = "   "  # empty (the default sft_utils strips it)
    train[6]["problem"] = "\n"
    train[8] = dict(train[1])  # an exact copy of example 1
    train[9]["solution"] += " <|eot_id|>"  # becomes the special token itself
    val = [row(100), row(101), dict(train[7])]  # val example 2 is a training problem
    sub = submission_factory(train_rows=train, val_rows=val)
    code, out, _ = run(capsys, sub, "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] is True and result["violations"] == []  # warnings do not fail a check
    found = [(w["code"], w["split"], w["index"], w["count"], w["total"]) for w in result["warnings"]]
    assert found == [
        ("no_box", "train", 2, 2, 12),  # and example 5, empty
        ("answer_mismatch", "train", 3, 1, 12),
        ("empty_solution", "train", 5, 1, 12),
        ("empty_problem", "train", 6, 1, 12),
        ("duplicate", "train", 8, 1, 12),
        ("special_token_text", "train", 9, 1, 12),
        ("val_in_train", "val", 2, 1, 3),
    ]
    messages = {w["code"]: w["message"] for w in result["warnings"]}
    where = "train data (data/train.jsonl via sft_utils.load_split): "
    assert messages["no_box"].startswith(where + "2 of 12 solutions (16.7%) have no complete \\boxed{...} (first: example 2)")
    assert messages["answer_mismatch"] == where + (
        "1 of the 12 examples with an 'answer' end their solution with another \\boxed{} (first: example 3, box '6', "
        "answer '5'); the model learns the solution, not the answer field")
    assert "(first: example 8, a copy of example 1)" in messages["duplicate"]
    assert "(first: example 9, '<|eot_id|>' in its solution)" in messages["special_token_text"]
    assert "(first: example 2, training example 7)" in messages["val_in_train"]
    survey = result["survey"]["train"]
    assert (survey["examples"], survey["boxed"], survey["with_answer"], survey["answer_mismatch"]) == (12, 10, 12, 1)
    assert survey["sources"] == {"gsm8k": 7, "mine": 4}  # example 4 has none; 8 is a copy of 1
    assert result["survey"]["val"]["sources"] == {"gsm8k": 1}
    assert sum(survey["lengths"]["counts"]) == 12 and survey["lengths"]["bin_tokens"] == 32

    code, out, _ = run(capsys, sub)
    lines = out.splitlines()
    assert [line.split(": ")[1] for line in lines if line.startswith("warning: ")] == [f[0] for f in found]
    assert lines[-2:] == ["7 warnings: they do not fail the check (--strict makes warnings fail it)", "OK: the submission is valid"]


def test_strict_makes_warnings_fail_the_check(capsys, submission_factory):
    sub = submission_factory(train_rows=[row(0), row(1, "no box")], val_rows=[row(5)])
    code, out, _ = run(capsys, sub, "--strict")
    assert code == 1 and out.splitlines()[-1] == "FAILED (--strict): 1 warning"
    code, out, _ = run(capsys, sub, "--strict", "--json")
    result = json.loads(out)
    assert code == 1 and result["ok"] is False and result["strict"] is True and result["violations"] == []
    assert [w["code"] for w in result["warnings"]] == ["no_box"]
    clean = submission_factory("clean", train_rows=[row(0), row(1)], val_rows=[row(5)])
    code, out, _ = run(capsys, clean, "--strict")
    assert code == 0 and out.splitlines()[-1] == "OK: the submission is valid"


@pytest.mark.skipif(not (SHARED_DATA / "gsm8k_train.jsonl").is_file(), reason="needs ../shared/data (real GSM8K)")
def test_real_gsm8k_data_has_no_warnings(capsys, submission_factory):
    """2,000 real GSM8K training examples (boxed, with answers) and 100 test ones: nothing to warn about."""
    lines = (SHARED_DATA / "gsm8k_train.jsonl").read_text().splitlines()[:2000]
    val = (SHARED_DATA / "gsm8k_test.jsonl").read_text().splitlines()[:100]
    sub = submission_factory(train_rows=[json.loads(x) for x in lines], val_rows=[json.loads(x) for x in val])
    code, out, _ = run(capsys, sub, "--json", "--strict")
    result = json.loads(out)
    assert code == 0 and result["warnings"] == []
    assert result["survey"]["train"]["with_answer"] == 2000 and result["survey"]["train"]["boxed"] == 2000
    assert result["survey"]["train"]["sources"] == {"gsm8k": 2000}


def test_the_prompt_format_is_shown_once_with_special_tokens_visible(capsys, submission_factory, llama_tokenizer):
    sub = submission_factory(train_rows=[row(0), row(1)], val_rows=[row(5)])
    code, out, _ = run(capsys, sub)
    lines = out.splitlines()
    start = lines.index("prompt format (20 + 3 tokens around your problem; the model then learns your solution and "
                        "<|end_of_text|>):")  # fmt: skip
    assert lines[start + 1 : start + 6] == [
        "  | <|begin_of_text|>Solve the following math problem. Put the final answer in \\boxed{}.",
        "  | ",
        "  | Problem: {problem}",
        "  | ",
        "  | Solution:",
    ]
    assert sum(line.startswith("prompt format (") for line in lines) == 1
    code, out, _ = run(capsys, sub, "--json")
    shown = json.loads(out)["prompt"]
    fmt = prompt_format(llama_tokenizer, DEFAULT_CHAT_TEMPLATE)
    assert (shown["prefix_ids"], shown["suffix_ids"]) == (list(fmt.prefix_ids), list(fmt.suffix_ids))
    assert (shown["prefix"], shown["suffix"], shown["eos"]) == (fmt.prefix, fmt.suffix, "<|end_of_text|>")
    assert shown["checked_problems"] == 3  # both training problems and the validation one

    chat = ("{{ bos_token }}<|start_header_id|>user<|end_header_id|>\n\n{{ messages[0]['content'] }}<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n")  # fmt: skip
    (sub / "sft_utils.py").write_text(f"from grader.jsonl import read_jsonl\nCHAT_TEMPLATE = {chat!r}\n"
                                      "def load_split(split, path):\n    return read_jsonl(path)\n")  # fmt: skip
    code, out, _ = run(capsys, sub, "--json")
    shown = json.loads(out)["prompt"]
    assert shown["prefix"] == "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
    assert shown["prefix_ids"][:4] == [128000, 128006, 882, 128007]  # the header markers are the special tokens
    assert shown["suffix"].startswith("<|eot_id|><|start_header_id|>assistant")


def _template_module(template: str) -> str:
    return f"from grader.jsonl import read_jsonl\nCHAT_TEMPLATE = {template!r}\ndef load_split(split, path):\n" \
        "    return read_jsonl(path)\n"  # fmt: skip


@pytest.mark.parametrize("split, index", [("train", 3), ("val", 1)])
def test_a_template_branch_the_probes_miss_is_found_on_the_students_problem(capsys, submission_factory, split, index):
    template = "{% if 'zebra' in messages[0]['content'] %}Zebras! {% endif %}" + DEFAULT_CHAT_TEMPLATE
    train, val = [row(i) for i in range(6)], [row(i) for i in range(10, 13)]
    (train if split == "train" else val)[index]["problem"] = "How many legs do 3 zebras have?"
    sub = submission_factory(train_rows=train, val_rows=val, sft_utils=_template_module(template))
    code, out, _ = run(capsys, sub, "--json")
    (violation,) = json.loads(out)["violations"]
    assert code == 1 and (violation["code"], violation["split"], violation["index"]) == ("template", split, index)
    assert violation["message"] == (
        f"CHAT_TEMPLATE does not give {split} data (data/{split}.jsonl via sft_utils.load_split) example {index} the "
        "prompt the model gets (at character 0, the template renders 'Zebras! <|begin_of_text|>Solve' where the "
        "kit's prompt has '<|begin_of_text|>Solve the fol'): training and grading use the text before the "
        "problem + the problem + the text after it, as found on the kit's probe problems, so make the template's text "
        "the same for every problem"
    )


def test_a_template_failing_on_one_problem_names_it(capsys, submission_factory):
    template = "{{ bos_token }}Q: {{ messages[0]['content'] }}{{ (messages[0]['content'] | length) // " \
        "((messages[0]['content'] | length) - 200) if messages[0]['content'] | length == 200 else '' }}\nA:"  # fmt: skip
    train = [row(i) for i in range(5)]
    train[4]["problem"] = "x" * 200  # 1 // 0 for this one only
    sub = submission_factory(train_rows=train, val_rows=[row(9)], sft_utils=_template_module(template))
    code, out, _ = run(capsys, sub, "--json")
    (violation,) = json.loads(out)["violations"]
    assert (violation["code"], violation["split"], violation["index"]) == ("template", "train", 4)
    assert "(rendering failed: " in violation["message"]


SLOW_ON_LONG = ("{% if messages[0]['content'] | length > 150 %}{% for i in range(99999) %}{% for j in range(99999) %}"
                "{% endfor %}{% endfor %}{% endif %}" + DEFAULT_CHAT_TEMPLATE)  # fmt: skip


def test_rendering_every_problem_stays_confined_and_bounded(capsys, submission_factory, monkeypatch):
    """A template that is fast on the probes and endless on a long problem: the timeout, then the budget, stop it."""
    train = [row(i) for i in range(4)] + [row(4, problem="What is " + "1 + " * 50 + "1?")]
    sub = submission_factory(train_rows=train, val_rows=[row(9)], sft_utils=_template_module(SLOW_ON_LONG))
    start = time.monotonic()
    code, out, _ = run(capsys, sub, "--json", "--timeout", "20")
    (violation,) = json.loads(out)["violations"]
    assert time.monotonic() - start < 20 + 5
    assert violation["code"] == "timeout" and "rendering CHAT_TEMPLATE on the 'train' problems" in violation["message"]
    monkeypatch.setattr(grader.submission.validate, "TEMPLATE_RENDER_SECONDS", 1.5)
    code, out, _ = run(capsys, sub, "--json")
    (violation,) = json.loads(out)["violations"]
    assert (violation["code"], violation["split"]) == ("template", "train")
    assert violation["message"].startswith("CHAT_TEMPLATE: rendering it on your 'train' problems did not finish within 1.")


def test_the_template_budget_is_charged_the_rendering_not_the_wait_for_it(llama_tokenizer):
    """A batch renders in its child while check tokenizes, and is collected whenever check comes back for it:
    charging the wall time between the two made a course-scale submission (100,000 examples of 2,048 tokens,
    ~4 minutes of tokenizing) run out of the 120 s budget with its template never slow."""
    from grader.submission.sandbox import Deadline
    from grader.submission.validate import TEMPLATE_RENDER_SECONDS, _TemplateCheck

    fmt = prompt_format(llama_tokenizer, DEFAULT_CHAT_TEMPLATE)
    check = _TemplateCheck(llama_tokenizer, DEFAULT_CHAT_TEMPLATE, fmt, TEMPLATE_RENDER_SECONDS)
    problems = tuple(f"What is {i} + 2?" for i in range(200))
    check.queue(tuple(range(200)), problems)
    check.start("train", Deadline())
    time.sleep(1.5)  # check tokenizing meanwhile
    assert check.collect("data/train.jsonl") is None and check.rendered == 200
    assert TEMPLATE_RENDER_SECONDS - 0.5 < check.seconds < TEMPLATE_RENDER_SECONDS  # the child's own CPU, well under 0.5 s


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{ messages | map('random') | list | length }}Q: {{ messages[0]['content'] }}",
         "it uses the filter 'random' through map('random'): remove it"),
        ("{% set f = 'random' %}{{ messages | map(f) | list | length }}Q: {{ messages[0]['content'] }}",
         "map(...) must name its filter as a literal string"),
        ("{{ bos_token }}{{ bos_token }}Q: {{ messages[0]['content'] }}",
         "the prompt would hold 2 BOS tokens ('<|begin_of_text|>'), where every prompt has exactly one, at the start: "
         "write {{ bos_token }} once"),
        ("Q: {{ messages[0]['content'] }}\n<|begin_of_text|>A:", "the prompt would hold 2 BOS tokens"),
        ("{{ bos_token }}Q:{{ eos_token }} {{ messages[0]['content'] }}",
         "puts the end-of-text token ('<|end_of_text|>') in the prompt, before the problem: the model would learn that "
         "text ends there. Remove {{ eos_token }}"),
        ("{{ bos_token }}Q: {{ messages[0]['content'] }}{{ eos_token }}", "in the prompt, after the problem"),
    ],
)
def test_templates_that_break_the_prompt_are_rejected_with_the_fix(llama_tokenizer, template, message):
    with pytest.raises(TemplateError) as caught:
        prompt_format(llama_tokenizer, template)
    assert message in str(caught.value)


def test_a_template_violation_reaches_check(capsys, submission_factory):
    sub = submission_factory(train_rows=[row(0)], val_rows=[row(1)],
                             sft_utils=_template_module("{{ bos_token }}Q: {{ messages[0]['content'] }}{{ eos_token }}"))  # fmt: skip
    code, out, _ = run(capsys, sub)
    assert code == 1 and out.splitlines()[-1].startswith("template: CHAT_TEMPLATE puts the end-of-text token")
