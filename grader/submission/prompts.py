"""The one prompt function: problem -> prompt token ids, for training and for grading alike.

The student's chat template is data. It is rendered by transformers' sandboxed Jinja on probe
problems to find the constant text before and after the problem; a template that does not insert
the problem verbatim, or whose surrounding text changes with the problem, is rejected. Prompts
are then ``prefix + problem + suffix``, encoded without the tokenizer adding special tokens, and
the kit makes sure each starts with exactly one BOS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from grader.errors import UserError

# Different lengths, scripts, digits, LaTeX, braces, Jinja-looking text and keywords a template
# might branch on: the text around the problem must come out identical for all of them.
PROBES = (
    "What is 1 + 1?",
    "Find all real $x$ such that $\\frac{x^2-1}{x+1} = 3$. {{ not jinja }} {% raw %}",
    "A geometry problem: triangle ABC has AB = 13, BC = 14, CA = 15. Compute its area.\n\nAnswer in \\boxed{}.",
    "¿Qué es 2⁵?",
    "  Whitespace around a problem is part of it.\t\n",
    "Combien font 7 × 8 ? 数学 — AIME 2024, AMC 12, GSM8K, MATH level 5, number theory, probability.",
)


class TemplateError(UserError):
    pass


@dataclass(frozen=True)
class PromptFormat:
    """The constant text around the problem, and the ids that frame every sequence."""

    prefix: str
    suffix: str
    bos_id: int | None
    eos_id: int

    def render(self, problem: str) -> str:
        return self.prefix + problem + self.suffix


def render_template(tokenizer, chat_template: str, problem: str) -> str:
    """Render through transformers' sandboxed Jinja, exactly as a chat model's user turn."""
    try:
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": problem}],
            chat_template=chat_template,
            tokenize=False,
            add_generation_prompt=True,
        )
    except Exception as exc:  # jinja2 errors, sandbox violations, raise_exception() in the template
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TemplateError(f"CHAT_TEMPLATE: rendering failed: {first}") from None


def _split_around(rendered: str, problem: str) -> tuple[str, str] | None:
    if rendered.count(problem) != 1:
        return None
    before, after = rendered.split(problem)
    return before, after


def prompt_format(tokenizer, chat_template: str) -> PromptFormat:
    """Derive prefix/suffix from the probes; reject templates that depend on the problem."""
    found: tuple[str, str] | None = None
    for probe in PROBES:
        parts = _split_around(render_template(tokenizer, chat_template, probe), probe)
        if parts is None:
            raise TemplateError(
                "CHAT_TEMPLATE must insert the problem verbatim exactly once "
                "(e.g. {{ messages[0]['content'] }}, with no filters such as trim)"
            )
        if found is not None and parts != found:
            raise TemplateError(
                "CHAT_TEMPLATE must not depend on the problem's content: the text around the problem "
                f"changes between two problems ({_first_difference(found, parts)})"
            )
        found = parts
    assert found is not None
    eos = tokenizer.eos_token_id
    if eos is None:
        raise UserError("the tokenizer has no EOS token")
    return PromptFormat(found[0], found[1], tokenizer.bos_token_id, eos)


def _first_difference(a: tuple[str, str], b: tuple[str, str]) -> str:
    which = "before" if a[0] != b[0] else "after"
    x, y = (a[0], b[0]) if which == "before" else (a[1], b[1])
    i = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), min(len(x), len(y)))
    return f"text {which} the problem differs at character {i}: {x[i:i + 30]!r} vs {y[i:i + 30]!r}"


def check_problem_independent(tokenizer, chat_template: str, fmt: PromptFormat, problems: Sequence[str]) -> None:
    """Render the real problems too: a template branching on hidden content fails here."""
    for index, problem in enumerate(problems):
        if render_template(tokenizer, chat_template, problem) != fmt.render(problem):
            raise TemplateError(
                f"CHAT_TEMPLATE must not depend on the problem's content: problem {index} renders differently "
                "from prefix + problem + suffix"
            )


def token_ids(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Each text's token ids, without added special tokens, in one batched call.

    Straight to the Rust backend's ``encode_batch_fast`` (no offsets, masks or per-encoding
    Python dicts) when the transformers wrapper would change nothing, i.e. no truncation, no
    padding and the same special-token splitting: then the ids are exactly those of
    ``tokenizer(texts, add_special_tokens=False)``, the fallback for any other tokenizer.
    """
    backend = getattr(tokenizer, "_tokenizer", None)
    if (
        hasattr(backend, "encode_batch_fast")
        and backend.truncation is None
        and backend.padding is None
        and backend.encode_special_tokens == bool(getattr(tokenizer, "split_special_tokens", False))
    ):
        return [encoding.ids for encoding in backend.encode_batch_fast(list(texts), add_special_tokens=False)]
    return tokenizer(list(texts), add_special_tokens=False, return_attention_mask=False)["input_ids"]


def encode_prompts(tokenizer, fmt: PromptFormat, problems: Sequence[str]) -> list[list[int]]:
    """THE prompt function. One batched call to the fast tokenizer, then exactly one leading BOS."""
    ids = token_ids(tokenizer, [fmt.render(p) for p in problems])
    if fmt.bos_id is not None:
        ids = [seq if seq[:1] == [fmt.bos_id] else [fmt.bos_id, *seq] for seq in ids]
    return ids
