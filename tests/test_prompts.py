"""The one prompt function: verbatim problem, problem-independent template, exactly one BOS."""

from __future__ import annotations

import ast

import pytest

from grader.submission.prompts import PROBES, TemplateError, check_problem_independent, encode_prompts, prompt_format
from tests.conftest import ROOT


def default_template() -> str:
    """The shipped template, read as data (no student code is imported)."""
    tree = ast.parse((ROOT / "sft_utils.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "CHAT_TEMPLATE":
            return ast.literal_eval(node.value)
    raise AssertionError("CHAT_TEMPLATE not found")


def test_default_template_splits_into_constant_prefix_and_suffix(llama_tokenizer):
    fmt = prompt_format(llama_tokenizer, default_template())
    assert fmt.prefix.startswith("<|begin_of_text|>Solve the following math problem.")
    assert fmt.suffix == "\n\nSolution:"
    assert fmt.eos_id == 128001 and fmt.bos_id == 128000


def test_prompt_ids_start_with_exactly_one_bos(llama_tokenizer):
    for template in (default_template(), "Q: {{ messages[0]['content'] }}\nA:"):
        fmt = prompt_format(llama_tokenizer, template)
        ids = encode_prompts(llama_tokenizer, fmt, ["What is 2 + 2?", "Find $x$."])
        assert all(seq[0] == 128000 and seq.count(128000) == 1 for seq in ids)
        assert llama_tokenizer.decode(ids[0][1:]) == fmt.render("What is 2 + 2?").removeprefix("<|begin_of_text|>")


@pytest.mark.parametrize(
    "template, message",
    [
        ("Q: {{ messages[0]['content'] | trim }} A:", "insert the problem verbatim"),
        ("Q: {{ messages[0]['content'] }} {{ messages[0]['content'] }}", "insert the problem verbatim"),
        ("Q: no problem here", "insert the problem verbatim"),
        (
            "{% if 'geometry' in messages[0]['content'] %}Draw it. {% endif %}Q: {{ messages[0]['content'] }}",
            "must not depend on the problem's content",
        ),
        ("Q ({{ messages[0]['content'] | length }}): {{ messages[0]['content'] }}", "must not depend"),
        ("{{ raise_exception('no') }}", "rendering failed"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}{{ messages[0]['content'] }}", "rendering failed"),
    ],
)
def test_bad_templates_are_rejected(llama_tokenizer, template, message):
    with pytest.raises(TemplateError, match=message):
        prompt_format(llama_tokenizer, template)


def test_branching_on_unseen_content_is_caught_on_the_real_problems(llama_tokenizer):
    # Passes the probes (none mentions 'AIME 2025') but not the hidden set's problems.
    template = "{% if 'AIME 2025' in messages[0]['content'] %}Hint: 42. {% endif %}Q: {{ messages[0]['content'] }}"
    assert not any("AIME 2025" in p for p in PROBES)
    fmt = prompt_format(llama_tokenizer, template)
    check_problem_independent(llama_tokenizer, template, fmt, ["What is 1+1?"])
    with pytest.raises(TemplateError, match="problem 1 renders differently"):
        check_problem_independent(llama_tokenizer, template, fmt, ["What is 1+1?", "From AIME 2025: find n."])
