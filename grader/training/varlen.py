"""Padding-free attention on the FlashAttention-2 kernel that ships inside PyTorch's CUDA wheels.

``torch.nn.attention.varlen.varlen_attn`` (in the pinned PyTorch 2.13) runs FlashAttention-2 on ragged
batches described by cumulative sequence lengths, with GQA and a backward pass. transformers
5.23 does not use it for training, so this module registers it as the attention implementation
``kit_varlen``:

- a padding-free row (TRL's collator: ``cu_seq_lens_q`` / ``max_length_q``, or ``position_ids``
  restarting at 0) is split into its examples, each attending causally to itself only, at
  sum(length^2) cost instead of SDPA's (sum of lengths)^2 over a dense block-diagonal mask;
- anything else (a padding mask, a KV cache during generation) goes to transformers' SDPA.

Why not flash-attn: PyPI has no binary wheel, so ``pip install flash-attn`` compiles CUDA code
for tens of minutes and needs nvcc, which the PyPI torch does not bring. flex attention needs
``torch.compile`` and recompiles as the row length changes. See docs/benchmarks.md.

On a device without the kernel (CPU) the same code runs a per-example SDPA reference, which is
what the CPU tests exercise; ``probe()`` compares the kernel against that reference on the GPU
before the kit relies on it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import torch

NAME = "kit_varlen"


def reference_varlen_attn(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    cu_seq: torch.Tensor,
    scale: float | None,
    causal: bool,
) -> torch.Tensor:
    """``varlen_attn``'s result, one example at a time with SDPA: (tokens, heads, dim) in and out."""
    bounds = cu_seq.tolist()
    groups = query.shape[1] // key.shape[1]
    out = []
    for start, end in zip(bounds[:-1], bounds[1:]):
        q, k, v = (t[start:end].transpose(0, 1) for t in (query, key, value))
        k, v = k.repeat_interleave(groups, dim=0), v.repeat_interleave(groups, dim=0)
        out.append(torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale).transpose(0, 1))
    return torch.cat(out, dim=0)


def _cuda_varlen_attn(query, key, value, cu_seq, max_len, scale, causal):
    from torch.nn.attention.varlen import varlen_attn

    window = (-1, 0) if causal else (-1, -1)
    return varlen_attn(
        query, key, value, cu_seq, cu_seq, max_len, max_len,
        scale=scale, window_size=window, enable_gqa=query.shape[1] != key.shape[1],
    )  # fmt: skip


def _cu_seq_from_positions(position_ids: torch.Tensor | None, batch: int, length: int, device) -> torch.Tensor:
    """Example boundaries of ``batch`` rows of ``length`` tokens: each row's start and each position restart."""
    if position_ids is None:
        return torch.arange(0, (batch + 1) * length, length, dtype=torch.int32, device=device)
    pos = position_ids.expand(batch, -1).reshape(-1)
    starts = torch.ones_like(pos, dtype=torch.bool)
    starts[1:] = pos[1:] != pos[:-1] + 1
    starts[::length] = True
    idx = starts.nonzero().flatten()
    return torch.cat([idx, idx.new_tensor([pos.numel()])]).to(torch.int32)


def varlen_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """transformers' attention interface: (batch, heads, tokens, dim) in, (batch, tokens, heads, dim) out."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    batch, _, length, dim = query.shape
    causal = module.is_causal if is_causal is None else is_causal
    if (
        attention_mask is not None  # padded rows: SDPA with the mask
        or key.shape[2] != length  # a KV cache (generation)
        or dropout > 0.0
        or kwargs.get("sliding_window") is not None
        or kwargs.get("softcap") is not None
    ):
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, is_causal=is_causal, **kwargs
        )
    cu_seq = kwargs.get("cu_seq_lens_q")
    max_len = kwargs.get("max_length_q")
    if cu_seq is None or batch != 1:
        cu_seq = _cu_seq_from_positions(kwargs.get("position_ids"), batch, length, query.device)
        max_len = None
    q, k, v = (t.transpose(1, 2).reshape(batch * length, t.shape[1], dim) for t in (query, key, value))
    kernel = _kernel_for(q)
    if kernel is None:
        out = reference_varlen_attn(q, k, v, cu_seq, scaling, causal)
    else:
        dtype = torch.get_autocast_dtype("cuda") if q.dtype == torch.float32 else q.dtype
        if max_len is None:
            max_len = int(cu_seq.diff().max())
        cu_seq = cu_seq.to(device=q.device, dtype=torch.int32)
        out = kernel(q.to(dtype), k.to(dtype), v.to(dtype), cu_seq, int(max_len), scaling, causal).to(query.dtype)
    return out.view(batch, length, -1, dim), None


# Tests swap in another kernel (the reference) to run the kernel path on CPU; None means "reference".
KERNEL: Callable | None = _cuda_varlen_attn


def _kernel_for(q: torch.Tensor) -> Callable | None:
    if KERNEL is _cuda_varlen_attn:
        usable = q.is_cuda and (q.dtype in (torch.float16, torch.bfloat16) or torch.is_autocast_enabled("cuda"))
        return KERNEL if usable else None
    if KERNEL is None:
        return None
    return lambda q, k, v, cu, _max, scale, causal: KERNEL(q, k, v, cu, scale, causal)


def _mask(batch_size: int, q_length: int, kv_length: int, *args, attention_mask: torch.Tensor | None = None, **kwargs):
    """No mask for unpadded or padding-free rows (the kernel is told the boundaries); SDPA's mask otherwise."""
    if attention_mask is None:
        return None
    from transformers.masking_utils import sdpa_mask

    return sdpa_mask(batch_size, q_length, kv_length, *args, attention_mask=attention_mask, **kwargs)


def register() -> str:
    """Make ``attn_implementation="kit_varlen"`` loadable (idempotent); returns the name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(NAME, varlen_attention_forward)
    AttentionMaskInterface.register(NAME, _mask)
    return NAME


@lru_cache(maxsize=1)
def probe() -> str | None:
    """None when the CUDA kernel runs and matches the reference (forward and gradients), else why not."""
    if not torch.cuda.is_available():
        return "no CUDA device"
    try:
        from torch.nn.attention.varlen import varlen_attn  # noqa: F401
    except ImportError:
        return f"torch {torch.__version__} has no torch.nn.attention.varlen"
    try:
        gen = torch.Generator(device="cuda").manual_seed(0)
        cu = torch.tensor([0, 5, 21, 24], dtype=torch.int32, device="cuda")
        shapes = ((24, 8, 64), (24, 2, 64), (24, 2, 64))
        inputs = [torch.randn(s, generator=gen, device="cuda", dtype=torch.bfloat16) for s in shapes]
        results = []
        for fn in (lambda q, k, v: _cuda_varlen_attn(q, k, v, cu, 16, 0.125, True),
                   lambda q, k, v: reference_varlen_attn(q, k, v, cu, 0.125, True)):  # fmt: skip
            leaves = [t.detach().float().to(torch.bfloat16).requires_grad_() for t in inputs]
            out = fn(*leaves)
            out.float().square().sum().backward()
            results.append([out.float()] + [t.grad.float() for t in leaves])
        worst = max(((a - b).abs().max() / b.abs().max().clamp(min=1e-6)).item() for a, b in zip(*results))
        if not worst < 0.05:  # bf16 rounding is ~1e-2 of the largest value; a wrong mask or layout is O(1)
            return f"the varlen kernel differs from SDPA by {worst:.1%} of the largest value"
    except Exception as exc:  # a kernel missing from this build, an unsupported GPU
        return f"the varlen kernel failed: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    return None
