"""`python data/prepare_numina.py [--from PATH]` (grader.submission.numina): NuminaMath-CoT -> data/*.jsonl with answers.

The local copies are NuminaMath-shaped: the Hub's split files (parquet, or JSON Lines) in a
folder, or one file of rows; some solutions have no \\boxed{}. Without --from and without the Hub,
the script ends with one line, at once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.numina_fixture import numina_rows, write_jsonl, write_parquet

FAST = 15.0  # seconds, imports included on a busy machine (the hub client alone retried for 25 s)


def prepare(*args: str, cwd: Path = ROOT, tmp: Path, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """The script as the README runs it; the datasets cache and HF home in ``tmp`` (nothing cached, no token)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE_"))}
    full = {**clean, "HF_HOME": str(tmp / "hf-home"), **(env or {})}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "data/prepare_numina.py", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    return proc, time.monotonic() - start


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def expected(rows: list[dict]) -> list[dict]:
    """What the script writes for ``rows``: NuminaMath's kept fields, and the answer a reader sees in the last box."""
    out = []
    for row in rows:
        kept = {k: row[k] for k in ("problem", "solution", "source")}
        last = row["solution"].rfind("\\boxed{")
        if last >= 0:  # the box's body, braces balanced (read here by hand, not by the kit's extraction)
            depth, body = 0, []
            for ch in row["solution"][last + len("\\boxed") :]:
                depth += {"{": 1, "}": -1}.get(ch, 0)
                if depth == 0:
                    break
                body.append(ch)
            kept["answer"] = "".join(body)[1:]
        out.append(kept)
    return out


def without_answer(rows: list[dict]) -> list[dict]:
    return [r for r in rows if "answer" in r]


@pytest.mark.parametrize("kind", ["parquet", "jsonl"])
def test_a_folder_of_the_datasets_split_files_gives_what_the_hub_gives(tmp_path, kind):
    """Shard 0 of 10 of train (rows 0-3 of 40) and the test split, as the script takes them from the Hub."""
    rows = numina_rows(52, unboxed={1, 44, 50}, tmp=tmp_path)
    train, test = rows[:40], rows[40:]
    write = write_parquet if kind == "parquet" else write_jsonl
    write(tmp_path / "copy" / "data" / f"train-00000-of-00001.{kind}", train)
    write(tmp_path / "copy" / "data" / f"test-00000-of-00001.{kind}", test)
    proc, _ = prepare("--from", str(tmp_path / "copy"), "--out", str(tmp_path / "out"), tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert read(tmp_path / "out" / "train.jsonl") == expected(train[:4])  # rows without a box kept, no answer
    assert read(tmp_path / "out" / "val.jsonl") == without_answer(expected(test))  # rows without a box left out
    assert proc.stdout.splitlines() == [
        f"from {tmp_path / 'copy'} (the dataset's split files)",
        f"train: 4 rows -> {tmp_path / 'out' / 'train.jsonl'} (1 without a \\boxed{{}} answer in the solution: kept, no 'answer')",
        f"val:   10 rows -> {tmp_path / 'out' / 'val.jsonl'} (2 without a \\boxed{{}} answer in the solution: left out, "
        "they cannot be scored)",
    ]  # fmt: skip
    assert all(r["answer"].strip() for r in read(tmp_path / "out" / "val.jsonl"))


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_one_file_gives_its_last_rows_to_validation(tmp_path, kind):
    rows = numina_rows(130, unboxed={2, 5, 127}, tmp=tmp_path)
    source = (write_parquet if kind == "parquet" else write_jsonl)(tmp_path / f"numina.{kind}", rows)
    proc, _ = prepare("--from", str(source), "--out", str(tmp_path / "out"), tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert read(tmp_path / "out" / "train.jsonl") == expected(rows[:30])  # no sharding of one file by default
    assert read(tmp_path / "out" / "val.jsonl") == without_answer(expected(rows[30:]))
    assert proc.stdout.splitlines()[1:] == [
        f"train: 30 rows -> {tmp_path / 'out' / 'train.jsonl'} (2 without a \\boxed{{}} answer in the solution: kept, no 'answer')",
        f"val:   99 rows -> {tmp_path / 'out' / 'val.jsonl'} (1 without a \\boxed{{}} answer in the solution: left out, "
        "they cannot be scored)",
    ]  # fmt: skip


def test_val_rows_and_shards_pick_the_rows(tmp_path):
    rows = numina_rows(30, unboxed=set(), tmp=tmp_path)
    source = write_jsonl(tmp_path / "numina.jsonl", rows)
    proc, _ = prepare("--from", str(source), "--out", str(tmp_path / "out"), "--val-rows", "10", "--num-shards", "4",
                      "--shard", "3", tmp=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert read(tmp_path / "out" / "train.jsonl") == expected(rows[15:20])  # 20 training rows, the 4th contiguous fifth
    assert read(tmp_path / "out" / "val.jsonl") == expected(rows[20:])


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"HF_HUB_OFFLINE": "1"}, "error: the dataset 'AI-MO/NuminaMath-CoT' is not in the local cache, and "
                                  "HF_HUB_OFFLINE=1 forbids downloading it: unset it where the Hub is reachable; "
                                  "or pass --from PATH to a local copy of the dataset (see data/README.md)"),
        ({"HF_ENDPOINT": "http://127.0.0.1:9"}, "error: cannot reach the Hugging Face Hub at http://127.0.0.1:9 for the "
                                                "dataset 'AI-MO/NuminaMath-CoT' ([Errno 111] Connection refused): connect "
                                                "to the network; or pass --from PATH to a local copy of the dataset"),
    ],
    ids=["offline", "unreachable"],
)  # fmt: skip
def test_without_the_hub_and_without_from_one_line_says_what_to_do(tmp_path, env, expected):
    """`python data/prepare_numina.py`, exactly as the README shows it, in a copy of the kit."""
    kit = tmp_path / "kit"
    (kit / "data").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "prepare_numina.py", kit / "data" / "prepare_numina.py")
    (kit / "grader").symlink_to(ROOT / "grader")
    proc, seconds = prepare(cwd=kit, tmp=tmp_path, env=env)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(expected) and proc.stderr.count("\n") == 1, proc.stderr[-2000:]
    assert seconds < FAST
    assert sorted(p.name for p in (kit / "data").iterdir()) == ["prepare_numina.py"]  # nothing written


def mistake(tmp: Path, case: str) -> tuple[list[str], str]:
    """(arguments, the expected error line's start) for one user mistake."""
    rows = numina_rows(12, unboxed=set(), tmp=tmp)
    if case == "missing":
        return ["--from", str(tmp / "nowhere")], f"error: --from {tmp / 'nowhere'}: no such file or folder"
    if case == "too-few-rows":
        path = write_jsonl(tmp / "few.jsonl", rows)
        return ["--from", str(path)], f"error: --from {path}: 12 rows; its last 100 are the validation rows, so it needs more"
    if case == "extension":
        path = write_jsonl(tmp / "rows.csv", rows)
        return ["--from", str(path)], f"error: --from {path}: expected a folder or a .parquet, .jsonl or .json file"
    if case == "no-test-split":
        write_jsonl(tmp / "copy" / "data" / "train-00000-of-00001.jsonl", rows)
        return ["--from", str(tmp / "copy")], f"error: --from {tmp / 'copy'}: no test split files"
    if case == "no-solution-column":
        path = write_jsonl(tmp / "rows.jsonl", [{"problem": r["problem"], "source": "x"} for r in rows])
        return ["--from", str(path), "--val-rows", "2"], f"error: --from {path}: no 'solution' column"
    if case == "not-text":
        path = write_jsonl(tmp / "rows.jsonl", rows[:11] + [{**rows[11], "solution": None}])  # a validation row
        return ["--from", str(path), "--val-rows", "2"], f"error: --from {path} row 12: 'solution' must be text, got NoneType"
    if case == "bad-json":
        path = tmp / "rows.jsonl"
        path.write_text('{"problem": "x", "solution": }\n')
        return ["--from", str(path)], f"error: --from {path}: cannot read it ("
    if case == "shard":
        return ["--num-shards", "2", "--shard", "2"], "error: --shard 2: there are 2 shards (0 to 1)"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case", ["missing", "too-few-rows", "extension", "no-test-split", "no-solution-column", "not-text", "bad-json", "shard"]
)
def test_user_mistakes_are_one_line(tmp_path, case):
    args, expected = mistake(tmp_path, case)
    proc, _ = prepare(*args, "--out", str(tmp_path / "out"), tmp=tmp_path)
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(expected) and proc.stderr.count("\n") == 1, proc.stderr[-2000:]
    assert not (tmp_path / "out" / "val.jsonl").exists() and not (tmp_path / "out" / "train.jsonl").exists()
