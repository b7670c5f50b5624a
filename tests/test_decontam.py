"""Decontamination: normalized exact matches and shared word 13-grams, fast at course scale."""

from __future__ import annotations

import json
import random
import time

import pytest

from grader.submission.decontam import NGRAM, TestSet, find_contamination, normalize, words
from grader.errors import UserError
from grader.jsonl import DataError
from grader.submission.sandbox import Deadline, DeadlineExceeded
from grader.submission.validate import read_test_set, validate_submission

TEST_PROBLEM = (
    "Let $f(x) = x^2 + 3x + 2$. Find the sum of all real numbers $x$ such that $f(f(x)) = 0$, "
    "and express your answer as a common fraction in lowest terms."
)


@pytest.mark.parametrize(
    "a, b",
    [
        ("What is  1+1?", "what is 1 + 1 ?"),
        ("Find $\\frac{1}{2}\\,x$.", "find $\\frac {1}{2} x$."),
        ("Compute $a\\quad b$ and $\\left( x \\right)$.", "compute $a b$ and $(x)$."),
        ("Solve~$x^2=4$.\n\nGive all roots.", "SOLVE $x^2 = 4$. Give all roots."),
        ("Ｆｉｎｄ ｘ", "find x"),  # full-width letters, NFKC
    ],
)
def test_normalization_equates_case_and_spacing(a, b):
    assert normalize(a) == normalize(b)


def test_normalization_keeps_what_changes_the_problem():
    assert normalize("What is 1 + 2?") != normalize("What is 1 + 3?")
    assert normalize("\\leftarrow") != normalize("arrow")  # only the sizing \left, not commands starting with it


def test_exact_match_after_normalization():
    tests = TestSet(["t-1"], [TEST_PROBLEM])
    variant = TEST_PROBLEM.upper().replace(" + ", "+").replace("$.", "$ .")
    assert tests.match(variant) == (0, None)


def test_shared_13_gram_is_found_and_12_is_not():
    tests = TestSet(["t-1"], [TEST_PROBLEM])
    test_words = words(TEST_PROBLEM)
    for start in range(len(test_words) - NGRAM + 1):  # every offset: the 7-word probes miss none
        for span, matches in ((NGRAM, True), (NGRAM - 1, False)):
            text = f"Zebra quokka: {' '.join(test_words[start : start + span])}, quokka zebra."
            hit = tests.match(text)
            assert (hit is not None) is matches, (start, span, hit)
            if matches:
                assert hit[1] == " ".join(test_words[start : start + NGRAM])


def test_short_test_problems_match_only_exactly():
    tests = TestSet(["short"], ["What is 1 + 1?"])
    assert tests.match("what is 1+1?") == (0, None)
    assert tests.match("Tell me: what is 1 + 1? Then double it.") is None


def test_violations_name_split_example_and_test_id():
    tests = TestSet(["math-7", "math-8"], ["Unrelated problem about primes.", TEST_PROBLEM])
    found = find_contamination(tests, "train", "data/train.jsonl", ["clean one", TEST_PROBLEM.lower()])
    (v,) = found
    assert (v.code, v.split, v.index, v.test_id) == ("contamination", "train", 1, "math-8")
    assert v.message.startswith("train data (data/train.jsonl via sft_utils.load_split) example 1: matches test problem 'math-8'")
    assert v.as_dict()["test_id"] == "math-8"


def test_test_set_ids_fall_back_to_line_numbers(tmp_path):
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps({"id": "a", "problem": "p1"}) + "\n\n" + json.dumps({"problem": "p2"}) + "\n")
    assert TestSet.read(path).ids == ["a", "line 3"]


def test_broken_test_file_is_a_usage_error(tmp_path):
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps({"question": "no problem field"}) + "\n")
    with pytest.raises(DataError, match="line 1: missing field 'problem'"):
        TestSet.read(path)
    with pytest.raises(UserError) as caught:
        read_test_set(path)
    assert caught.value.exit_code == 2
    with pytest.raises(UserError) as caught:
        read_test_set(tmp_path / "missing.jsonl")
    assert caught.value.exit_code == 2 and "file not found" in str(caught.value)


def test_deadline_stops_a_long_scan():
    tests = TestSet(["t"], [TEST_PROBLEM])
    with pytest.raises(DeadlineExceeded, match="decontaminating the 'train' examples"):
        find_contamination(tests, "train", "f", ["x"] * 10, Deadline(at=0.0, seconds=1))


def _problem(rng: random.Random, vocabulary: list[str]) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(30, 90)))


def test_100k_training_problems_against_5k_tests_in_seconds():
    rng = random.Random(0)
    vocabulary = [f"w{i}" for i in range(3000)] + ["$x^2$", "\\frac{1}{2}", "find", "the", "of"]
    test_problems = [_problem(rng, vocabulary) for _ in range(5000)]
    train = [_problem(rng, vocabulary) for _ in range(100_000)]
    planted = {17: test_problems[3].upper(), 50_000: "Intro words. " + " ".join(test_problems[9].split()[4:20])}
    for index, text in planted.items():
        train[index] = text
    start = time.perf_counter()
    tests = TestSet([f"t{i}" for i in range(5000)], test_problems)
    found = find_contamination(tests, "train", "data/train.jsonl", train)
    seconds = time.perf_counter() - start
    assert [(v.index, v.test_id) for v in found] == [(17, "t3"), (50_000, "t9")]
    assert seconds < 20, seconds  # about 3 s on 2 idle cores; generous for a shared machine


def test_validate_submission_reports_contamination(submission_factory, tiny_default, tmp_path):
    rows = [{"problem": "What is 2 + 3?", "solution": "5"}, {"problem": TEST_PROBLEM, "solution": "-3"}]
    test_file = tmp_path / "test.jsonl"
    test_file.write_text(json.dumps({"id": "aime-1", "problem": TEST_PROBLEM}) + "\n")
    sub = submission_factory(train_rows=rows, val_rows=rows[1:])
    result = validate_submission(sub, base_model=str(tiny_default["base_model"]), test_file=test_file)
    found = [(v.code, v.split, v.index, getattr(v, "test_id", None)) for v in result.violations]
    assert found == [("contamination", "train", 1, "aime-1"), ("contamination", "val", 0, "aime-1")]
