"""Training throughput as measured inside the Trainer: tokens/s, MFU and peak memory.

Tokens are the real tokens trained (prompt + solution + EOS; no padding), as TRL counts them
across all processes. Time runs from the end of the ``warmup_steps``-th optimizer step to the end
of the last one, so CUDA initialisation, allocator growth and the first DeepSpeed gathers are not
in the rate.

MFU counts the model FLOPs of what the trainer computes, batch by batch (``train_flops``):
6 x the decoder layers' matmul weights per real token (forward + backward); the LM head (tied
embedding) only on the positions TRL's fused head projects, which on CUDA are the trained ones
(solution + EOS: with completion-only loss the prompt never reaches the head), and every position
elsewhere; causal attention over each example's own length (padding-free rows: per example).
Recomputation (gradient checkpointing, the LM head's logit tiles, FlashAttention's backward) is
not model work and is not counted. The peak is the device's dense bf16 tensor peak, looked up by
its exact name; an unknown device gets no MFU, with the reason, never a guessed peak.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from transformers import TrainerCallback

from grader.training.speed import ModelShape

NAME = "throughput.json"

# Dense (not 2:4 sparse) bf16 tensor-core peak, FLOP/s, from the vendors' datasheets, by the exact
# name torch.cuda.get_device_name() gives. A name not listed (another board, a MIG slice) gets no MFU.
PEAK_BF16_FLOPS = {
    "NVIDIA H100 80GB HBM3": 989e12,  # H100 SXM5
    "NVIDIA H100 PCIe": 756e12,
    "NVIDIA H100 NVL": 835e12,
    "NVIDIA H200": 989e12,  # H200 SXM
    "NVIDIA H200 NVL": 835e12,
    "NVIDIA B200": 2250e12,
    "NVIDIA A100-SXM4-80GB": 312e12,
    "NVIDIA A100-SXM4-40GB": 312e12,
    "NVIDIA A100 80GB PCIe": 312e12,
    "NVIDIA A100-PCIE-40GB": 312e12,
    "NVIDIA L40S": 362e12,
    "NVIDIA L40": 181e12,
    "NVIDIA L4": 121e12,
    "NVIDIA A10": 125e12,
    "NVIDIA GeForce RTX 4090": 165e12,  # with float32 accumulation, as training runs
}


def peak_flops(device_name: str) -> tuple[float | None, str | None]:
    """(dense bf16 peak, None) of a CUDA device by its exact name, or (None, why there is none)."""
    if device_name == "cpu":
        return None, "CPU: no tensor-core peak to compare with"
    peak = PEAK_BF16_FLOPS.get(device_name.strip())
    if peak is None:
        return None, f"no bf16 peak known for '{device_name}' (grader/training/throughput.py); pass --peak-flops to the bench"
    return peak, None


def batch_work(kwargs: dict, compact: bool):
    """(real tokens, attended keys, LM-head positions) of one forward's inputs, as a tensor on their device.

    Attended keys are causal and per example: a token at position p attends to p + 1 keys, so the
    sum over tokens of (position + 1) is each example's l(l+1)/2, also in a padding-free row whose
    ``position_ids`` restart at 0. ``compact``: TRL's LM head projects only the positions with a
    label (CUDA); else every position of ``labels[:, 1:]``.
    """
    import torch

    ids = kwargs["input_ids"]
    mask = kwargs.get("attention_mask")
    mask = torch.ones_like(ids, dtype=torch.bool) if mask is None else mask.bool()
    positions = kwargs.get("position_ids")
    if positions is None:
        positions = mask.long().cumsum(-1) - 1
    scored = kwargs.get("shift_labels")
    if scored is None and kwargs.get("labels") is not None:
        scored = kwargs["labels"][:, 1:]
    if scored is None:
        projected = torch.zeros((), dtype=torch.long, device=ids.device)
    else:
        projected = (scored != -100).sum() if compact else torch.tensor(scored.numel(), device=ids.device)
    return torch.stack([mask.sum(), ((positions + 1) * mask).sum(), projected]).long()


def train_flops(shape: ModelShape, tokens: int, attended: int, projected: int) -> int:
    """Model FLOPs of forward + backward (3 matmuls of 2 FLOPs per multiply-add) over what ``batch_work`` counted.

    QK^T and PV cost 2 x q_dim FLOPs each per (query, key) pair and layer.
    """
    layers = shape.layers * shape.layer_matmul_params * tokens
    head = shape.hidden * shape.vocab * projected
    attention = 2 * shape.layers * shape.q_dim * attended
    return 6 * (layers + head + attention)


def count_parameters(model) -> int:
    """Parameters of the full model, also when ZeRO-3 has partitioned them (``ds_numel``)."""
    seen, total = set(), 0
    for p in model.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            total += getattr(p, "ds_numel", p.numel())
    return total


def peak_memory_bytes() -> int:
    """Peak memory of this process: CUDA allocations on a GPU, resident set size on CPU."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated()
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * (1 if sys.platform == "darwin" else 1024)


def _shape_of(config) -> ModelShape | None:
    """The FLOP count's shape of a Llama-like config (Llama, Qwen2, Mistral ...); None for another architecture."""
    try:
        return ModelShape.of(config)
    except (AttributeError, TypeError):
        return None


class ThroughputMeter(TrainerCallback):
    """Times optimizer steps after ``warmup_steps`` and counts their FLOPs; writes ``path`` (main process) at the end."""

    def __init__(self, trainer, path: str | Path | None = None, warmup_steps: int = 2, peak: float | None = None):
        self.trainer, self.path, self.warmup_steps, self.peak = trainer, path, warmup_steps, peak
        self.shape = _shape_of(trainer.model.config)  # None: not a Llama-like config, no FLOP count
        self.work = None  # this process's (tokens, attended keys, LM-head positions) so far, on the device
        self.start: tuple[float, int, list[int]] | None = None
        self.end: tuple[float, int, list[int]] | None = None
        self.result: dict | None = None
        trainer.model.register_forward_pre_hook(self._count, with_kwargs=True)

    def _count(self, module, args, kwargs) -> None:
        """Every training forward (not evaluation), as TRL calls it: ``model(**inputs, fused_lm_head=True)``."""
        import trl.trainer.utils as trl_utils  # the module whose _use_triton decides what the LM head projects

        ids = kwargs.get("input_ids", args[0] if args else None)
        if not module.training or ids is None:
            return
        work = batch_work({**kwargs, "input_ids": ids}, compact=trl_utils._use_triton(ids.device))
        self.work = work if self.work is None else self.work + work

    def _mark(self) -> tuple[float, int, list[int]]:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
        work = self.work.tolist() if self.work is not None else [0, 0, 0]
        return time.perf_counter(), int(getattr(self.trainer, "_total_train_tokens", 0)), work

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup_steps:
            self.start = self._mark()
        elif state.global_step > self.warmup_steps:
            self.end = self._mark()

    def on_train_end(self, args, state, control, **kwargs):
        self.result = self.figures(args, state)
        if self.path is not None and state.is_world_process_zero:
            Path(self.path).write_text(json.dumps(self.result, indent=2))

    def _window_flops(self, processes: int) -> int:
        """Model FLOPs between the marks, summed over the processes (every rank calls this at the end)."""
        import torch

        window = [b - a for a, b in zip(self.start[2], self.end[2])]
        if processes > 1:
            accelerator = self.trainer.accelerator
            window = accelerator.reduce(torch.tensor(window, device=accelerator.device), "sum").tolist()
        return train_flops(self.shape, *window)

    def _why_no_mfu(self, no_peak: str | None) -> str:
        if no_peak is not None:
            return no_peak
        if self.shape is None:
            return f"no FLOP count for a {type(self.trainer.model).__name__} (Llama-like configs only)"
        return "fewer steps than warmup_steps + 1: nothing timed"

    def figures(self, args, state) -> dict:
        import torch

        params = count_parameters(self.trainer.model)
        processes = max(1, args.world_size)
        device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        peak, no_peak = (self.peak, None) if self.peak is not None else peak_flops(device)
        measured = self.start is not None and self.end is not None and self.end[0] > self.start[0]
        seconds = self.end[0] - self.start[0] if measured else None
        tokens = self.end[1] - self.start[1] if measured else None
        tokens_per_s = tokens / seconds if measured else None
        flops = self._window_flops(processes) if measured and self.shape is not None else None
        mfu = flops / seconds / (peak * processes) if measured and peak else None
        return {
            "device": device,
            "processes": processes,
            "parameters": params,
            "steps_measured": state.global_step - self.warmup_steps if measured else 0,
            "warmup_steps": self.warmup_steps,
            "tokens": tokens,
            "seconds": round(seconds, 3) if measured else None,
            "tokens_per_s": round(tokens_per_s, 1) if measured else None,
            "tokens_per_s_per_device": round(tokens_per_s / processes, 1) if measured else None,
            "model_flops": flops,
            "model_flops_per_token": round(flops / tokens) if measured and tokens else None,
            "peak_flops_per_device": peak,
            "mfu": round(mfu, 4) if mfu is not None else None,
            "mfu_missing": None if mfu is not None else self._why_no_mfu(no_peak),
            "peak_memory_gib": round(peak_memory_bytes() / 1024**3, 3),
            "speed": {
                "padding_free": bool(args.padding_free),
                "attention": (args.model_init_kwargs or {}).get("attn_implementation"),
                "liger": bool(args.use_liger_kernel),
                "optim": str(getattr(args.optim, "value", args.optim)),
                "gradient_checkpointing": bool(args.activation_checkpointing),
                "per_device_train_batch_size": args.per_device_train_batch_size,
                "gradient_accumulation_steps": args.gradient_accumulation_steps,
                "dtype": (args.model_init_kwargs or {}).get("dtype"),
                "bf16": bool(args.bf16),
                "deepspeed": args.deepspeed_plugin is not None if hasattr(args, "deepspeed_plugin") else None,
            },
        }
