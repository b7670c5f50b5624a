"""The messages a student meets in `python -m grader check`: one clear line each, naming the file, split or fix.

Every case runs the real command in this process with the real sandbox (bubblewrap where it
works) and the real Llama 3.2 tokenizer, on a student's ``sft_utils.py`` written to show one
mistake, and asserts the exact line (or its distinctive part) and the exit code.
"""

from __future__ import annotations

import json
import time

import pytest

from grader.cli import main
from grader.submission.sandbox import SandboxLimits, bubblewrap_path
from grader.submission.validate import validate_submission
from grader.tiny import llama_tokenizer_dir

LLAMA = str(llama_tokenizer_dir())
ROWS = [{"problem": f"What is {i} + 2?", "solution": f" {i} + 2 = {i + 2}, so $\\boxed{{{i + 2}}}$."} for i in range(6)]
TEMPLATE = "CHAT_TEMPLATE = \"{{ bos_token }}Q: {{ messages[0]['content'] }}\\nA:\"\n"
READ = "from grader.jsonl import read_jsonl\n" + TEMPLATE


def check(capsys, sub, *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["check", str(sub), "--base-model", LLAMA, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def violations(capsys, sub, *extra: str) -> list[dict]:
    code, out, _ = check(capsys, sub, "--json", *extra)
    result = json.loads(out)
    assert code == 1 and not result["ok"]
    return result["violations"]


@pytest.mark.parametrize(
    "returns, expected",
    [
        ("pd.DataFrame(read_jsonl(path))", 'returned a pandas DataFrame, not a list of examples; return df.to_dict("records") (a list of dicts)'),
        ("Dataset.from_list(read_jsonl(path))", "returned a datasets Dataset, not a list of examples; return dataset.to_list() (a list of dicts)"),
        ('{"problem": ["a"], "solution": ["b"]}', 'returned a dict, not a list of examples; return a list of example dicts: [d] for one example'),
        ("None", "returned None, not a list of examples; did load_split forget to `return` its examples?"),
        ("path", "returned a str, not a list of examples; return the examples, not text or a path"),
    ],
)
def test_load_split_returning_a_container_names_its_type_and_the_fix(capsys, submission_factory, returns, expected):
    imports = "import pandas as pd\n" if "pd." in returns else "from datasets import Dataset\n" if "Dataset" in returns else ""
    module = imports + READ + f"def load_split(split, path):\n    return {returns}\n"
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=module)
    found = violations(capsys, sub)
    assert [(v["code"], v["split"]) for v in found] == [("data", "train"), ("data", "val")]
    assert found[0]["message"].startswith(f"sft_utils.load_split('train') {expected}"), found[0]["message"]


def test_a_generator_and_a_tuple_are_examples_too(capsys, submission_factory):
    module = READ + "def load_split(split, path):\n    rows = read_jsonl(path)\n" \
        "    return (r for r in rows) if split == 'train' else tuple(rows)\n"  # fmt: skip
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=module)
    code, out, _ = check(capsys, sub, "--json")
    assert code == 0 and json.loads(out)["train"]["examples"] == 6 and json.loads(out)["val"]["examples"] == 6


@pytest.mark.skipif(bubblewrap_path() is None, reason="without bubblewrap the file outside is readable")
@pytest.mark.parametrize("reader", ["open(OUTSIDE).read()", "read_jsonl(OUTSIDE)"])
def test_a_file_outside_the_submission_folder_is_explained(capsys, submission_factory, tmp_path, reader):
    outside = tmp_path / "elsewhere" / "train.jsonl"  # exists on this machine, not in the sandbox
    outside.parent.mkdir()
    outside.write_text(json.dumps(ROWS[0]) + "\n")
    module = READ + f"OUTSIDE = {str(outside)!r}\ndef load_split(split, path):\n    {reader}\n    return read_jsonl(path)\n"
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=module)
    message = violations(capsys, sub)[0]["message"]
    assert message.endswith(f"({outside} is outside the submission folder: the sandbox sees only the submission folder; "
                            "copy the file into it and use a path relative to it)"), message  # fmt: skip
    assert "FileNotFoundError" in message or "file not found" in message


def test_a_syntax_error_names_the_file_and_line_first(capsys, submission_factory):
    module = TEMPLATE + "\ndef load_split(split, path)\n    return []\n"  # line 3: the colon is missing
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=module)
    (violation,) = violations(capsys, sub)
    assert violation["message"] == "sft_utils.py line 3: SyntaxError: expected ':' (while importing sft_utils.py)"
    (sub / "helpers.py").write_text("x = (1,\n")  # in a module of the student's own that sft_utils imports
    (sub / "sft_utils.py").write_text("import helpers\n" + TEMPLATE + "def load_split(split, path):\n    return []\n")
    (violation,) = violations(capsys, sub)
    assert violation["message"] == "helpers.py line 1: SyntaxError: '(' was never closed (while importing sft_utils.py)"
    code, out, _ = check(capsys, sub)
    assert out.splitlines()[-1] == "data: helpers.py line 1: SyntaxError: '(' was never closed (while importing sft_utils.py)"


SLOW = READ + """import time
def load_split(split, path):
    for row in read_jsonl(path):
        yield row
    if split == 'train':
        time.sleep(3600)
"""


def test_a_timeout_names_the_split_whole_seconds_and_the_timeout_option(capsys, submission_factory):
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=SLOW)
    start = time.monotonic()
    (violation,) = violations(capsys, sub, "--timeout", "10.5")
    assert time.monotonic() - start < 10.5 + 8  # a shared machine: start-up under load takes seconds
    assert violation["code"] == "timeout" and violation["split"] == "train" and isinstance(violation["limit"], int)
    seconds = violation["limit"]
    assert 1 <= seconds <= 11
    assert violation["message"] == (
        f"sft_utils.py: load_split('train') (6 examples so far) did not finish within {seconds} s; that was what check's "
        "--timeout left it; give check more with --timeout SECONDS (sft_utils.py gets at most 600 s)"
    )


def test_the_sandboxs_own_time_limit_says_timeout_cannot_raise_it(submission_factory):
    """The sandbox's limit (600 s; 2 s here) is the same in every mode: the message says --timeout will not help."""
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=SLOW)
    result = validate_submission(sub, base_model=LLAMA, limits=SandboxLimits(wall_seconds=2))
    (violation,) = result.violations
    assert violation.code == "timeout" and violation.split == "train"
    assert violation.message == (
        "sft_utils.py: load_split('train') (6 examples so far) did not finish within 2 s; that is the sandbox's limit, "
        "whatever --timeout says: prepare data files beforehand and only read them here"
    )


def test_print_output_is_shown_marked_as_the_students(capsys, submission_factory):
    module = READ + """import sys
print("loading my data \\x1b[31mred\\x1b[0m")
def load_split(split, path):
    rows = read_jsonl(path)
    for i in range(30):
        print(f"{split} row {i}", file=sys.stderr if i % 2 else sys.stdout)
    return rows
"""
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=module)
    code, out, _ = check(capsys, sub)
    lines = out.splitlines()
    assert code == 0
    start = lines.index("sft_utils.py printed 61 lines (the first 20):")
    assert lines[start + 1] == "  sft_utils.py| loading my data \\x1b[31mred\\x1b[0m"  # escaped: it cannot drive the terminal
    assert lines[start + 2 : start + 21] == [f"  sft_utils.py| train row {i}" for i in range(19)]
    assert lines[start + 21].startswith("train: 6 examples")
    code, out, _ = check(capsys, sub, "--json")
    output = json.loads(out)["output"]
    assert output["lines"] == 61 and len(output["head"]) == 20 and output["head"][0] == "loading my data \x1b[31mred\x1b[0m"


def test_printed_lone_surrogates_are_still_shown(capsys, submission_factory):
    """The worker escapes a lone surrogate as 6 bytes (\\udc80): a full head of them is still read back, not dropped."""
    module = READ + "print('\\udc80' * 9000)\ndef load_split(split, path):\n    return read_jsonl(path)\n"
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=module)
    code, out, _ = check(capsys, sub, "--json")
    output = json.loads(out)["output"]
    assert code == 0 and output["lines"] == 1 and output["head"][0].startswith("\\udc80" * 10)


def test_a_progress_line_while_the_sandbox_runs(capsys, submission_factory):
    module = READ + "import time\ndef load_split(split, path):\n    for i in range(4000 if split == 'train' else 2):\n" \
        "        time.sleep(0.001)\n        yield {'problem': f'What is {i}?', 'solution': f' $\\\\boxed{{{i}}}$'}\n"  # fmt: skip
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, sft_utils=module)
    code, out, err = check(capsys, sub)
    assert code == 0, out
    progress = [line for line in err.splitlines() if line.startswith("sandbox: ")]
    assert progress, err
    stage, seconds = progress[0].removeprefix("sandbox: ").rsplit(", ", 1)
    assert stage.startswith("load_split('train'): ") and stage.endswith(" examples") or stage == "importing sft_utils.py"
    if stage != "importing sft_utils.py":
        assert 0 <= int(stage.split(": ")[1].removesuffix(" examples").replace(",", "")) <= 4000
    assert seconds.endswith(" s") and int(seconds.removesuffix(" s")) >= 1
    assert not [line for line in out.splitlines() if line.startswith("sandbox: ")]  # stdout keeps the report alone


def test_a_duplicate_config_key_is_a_config_violation(capsys, submission_factory):
    sub = submission_factory(train_rows=ROWS, val_rows=ROWS, config="seed: 1\nlearning_rate: 1.0e-5\nseed: 2\n")
    (violation,) = violations(capsys, sub)
    assert violation == {"code": "config", "message": f"{sub / 'sft_config.yaml'} (line 3): duplicate key 'seed' "
                                                      "(also on line 1); keep one"}  # fmt: skip
