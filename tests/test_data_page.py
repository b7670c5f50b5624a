"""The data page (`python -m grader check --report PATH`), rendered in headless Chromium, numbers checked against check's report.

A real check of a submission made to show every part of the page: examples without a box, an
answer that disagrees with its box, a copy, sources, an example over the limit, a contaminated
validation problem, a template and printed output holding markup. The page must open offline,
log no error, request nothing but itself, run only the kit's script (its CSP), and show the
numbers of the report (read back from ``data-value``), with the student's text escaped.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from grader import records
from grader.cli import main
from grader.report.data_page import render_data_page
from grader.submission.check import CheckReport
from grader.tiny import llama_tokenizer_dir
from tests.test_report import PLOTS, _policy_and_script, open_in_chromium, parse, rows_in

LLAMA = str(llama_tokenizer_dir())
TEST_PROBLEM = "Tom has 17 marbles and buys 25 more at the shop. How many marbles does Tom have now in total?"
TEMPLATE = "{{ bos_token }}<b>Q</b>: {{ messages[0]['content'] }}\nA:"
SFT_UTILS = f"""from grader.jsonl import read_jsonl
CHAT_TEMPLATE = {TEMPLATE!r}
print("<script>window.pwned = 2</script> loading")
def load_split(split, path):
    return read_jsonl(path)
"""


@pytest.fixture(scope="module")
def checked(tmp_path_factory, llama_tokenizer) -> dict:
    from tests.conftest import make_submission

    root = tmp_path_factory.mktemp("data-page")
    train = [{"problem": f"What is {i} times 3?", "solution": f" {i} * 3 = {3 * i}, so $\\boxed{{{3 * i}}}$.",
              "answer": str(3 * i), "source": ["gsm8k", "math", "mine"][i % 3]} for i in range(40)]  # fmt: skip
    for i in (4, 9, 13):
        train[i]["solution"] = " I do not know."
    train[6]["solution"] = " 6 * 3 = 18, so $\\boxed{19}$."  # a box that is not its answer field
    train[7]["source"] = "<script>window.pwned = 1</script>"  # a source name holding markup
    train[20] = dict(train[2])  # a copy
    train[30]["solution"] = " a" * 2100  # over 2048 tokens
    val = [{"problem": f"What is {i} plus 1?", "solution": f" $\\boxed{{{i + 1}}}$"} for i in range(5)]
    val[3]["problem"] = TEST_PROBLEM
    sub = make_submission(root / "sub", train_rows=train, val_rows=val, sft_utils=SFT_UTILS)
    test = root / "test.jsonl"
    test.write_text(json.dumps({"id": "marbles-1", "problem": TEST_PROBLEM}) + "\n")
    page = root / "out" / "data.html"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["check", str(sub), "--json", "--base-model", LLAMA, "--test", str(test), "--report", str(page)])
    report = records.parse(CheckReport, json.loads(printed.getvalue()), "check --json")  # read back strictly
    return {"code": code, "page": page, "sub": sub, "report": report}


@pytest.fixture(scope="module")
def report(checked) -> CheckReport:
    return checked["report"]


def test_the_data_page_renders_offline_with_its_plots_and_tables(checked, report, tmp_path):
    assert checked["code"] == 1  # one example is too long, one validation problem is a test problem
    result = open_in_chromium(checked["page"], tmp_path / "data.png", {
        "plots": PLOTS,
        "pwned": "window.pwned === undefined && document.querySelectorAll('script').length",
        "prompt": "document.querySelector('#prompt-format').textContent",
        "output": "document.querySelector('#student-output').textContent",
        "warnings": rows_in("warnings"), "violations": rows_in("violations"), "contamination": rows_in("contamination"),
        "sources": rows_in("sources"),
    })  # fmt: skip
    values = result.values
    assert values["plots"] == ["lengths-train:1", "lengths-val:1"]
    assert values["pwned"] == 1  # the student's <script> texts are text; only the kit's script runs
    assert values["prompt"] == report.prompt.prefix + "{problem}" + report.prompt.suffix
    assert values["prompt"].startswith("<|begin_of_text|><b>Q</b>: {problem}")  # special tokens and markup shown as text
    assert values["output"] == "<script>window.pwned = 2</script> loading\n"
    assert values["warnings"] == len(report.warnings) >= 3 and values["violations"] == len(report.violations) == 2
    assert values["contamination"] == 1 and values["sources"] == 4


def test_the_data_pages_numbers_are_the_reports(checked, report):
    page = parse(checked["page"])
    assert page.values["status"] == "invalid"
    assert int(page.values["train-examples"]) == report.train.examples == 40
    assert int(page.values["val-examples"]) == report.val.examples == 5
    assert int(page.values["trained-tokens"]) == report.trained_tokens
    assert int(page.values["warning-count"]) == len(report.warnings)
    assert int(page.values["violation-count"]) == len(report.violations)

    stats = page.tables["length-stats"]
    for split, name in (("train", "training"), ("val", "validation")):
        index = stats.text("split").index(name)
        entry = report.split(split)
        assert [int(stats.column(c)[index]) for c in ("examples", "median", "99th percentile", "longest")] == [
            entry.examples, entry.p50_tokens, entry.p99_tokens, entry.max_tokens]  # fmt: skip
    assert stats.column("over 2,048") == ["1", "0"]

    bins = page.tables["length-bins"]
    train = report.survey["train"].lengths
    assert train is not None and train.over == 1
    shown = {int(start): int(n) for start, n in zip(bins.column("from"), bins.column("training"))}
    expected = {i * train.bin_tokens: n for i, n in enumerate(train.counts) if n or report.survey["val"].lengths.counts[i]}
    assert shown == {**expected, len(train.counts) * train.bin_tokens: 1}

    answers = page.tables["answers"]
    survey = report.survey["train"]
    assert [int(answers.column(c)[0]) for c in ("examples", "with a final \\boxed{}", "with an answer", "box differs from answer")] \
        == [survey.examples, survey.boxed, survey.with_answer, survey.answer_mismatch] == [40, 36, 40, 1]  # fmt: skip
    assert float(answers.column("share")[0]) == survey.boxed / survey.examples

    sources = page.tables["sources"]
    assert dict(zip(sources.text("source"), map(int, sources.column("training")))) == survey.sources
    quality = page.tables["quality"]
    assert int(quality.column("exact duplicates")[0]) == survey.duplicates == 1

    hit = page.tables["contamination"]
    assert (hit.text("split"), hit.column("example"), hit.text("test problem")) == (["val"], ["3"], ["marbles-1"])
    assert page.tables["warnings"].text("warning") == [w.code for w in report.warnings]
    assert "no_box" in page.tables["warnings"].text("warning")


def test_the_page_is_made_from_the_report_alone_and_escapes_student_text(checked, report):
    text = checked["page"].read_text(encoding="utf-8")
    assert render_data_page(report) == text  # check --json's object, read back, makes the very same page
    assert "&lt;b&gt;Q&lt;/b&gt;" in text and "<b>Q</b>" not in text
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in text and "&lt;script&gt;window.pwned = 2" in text
    policy, script = _policy_and_script(text)
    assert policy["default-src"] == ["'none'"] and len(policy["script-src"]) == 1
    assert policy["script-src"][0].startswith("'sha256-") and "addEventListener" in script


def test_report_paths_that_cannot_be_written_are_usage_errors(checked, capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    for bad in (tmp_path, tmp_path / "file" / "page.html"):
        capsys.readouterr()
        assert main(["check", str(checked["sub"]), "--base-model", LLAMA, "--report", str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: --report {bad}: ") and err.count("\n") == 1, err
    from grader import api
    from grader.errors import UserError

    with pytest.raises(UserError, match="is a folder") as caught:  # from Python too, before anything is checked
        api.check(tmp_path / "no-such-submission", base_model=LLAMA, report=tmp_path)
    assert caught.value.exit_code == 2


def test_a_page_without_data_still_renders(tmp_path):
    """A check that read nothing (no sft_utils.py): the page says so instead of failing."""
    sub = tmp_path / "empty"
    sub.mkdir()
    page = tmp_path / "page.html"
    assert main(["check", str(sub), "--base-model", LLAMA, "--report", str(page)]) == 1
    result = open_in_chromium(page, tmp_path / "empty.png", {"plots": PLOTS, "violations": rows_in("violations")})
    assert result.values == {"plots": [], "violations": 2}  # no sft_config.yaml, no sft_utils.py
    assert "No example was tokenized" in Path(page).read_text(encoding="utf-8")
