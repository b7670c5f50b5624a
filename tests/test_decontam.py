"""Decontamination: normalized exact matches and shared word 13-grams, fast at course scale."""

from __future__ import annotations

import html
import json
import os
import random
import re
import string
import subprocess
import sys
import time
import unicodedata

import pytest

from grader.errors import UserError
from grader.jsonl import DataError
from grader.submission.decontam import (
    INVISIBLE_COMMANDS,
    NGRAM,
    SPACE_COMMANDS,
    TestSet,
    _confusables,
    find_contamination,
    find_template_contamination,
    fold,
    normalize,
    words,
)
from grader.submission.sandbox import Deadline, DeadlineExceeded
from grader.submission.validate import read_test_set, validate_submission
from grader.tiny import llama_tokenizer_dir
from tests.conftest import ROOT, SHARED_DATA, make_submission

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


def _says_nothing_of(message: str, test_id: str, problem: str) -> None:
    """No id and no 3 consecutive words of the test problem in a message a student reads."""
    assert test_id not in message
    said = " ".join(words(message))
    for gram in zip(*(words(problem)[i:] for i in range(3))):
        assert " ".join(gram) not in said, (gram, message)


def test_violations_name_split_example_and_field_but_never_the_test_problem():
    tests = TestSet(["math-7", "math-8"], ["Unrelated problem about primes.", TEST_PROBLEM])
    found = find_contamination(tests, "train", "data/train.jsonl", ["clean one", TEST_PROBLEM.lower()])
    (v,) = found
    assert (v.code, v.split, v.index, v.test_id) == ("contamination", "train", 1, "math-8")
    assert v.message == (
        "train data (data/train.jsonl via sft_utils.load_split) example 1, problem: matches a hidden test problem "
        "(the whole text, after normalization; docs/check.md, 'Decontamination')"
    )
    assert v.as_dict()["test_id"] == "math-8" and v.as_dict()["field"] == "problem"  # for the instructor
    (s,) = find_contamination(tests, "val", "data/val.jsonl", ["x", "y", f"So: {TEST_PROBLEM} Done."], field="solution")
    assert (s.split, s.index, s.test_id, s.field) == ("val", 2, "math-8", "solution")
    assert s.message == (
        "val data (data/val.jsonl via sft_utils.load_split) example 2, solution: shares 13 consecutive words with "
        "a hidden test problem (docs/check.md, 'Decontamination')"
    )
    for violation in (v, s):
        _says_nothing_of(violation.message, "math-8", TEST_PROBLEM)
    with pytest.raises(ValueError, match="field"):
        find_contamination(tests, "train", "f", [], field="answer")


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
    with pytest.raises(DeadlineExceeded, match="decontaminating the 'train' problems"):
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


# ---- what attackers tried: a test problem hidden outside the problem field, or disguised ----

SHORT_TEST = "What is the smallest prime factor of 1001?"  # under 13 words: only whole-text matches
LLAMA = str(llama_tokenizer_dir())


def _test_set() -> TestSet:
    return TestSet(["t-long", "t-short"], [TEST_PROBLEM, SHORT_TEST])


def _found_everywhere(tests: TestSet, disguise) -> None:
    """The disguised test problems are found whole, and inside other text by 13 shared words."""
    assert tests.match(disguise(TEST_PROBLEM)) == (0, None)
    assert tests.match(disguise(SHORT_TEST)) == (1, None)
    hit = tests.match("Worked example. " + disguise(TEST_PROBLEM) + " Then we simplify.")
    assert hit is not None and hit[0] == 0 and hit[1] is not None


def test_template_constant_text_hiding_a_test_problem():
    tests = _test_set()
    prefix = "<|begin_of_text|>Solve it. For practice, first read: " + TEST_PROBLEM.replace(" ", "  ") + "\nProblem: "
    suffix = "\nHint: " + SHORT_TEST.upper() + " is a classic.\nSolution:"
    found = find_template_contamination(tests, prefix, suffix)
    assert [(v.code, v.test_id, v.field, v.split, v.index) for v in found] == [
        ("contamination", "t-long", "template", None, None),
        ("contamination", "t-short", "template", None, None),  # 8 words: found as a whole inside the text
    ]
    assert found[0].message == (
        "CHAT_TEMPLATE (sft_utils.py): the prompt text before the problem contains a hidden test problem "
        "(the whole problem, after normalization; docs/check.md, 'Decontamination')"
    )
    assert "after the problem contains a hidden test problem" in found[1].message
    for violation, problem in zip(found, (TEST_PROBLEM, SHORT_TEST)):
        _says_nothing_of(violation.message, violation.test_id, problem)
    clean = "<|begin_of_text|>Solve the following math problem. Put the final answer in \\boxed{}.\n\nProblem: "
    assert find_template_contamination(tests, clean, "\n\nSolution:") == []


ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u034f\ufe0f\u2062\U000e0041\u3164\u202e\u0301"


def test_zero_width_and_invisible_characters_are_ignored():
    def disguise(text: str) -> str:  # one invisible character after every letter, a different one each time
        return "".join(c + (ZERO_WIDTH[i % len(ZERO_WIDTH)] if c.isalpha() else "") for i, c in enumerate(text))

    assert all(unicodedata.category(c) in ("Cf", "Mn", "Lo") for c in ZERO_WIDTH)
    assert fold(disguise("Find x")) == "find x"
    _found_everywhere(_test_set(), disguise)


# Latin letters written with Cyrillic and Greek look-alikes (what a homoglyph generator outputs)
CYRILLIC = dict(zip("aceopxyiABEHKMOPTXCsjI", "асеорхуіАВЕНКМОРТХСѕјІ"))
GREEK = dict(zip("aoivABEHIKMNOPTXYZ", "αοινΑΒΕΗΙΚΜΝΟΡΤΧΥΖ"))


@pytest.mark.parametrize("table", [CYRILLIC, GREEK], ids=["cyrillic", "greek"])
def test_cyrillic_and_greek_homoglyphs_are_folded(table):
    def disguise(text: str) -> str:
        return "".join(table.get(c, c) for c in text)

    assert disguise(TEST_PROBLEM) != TEST_PROBLEM
    assert fold(disguise("MAX TOOK 6 EXAMS")) == fold("max took 6 exams") == "max took 6 exams"
    _found_everywhere(_test_set(), disguise)


def test_any_confusable_letter_folds_not_a_hand_list():
    """Unicode's whole confusables data is used: every Latin letter has dozens of look-alikes."""
    per_letter = {letter: 0 for letter in string.ascii_lowercase}
    for char in _confusables():
        folded = fold(char)
        if folded in per_letter:
            per_letter[folded] += 1
        assert fold(folded) == folded  # stable: folding twice changes nothing
    assert min(per_letter.values()) >= 30, per_letter
    assert sum(per_letter.values()) > 1200
    scripts = {unicodedata.name(c).split()[0] for c in _confusables() if fold(c) == "o"}
    assert {"CYRILLIC", "GREEK", "ARMENIAN", "MATHEMATICAL", "COPTIC", "OSAGE"} <= scripts


def test_fullwidth_letters_digits_and_other_scripts_digits():
    fullwidth = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}
    arabic_indic = {str(d): chr(0x0660 + d) for d in range(10)}
    devanagari = {str(d): chr(0x0966 + d) for d in range(10)}
    assert fold("Ｆｉｎｄ　ｘ＝１２") == fold("find x=12") and fold("١٢ ०९") == "12 09"
    for table in (fullwidth, arabic_indic, devanagari):
        _found_everywhere(_test_set(), lambda text, t=table: "".join(t.get(c, c) for c in text))
    tests = TestSet(["digits"], ["Janet's ducks lay 16 eggs per day and she eats 3 of them for breakfast every morning."])
    assert tests.match("Janet's ducks lay ١٦ eggs per day and she eats ३ of them for breakfast every morning.") == (0, None)


def test_math_alphanumerics_are_folded():
    bold = {c: chr(0x1D41A + ord(c) - ord("a")) for c in string.ascii_lowercase}  # 𝐚..𝐳
    italic = {c: chr(0x1D44E + ord(c) - ord("a")) for c in string.ascii_lowercase if c != "h"} | {"h": "ℎ"}
    # the math alphabets also hold Greek and dotless letters that only look Latin: 𝚤 𝛂 𝛐 𝛎
    lookalike = {"i": "\U0001d6a4", "a": "\U0001d6c2", "o": "\U0001d6d0", "v": "\U0001d6ce"}
    assert fold("𝐱 + 𝑦 = 𝒛") == "x + y = z" and fold("𝚤𝛂𝛐𝛎") == "iaov"
    for table in (bold, italic | lookalike):
        _found_everywhere(_test_set(), lambda text, t=table: "".join(t.get(c, t.get(c.lower(), c)) for c in text))


@pytest.mark.parametrize(
    "plain, variant",
    [
        ("Find $\\frac{1}{2}x$.", "Find $\\dfrac{1}{2}\\hspace{2pt}x$."),
        ("Find $\\frac{1}{2}x$.", "Find \\(\\tfrac{1}{2}\\kern1em x\\)."),
        ("It is $5$ cm long.", "It is $5\\,\\text{ cm}$ long."),
        ("Compute $(x+1)^2$.", "Compute $\\displaystyle\\Big( x\\! +\\; 1 \\Bigr)^{2}$."),
        ("Let $f(x)=x$ for all $x$.", "Let $\\mathrm{f}\\left(x\\right)=x$ for~all\\ $\\boldsymbol{x}$."),
        ("Find the value of $n$.", "Find the val{}ue o{}f $n\\phantom{0}$\\quad."),
        ("Solve $x=1$.", "Solve \\[x\\qquad=\\mathbf{1}\\]."),
        ("Find the sum.", "{\\color{red}Fi}nd the \\textcolor{blue}{s}um\\!."),
        ("Find the sum.", "Fi%\n  nd th%a comment\ne sum."),
    ],
)
def test_latex_spacing_sizing_and_styling_variants(plain, variant):
    """The same text as a whole, and the same words inside a longer text (in one of its readings)."""
    assert TestSet(["t"], [plain]).match(variant) == (0, None)
    context = "Zebra quokka walrus ibis " * 3
    assert TestSet(["t"], [context + plain + context]).match(context + variant + context) is not None


def test_latex_variants_of_a_whole_problem():
    variant = (
        "Let $f\\left(x\\right) = x^{2} + 3\\,x + 2$.  Find the sum of all real numbers $\\displaystyle x$ "
        "such that $f\\big(f(x)\\big) = 0$, and express your answer as a common fraction in lowest terms."
    )
    tests = _test_set()
    assert tests.match(variant) == (0, None)
    spaced = "\\text{Find}\\;the\\ sum\\quad of{} all\\hspace{1em}real~numbers $x$ such\\,that $f(f(x))=0$, and"
    assert tests.match(f"Intro. {spaced} more.") is not None


def test_every_listed_command_and_no_other_is_normalized():
    """The commands that render as nothing go, those that render as a space are one, and a
    command that only starts like one of them (or is one with more letters) stays."""
    for name in INVISIBLE_COMMANDS:
        assert fold(f"a \\{name} b \\{name.upper()}{{c}}") == "a b c", name
    for name in SPACE_COMMANDS:
        assert fold(f"a\\{name} b") == "a b", name
    for kept in ("item", "bigcup", "smallsetminus", "emptyset", "limsup", "textbackslash", "sloppy", "bfx", "quadratic", "leftarrow"):
        assert fold(f"a \\{kept} b") == f"a \\{kept} b", kept


# Render-invisible LaTeX, applied to every word (2+ letters, not a command's or an environment's name nor a
# unit), each word getting the next variant: what a student would write to hide a test problem from a matcher.
_WORD_IN_TEXT = re.compile(r"(?<![\\A-Za-z0-9])(?<!\\begin\{)(?<!\\end\{)[A-Za-z]{2,}")
INVISIBLE = {
    "spacing inside words": lambda w, i: w[0] + ("\\!", "\\hspace{0pt}", "\\kern0em", "\\negthinspace ", "\\mkern-1mu")[i % 5] + w[1:],
    "sizing": lambda w, i: ("{\\small " + w + "}", "\\normalsize " + w, "{\\Large " + w[:2] + "}" + w[2:], "\\displaystyle " + w)[i % 4],
    "colour": lambda w, i: (
        "\\color{red}" + w, "\\textcolor{blue}{" + w + "}", "\\textcolor[rgb]{1,0,0}{" + w[0] + "}" + w[1:],
        "{\\color{green!50!black}" + w[:2] + "}" + w[2:], "\\colorbox{yellow}{" + w + "}",
    )[i % 5],
    "comments": lambda w, i: w[:2] + ("%", "% a note", "%%x")[i % 3] + "\n  " + w[2:],
    "empty groups": lambda w, i: w[0] + ("{}", "{{}}", "{}{}")[i % 3] + w[1:],
    "braces": lambda w, i: ("{" + w + "}", "{" + w[:2] + "}" + w[2:], w[0] + "{" + w[1:] + "}", "{{" + w + "}}")[i % 4],
    "wrappers": lambda w, i: ("\\text{" + w + "}", "\\mathrm{" + w[:2] + "}" + w[2:], "\\textbf{" + w + "}", "\\emph{" + w + "}")[i % 4],
}
SPACES = ("\\,", "\\;", "\\quad ", "~", "\\ ", "\\hspace{1em}", "\\:", "\\>", "\\enspace ")
SIZES = (("\\left(", "\\right)"), ("\\bigl(", "\\bigr)"), ("\\Bigl(", "\\Bigr)"), ("\\biggl(", "\\biggr)"))
EDITS = list(INVISIBLE.values())


def _invisibly(text: str, edit) -> str:
    count = iter(range(10**6))
    return _WORD_IN_TEXT.sub(lambda m: edit(m.group(), next(count)), text)


def _spaced(text: str) -> str:
    """Every space a LaTeX space, every parenthesis sized, ``\\frac`` a ``\\dfrac``."""
    count = iter(range(10**6))
    text = re.sub(r"\((.*?)\)", lambda m: "{0}{1}{2}".format(SIZES[next(count) % 4][0], m.group(1), SIZES[next(count) % 4][1]), text)
    return re.sub(r"(?<!\\) ", lambda m: SPACES[next(count) % len(SPACES)], text).replace("\\frac", "\\dfrac")


DISGUISES = {name: (lambda text, e=edit: _invisibly(text, e)) for name, edit in INVISIBLE.items()}
DISGUISES["spacing between words and sizing"] = _spaced
DISGUISES["all at once"] = lambda text: _invisibly(_spaced(text), lambda w, i: EDITS[i % len(EDITS)](w, i // len(EDITS)))


@pytest.mark.parametrize("disguise", DISGUISES.values(), ids=DISGUISES.keys())
def test_render_invisible_latex_on_every_word_is_found(disguise):
    """Whole, and inside a solution (by 13 shared words), however every word is edited."""
    disguised = disguise(TEST_PROBLEM)
    assert disguised != TEST_PROBLEM and len(disguised) > len(TEST_PROBLEM)
    _found_everywhere(_test_set(), disguise)


def test_render_invisible_latex_on_real_problems_is_found():
    """Every MATH-500 problem of 13 words or more, edited every way at once and quoted inside a
    solution, is found by shared words; and whole, by the whole-text rule."""
    test = [r for r in _rows("math500_test.jsonl") if len(words(r["problem"])) >= NGRAM]
    tests = TestSet([r["id"] for r in test], [r["problem"] for r in test])
    for index, row in enumerate(test):
        disguised = DISGUISES["all at once"](row["problem"])
        assert tests.match(disguised) == (index, None), row["id"]
        hit = tests.match(f"We first recall the problem: {disguised} Now we solve it.")
        assert hit is not None and hit[1] is not None, row["id"]


@pytest.mark.parametrize(
    "variant",
    [
        SHORT_TEST[:-1], SHORT_TEST + ".", "Problem: " + SHORT_TEST, "Problem: " + SHORT_TEST[:-1], "Q1. " + SHORT_TEST,
        "Question 3: " + SHORT_TEST, "3) " + SHORT_TEST, "(a) " + SHORT_TEST, "**Problem 2.** " + SHORT_TEST[:-1],
        f'"{SHORT_TEST}"', SHORT_TEST + "\nAnswer:", "Exercise 1.2:\n" + SHORT_TEST.upper() + "  ", "Problem IV: (b) " + SHORT_TEST,
        "Problem: " + DISGUISES["all at once"](SHORT_TEST)[:-1],
    ],
)  # fmt: skip
def test_short_test_problem_with_end_punctuation_or_a_label_is_found(variant):
    assert len(words(SHORT_TEST)) < NGRAM
    assert _test_set().match(variant) == (1, None)


@pytest.mark.parametrize(
    "other",
    [
        SHORT_TEST[:-1] + " Then double it.", "Twice the smallest prime factor of 1001?", "What is the smallest prime factor of 1002?",
        "What is the largest prime factor of 1001?", "Explain: " + SHORT_TEST + " Then check it.", "Let x. " + SHORT_TEST[:-1] + " squared?",
    ],
)  # fmt: skip
def test_short_test_problem_is_not_found_in_a_different_problem(other):
    assert _test_set().match(other) is None


def test_real_short_problems_with_a_label_are_found_and_not_others():
    short = [r for r in _rows("math500_test.jsonl") + _rows("amc23_test.jsonl") if len(words(r["problem"])) < NGRAM]
    assert len(short) > 40
    tests = TestSet([r["id"] for r in short], [r["problem"] for r in short])
    for index, row in enumerate(short):
        text = row["problem"].rstrip(".?")
        assert tests.match(f"Problem {index + 1}: {text}") == (index, None), row["id"]
        assert tests.match(f"{text}, then add 1.") is None, row["id"]


def test_normalization_keeps_distinct_what_reads_differently():
    assert fold(string.ascii_lowercase + string.digits) == string.ascii_lowercase + string.digits
    assert normalize("x = 0") != normalize("x = O") and normalize("x = 1") != normalize("x = l")
    assert normalize("\\frac{1}{2}") != normalize("\\frac{1}{3}") and words("x_1 + y^2") == ["x", "1", "y", "2"]
    assert fold("Ⅰn") == "in" and fold("Іn") == "in"  # an upper-case look-alike of l/I is an I
    for a, b in [
        ("What is 20% of 50?", "What is 20% of 60?"),  # % is a percent sign in plain text, not a comment
        ("Compute $5!$.", "Compute $5$."), ("Compute $-5+3$.", "Compute $5+3$."), ("1.5 liters of water", "5 liters of water"),
        ("Let x. Find y.", "Find y."), ("Factor $x^2-1$.", "Expand $x^2-1$."), ("x \\quad y", "x \\phantom{a} z"),
    ]:  # fmt: skip
        assert TestSet(["t"], [a]).match(b) is None and TestSet(["t"], [b]).match(a) is None, (a, b)
    assert TestSet(["t"], ["What is 20% of 50?"]).match("What is 20\\% o%\nf 50?") == (0, None)  # LaTeX's own percent


def _rows(name: str) -> list[dict]:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} not found (the shared real data)")
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def test_real_gsm8k_train_is_clean_against_gsm8k_test_and_math500():
    """Real data the normalization must not over-fold: GSM8K train and test are disjoint.

    The only hits are four training problems that are GSM8K's own templated siblings of a test
    problem (same sentences, other numbers); no solution matches anything."""
    train, test = _rows("gsm8k_train.jsonl"), _rows("gsm8k_test.jsonl") + _rows("math500_test.jsonl")
    tests = TestSet([r["id"] for r in test], [r["problem"] for r in test])
    problems = find_contamination(tests, "train", "gsm8k", [r["problem"] for r in train])
    assert {(train[v.index]["id"], v.test_id) for v in problems} == {
        ("gsm8k-train-20", "gsm8k-test-632"), ("gsm8k-train-406", "gsm8k-test-581"),
        ("gsm8k-train-1314", "gsm8k-test-602"), ("gsm8k-train-5162", "gsm8k-test-602"),
    }  # fmt: skip
    assert find_contamination(tests, "train", "gsm8k", [r["solution"] for r in train], field="solution") == []
    template = "<|begin_of_text|>Solve the following math problem. Put the final answer in \\boxed{}.\n\nProblem: "
    assert find_template_contamination(tests, template, "\n\nSolution:") == []


def _module_with_template(prefix_text: str) -> str:
    """The kit's sft_utils.py with extra constant text in front of every problem."""
    source = (ROOT / "sft_utils.py").read_text()
    marker = '"Problem: {{ message[\'content\'] }}\\n\\n"'
    assert marker in source
    return source.replace(marker, f"{json.dumps(prefix_text + chr(10))}\n    {marker}")


def test_validate_checks_solutions_and_the_template(submission_factory, tmp_path):
    test_file = tmp_path / "test.jsonl"
    pairs = (("t-long", TEST_PROBLEM), ("t-short", SHORT_TEST))
    test_file.write_text("".join(json.dumps({"id": i, "problem": p}) + "\n" for i, p in pairs))
    rows = [
        {"problem": "What is 2 + 3?", "solution": "2 + 3 = 5, so $\\boxed{5}$."},
        {"problem": "Find $f(f(x))$.", "solution": "We are asked: " + TEST_PROBLEM + " It is $\\boxed{-3}$."},
    ]
    sub = submission_factory(train_rows=rows, val_rows=rows[:1], sft_utils=_module_with_template("Warm-up: " + SHORT_TEST))
    result = validate_submission(sub, base_model=LLAMA, test_file=test_file)
    found = [(v.code, v.split, v.index, v.test_id, v.field) for v in result.violations]
    assert found == [
        ("contamination", None, None, "t-short", "template"),
        ("contamination", "train", 1, "t-long", "solution"),
    ]


def test_check_command_end_to_end(submission_factory, tmp_path):
    """`python -m grader check --test`: a disguised test problem in the template and in a solution."""
    homoglyphs = "".join(CYRILLIC.get(c, c) for c in TEST_PROBLEM)
    invisible = "\u200b".join(SHORT_TEST)
    test_file = tmp_path / "test.jsonl"
    pairs = (("aime-7", TEST_PROBLEM), ("amc-3", SHORT_TEST))
    test_file.write_text("".join(json.dumps({"id": i, "problem": p}) + "\n" for i, p in pairs))
    rows = [{"problem": f"What is {i} + 2?", "solution": f"{i} + 2 = {i + 2}, so $\\boxed{{{i + 2}}}$."} for i in range(3)]
    rows.append({"problem": "A warm-up.", "solution": f"Recall {homoglyphs} The answer is $\\boxed{{-3}}$."})
    sub = submission_factory(train_rows=rows, val_rows=rows[:2], sft_utils=_module_with_template("Hint: " + invisible))
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(sub), "--json", "--base-model", LLAMA, "--test", str(test_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    found = [(v.get("split"), v.get("index"), v["test_id"], v["field"]) for v in report["violations"]]
    assert found == [(None, None, "amc-3", "template"), ("train", 3, "aime-7", "solution")]
    assert report["violations"][1]["message"].startswith(
        "train data (data/train.jsonl via sft_utils.load_split) example 3, solution: shares 13 consecutive words with a hidden test problem"
    )
    _says_nothing_of(" ".join(v["message"] for v in report["violations"]), "aime-7", TEST_PROBLEM)


def test_what_the_student_is_shown_holds_nothing_of_the_hidden_problem(tiny_default, tmp_path):
    """`grade` then `report` on a contaminated submission: results.json and the feedback page name
    the student's own example and field, and hold neither a hidden problem's id nor 3 of its words
    in a row; the instructor's check.json keeps the ids."""
    hidden = [{"id": "aime-7f3a", "problem": TEST_PROBLEM, "answer": "-3"}, {"id": "amc-9c1e", "problem": SHORT_TEST, "answer": "7"}]
    test_file = tmp_path / "hidden.jsonl"
    test_file.write_text("".join(json.dumps(row) + "\n" for row in hidden))
    rows = [{"problem": f"What is {i} + 2?", "solution": f" {i} + 2 = {i + 2}, so $\\boxed{{{i + 2}}}$."} for i in range(4)]
    rows.append({"problem": "A warm-up.", "solution": " Recall: " + DISGUISES["colour"](TEST_PROBLEM) + " It is $\\boxed{-3}$."})
    rows.append({"problem": "Problem: " + SHORT_TEST[:-1], "solution": " $\\boxed{7}$"})
    make_submission(tmp_path / "subs" / "ana", train_rows=rows, val_rows=rows[:2])
    out, feedback = tmp_path / "out", tmp_path / "feedback"
    commands = [
        ["grade", str(tmp_path / "subs"), "--test", str(test_file), "--base-model", str(tiny_default["base_model"]),
         "--out", str(out), "--no-baseline", "--gpus-per-job", "0"],
        ["report", str(out), "--out", str(tmp_path / "class.html"), "--feedback", str(feedback)],
    ]  # fmt: skip
    for command in commands:
        proc = subprocess.run([sys.executable, "-m", "grader", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    check = json.loads((out / "submissions" / "ana" / "check.json").read_text())
    assert [(v["index"], v["field"], v["test_id"]) for v in check["violations"]] == [(4, "solution", "aime-7f3a"), (5, "problem", "amc-9c1e")]  # example order
    shown = {
        "results.json": (out / "submissions" / "ana" / "results.json").read_text(),
        "feedback page": html.unescape((feedback / "ana.html").read_text()),
    }
    for name, text in shown.items():
        assert "example 4, solution: shares 13 consecutive words with a hidden test problem" in text, name
        assert "example 5, problem: matches a hidden test problem" in text, name
        for row in hidden:
            _says_nothing_of(text, row["id"], row["problem"])
