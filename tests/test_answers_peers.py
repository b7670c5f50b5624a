"""Other graders' own test cases and datasets' gold notations (tests/data/answer_cases_peers.jsonl).

The cases keep their sources' expected verdicts (tests/data/make_answer_cases_peers.py names each
repository, path and licence); those marked debatable rest on a policy the course rejects and are
left out of the score. The grader must agree with at least 99% of the rest and never accept a wrong
answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from grader.answers import grade_many

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "answer_cases_peers.jsonl"
SHARED_DATA = ROOT.parent / "shared" / "data"
MIN_AGREEMENT = 0.99


def load_cases() -> list[dict]:
    with CASES.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_peer_cases_are_well_formed() -> None:
    cases = load_cases()
    assert len(cases) >= 500
    for case in cases:
        assert set(case) == {"id", "source", "class", "reference", "output", "expected", "debatable"}, case
        assert isinstance(case["expected"], bool) and isinstance(case["debatable"], str), case
        assert case["source"] and case["reference"] and "\\boxed" in case["output"], case
    counted = [c for c in cases if not c["debatable"]]
    classes = Counter(c["class"] for c in counted)
    for needed in ("relation", "named", "notation", "clock", "reorder", "other"):
        assert classes[needed] >= 20, (needed, classes)
    for needed in ("Math-Verify", "NeMo-Skills", "hendrycks/math", "written for this project"):
        assert any(needed in c["source"] for c in counted), needed
    wrong = sum(not c["expected"] for c in counted)
    assert wrong >= 150, wrong  # enough wrong answers that a false positive has room to show


def test_peer_agreement_and_no_false_positive() -> None:
    cases = [c for c in load_cases() if not c["debatable"]]
    verdicts = grade_many([(c["output"], c["reference"]) for c in cases], workers=2)
    wrong = [(c, v) for c, v in zip(cases, verdicts) if v.correct != c["expected"]]
    false_positives = [(c["id"], c["reference"], v.extracted) for c, v in wrong if v.correct]
    agreement = 1 - len(wrong) / len(cases)
    print(f"\npeer cases: {len(cases)} counted, agreement {agreement:.2%}, {len(false_positives)} false positives")
    for c, v in wrong:
        print(f"  {c['id']} [{c['class']}] reference={c['reference']!r} extracted={v.extracted!r} reason={v.reason}")
    assert not false_positives, false_positives
    assert agreement >= MIN_AGREEMENT


@pytest.mark.skipif(not (SHARED_DATA / "math500_test.jsonl").exists(), reason=f"real data folder {SHARED_DATA} is absent")
def test_peer_case_file_is_what_the_script_generates(tmp_path: Path) -> None:
    out = tmp_path / "cases.jsonl"
    subprocess.run([sys.executable, str(ROOT / "tests" / "data" / "make_answer_cases_peers.py"), "--data",
                    str(SHARED_DATA), "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == CASES.read_bytes()
