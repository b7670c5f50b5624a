"""How fast the fixed training code runs: switches chosen from the hardware, never from the student's config.

None of these switches changes what is learned. Every optimizer step sees the same examples and
the same per-token loss (sum over the step's completion tokens / their count); only how the work
is laid out on the device changes, and with it the floating-point summation order:

- ``padding_free``: a micro-batch is one row of concatenated examples with ``position_ids``
  restarting at 0 per example (TRL's collator), no pad tokens. Only worth it with a kernel that
  attends within each example at linear cost (``kit_varlen`` or flash-attn): PyTorch SDPA would
  build a dense block-diagonal mask over the whole row and do (sum of lengths)^2 work.
- ``attention``: ``kit_varlen`` (PyTorch's own FlashAttention-2 varlen kernel, see
  grader/training/varlen.py), ``flash_attention_2`` (needs a flash-attn build), ``sdpa``, ``eager``.
- ``liger``: Liger's Triton RMSNorm, RoPE and SwiGLU kernels (CUDA + liger-kernel installed). The
  cross-entropy is already fused by TRL: its LM head computes log-probs in tiles and never builds
  the (tokens x 128k) logits, so Liger's fused linear cross-entropy stays off (TRL refuses it).
- ``optim``: ``adamw_torch_fused`` (transformers' default with torch >= 2.8) or ``adamw_torch``.
- ``gradient_checkpointing``: on only when the memory estimate says the micro-batch's activations
  do not fit; it costs about a third more compute and changes nothing else.
- ``micro_batch_factor`` k: the student's ``per_device_train_batch_size`` b and
  ``gradient_accumulation_steps`` g become b*k and g/k. Same examples per optimizer step (the
  sampler's order does not depend on the batch size, and the loss is normalised by the step's
  token count), bigger kernels. Chosen only where memory allows, k divides g.
- ``dtype``: what the weights are loaded in. bf16 training keeps float32 master weights: under
  DeepSpeed the engine keeps them (weights load in bf16); anywhere else the weights load in
  float32 and the Trainer runs the forward and backward under bf16 autocast, so AdamW never
  updates bf16 weights directly (updates below bf16's resolution, ~0.4%, would be lost).

``KIT_SPEED`` overrides any of them for benchmarks and diagnosis, e.g.
``KIT_SPEED="padding_free=0,attention=sdpa,liger=0,optim=adamw_torch,gradient_checkpointing=1"``.
It is read by the fixed code only; ``sft_config.yaml`` has no say.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

from grader.errors import UserError
from grader.settings import parse_assignments, setting
from grader.submission.config import TrainConfig

ENV = "KIT_SPEED"
ATTENTIONS = ("kit_varlen", "flash_attention_2", "sdpa", "eager")
OPTIMIZERS = ("adamw_torch_fused", "adamw_torch")
DTYPES = ("float32", "bfloat16")
GIB = 1024**3


@dataclass(frozen=True)
class ModelShape:
    """What the memory estimate and the FLOP count need to know about a Llama-architecture model."""

    params: int  # all parameters, tied embeddings counted once
    hidden: int
    intermediate: int
    layers: int
    kv_dim: int  # num_key_value_heads * head_dim
    q_dim: int  # num_attention_heads * head_dim
    heads: int  # num_attention_heads
    vocab: int

    @property
    def layer_matmul_params(self) -> int:
        """Weights of one decoder layer's matrix multiplications: q, k, v, o, gate, up, down."""
        h = self.hidden
        return 2 * h * self.q_dim + 2 * h * self.kv_dim + 3 * h * self.intermediate

    @staticmethod
    def of(config) -> "ModelShape":
        """The shape of a transformers ``LlamaConfig`` (or any config with the same fields)."""
        h, heads = config.hidden_size, config.num_attention_heads
        head_dim = getattr(config, "head_dim", None) or h // heads
        shape = ModelShape(0, h, config.intermediate_size, config.num_hidden_layers,
                           config.num_key_value_heads * head_dim, heads * head_dim, heads, config.vocab_size)  # fmt: skip
        embeddings = (1 if config.tie_word_embeddings else 2) * config.vocab_size * h
        norms = (2 * shape.layers + 1) * h
        return replace(shape, params=shape.layers * shape.layer_matmul_params + embeddings + norms)


# The course's base model (config of meta-llama/Llama-3.2-1B; tied embeddings counted once).
LLAMA_3_2_1B = ModelShape(
    params=1_235_814_400, hidden=2048, intermediate=8192, layers=16, kv_dim=512, q_dim=2048, heads=32, vocab=128_256
)


@dataclass(frozen=True)
class Hardware:
    """The facts the choice depends on; ``detect()`` reads them from this process."""

    cuda: bool = False
    device_name: str = "cpu"
    memory_bytes: int = 0  # per device
    bf16: bool = False  # the device computes in bfloat16
    deepspeed: bool = False  # launched by accelerate with a DeepSpeed config
    world_size: int = 1
    varlen: str | None = "no CUDA device"  # None: PyTorch's varlen flash kernel works here; else why not
    liger: str | None = "no CUDA device"  # None: Liger kernels can run here; else why not
    flash_attn: bool = False  # the flash-attn package imports

    @staticmethod
    def detect() -> "Hardware":
        import torch

        deepspeed = os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() in ("1", "true")
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if not torch.cuda.is_available():
            return Hardware(deepspeed=deepspeed, world_size=world)
        from grader.training.varlen import probe

        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        return Hardware(
            cuda=True,
            device_name=props.name,
            memory_bytes=props.total_memory,
            bf16=torch.cuda.is_bf16_supported(),
            deepspeed=deepspeed,
            world_size=world,
            varlen=probe(),
            liger=_liger_unavailable(),
            flash_attn=_imports("flash_attn"),
        )


def _imports(module: str) -> bool:
    try:
        __import__(module)
    except Exception:  # a broken binary build raises more than ImportError
        return False
    return True


@lru_cache(maxsize=1)
def _liger_unavailable() -> str | None:
    if not _imports("triton"):
        return "triton is not installed (it comes with the CUDA build of torch)"
    if not _imports("liger_kernel.transformers"):
        return "liger-kernel is not installed (pip install -e '.[gpu]')"
    return None


@dataclass(frozen=True)
class Speed:
    """The fixed code's throughput switches (see the module docstring); ``why`` says how each was chosen."""

    padding_free: bool = setting(False, "one row of concatenated examples per micro-batch (needs a varlen kernel)")
    attention: str = setting("sdpa", "attention kernel", choices=ATTENTIONS)
    liger: bool = setting(False, "Liger's RMSNorm, RoPE and SwiGLU kernels")
    optim: str = setting("adamw_torch_fused", "AdamW implementation", choices=OPTIMIZERS)
    gradient_checkpointing: bool = setting(False, "recompute activations in the backward (when memory needs it)")
    micro_batch_factor: int = setting(1, "micro-batches merged into one; divides gradient_accumulation_steps", low=1, high=1024)
    dtype: str = setting("float32", "what the weights load in", choices=DTYPES)
    why: tuple[str, ...] = field(default=(), compare=False)

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "why"}

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.as_dict().items())


def resolve_bf16(config: TrainConfig, hardware: Hardware) -> bool:
    """The student's ``bf16`` key: auto means bfloat16 wherever the GPU supports it.

    The one place precision is decided; ``agree_launcher_precision`` makes accelerate and
    DeepSpeed follow it. ``true`` also trains in bfloat16 on CPU (autocast, or DeepSpeed's CPU
    engine): slow, but it runs.
    """
    return config.bf16 == "true" or (config.bf16 == "auto" and hardware.cuda and hardware.bf16)


PRECISION_ENV = "ACCELERATE_MIXED_PRECISION"  # how `accelerate launch` hands its mixed precision to each process


def agree_launcher_precision(bf16: bool) -> str:
    """Make the launcher's mixed precision the kit's, before the trainer's arguments are built; a note for the log.

    ``accelerate launch`` passes its ``mixed_precision`` (deepspeed_zero3.yaml's, or
    ``--mixed_precision``) to every process as ACCELERATE_MIXED_PRECISION. Under DeepSpeed,
    transformers' TrainingArguments take it for DeepSpeed's ``bf16.enabled`` unless ``bf16`` is on,
    and the Trainer then refuses to start when the two differ ("ds bf16.enabled=True vs hf
    bf16|bf16_full_eval=False"). Set to the kit's choice, the variable, DeepSpeed's config and the
    Trainer's ``bf16`` are one value whatever the launcher said: bf16 (DeepSpeed's bf16 engine,
    float32 master weights) or float32.
    """
    wanted = "bf16" if bf16 else "no"
    asked = os.environ.get(PRECISION_ENV)
    os.environ[PRECISION_ENV] = wanted
    return "" if asked in (None, "no", wanted) else f"; the launcher's mixed_precision={asked} is replaced by the kit's"


def precision_summary(config: TrainConfig, hardware: Hardware, bf16: bool) -> str:
    """The ``precision: ...`` line at the start of training: what was chosen, from what."""
    if config.bf16 != "auto":
        why = f"bf16: {config.bf16} in sft_config.yaml"
    elif bf16:
        why = f"bf16: auto, {hardware.device_name} computes in bfloat16"
    else:
        why = "bf16: auto, " + (f"{hardware.device_name} has no bfloat16" if hardware.cuda else "no GPU")
    return f"{'bfloat16' if bf16 else 'float32'} ({why})"


def activation_parts(shape: ModelShape, liger: bool, autocast: bool) -> dict[str, int]:
    """Bytes one decoder layer keeps for the backward per token, by tensor (bf16 training).

    ``autocast``: float32 weights under bf16 autocast (one process); else bf16 weights (DeepSpeed).
    Counted from what each op saves (transformers 5.23's Llama, the kit_varlen FlashAttention-2
    kernel, liger-kernel 0.8.5) and checked against ``saved_tensors_hooks`` on CPU
    (tests/test_speed.py; docs/benchmarks.md has the table).
    """
    h, i, q, kv = shape.hidden, shape.intermediate, shape.q_dim, shape.kv_dim
    residual = 4 if autocast else 2  # the residual stream: float32 under autocast, bf16 with bf16 weights
    if liger:  # Liger's RMSNorm keeps its input and a float32 1/rms
        norm = residual * h + 4
    else:  # transformers': the float32 input (a copy of a bf16 one), x/rms (float32 or bf16), 1/rms
        norm = 4 * h + residual * h + 4
    return {
        "two RMSNorms": 2 * norm,
        # autocast casts the input of every Linear to bf16 anew (q, k, v, gate, up); bf16 weights share two
        "projection inputs": (5 if autocast else 2) * 2 * h,
        # float32 RoPE output (autocast, no Liger) makes the attention output float32: o_proj keeps a bf16 copy;
        # otherwise o_proj's input is the kernel's own output
        "o_proj input": 2 * q if autocast and not liger else 0,
        "attention kernel (q, k, v, out, log-sum-exp)": 2 * q + 4 * kv + 2 * q + 4 * shape.heads,
        # gate, up, silu(gate) (Liger recomputes it) and down_proj's input, the largest
        "MLP": (3 if liger else 4) * 2 * i,
    }


def activation_bytes_per_token(shape: ModelShape, liger: bool, checkpointing: bool, autocast: bool) -> int:
    """Bytes kept for the backward per trained token: the decoder layers, the final norm and the LM head's input.

    With checkpointing only each layer's input (the residual stream) stays, plus one layer being recomputed.
    """
    parts = activation_parts(shape, liger, autocast)
    per_layer = sum(parts.values())
    residual = 4 if autocast else 2
    outside = parts["two RMSNorms"] // 2 + residual * shape.hidden  # the final norm; the LM head keeps its input
    if checkpointing:
        return shape.layers * residual * shape.hidden + per_layer + outside
    return shape.layers * per_layer + outside


def lm_head_transient_bytes(shape: ModelShape) -> int:
    """What TRL's chunked LM head allocates in its backward: a float32 gradient of the tied embedding and its tiles."""
    return 4 * shape.vocab * shape.hidden + 2 * 4096 * 32768  # TRL's TOKEN_CHUNK_SIZE x 32,768-column vocabulary tile


def state_bytes(shape: ModelShape, hardware: Hardware) -> int:
    """Weights, gradients and AdamW states per device: 16 bytes a parameter (fp32 master, grads, two moments).

    ZeRO-3 splits them over the ranks but gathers full bf16 layers while they run (about 2 bytes
    a parameter at peak, counted whole to stay on the safe side).
    """
    if hardware.deepspeed:
        return 16 * shape.params // max(1, hardware.world_size) + 2 * shape.params
    return 16 * shape.params + 2 * shape.params  # + the bf16 copies autocast makes while a layer runs


# Activations are planned 10% above the estimate (it matches the CPU measurement; the GPU kernels are
# counted from their sources), and only 85% of the card is planned at all (allocator fragmentation).
ACTIVATION_MARGIN = 1.10
USABLE_SHARE = 0.85
CUDA_CONTEXT = 1 * GIB  # CUDA context, cuBLAS workspaces


def plan_memory(
    config: TrainConfig, hardware: Hardware, shape: ModelShape, liger: bool, bf16: bool = True
) -> tuple[bool, int, str]:
    """(gradient checkpointing, micro_batch_factor, why) for the worst micro-batch the config allows.

    The bound is per_device_train_batch_size x max_length tokens (every example is at most
    max_length; nothing is truncated). Checkpointing is turned on only when the student's own
    micro-batch does not fit without it; micro-batches are merged only while they fit without it.
    """
    if not hardware.cuda:
        return False, 1, "CPU: memory is not the constraint; no checkpointing, batches as configured"
    reserved = state_bytes(shape, hardware) + lm_head_transient_bytes(shape) + CUDA_CONTEXT
    budget = int(USABLE_SHARE * hardware.memory_bytes) - reserved
    autocast = not hardware.deepspeed  # one process: float32 weights under bf16 autocast; DeepSpeed: bf16 weights
    estimate = activation_bytes_per_token(shape, liger, checkpointing=False, autocast=autocast)
    per_token = int(ACTIVATION_MARGIN * estimate * (1 if bf16 else 2))  # float32 training: about twice
    tokens = config.per_device_train_batch_size * config.max_length
    if tokens * per_token > budget:
        why = (
            f"checkpointing on: {config.per_device_train_batch_size} x {config.max_length} tokens need about "
            f"{tokens * per_token / GIB:.0f} GiB of activations, {max(budget, 0) / GIB:.0f} GiB are free"
        )
        return True, 1, why
    factor = max(
        k for k in range(1, config.gradient_accumulation_steps + 1)
        if config.gradient_accumulation_steps % k == 0 and k * tokens * per_token <= budget
    )  # fmt: skip
    why = (
        f"no checkpointing: {factor} x {config.per_device_train_batch_size} x {config.max_length} tokens need about "
        f"{factor * tokens * per_token / GIB:.0f} GiB of activations of {budget / GIB:.0f} GiB free"
    )
    return False, factor, why


def choose_speed(
    config: TrainConfig,
    hardware: Hardware | None = None,
    shape: ModelShape = LLAMA_3_2_1B,
    override: str | None = None,
) -> Speed:
    """The kit's choice for this hardware, then ``override`` (default: the ``KIT_SPEED`` variable)."""
    hw = hardware if hardware is not None else Hardware.detect()
    bf16 = resolve_bf16(config, hw)
    why: list[str] = []
    if hw.cuda and bf16 and hw.varlen is None:
        attention = "kit_varlen"
        why.append("attention: PyTorch's FlashAttention-2 varlen kernel (no flash-attn build needed)")
    elif hw.cuda and bf16 and hw.flash_attn:
        attention = "flash_attention_2"
        why.append(f"attention: flash-attn (PyTorch's varlen kernel: {hw.varlen})")
    else:
        attention = "sdpa"
        why.append("attention: SDPA" + (f" (varlen kernel: {hw.varlen})" if hw.cuda else " (CPU)"))
    padding_free = attention in ("kit_varlen", "flash_attention_2")
    why.append(
        "padding-free batches" if padding_free
        else "padded batches: without a varlen kernel a padding-free row costs (sum of lengths)^2 attention"
    )  # fmt: skip
    liger = hw.cuda and hw.liger is None
    why.append("Liger RMSNorm/RoPE/SwiGLU kernels" if liger else f"no Liger kernels ({hw.liger})")
    checkpointing, factor, memory_why = plan_memory(config, hw, shape, liger, bf16)
    why.append(memory_why)
    dtype = "bfloat16" if bf16 and hw.deepspeed else "float32"
    why.append(
        "weights: bf16 (DeepSpeed keeps float32 master weights)" if dtype == "bfloat16"
        else "weights: float32 (bf16 autocast)" if bf16 else "weights: float32"
    )  # fmt: skip
    chosen = Speed(
        padding_free=padding_free,
        attention=attention,
        liger=liger,
        optim="adamw_torch_fused",
        gradient_checkpointing=checkpointing,
        micro_batch_factor=factor,
        dtype=dtype,
        why=tuple(why),
    )
    text = os.environ.get(ENV, "") if override is None else override
    return apply_override(chosen, text, config, hw) if text.strip() else chosen




def apply_override(speed: Speed, text: str, config: TrainConfig, hardware: Hardware) -> Speed:
    """``key=value,key=value`` on top of ``speed``; a bad key or value is a one-line error."""
    changes, errors = parse_assignments(Speed, text)
    if errors:
        raise UserError(f"{ENV}: {errors[0]}", exit_code=2)
    factor = changes.get("micro_batch_factor", 1)
    if config.gradient_accumulation_steps % factor:
        raise UserError(
            f"{ENV}: micro_batch_factor={factor} must divide gradient_accumulation_steps ({config.gradient_accumulation_steps})",
            exit_code=2,
        )
    if changes.get("liger") and hardware.liger is not None:
        raise UserError(f"{ENV}: liger=1 cannot run here: {hardware.liger}", exit_code=2)
    if changes.get("attention") == "flash_attention_2" and not hardware.flash_attn:
        raise UserError(f"{ENV}: attention=flash_attention_2 needs the flash-attn package", exit_code=2)
    return replace(speed, **changes, why=speed.why + (f"{ENV} override: {text.strip()}",))


def store_like_base_model(trainer) -> None:
    """Cast float32 master weights trained under bf16 autocast to bf16 before saving.

    The checkpoint is then what a DeepSpeed run saves (its 16-bit weights) and what the base
    model is stored as: half the size, and vLLM's ``dtype="auto"`` keeps bf16.
    """
    import torch

    args = trainer.args
    if args.bf16 and getattr(args, "deepspeed_plugin", None) is None and trainer.model.dtype == torch.float32:
        trainer.model.to(torch.bfloat16)
