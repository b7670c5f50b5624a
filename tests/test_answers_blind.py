"""Blind held-out check of `grader.answers` against hand-labelled cases.

tests/data/answer_cases_blind.jsonl was written from the course rule alone (the last
\\boxed/\\fbox must be equivalent to the reference; no box, an empty or unclosed last box is
wrong), without reading the grader's source or its own tests, using real reference answers
from MATH-500, GSM8K, AIME 2024 and AMC 2023. Every case is graded; none is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.answers import grade, grade_many

CASES_PATH = Path(__file__).resolve().parent / "data" / "answer_cases_blind.jsonl"
MIN_AGREEMENT = 0.99


def load_cases() -> list[dict]:
    with CASES_PATH.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_blind_cases_file_is_well_formed():
    cases = load_cases()
    assert len(cases) >= 300
    for case in cases:
        assert set(case) == {"output", "reference", "expected", "note"}, case
        assert isinstance(case["expected"], bool), case
        assert isinstance(case["output"], str) and isinstance(case["reference"], str), case
    share_true = sum(c["expected"] for c in cases) / len(cases)
    assert 0.45 <= share_true <= 0.65, share_true


def test_blind_agreement():
    cases = load_cases()
    verdicts = grade_many([(c["output"], c["reference"]) for c in cases])
    assert len(verdicts) == len(cases)

    disagreements = []
    false_positives = []
    for i, (case, verdict) in enumerate(zip(cases, verdicts)):
        if verdict.correct != case["expected"]:
            disagreements.append((i, case, verdict))
            if verdict.correct and not case["expected"]:
                false_positives.append((i, case, verdict))

    agreement = 1 - len(disagreements) / len(cases)
    print(f"\nblind answer cases: {len(cases)}, agreement {agreement:.2%} "
          f"({len(disagreements)} disagreements, {len(false_positives)} false positives)")
    for i, case, verdict in disagreements:
        kind = "FALSE POSITIVE" if verdict.correct else "false negative"
        print(f"  [{i}] {kind}: note={case['note']!r}\n"
              f"      reference={case['reference']!r}\n"
              f"      output={case['output']!r}\n"
              f"      extracted={verdict.extracted!r} reason={verdict.reason!r}")

    assert not false_positives, f"{len(false_positives)} false positives (see printed list)"
    assert agreement >= MIN_AGREEMENT, f"agreement {agreement:.2%} < {MIN_AGREEMENT:.0%}"


def test_blind_grade_many_matches_grade_on_sample():
    """grade_many must give the same verdicts as grade, one at a time (every 10th case)."""
    cases = load_cases()[::10]
    many = grade_many([(c["output"], c["reference"]) for c in cases])
    for case, verdict in zip(cases, many):
        single = grade(case["output"], case["reference"])
        assert single.correct == verdict.correct, (case, single, verdict)
