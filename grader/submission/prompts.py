"""The one prompt function: problem -> prompt token ids, for training and for grading alike.

The student's chat template is rendered (transformers' sandboxed Jinja) ONLY at validation time,
and only on the fixed probe problems, to find the constant text before and after the problem; a
template that does not insert the problem verbatim, whose surrounding text changes with the
problem, or that reads anything but the message list and the BOS/EOS tokens (a clock, a random
filter, tool lists, ...) is rejected. What comes out is DATA: ``PromptFormat``, the prefix and
suffix token ids. Every prompt, in training and at grading, is ``prefix ids + problem ids +
suffix ids`` (the problem encoded on its own, without added special tokens; exactly one leading
BOS). The format travels with the dataset and the checkpoint (``prompt_format.json``), so the
student's template never runs on a hidden problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from grader.errors import UserError

FORMAT_NAME = "prompt_format.json"  # beside the validated dataset and in every checkpoint
# What a template may read: the conversation and the framing tokens. Nothing that can change
# between validation and grading (a clock, randomness, tools, dates) and nothing that could
# carry the problem elsewhere.
TEMPLATE_VARIABLES = frozenset({"messages", "bos_token", "eos_token", "add_generation_prompt"})
# Jinja's own globals that are pure functions of their arguments; ``lipsum`` is random.
TEMPLATE_BUILTINS = frozenset({"range", "dict", "namespace", "loop", "self", "cycler", "joiner"})
NONDETERMINISTIC_FILTERS = frozenset({"random"})
FILTERS_BY_NAME = frozenset({"map"})  # filters that apply another filter named by a string argument
# The kit's default prompt, as shipped in sft_utils.py (a test keeps the two identical). The
# batch grader prompts the untrained base model with it for the class's baseline.
DEFAULT_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}{% if message['role'] == 'user' %}"
    "Solve the following math problem. Put the final answer in \\boxed{}.\n\n"
    "Problem: {{ message['content'] }}\n\n"
    "Solution:"
    "{% endif %}{% endfor %}"
)

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
    """The constant text around the problem, its token ids, and the ids that frame every sequence."""

    prefix: str
    suffix: str
    bos_id: int | None
    eos_id: int
    prefix_ids: tuple[int, ...] = ()
    suffix_ids: tuple[int, ...] = ()

    def render(self, problem: str) -> str:
        """The prompt as text (for people: reports, predictions.jsonl); the model gets ``encode_prompts``."""
        return self.prefix + problem + self.suffix

    def to_json(self) -> dict:
        data = asdict(self)
        data["prefix_ids"], data["suffix_ids"] = list(self.prefix_ids), list(self.suffix_ids)
        return data

    @property
    def sha256(self) -> str:
        """Identifies the format: the ids that frame every prompt (the text is for reading)."""
        ids = {k: self.to_json()[k] for k in ("prefix_ids", "suffix_ids", "bos_id", "eos_id")}
        return hashlib.sha256(json.dumps(ids, sort_keys=True).encode()).hexdigest()


def with_ids(tokenizer, fmt: PromptFormat) -> PromptFormat:
    """The format with its prefix and suffix encoded once; the prefix starts with exactly one BOS."""
    prefix_ids, suffix_ids = token_ids(tokenizer, [fmt.prefix, fmt.suffix])
    if fmt.bos_id is not None and prefix_ids[:1] != [fmt.bos_id]:
        prefix_ids = [fmt.bos_id, *prefix_ids]
    return PromptFormat(fmt.prefix, fmt.suffix, fmt.bos_id, fmt.eos_id, tuple(prefix_ids), tuple(suffix_ids))


def write_format(folder: str | Path, fmt: PromptFormat) -> Path:
    from grader.atomic import write_json_atomic

    path = Path(folder) / FORMAT_NAME
    write_json_atomic(path, {**fmt.to_json(), "sha256": fmt.sha256})
    return path


def read_format(folder: str | Path, vocab_size: int | None = None, eos_id: int | None = None) -> PromptFormat:
    """The recorded format of a dataset or checkpoint; a missing, malformed or mismatched one is a UserError."""
    path = Path(folder) / FORMAT_NAME
    if not path.is_file():
        raise UserError(
            f"{folder}: no {FORMAT_NAME} (the prompt format validated for this model); "
            "train it with this kit's sft.py, which records it"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fmt = PromptFormat(
            _text(data["prefix"]), _text(data["suffix"]), _id_or_none(data["bos_id"]), _id(data["eos_id"]),
            tuple(_id(i) for i in data["prefix_ids"]), tuple(_id(i) for i in data["suffix_ids"]),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{path}: malformed prompt format") from None
    if data.get("sha256") != fmt.sha256:
        raise UserError(f"{path}: the prompt format does not match its recorded digest")
    if not fmt.prefix_ids:
        raise UserError(f"{path}: the prompt format has no prefix ids")
    if vocab_size is not None and any(i >= vocab_size for i in (*fmt.prefix_ids, *fmt.suffix_ids, fmt.eos_id)):
        raise UserError(f"{path}: the prompt format has token ids outside this tokenizer's vocabulary")
    if eos_id is not None and fmt.eos_id != eos_id:
        raise UserError(f"{path}: the prompt format's EOS id {fmt.eos_id} is not this tokenizer's ({eos_id})")
    return fmt


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def _id(value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError
    return value


def _id_or_none(value: object) -> int | None:
    return None if value is None else _id(value)


def check_template_inputs(chat_template: str) -> None:
    """Reject a template that reads anything but the conversation and BOS/EOS, or draws random values.

    The template is parsed, never run, here: its AST's free variables and filters are inspected.
    """
    from jinja2 import TemplateSyntaxError, meta, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment()
    try:
        ast = env.parse(chat_template)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"CHAT_TEMPLATE: invalid Jinja (line {exc.lineno}): {exc.message}") from None
    free = set(meta.find_undeclared_variables(ast))
    free |= {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load" and n.name in env.globals}
    extra = sorted(free - TEMPLATE_VARIABLES - TEMPLATE_BUILTINS)
    if extra:
        raise TemplateError(
            f"CHAT_TEMPLATE may use only {', '.join(sorted(TEMPLATE_VARIABLES))}; it uses {', '.join(extra)} "
            "(a prompt must not depend on the clock, randomness or anything but the problem)"
        )
    for node in ast.find_all(nodes.Filter):
        if node.name in NONDETERMINISTIC_FILTERS:
            raise TemplateError(f"CHAT_TEMPLATE must be deterministic; it uses the filter '{node.name}': remove it")
        if node.name in FILTERS_BY_NAME:
            _check_filter_by_name(node)


def _check_filter_by_name(node) -> None:
    """``map('random')`` reaches a filter by its name: the name must be a literal, and a deterministic filter."""
    from jinja2 import nodes

    first = node.args[0] if node.args else None
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        raise TemplateError(f"CHAT_TEMPLATE: {node.name}(*...) or {node.name}(**...) hides which filter it applies; "
                            f"name the filter as a literal, e.g. {node.name}('upper')")  # fmt: skip
    if first is None:
        return  # map(attribute='x'): no filter
    if not isinstance(first, nodes.Const) or not isinstance(first.value, str):
        raise TemplateError(f"CHAT_TEMPLATE: {node.name}(...) must name its filter as a literal string, e.g. {node.name}('upper')")
    if first.value in NONDETERMINISTIC_FILTERS:
        raise TemplateError(
            f"CHAT_TEMPLATE must be deterministic; it uses the filter '{first.value}' through "
            f"{node.name}('{first.value}'): remove it"
        )  # fmt: skip


def render_templates(tokenizer, chat_template: str, problems: Sequence[str]) -> list[str]:
    """Render through transformers' sandboxed Jinja, exactly as a chat model's user turn, one per problem.

    One batched call (the template is compiled once): about 30 µs a problem for the default.
    """
    try:
        return tokenizer.apply_chat_template(
            [[{"role": "user", "content": problem}] for problem in problems],
            chat_template=chat_template,
            tokenize=False,
            add_generation_prompt=True,
        )
    except Exception as exc:  # jinja2 errors, sandbox violations, raise_exception() in the template
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TemplateError(f"CHAT_TEMPLATE: rendering failed: {first}") from None


def render_template(tokenizer, chat_template: str, problem: str) -> str:
    return render_templates(tokenizer, chat_template, [problem])[0]


def first_divergence(tokenizer, chat_template: str, fmt: PromptFormat, problems: Sequence[str]) -> tuple[int, str] | None:
    """The first problem the template renders as anything but ``fmt.render(problem)``, and how; None if none.

    This runs the template (student code in effect): only ever call it confined (validate.py).
    """
    try:
        rendered = render_templates(tokenizer, chat_template, problems)
    except TemplateError:
        for index, problem in enumerate(problems):  # which one: the batch stops at the first failure
            try:
                render_templates(tokenizer, chat_template, [problem])
            except TemplateError as exc:
                return index, str(exc).removeprefix("CHAT_TEMPLATE: ")
        raise
    for index, (problem, text) in enumerate(zip(problems, rendered)):
        if text != fmt.prefix + problem + fmt.suffix:
            return index, _difference("the template renders", text, "the kit's prompt has", fmt.prefix + problem + fmt.suffix)
    return None


def _differs_at(x: str, y: str) -> int:
    return next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), min(len(x), len(y)))


def _difference(x_name: str, x: str, y_name: str, y: str) -> str:
    i = _differs_at(x, y)
    return f"at character {i}, {x_name} {x[i:i + 30]!r} where {y_name} {y[i:i + 30]!r}"


def _split_around(rendered: str, problem: str) -> tuple[str, str] | None:
    if rendered.count(problem) != 1:
        return None
    before, after = rendered.split(problem)
    return before, after


def prompt_format(tokenizer, chat_template: str) -> PromptFormat:
    """Derive prefix/suffix from the probes; reject templates that depend on the problem or on anything else."""
    check_template_inputs(chat_template)
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
    fmt = with_ids(tokenizer, PromptFormat(found[0], found[1], tokenizer.bos_token_id, eos))
    check_special_tokens(tokenizer, fmt)
    return fmt


def _first_difference(a: tuple[str, str], b: tuple[str, str]) -> str:
    which = "before" if a[0] != b[0] else "after"
    x, y = (a[0], b[0]) if which == "before" else (a[1], b[1])
    i = _differs_at(x, y)
    return f"text {which} the problem differs at character {i}: {x[i:i + 30]!r} vs {y[i:i + 30]!r}"


def check_special_tokens(tokenizer, fmt: PromptFormat) -> None:
    """Exactly one BOS, at the start; no EOS anywhere in the prompt (it would teach the model to stop there)."""
    ids = [*fmt.prefix_ids, *fmt.suffix_ids]
    if fmt.bos_id is not None and ids.count(fmt.bos_id) > 1:
        raise TemplateError(
            f"CHAT_TEMPLATE: the prompt would hold {ids.count(fmt.bos_id)} BOS tokens ({tokenizer.bos_token!r}), where every "
            "prompt has exactly one, at the start: write {{ bos_token }} once, at the very start (or not at all: the kit adds it)"
        )  # fmt: skip
    after_bos = ids[1:] if fmt.bos_id == fmt.eos_id else ids
    if fmt.eos_id in after_bos:
        where = "before" if fmt.eos_id in fmt.prefix_ids[1 if fmt.bos_id == fmt.eos_id else 0 :] else "after"
        raise TemplateError(
            f"CHAT_TEMPLATE puts the end-of-text token ({tokenizer.eos_token!r}) in the prompt, {where} the problem: "
            "the model would learn that text ends there. Remove {{ eos_token }} (and its text) from the template; "
            "the kit appends it after every solution"
        )  # fmt: skip


def _fast_backend(tokenizer):
    """The Rust backend when the transformers wrapper would change nothing (no truncation, no padding, the
    same special-token splitting), else None."""
    backend = getattr(tokenizer, "_tokenizer", None)
    if (
        hasattr(backend, "encode_batch_fast")
        and backend.truncation is None
        and backend.padding is None
        and backend.encode_special_tokens == bool(getattr(tokenizer, "split_special_tokens", False))
    ):
        return backend
    return None


def _encodings(tokenizer, texts: Sequence[str]) -> list:
    """Each text's encoding (``.ids``; ``len()`` counts without building the ids), in one batched call.

    Straight to the Rust backend's ``encode_batch_fast`` (no offsets, masks or per-encoding Python
    dicts) where it gives exactly ``tokenizer(texts, add_special_tokens=False)``'s ids, the fallback.
    """
    backend = _fast_backend(tokenizer)
    if backend is not None:
        return backend.encode_batch_fast(list(texts), add_special_tokens=False)
    return tokenizer(list(texts), add_special_tokens=False, return_attention_mask=False)["input_ids"]


def token_ids(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Each text's token ids, without added special tokens, in one batched call."""
    return [getattr(e, "ids", e) for e in _encodings(tokenizer, texts)]


def token_counts(tokenizer, texts: Sequence[str]) -> list[int]:
    """``[len(ids) for ids in token_ids(...)]``, from the same call, without turning the ids into Python lists."""
    return [len(e) for e in _encodings(tokenizer, texts)]


def encode_prompts(tokenizer, fmt: PromptFormat, problems: Sequence[str]) -> list[list[int]]:
    """THE prompt function: prefix ids + the problem's ids + suffix ids, for training and grading alike."""
    prefix, suffix = list(fmt.prefix_ids), list(fmt.suffix_ids)
    return [prefix + ids + suffix for ids in token_ids(tokenizer, problems)]
