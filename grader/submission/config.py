"""sft_config.yaml: the student's hyperparameters, typed and bounded by fixed code.

Every key the student may set is declared once in ``FIELDS`` with its type, bounds and help;
``read_config`` reports every problem at once (unknown or forbidden key, wrong type, value out
of bounds, YAML tags or aliases), each naming the key and what is allowed.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml


CONFIG_NAME = "sft_config.yaml"
MAX_CONFIG_BYTES = 64 * 1024
MAX_TOKENS_PER_EXAMPLE = 2048
MAX_TRAIN_EXAMPLES = 100_000
MAX_VAL_EXAMPLES = 100

SCHEDULERS = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "cosine_with_min_lr",
    "warmup_stable_decay",
)

# Keys a student might reach for that the kit fixes, with the reason shown in the error.
FORBIDDEN: dict[str, str] = {
    "output_dir": "the output location is fixed by the kit (checkpoints/)",
    "overwrite_output_dir": "the output location is fixed by the kit",
    "logging_dir": "the output location is fixed by the kit",
    "save_strategy": "the kit saves the final model only",
    "save_steps": "the kit saves the final model only",
    "deepspeed": "the DeepSpeed config is deepspeed_zero3.yaml, fixed by the kit",
    "fsdp": "the distributed setup is deepspeed_zero3.yaml, fixed by the kit",
    "fsdp_config": "the distributed setup is deepspeed_zero3.yaml, fixed by the kit",
    "trust_remote_code": "remote code is never run",
    "resume_from_checkpoint": "training always starts from the base model",
    "model_init_kwargs": "the base model is loaded by the kit",
    "peft_config": "the base model is loaded by the kit",
    "tokenizer_name_or_path": "the tokenizer is the base model's",
    "chat_template_path": "the chat template comes from sft_utils.py",
    "push_to_hub": "nothing is uploaded",
    "hub_model_id": "nothing is uploaded",
    "hub_token": "nothing is uploaded",
    "hub_strategy": "nothing is uploaded",
    "report_to": "reports go to the local log only",
    "run_name": "reports go to the local log only",
    "use_cpu": "the device is chosen by the kit",
    "local_rank": "the launcher sets ranks",
}


@dataclass(frozen=True)
class Field:
    type: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: the value must be strictly greater than ``low``
    choices: tuple[Any, ...] | None = None


FIELDS: dict[str, Field] = {
    "model_name_or_path": Field(str, "meta-llama/Llama-3.2-1B", "base model (hub id or folder); graders override it with --base-model"),
    "train_file": Field(str, "data/train.jsonl", "training data, relative to the submission folder; passed to sft_utils.load_split"),
    "val_file": Field(str, "data/val.jsonl", "validation data, relative to the submission folder"),
    "learning_rate": Field(float, 2e-5, "peak learning rate", 0.0, 1e-2, low_open=True),
    "num_train_epochs": Field(float, 3.0, "passes over the training data", 0.0, 20.0, low_open=True),
    "max_steps": Field(int, -1, "stop after this many optimizer steps (-1: use num_train_epochs)", -1, 1_000_000),
    "per_device_train_batch_size": Field(int, 4, "sequences per device per step", 1, 256),
    "per_device_eval_batch_size": Field(int, 4, "sequences per device per eval step", 1, 256),
    "gradient_accumulation_steps": Field(int, 4, "micro-batches per optimizer step", 1, 1024),
    "lr_scheduler_type": Field(str, "cosine", "learning-rate schedule", choices=SCHEDULERS),
    "warmup_ratio": Field(float, 0.03, "share of steps spent warming up", 0.0, 0.5),
    "weight_decay": Field(float, 0.0, "AdamW weight decay", 0.0, 1.0),
    "max_grad_norm": Field(float, 1.0, "gradient clipping norm", 0.0, 1e6, low_open=True),
    "adam_beta1": Field(float, 0.9, "AdamW beta1", 0.0, 1.0),
    "adam_beta2": Field(float, 0.999, "AdamW beta2", 0.0, 1.0),
    "max_length": Field(int, MAX_TOKENS_PER_EXAMPLE, "longest example in tokens (prompt + solution + EOS); never truncated", 1, MAX_TOKENS_PER_EXAMPLE),
    "packing": Field(bool, False, "pack several examples into one sequence (TRL BFD packing)"),
    "seed": Field(int, 42, "seed for data order and initialisation", 0, 2**32 - 1),
    "gradient_checkpointing": Field(bool, True, "ignored: the kit turns checkpointing on only when memory needs it (grader/training/speed.py); kept so older configs still parse"),
    "bf16": Field(str, "auto", "bfloat16 training: auto (on when the GPU supports it), true or false", choices=("auto", "true", "false")),
    "logging_steps": Field(int, 10, "log the loss every N steps", 1, 1_000_000),
    "eval_strategy": Field(str, "epoch", "when to compute the validation loss", choices=("no", "steps", "epoch")),
    "eval_steps": Field(int, 100, "with eval_strategy=steps: every N steps", 1, 1_000_000),
}


@dataclass(frozen=True)
class TrainConfig:
    model_name_or_path: str
    train_file: str
    val_file: str
    learning_rate: float
    num_train_epochs: float
    max_steps: int
    per_device_train_batch_size: int
    per_device_eval_batch_size: int
    gradient_accumulation_steps: int
    lr_scheduler_type: str
    warmup_ratio: float
    weight_decay: float
    max_grad_norm: float
    adam_beta1: float
    adam_beta2: float
    max_length: int
    packing: bool
    seed: int
    gradient_checkpointing: bool
    bf16: str
    logging_steps: int
    eval_strategy: str
    eval_steps: int


assert [f.name for f in fields(TrainConfig)] == list(FIELDS), "TrainConfig and FIELDS must match"
_DEFAULT = TrainConfig(**{name: spec.default for name, spec in FIELDS.items()})


class NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases: an alias bomb cannot expand, and no tag builds objects."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, "YAML aliases (*name) are not allowed in sft_config.yaml", event.start_mark
            )
        return super().compose_node(parent, index)


def check_value(key: str, value: Any, spec: Field) -> tuple[Any, str | None]:
    """Coerce what YAML gave into the declared type, or say what is allowed."""
    kind = spec.type
    if kind is bool:
        if not isinstance(value, bool):
            return None, f"{key}: expected true or false, got {value!r}"
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"{key}: expected an integer, got {value!r}"
    elif kind is float:
        if isinstance(value, str):  # YAML 1.1 reads 2e-5 as a string; accept plain numeric text
            try:
                value = float(value)
            except ValueError:
                return None, f"{key}: expected a number, got {value!r}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"{key}: expected a number, got {value!r}"
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"{key}: expected a finite number, got {value!r}"
    elif kind is str:
        if key == "bf16" and isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str) or not value.strip():
            return None, f"{key}: expected a non-empty string, got {value!r}"
    if spec.choices is not None and value not in spec.choices:
        return None, f"{key}: {value!r} is not one of {', '.join(map(str, spec.choices))}"
    if spec.low is not None and (value < spec.low or (spec.low_open and value == spec.low) or value > spec.high):
        op = ">" if spec.low_open else ">="
        return None, f"{key}: {value!r} is out of bounds (allowed: {op} {spec.low:g} and <= {spec.high:g})"
    return value, None


def _check_data_path(key: str, value: str) -> str | None:
    """Data files live inside the submission folder: no absolute paths, no '..'."""
    p = Path(value)
    if p.is_absolute() or ".." in p.parts:
        return f"{key}: {value!r} must be a path inside the submission folder (no absolute path, no '..')"
    return None


def parse_config(text: str, source: str = CONFIG_NAME) -> tuple[TrainConfig, list[str]]:
    """Parse and validate config text; return every problem found.

    The config comes back even when there are problems, with defaults in place of the bad
    values, so that ``check`` can go on and report the data's problems in the same run.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
        return _DEFAULT, [f"{source}: file is larger than {MAX_CONFIG_BYTES // 1024} KiB; a config holds a few keys"]
    try:
        raw = yaml.load(text, Loader=NoAliasLoader) if text.strip() else {}
    except yaml.constructor.ConstructorError as exc:
        where = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        return _DEFAULT, [f"{source}{where}: YAML tags (such as !!python/...) are not allowed; use plain values"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return _DEFAULT, [f"{source}{where}: invalid YAML: {problem}"]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return _DEFAULT, [f"{source}: expected a mapping of key: value, got {type(raw).__name__}"]

    errors: list[str] = []
    values: dict[str, Any] = {name: spec.default for name, spec in FIELDS.items()}
    for key, value in raw.items():
        if not isinstance(key, str):
            errors.append(f"{source}: key {key!r} must be a string")
        elif key in FORBIDDEN:
            errors.append(f"{source}: key '{key}' is not allowed: {FORBIDDEN[key]}")
        elif key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            errors.append(f"{source}: unknown key '{key}'{hint}; allowed keys: see the comments in {CONFIG_NAME}")
        else:
            checked, problem = check_value(key, value, FIELDS[key])
            if problem is None and key in ("train_file", "val_file"):
                problem = _check_data_path(key, checked)
            if problem:
                errors.append(f"{source}: {problem}")
            else:
                values[key] = checked
    return TrainConfig(**values), errors


def read_config(path: str | os.PathLike[str]) -> tuple[TrainConfig, list[str]]:
    """Read and validate a config file: the config (defaults where bad) and every problem found."""
    path = Path(path)
    if not path.is_file():
        return _DEFAULT, [f"{path}: config file not found"]
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:  # never feed megabytes of junk to the YAML parser
        return _DEFAULT, [f"{path}: file is {size:,} bytes; a config holds a few keys (at most {MAX_CONFIG_BYTES // 1024} KiB)"]
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return _DEFAULT, [f"{path}: not valid UTF-8 (byte {exc.start})"]
    return parse_config(text, source=str(path))
