"""The one prompt function: verbatim problem, problem-independent template, exactly one BOS, format as data."""

from __future__ import annotations

import ast
import json

import pytest

from grader.errors import UserError
from grader.submission.prompts import (
    FORMAT_NAME, TemplateError, check_template_inputs, encode_prompts, prompt_format, read_format, token_ids, write_format,
)  # fmt: skip
from tests.conftest import ROOT


def default_template() -> str:
    """The shipped template, read as data (no student code is imported)."""
    tree = ast.parse((ROOT / "sft_utils.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "CHAT_TEMPLATE":
            return ast.literal_eval(node.value)
    raise AssertionError("CHAT_TEMPLATE not found")


def test_the_kits_default_template_is_the_one_sft_utils_ships():
    from grader.submission.prompts import DEFAULT_CHAT_TEMPLATE

    assert DEFAULT_CHAT_TEMPLATE == default_template()


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
        ("{{ raise_exception('no') }}", "may use only .*; it uses raise_exception"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}{{ messages[0]['content'] }}", "rendering failed"),
    ],
)
def test_bad_templates_are_rejected(llama_tokenizer, template, message):
    with pytest.raises(TemplateError, match=message):
        prompt_format(llama_tokenizer, template)


@pytest.mark.parametrize(
    "template, used",
    [
        # The attack that was found: a constant prefix on the probes, an error carrying the problem elsewhere.
        ("{% if 'AIME' in messages[0]['content'] %}{{ raise_exception(messages[0]['content']) }}{% endif %}"
         "Q: {{ messages[0]['content'] }}", "raise_exception"),
        ("{{ strftime_now('%Y-%m-%d') }} Q: {{ messages[0]['content'] }}", "strftime_now"),
        ("{% set today = strftime_now('%d') %}Q: {{ messages[0]['content'] }}", "strftime_now"),
        ("{{ lipsum(1) }}Q: {{ messages[0]['content'] }}", "lipsum"),
        ("{% for t in tools %}{{ t }}{% endfor %}Q: {{ messages[0]['content'] }}", "tools"),
        ("{{ date_string }} Q: {{ messages[0]['content'] }}", "date_string"),
        ("{{ problem_bank }} Q: {{ messages[0]['content'] }}", "problem_bank"),
    ],
)
def test_templates_reading_anything_but_the_conversation_are_rejected(template, used):
    with pytest.raises(TemplateError, match=f"it uses {used}"):
        check_template_inputs(template)


def test_random_filter_is_rejected_and_deterministic_jinja_is_fine(llama_tokenizer):
    with pytest.raises(TemplateError, match="filter 'random'"):
        check_template_inputs("{{ ['A', 'B'] | random }} {{ messages[0]['content'] }}")
    ok = (
        "{{ bos_token }}{% set ns = namespace(n=0) %}{% for m in messages %}{% if loop.first %}"
        "{{ m['role'] | upper }}: {{ m['content'] }}{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}\nANSWER:{% endif %}{{ range(2) | list | length }}"
    )
    fmt = prompt_format(llama_tokenizer, ok)
    assert (fmt.prefix, fmt.suffix) == ("<|begin_of_text|>USER: ", "ANSWER:2")  # transformers' Jinja trims after a tag


def test_prompts_are_prefix_ids_problem_ids_suffix_ids(llama_tokenizer):
    fmt = prompt_format(llama_tokenizer, default_template())
    assert list(fmt.prefix_ids) == [128000, *token_ids(llama_tokenizer, [fmt.prefix.removeprefix("<|begin_of_text|>")])[0]]
    problems = ["What is 2 + 2?", "  Find $x$ such that x^2 = 4.\n"]
    for problem, ids in zip(problems, encode_prompts(llama_tokenizer, fmt, problems)):
        assert ids == [*fmt.prefix_ids, *token_ids(llama_tokenizer, [problem])[0], *fmt.suffix_ids]


def test_the_format_travels_as_data_and_is_checked(tmp_path, llama_tokenizer):
    fmt = prompt_format(llama_tokenizer, default_template())
    path = write_format(tmp_path, fmt)
    assert read_format(tmp_path, vocab_size=len(llama_tokenizer), eos_id=llama_tokenizer.eos_token_id) == fmt
    data = json.loads(path.read_text())
    data["prefix_ids"][1] += 1  # tampered with after it was recorded
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match="does not match its recorded digest"):
        read_format(tmp_path)
    write_format(tmp_path, fmt)
    with pytest.raises(UserError, match="outside this tokenizer's vocabulary"):
        read_format(tmp_path, vocab_size=1000)
    with pytest.raises(UserError, match="EOS id 128001 is not this tokenizer's"):
        read_format(tmp_path, eos_id=2)
    (tmp_path / FORMAT_NAME).unlink()
    with pytest.raises(UserError, match="no prompt_format.json"):
        read_format(tmp_path)
    (tmp_path / FORMAT_NAME).write_text("{not json")
    with pytest.raises(UserError, match="malformed prompt format"):
        read_format(tmp_path)
