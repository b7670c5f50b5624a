"""sft_config.yaml: the student's hyperparameters, typed and bounded by fixed code.

Every key the student may set is declared once, as a field of ``TrainConfig`` with its type, bounds and help;
``read_config`` reports every problem at once (unknown or forbidden key, wrong type, value out
of bounds, YAML tags or aliases), each naming the key and what is allowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from grader.settings import declared, from_mapping, load_yaml, setting, yaml_template

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
class TrainConfig:
    """sft_config.yaml: every key a student may set, declared once (type, default, bounds, help).

    The shipped sft_config.yaml is ``config_template()`` of this declaration, comments included.
    """

    model_name_or_path: str = setting("meta-llama/Llama-3.2-1B", "base model: hub id or folder (graders pass --base-model)", group="files")
    train_file: str = setting("data/train.jsonl", "passed to sft_utils.load_split('train', ...); a path inside the submission folder", group="files")
    val_file: str = setting("data/val.jsonl", "passed to sft_utils.load_split('val', ...)", group="files")

    learning_rate: float = setting(2e-5, "peak learning rate", low=0.0, high=1e-2, low_open=True, group="optimizer")
    num_train_epochs: float = setting(3.0, "passes over the training data", low=0.0, high=20.0, low_open=True, group="optimizer")
    max_steps: int = setting(-1, "stop after N optimizer steps; -1 = use num_train_epochs", low=-1, high=1_000_000, group="optimizer")
    per_device_train_batch_size: int = setting(4, "sequences per device per micro-batch", low=1, high=256, group="optimizer")
    per_device_eval_batch_size: int = setting(4, "sequences per device per evaluation step", low=1, high=256, group="optimizer")
    gradient_accumulation_steps: int = setting(4, "micro-batches per optimizer step", low=1, high=1024, group="optimizer")
    lr_scheduler_type: str = setting("cosine", "learning-rate schedule", choices=SCHEDULERS, group="optimizer")
    warmup_ratio: float = setting(0.03, "share of the steps spent warming up", low=0.0, high=0.5, group="optimizer")
    weight_decay: float = setting(0.0, "AdamW weight decay", low=0.0, high=1.0, group="optimizer")
    max_grad_norm: float = setting(1.0, "gradient clipping norm", low=0.0, high=1e6, low_open=True, group="optimizer")
    adam_beta1: float = setting(0.9, "AdamW beta1", low=0.0, high=1.0, group="optimizer")
    adam_beta2: float = setting(0.999, "AdamW beta2", low=0.0, high=1.0, group="optimizer")

    max_length: int = setting(MAX_TOKENS_PER_EXAMPLE, "tokens per example (prompt + solution + EOS); a longer example is an error, never truncated", low=1, high=MAX_TOKENS_PER_EXAMPLE, group="run")
    packing: bool = setting(False, "pack short examples together into one sequence (TRL best-fit-decreasing packing)", group="run")
    seed: int = setting(42, "seed for data order and initialisation", low=0, high=2**32 - 1, group="run")
    gradient_checkpointing: bool = setting(True, "ignored: the kit turns it on only when GPU memory needs it. Speed settings (this one, padding-free batches, attention and fused kernels) are the kit's, from the hardware; they change speed, not results", group="run")
    bf16: str = setting("auto", "bfloat16 training (auto: on GPUs that support it; float32 on CPU)", choices=("auto", "true", "false"), group="run")
    logging_steps: int = setting(10, "log the training loss every N steps", low=1, high=1_000_000, group="run")
    eval_strategy: str = setting("epoch", "when to compute the validation loss", choices=("no", "steps", "epoch"), group="run")
    eval_steps: int = setting(100, "with eval_strategy: steps, every N steps", low=1, high=1_000_000, group="run")


FIELDS = declared(TrainConfig)  # {key: Declared}: type, default, bounds, help
_DEFAULT = TrainConfig()
HEADER = """Training hyperparameters. Only the keys below are allowed; the kit checks types and bounds
(python -m grader check) and fixes everything else (output folder, DeepSpeed config, ...)."""


def config_template() -> str:
    """The shipped sft_config.yaml: every key at its default, documented from the declaration."""
    return yaml_template(TrainConfig, HEADER)


def _check_data_path(key: str, value: object) -> str | None:
    """Data files live inside the submission folder: no absolute paths, no '..'."""
    if key not in ("train_file", "val_file"):
        return None
    p = Path(str(value))
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
    raw, problem = load_yaml(text, CONFIG_NAME)
    if problem:
        return _DEFAULT, [f"{source} {problem}" if problem.startswith("(") else f"{source}: {problem}"]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return _DEFAULT, [f"{source}: expected a mapping of key: value, got {type(raw).__name__}"]
    config, problems = from_mapping(
        TrainConfig, raw, forbidden=FORBIDDEN, extra=_check_data_path,
        unknown_hint=f"; allowed keys: see the comments in {CONFIG_NAME}",
    )  # fmt: skip
    return config, [f"{source}: {p}" for p in problems]


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


def read_submission_config(submission: str | os.PathLike[str], config_path: str | os.PathLike[str] | None = None) -> tuple[TrainConfig, list[str]]:
    """A submission's config (``config_path``, else its sft_config.yaml) as ``read_config`` gives it;
    a link out of the submission folder is not followed on the host, and an unreadable file is a problem, not a crash."""
    submission = Path(submission).resolve()
    path = Path(config_path) if config_path else submission / CONFIG_NAME
    if not config_path and path.is_symlink() and not path.resolve().is_relative_to(submission):
        return _DEFAULT, [f"{path}: a symbolic link to {os.readlink(path)!r}, outside the submission folder"]
    try:
        return read_config(path)
    except OSError as exc:
        return _DEFAULT, [f"{path}: cannot be read ({exc.strerror})"]
