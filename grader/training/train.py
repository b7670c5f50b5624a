"""Training: validated token ids -> TRL SFTTrainer -> a checkpoint that loads, stops and grades.

Run by ``sft.py`` under ``accelerate launch`` (DeepSpeed ZeRO-3, 1..N processes) or plain
``python``. The main process validates the submission (sandboxed materialization + exact-token
limits), which writes the token ids as Arrow files; every process trains on those files, so what
was checked is byte for byte what is trained. With ``--validated DIR`` (the batch grader) it
trains on the files ``check --save DIR`` wrote and runs no student code at all. Loss is on
solution + EOS only; EOS is trained and the pad token is distinct from it, so greedy generation
stops. The checkpoint carries the validated prompt format (``prompt_format.json``), which is
all evaluation needs to build a prompt.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from grader import records
from grader.errors import UserError, first_line
from grader.submission.budget import trained_tokens
from grader.submission.config import TrainConfig, read_submission_config
from grader.submission.prompts import read_format, write_format
from grader.submission.sandbox import Deadline, SandboxLimits
from grader.submission.validate import DatasetMeta, SplitStats, Validation, read_meta, validate_submission

if TYPE_CHECKING:
    from grader.training.speed import Speed

FINAL_DIR = "final"  # checkpoints/final: the model that is evaluated
DATA_DIR = "dataset"  # checkpoints/dataset: the validated token ids that were trained on
RECORD_NAME = "training_record.json"


@dataclass(frozen=True)
class TrainingRecord:
    """training_record.json in the checkpoint: what was trained, from what, and how it went."""

    base_model: str
    config: dict[str, Any]  # TrainConfig's fields
    stats: dict[str, SplitStats]
    prompt_format_sha256: str
    train_tokens_sha256: str  # lengths then ids of every trained sequence
    trained_tokens: int
    world_size: int
    final_train_loss: float | None
    train_seconds: float | None  # the trainer's own runtime
    log_history: list[dict[str, Any]]  # the HF trainer's log: loss / eval_loss per logging step (the curves)
    bf16: bool | None = None  # trained in bfloat16, as the run did it (DeepSpeed's engine, else autocast); None: not kept


def read_record(model_dir: str | Path) -> TrainingRecord | None:
    """A checkpoint's training record, None for a model the kit did not train (the base model)."""
    return records.load_optional(Path(model_dir) / RECORD_NAME, TrainingRecord)


def report_violations(validation: Validation) -> str:
    lines = [v.message for v in validation.violations]
    shown = lines[:50] + ([f"... and {len(lines) - 50} more (python -m grader check --json lists all)"] if len(lines) > 50 else [])
    return "\n".join(f"error: {line}" for line in shown)


def _token_column(dataset):
    """The rows' ``input_ids`` as Arrow, through any indices mapping (``filter`` leaves the table as is)."""
    return dataset.with_format("arrow")[:].column("input_ids")


def _token_total(dataset) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(pc.list_value_length(_token_column(dataset))).as_py() or 0)


def _token_sha256(dataset) -> str:
    """A digest of every sequence (lengths, then ids), read from Arrow without Python lists."""
    import numpy as np
    import pyarrow.compute as pc

    column = _token_column(dataset)
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False).astype(np.int64)
    values = pc.list_flatten(column).to_numpy(zero_copy_only=False).astype(np.int64)
    return hashlib.sha256(lengths.tobytes() + values.tobytes()).hexdigest()


def check_base_model(name_or_path: str) -> None:
    """Fail with one line, in seconds and before any trainer starts, when the base model cannot be had.

    A local folder or the hub cache first; then one quick question to the Hub, so that a gated,
    unauthorised or unreachable model is named with its fix at once, not after the hub client's
    half a minute of retries (grader.hub).
    """
    from transformers import AutoConfig

    from grader.hub import require_access
    from grader.submission.tokenizer import LOCAL_COPY, require_local_folder

    require_local_folder(name_or_path)
    try:
        AutoConfig.from_pretrained(name_or_path, local_files_only=True)
        return
    except Exception as exc:
        error = exc
    if not Path(name_or_path).exists():
        require_access(name_or_path, "the base model", LOCAL_COPY)
        try:
            AutoConfig.from_pretrained(name_or_path)
            return
        except Exception as exc:
            error = exc
    raise UserError(f"cannot load the base model '{name_or_path}' ({first_line(error)}); {LOCAL_COPY}")


def configured_base_model(submission: str | Path, config: str | Path | None, base_model: str | None) -> str | None:
    """The base model a run will train, known before validation: ``base_model``, else the config's
    ``model_name_or_path`` (None when the config has problems: validation reports them)."""
    if base_model:
        return base_model
    train_config, problems = read_submission_config(submission, config)
    return None if problems else train_config.model_name_or_path


def sft_config(config: TrainConfig, output_dir: Path, has_eval: bool, speed: Speed | None = None):
    """Map the student's bounded keys onto TRL's SFTConfig; everything else is fixed here.

    ``speed`` (default: chosen from this machine's hardware, see grader/training/speed.py) only
    changes how fast the same steps run: padding-free rows, the attention kernel, Liger, the
    fused optimizer, gradient checkpointing and how the accumulation is split into micro-batches.
    """
    from accelerate import PartialState
    from trl import SFTConfig

    from grader.training.speed import Hardware, agree_launcher_precision, choose_speed, precision_summary, resolve_bf16

    hardware = Hardware.detect()
    speed = speed or choose_speed(config, hardware)
    if speed.attention == "kit_varlen":
        from grader.training import varlen

        varlen.register()
    bf16 = resolve_bf16(config, hardware)
    note = agree_launcher_precision(bf16)  # before SFTConfig: it reads the launcher's choice when it is built
    if PartialState().is_main_process:
        print(f"speed: {speed.summary()}", file=sys.stderr)
        print(f"precision: {precision_summary(config, hardware, bf16)}{note}", file=sys.stderr)
    eval_strategy = config.eval_strategy if has_eval else "no"
    checkpointing = speed.gradient_checkpointing
    return SFTConfig(
        output_dir=str(output_dir),
        learning_rate=config.learning_rate,
        num_train_epochs=config.num_train_epochs,
        max_steps=config.max_steps,
        # Same examples per optimizer step, fewer and bigger micro-batches (see speed.py).
        per_device_train_batch_size=config.per_device_train_batch_size * speed.micro_batch_factor,
        per_device_eval_batch_size=config.per_device_eval_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps // speed.micro_batch_factor,
        lr_scheduler_type=config.lr_scheduler_type,
        warmup_steps=config.warmup_ratio,  # a float in [0, 1) is a ratio of the total steps
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        adam_beta1=config.adam_beta1,
        adam_beta2=config.adam_beta2,
        optim=speed.optim,
        seed=config.seed,
        data_seed=config.seed,
        activation_checkpointing=checkpointing,  # transformers 5's name for it
        activation_checkpointing_kwargs={"use_reentrant": False} if checkpointing else None,
        bf16=bf16,
        logging_steps=config.logging_steps,
        eval_strategy=eval_strategy,
        eval_steps=config.eval_steps if eval_strategy == "steps" else None,
        # Examples are at most max_length (validated, never truncated). TRL refuses a max_length with
        # padding-free rows and no packing, since it would not enforce it: there is nothing to enforce.
        max_length=None if speed.padding_free and not config.packing else config.max_length,
        packing=config.packing,
        padding_free=speed.padding_free,
        use_liger_kernel=speed.liger,
        # TRL's LM head already computes the loss in tiles without the full logits; Liger adds its
        # RMSNorm, RoPE and SwiGLU kernels.
        liger_kernel_config={"rope": True, "rms_norm": True, "swiglu": True, "cross_entropy": False,
                             "fused_linear_cross_entropy": False} if speed.liger else None,
        completion_only_loss=True,  # TRL's default (None) would train on the prompt tokens too
        model_init_kwargs={"dtype": speed.dtype, "attn_implementation": speed.attention},
        save_strategy="no",
        report_to="none",
        use_cpu=not hardware.cuda,
        dataloader_drop_last=False,
    )


def trained_in_bf16(trainer) -> bool:
    """What the run computed in: DeepSpeed's engine says for itself; without it, the Trainer's bf16 autocast."""
    engine = trainer.model_wrapped if trainer.is_deepspeed_enabled else None
    return bool(engine.bfloat16_enabled()) if hasattr(engine, "bfloat16_enabled") else bool(trainer.args.bf16)


def load_validated(data_dir: Path):
    """(meta, train dataset, val dataset or None): the validated Arrow files, memory-mapped, as the trainer reads them.

    Each process prepares (labels, packing) its own copy in a private temporary cache: nothing
    is written beside the validated files, and no rank can read another's half-written cache file.
    """
    import datasets

    meta = read_meta(data_dir)
    datasets.disable_caching()
    train_ds = datasets.Dataset.from_file(str(Path(data_dir) / meta.splits["train"]))
    val = meta.splits.get("val")
    return meta, train_ds, datasets.Dataset.from_file(str(Path(data_dir) / val)) if val else None


def _validate(submission: str | Path, config: str | Path | None, base_model: str | None, data_dir: Path,
              seconds: float) -> Validation:  # fmt: skip
    """The main process's validation, writing the trainer's input into ``data_dir``."""
    validation = validate_submission(submission, config, base_model, data_dir=data_dir, deadline=Deadline.after(seconds))
    if not validation.ok:
        print(report_violations(validation), file=sys.stderr)
        raise UserError(f"{len(validation.violations)} problem(s) found; nothing was trained", exit_code=1)
    print(f"validated: {json.dumps(records.to_json(validation.stats()))} (sandbox: {validation.confinement})")
    return validation


def _save(trainer, tokenizer, final: Path) -> None:
    """The model, with a clean greedy generation config (nothing inherited from the base model carries over)."""
    from transformers import GenerationConfig

    from grader.training.speed import store_like_base_model

    trainer.model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
    )
    store_like_base_model(trainer)  # bf16 training on float32 master weights saves bf16 weights
    trainer.save_model(str(final))  # under ZeRO-3 this gathers the full 16-bit weights


def _record(trainer, meta: DatasetMeta, base_model: str, format_sha256: str, train_ds, tokens: int,
            world_size: int) -> TrainingRecord:  # fmt: skip
    history = trainer.state.log_history
    return TrainingRecord(
        base_model=base_model,
        config=meta.config,
        stats=meta.stats,
        prompt_format_sha256=format_sha256,
        train_tokens_sha256=_token_sha256(train_ds),
        trained_tokens=tokens,
        world_size=world_size,
        final_train_loss=next((log["train_loss"] for log in reversed(history) if "train_loss" in log), None),
        train_seconds=next((log["train_runtime"] for log in reversed(history) if "train_runtime" in log), None),
        log_history=history,
        bf16=trained_in_bf16(trainer),
    )


def train(
    submission: str | Path = ".",
    *,
    config: str | Path | None = None,
    base_model: str | None = None,
    output_dir: str | Path = "checkpoints",
    sandbox_timeout: float = SandboxLimits.wall_seconds,
    validated: str | Path | None = None,
) -> Path:
    """Validate ``submission`` (or take the ids ``check --save`` wrote to ``validated``), train, save; the model's folder.

    Runs in every process ``accelerate launch`` starts: the main one validates, all of them train.
    """
    from accelerate import PartialState

    state = PartialState()
    output_dir = Path(output_dir).resolve()
    validation: Validation | None = None
    checked: str | None = None
    if validated:
        data_dir = Path(validated).resolve()
    else:
        data_dir = output_dir / DATA_DIR
        checked = configured_base_model(submission, config, base_model)
        if checked:
            check_base_model(checked)  # at once: a model that cannot be had fails before minutes of validation
        with state.main_process_first():  # the main process validates; the others wait, then read its files
            if state.is_main_process:
                validation = _validate(submission, config, base_model, data_dir, sandbox_timeout)
    meta, train_ds, val_ds = load_validated(data_dir)

    from trl import SFTTrainer

    from grader.submission.tokenizer import load_tokenizer

    train_config = TrainConfig(**meta.config)
    base_model = base_model or meta.base_model
    if base_model != checked:
        check_base_model(base_model)
    tokenizer = validation.tokenizer if validation else load_tokenizer(base_model)  # same rules on every rank
    fmt = read_format(data_dir, vocab_size=len(tokenizer), eos_id=tokenizer.eos_token_id)
    tokenizer.chat_template = meta.chat_template  # for people who chat with the model; the kit never renders it
    args_sft = sft_config(train_config, output_dir, has_eval=val_ds is not None)
    trainer = SFTTrainer(
        model=base_model,
        args=args_sft,
        train_dataset=train_ds,
        eval_dataset=val_ds if args_sft.eval_strategy != "no" else None,
        processing_class=tokenizer,
    )
    expected, prepared = _token_total(train_ds), _token_total(trainer.train_dataset)
    if expected != prepared or (not train_config.packing and len(train_ds) != len(trainer.train_dataset)):
        raise RuntimeError(f"the trainer's dataset differs from the validated one ({prepared} vs {expected} tokens)")

    from grader.training.throughput import NAME as THROUGHPUT_NAME, ThroughputMeter

    trainer.add_callback(ThroughputMeter(trainer, output_dir / THROUGHPUT_NAME))  # checkpoints/throughput.json
    trainer.train()

    final = output_dir / FINAL_DIR
    _save(trainer, tokenizer, final)
    if state.is_main_process:
        tokenizer.save_pretrained(str(final))
        write_format(final, fmt)
        tokens = trained_tokens(train_config, expected, len(train_ds), state.num_processes)
        records.save(final / RECORD_NAME, _record(trainer, meta, base_model, fmt.sha256, train_ds, tokens, state.num_processes))
        print(f"saved: {final}")
    state.wait_for_everyone()
    return final
