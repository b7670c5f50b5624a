"""README.md's student commands, in order and as written, right after `make demo`.

A copy of the kit (the students' files, data/, grader/, and the virtualenv the tests run in as
its `.venv`), the tiny model where `make demo` leaves it (runs/demo/build/base-model), and a
NuminaMath-shaped file of rows. The commands come from README.md's "For students" section; the
only changes are the ones the README itself names: `--from PATH` for the data, the tiny model's
block for training and evaluating, and its `max_steps` in sft_config.yaml. `accelerate launch`
is the GPU form of `python sft.py` (test_train runs it under DeepSpeed on CPU).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, kit_clone
from tests.numina_fixture import numina_rows, write_jsonl


def student_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## For students\n", 1)[1].split("\n## ", 1)[0]


def bash_blocks(text: str) -> list[list[str]]:
    """Each ```bash block's commands (indented blocks too), trailing comments dropped."""
    blocks = re.findall(r"^[ \t]*```bash\n(.*?)^[ \t]*```", text, flags=re.S | re.M)
    return [[re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines() if line.strip()] for block in blocks]


def readme_commands(numina_file: Path) -> tuple[str, list[str], str]:
    """(the activation line, the commands to run in order, the config line the README says to set)."""
    section = student_section()
    (activate, *main), tiny = bash_blocks(section)[:2]
    local = re.search(r"`(python data/prepare_numina\.py --from) PATH`", section).group(1)
    setting = re.search(r"set `(max_steps: \d+)` in `sft_config\.yaml`", section).group(1)
    run = []
    for command in main:
        if command.startswith("accelerate launch"):
            assert command.endswith(" sft.py") and "python sft.py" in main  # the GPU form; python sft.py follows
        elif command == "python data/prepare_numina.py":
            run.append(f"{local} {numina_file}")
        else:  # the tiny model's form of the command where the README gives one
            run.append(next((t for t in tiny if t.startswith(command + " ")), command))
    assert activate == ". .venv/bin/activate"
    assert [c.split(" --")[0] for c in run] == [
        "python data/prepare_numina.py", "python -m grader check", "python sft.py", "python -m grader evaluate checkpoints/final",
    ]  # fmt: skip
    return activate, run, setting


def kit_after_make_demo(root: Path) -> Path:
    """A clone of the kit with its own `.venv` (tests.conftest.kit_clone), and the tiny model where `make demo`
    builds it."""
    from grader.tiny import build_default

    if not (Path(sys.prefix) / "bin" / "activate").is_file():
        pytest.skip(f"the tests run outside a virtualenv ({sys.prefix}): there is no .venv to layer on")
    kit = kit_clone(root)
    build_default(kit / "runs" / "demo" / "build")  # what `make demo` leaves in runs/demo/build
    return kit


@pytest.mark.slow
def test_the_readme_student_commands_run_in_order_on_the_tiny_model(tmp_path):
    rows = numina_rows(130, unboxed={2, 5, 127}, tmp=tmp_path)  # the last 100 validate; one of them has no box
    numina_file = write_jsonl(tmp_path / "numina-cot.jsonl", rows)
    activate, commands, setting = readme_commands(numina_file)
    kit = kit_after_make_demo(tmp_path)
    config = kit / "sft_config.yaml"  # "set max_steps: 5 in sft_config.yaml": its own line, as a student edits it
    key = setting.split(":")[0]
    config.write_text(re.sub(rf"^{key}: \S+", setting, config.read_text(encoding="utf-8"), count=1, flags=re.M))
    assert setting in config.read_text(encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE_", "PYTHON", "VIRTUAL_ENV"))}
    env["HF_HOME"] = str(tmp_path / "hf-home")  # a fresh machine: nothing cached, no token

    out, seconds = {}, {}
    for command in commands:
        start = time.monotonic()
        proc = subprocess.run(["bash", "-c", f"{activate} && {command}"], cwd=kit, env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        seconds[command] = round(time.monotonic() - start, 1)
        assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        assert "Traceback" not in proc.stderr
        out[command.split(" --")[0]] = proc.stdout
    print(json.dumps(seconds, indent=1))

    prepared = out["python data/prepare_numina.py"].splitlines()
    assert prepared[1].startswith(f"train: 30 rows -> {kit / 'data' / 'train.jsonl'} (2 without a \\boxed{{}} answer")
    assert prepared[2].startswith(f"val:   99 rows -> {kit / 'data' / 'val.jsonl'} (1 without a \\boxed{{}} answer")
    checked = out["python -m grader check"].splitlines()
    assert checked[-1] == "OK: the submission is valid"
    assert any(line.startswith("prompt format (") for line in checked)  # the prompt the model gets, shown once
    (no_box,) = [line for line in checked if line.startswith("warning: no_box: train data")]  # 2 of 30 have no box
    assert "2 of 30" in no_box
    assert f"saved: {kit / 'checkpoints' / 'final'}" in out["python sft.py"]
    record = json.loads((kit / "checkpoints" / "final" / "training_record.json").read_text())
    assert record["base_model"] == "runs/demo/build/base-model" and record["config"]["max_steps"] == 5
    assert (record["stats"]["train"]["examples"], record["stats"]["val"]["examples"]) == (30, 99)

    evaluated = kit / "checkpoints" / "final" / "eval" / "val"
    summary = json.loads((evaluated / "summary.json").read_text())
    predictions = [json.loads(line) for line in (evaluated / "predictions.jsonl").open()]
    val = [json.loads(line) for line in (kit / "data" / "val.jsonl").open()]
    assert summary["n"] == len(predictions) == 10 and summary["answers_from_solution"] == 0
    assert [p["answer"] for p in predictions] == [v["answer"] for v in val[:10]]  # prepare's answers are scored against
    accuracy = f"{summary['correct']}/10 = {100 * summary['accuracy']:.1f}%"
    assert out["python -m grader evaluate checkpoints/final"].startswith(f"accuracy        {accuracy}\n")
