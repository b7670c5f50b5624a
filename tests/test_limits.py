"""Exact-token limits at their boundaries, through the real pipeline (sandbox + real Llama 3.2 tokenizer)."""

from __future__ import annotations

import pytest

from grader.submission.config import MAX_TRAIN_EXAMPLES, MAX_VAL_EXAMPLES
from grader.tiny import llama_tokenizer_dir
from grader.submission.validate import validate_submission
from tests.test_prompts import default_template

LLAMA = str(llama_tokenizer_dir())
PROBLEM = "What is 1 + 1?"


def solution_with_total(tokenizer, total: int) -> str:
    """A solution whose example (prompt + solution + EOS) is exactly ``total`` tokens."""
    from grader.submission.prompts import encode_prompts, prompt_format

    fmt = prompt_format(tokenizer, default_template())
    prompt = len(encode_prompts(tokenizer, fmt, [PROBLEM])[0])
    n = total - prompt - 1
    text = " a" * n  # ' a' is one Llama 3 token, however often it repeats
    assert len(tokenizer(text, add_special_tokens=False)["input_ids"]) == n
    return text


@pytest.mark.parametrize("total, ok", [(2048, True), (2049, False)])
def test_2048_tokens_accepted_2049_rejected(submission_factory, llama_tokenizer, total, ok):
    # The default sft_utils strips the solution and puts back one leading space.
    solution = solution_with_total(llama_tokenizer, total).strip()
    rows = [{"problem": PROBLEM, "solution": "Short."}, {"problem": PROBLEM, "solution": solution}]
    sub = submission_factory(train_rows=rows, val_rows=rows[:1])
    result = validate_submission(sub, base_model=LLAMA)
    assert result.splits["train"].lengths[1] == total
    if ok:
        assert result.ok, result.violations
    else:
        (violation,) = result.violations
        assert (violation.code, violation.split, violation.index, violation.value, violation.limit) == (
            "example_too_long", "train", 1, 2049, 2048,
        )
        assert "train data (data/train.jsonl via sft_utils.load_split) example 1: 2049 tokens" in violation.message


def test_max_length_from_the_config_is_the_limit_when_lower(submission_factory):
    rows = [{"problem": PROBLEM, "solution": "One two three four five six seven eight nine ten."}]
    sub = submission_factory(train_rows=rows, val_rows=rows, config="max_length: 20\n")
    result = validate_submission(sub, base_model=LLAMA)
    assert [(v.split, v.limit) for v in result.violations] == [("train", 20), ("val", 20)]
    assert "(max_length in sft_config.yaml)" in result.violations[0].message


@pytest.mark.parametrize("n, ok", [(MAX_VAL_EXAMPLES, True), (MAX_VAL_EXAMPLES + 1, False)])
def test_100_validation_examples_accepted_101_rejected(submission_factory, n, ok):
    rows = [{"problem": f"What is {i} + 1?", "solution": f"{i + 1}"} for i in range(n)]
    result = validate_submission(submission_factory(train_rows=rows[:5], val_rows=rows), base_model=LLAMA)
    assert result.splits["val"].count == n
    assert result.ok is ok
    if not ok:
        (v,) = result.violations
        assert (v.code, v.value, v.limit) == ("too_many_examples", 101, 100)
        assert v.message == "val data (data/val.jsonl via sft_utils.load_split): 101 examples, limit 100"


@pytest.mark.parametrize("n, ok", [(MAX_TRAIN_EXAMPLES, True), (MAX_TRAIN_EXAMPLES + 1, False)])
def test_100000_training_examples_accepted_100001_rejected(submission_factory, tiny_default, n, ok):
    rows = [{"problem": "1+1", "solution": "2"}] * n  # cheap rows; the tiny tokenizer keeps it fast
    result = validate_submission(submission_factory(train_rows=rows, val_rows=rows[:3]), base_model=str(tiny_default["base_model"]))
    assert result.splits["train"].count == n
    assert result.ok is ok
    if not ok:
        (v,) = result.violations
        assert (v.code, v.split, v.value, v.limit) == ("too_many_examples", "train", 100_001, 100_000)


def test_empty_split_is_a_violation(submission_factory):
    sub = submission_factory(train_rows=[{"problem": "p", "solution": "s"}], val_rows=[])
    result = validate_submission(sub, base_model=LLAMA)
    assert [v.code for v in result.violations] == ["data"]
    assert "data/val.jsonl: no rows (the file is empty)" in result.violations[0].message


def test_nothing_is_truncated_or_dropped(submission_factory, llama_tokenizer):
    long = solution_with_total(llama_tokenizer, 3000).strip()
    rows = [{"problem": PROBLEM, "solution": long}] * 3 + [{"problem": PROBLEM, "solution": "ok"}]
    result = validate_submission(submission_factory(train_rows=rows, val_rows=rows[-1:]), base_model=LLAMA)
    assert [v.index for v in result.violations] == [0, 1, 2]  # every violation, not just the first
    assert all(2048 < v.value <= 3000 for v in result.violations)  # exact, or a proven lower bound
    assert result.splits["train"].lengths[3] > 0 and result.splits["train"].count == 4


def test_oversize_examples_are_rejected_without_tokenizing_them_whole(submission_factory, llama_tokenizer):
    """Size alone, or a pre-token-aligned first part, proves an example too long; the bound never exceeds the truth."""
    from grader.submission.encode import longest_token_chars, token_ids

    huge = "x" * (2048 * longest_token_chars(llama_tokenizer) + 1)  # more characters than 2048 of the longest tokens
    words = " word" * 30_000  # 30,000 tokens; its first part already has more than 2048
    rows = [{"problem": PROBLEM, "solution": "ok"}, {"problem": PROBLEM, "solution": huge}, {"problem": words, "solution": "ok"}]
    result = validate_submission(submission_factory(train_rows=rows, val_rows=rows[:1]), base_model=LLAMA)
    first, second = result.violations
    assert (first.code, first.index, second.code, second.index) == ("example_too_long", 1, "example_too_long", 2)
    assert "at least 2,0" in first.message and "characters, and no token is longer than 128" in first.message
    assert "the first part of its problem alone is" in second.message
    exact = len(token_ids(llama_tokenizer, [words.strip()])[0])
    assert 2048 < second.value <= exact and first.value > 2048
    assert result.splits["train"].lengths.tolist() == [result.splits["train"].lengths[0], -1, -1]
    assert result.stats()["train"].max_tokens == result.splits["train"].lengths[0]  # only tokenized ones count


def test_counting_without_ids_counts_the_ids_the_trainer_gets(llama_tokenizer):
    """A check that saves nothing counts tokens without building the ids: the same counts, example for example."""
    from grader.submission.encode import encode_examples
    from grader.submission.prompts import prompt_format

    fmt = prompt_format(llama_tokenizer, default_template())
    problems = ["What is 2+2?", "Ünïcödé ∑ 数学 problem", "", "<|end_of_text|> inside text", "x" * 5000, " lead space"]
    solutions = [" $\\boxed{4}$", "", "∞" * 300, "<|begin_of_text|>", " y", "\n\n\t tabs"]
    with_ids = encode_examples(llama_tokenizer, fmt, problems, solutions)
    counted = encode_examples(llama_tokenizer, fmt, problems, solutions, ids=False)
    assert counted.input_ids is None
    assert counted.lengths == [len(ids) for ids in with_ids.input_ids] == with_ids.lengths
    assert counted.prompt_lengths == with_ids.prompt_lengths
