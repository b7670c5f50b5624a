"""`python -m grader score`: joining, verdict file, summary, and one-line errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parent.parent

PREDICTIONS = [
    {"id": "a", "output": r"so $\boxed{\frac12}$."},
    {"id": "b", "output": "I could not finish"},
    {"id": "c", "output": r"$\boxed{(x-1)(x+1)}$"},
    {"id": "d", "output": r"first \boxed{4} then \boxed{5}"},
]
REFERENCES = [
    {"id": "d", "answer": "4", "problem": "extra fields are ignored"},
    {"id": "c", "answer": "x^2-1"},
    {"id": "b", "answer": "3"},
    {"id": "a", "answer": "0.5"},
]


def write(path: Path, rows: list[dict] | str) -> Path:
    text = rows if isinstance(rows, str) else "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "preds.jsonl", PREDICTIONS), write(tmp_path / "data.jsonl", REFERENCES)


def test_scores_and_writes_verdicts(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    preds, data = files
    assert main(["score", "--predictions", str(preds), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "accuracy 50.00% (2/4)"
    rows = [json.loads(line) for line in (preds.parent / "preds.scored.jsonl").read_text().splitlines()]
    assert rows == [
        {"id": "a", "extracted": r"\frac12", "correct": True, "reason": "numeric"},
        {"id": "b", "extracted": None, "correct": False, "reason": "no_box"},
        {"id": "c", "extracted": "(x-1)(x+1)", "correct": True, "reason": "symbolic"},
        {"id": "d", "extracted": "5", "correct": False, "reason": "mismatch"},
    ]


def test_json_summary(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    preds, data = files
    out_file = tmp_path / "sub" / "verdicts.jsonl"
    assert main(["score", "--predictions", str(preds), "--data", str(data), "--json", "--out", str(out_file)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"accuracy": 0.5, "n": 4, "n_correct": 2, "out": str(out_file),
                       "reasons": {"numeric": 1, "no_box": 1, "symbolic": 1, "mismatch": 1}}
    assert len(out_file.read_text().splitlines()) == 4


def run_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["score", *args])
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error: ")
    return code, err


def test_missing_file(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, data = files
    code, err = run_error(["--predictions", str(tmp_path / "nope.jsonl"), "--data", str(data)], capsys)
    assert code == 1 and "nope.jsonl: file not found" in err


def test_bad_json_names_the_line(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    preds, _ = files
    data = write(tmp_path / "bad.jsonl", '{"id": "a", "answer": "1"}\n\n{"id": "b", answer}\n')
    code, err = run_error(["--predictions", str(preds), "--data", str(data)], capsys)
    assert code == 1 and "bad.jsonl line 3: invalid JSON" in err


@pytest.mark.parametrize("row, message", [
    ({"id": "a"}, "line 1: missing field 'output'"),
    ({"output": "x"}, "line 1: missing field 'id'"),
    ({"id": 1, "output": "x"}, "line 1: field 'id' must be a string"),
])
def test_bad_prediction_rows(row: dict, message: str, files: tuple[Path, Path], tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    _, data = files
    preds = write(tmp_path / "p.jsonl", [row])
    code, err = run_error(["--predictions", str(preds), "--data", str(data)], capsys)
    assert code == 1 and message in err


def test_unmatched_ids_are_named(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    preds, data = files
    fewer_refs = write(tmp_path / "refs.jsonl", REFERENCES[:2])
    code, err = run_error(["--predictions", str(preds), "--data", str(fewer_refs)], capsys)
    assert code == 1 and "2 prediction(s) have no reference" in err and "'a', 'b'" in err
    fewer_preds = write(tmp_path / "few.jsonl", PREDICTIONS[:3])
    code, err = run_error(["--predictions", str(fewer_preds), "--data", str(data)], capsys)
    assert code == 1 and "1 reference(s) have no prediction" in err and "'d'" in err


def test_duplicate_ids(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, data = files
    preds = write(tmp_path / "dup.jsonl", PREDICTIONS + [PREDICTIONS[0]])
    code, err = run_error(["--predictions", str(preds), "--data", str(data)], capsys)
    assert code == 1 and "line 5: duplicate id 'a' (first on line 1)" in err


def test_empty_file(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, data = files
    code, err = run_error(["--predictions", str(write(tmp_path / "e.jsonl", "")), "--data", str(data)], capsys)
    assert code == 1 and "no rows" in err


def test_usage_errors_exit_2(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    preds, data = files
    code, err = run_error(["--predictions", str(preds), "--data", str(data), "--out", str(data)], capsys)
    assert code == 2 and "overwrite" in err
    code, _ = run_error(["--predictions", str(preds), "--data", str(data), "--workers", "0"], capsys)
    assert code == 2


def test_command_line(files: tuple[Path, Path]) -> None:
    preds, data = files
    done = subprocess.run([sys.executable, "-m", "grader", "score", "--predictions", str(preds), "--data", str(data),
                           "--json"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n_correct"] == 2
