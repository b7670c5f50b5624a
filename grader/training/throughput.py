"""Training throughput as measured inside the Trainer: tokens/s, MFU and peak memory.

Tokens are the real tokens trained (prompt + solution + EOS; no padding), as TRL counts them
across all processes. Time runs from the end of the ``warmup_steps``-th optimizer step to the end
of the last one, so CUDA initialisation, allocator growth and the first DeepSpeed gathers are not
in the rate. MFU counts model FLOPs only: 6 x parameters per token (forward + backward; the tied
embedding counts once, as the LM head's matmul), no attention term (about 1% more for 400-token
examples) and no recomputation from gradient checkpointing, divided by the devices' dense bf16
peak.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from transformers import TrainerCallback

NAME = "throughput.json"

# Dense bf16 tensor-core peak per device, FLOP/s (vendor datasheets; SXM parts where there are two).
PEAK_BF16_FLOPS = {
    "H200": 989e12,
    "H100": 989e12,
    "GH200": 989e12,
    "B200": 2250e12,
    "A100": 312e12,
    "L40S": 362e12,
    "L4": 121e12,
    "A10G": 70e12,
    "A10": 125e12,
    "RTX 4090": 165e12,
}


def peak_flops(device_name: str) -> float | None:
    """The bf16 peak of a CUDA device by name (``torch.cuda.get_device_name``); None when unknown or CPU."""
    name = device_name.upper()
    for key in sorted(PEAK_BF16_FLOPS, key=len, reverse=True):  # 'GH200' before 'H200', 'L40S' before 'L4'
        if key.upper() in name:
            return PEAK_BF16_FLOPS[key]
    return None


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


class ThroughputMeter(TrainerCallback):
    """Times optimizer steps after ``warmup_steps``; writes ``path`` (main process) when training ends."""

    def __init__(self, trainer, path: str | Path | None = None, warmup_steps: int = 2, peak: float | None = None):
        self.trainer, self.path, self.warmup_steps, self.peak = trainer, path, warmup_steps, peak
        self.start: tuple[float, int] | None = None
        self.end: tuple[float, int] | None = None
        self.result: dict | None = None

    def _mark(self) -> tuple[float, int]:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter(), int(getattr(self.trainer, "_total_train_tokens", 0))

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup_steps:
            self.start = self._mark()
        elif state.global_step > self.warmup_steps:
            self.end = self._mark()

    def on_train_end(self, args, state, control, **kwargs):
        self.result = self.figures(args, state)
        if self.path is not None and state.is_world_process_zero:
            Path(self.path).write_text(json.dumps(self.result, indent=2))

    def figures(self, args, state) -> dict:
        import torch

        params = count_parameters(self.trainer.model)
        processes = max(1, args.world_size)
        device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        peak = self.peak if self.peak is not None else peak_flops(device)
        measured = self.start is not None and self.end is not None and self.end[0] > self.start[0]
        seconds = self.end[0] - self.start[0] if measured else None
        tokens = self.end[1] - self.start[1] if measured else None
        tokens_per_s = tokens / seconds if measured else None
        mfu = tokens_per_s * 6 * params / (peak * processes) if measured and peak else None
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
            "peak_flops_per_device": peak,
            "mfu": round(mfu, 4) if mfu is not None else None,
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
