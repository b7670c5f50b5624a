"""Throughput switches (grader/training/speed.py, varlen.py): they change how fast, never what is learned."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest
import yaml
import torch

from grader.errors import UserError
from grader.submission.config import parse_config
from grader.training.speed import GIB, LLAMA_3_2_1B, Hardware, Speed, choose_speed, plan_memory
from tests.test_train import TRAIN_CONFIG, rows_of

PADDED = Speed()  # what the kit chooses on a CPU
PADDING_FREE = Speed(padding_free=True)  # SDPA over a block-diagonal mask that transformers derives from position_ids
VARLEN = Speed(padding_free=True, attention="kit_varlen")  # on CPU: the kernel path with the per-example reference

H100 = Hardware(cuda=True, device_name="NVIDIA H100 80GB HBM3", memory_bytes=80 * GIB, bf16=True, varlen=None, liger=None)


def config_of(text: str = ""):
    config, errors = parse_config(text)
    assert errors == []
    return config


@pytest.fixture(scope="module")
def validated(tiny_default, tmp_path_factory):
    """48 real sample examples of different lengths, validated and saved as the trainer reads them."""
    from grader.submission.validate import validate_submission
    from grader.training.train import load_validated
    from tests.conftest import make_submission

    rows = rows_of(tiny_default["train"], 48)
    work = tmp_path_factory.mktemp("speed")
    sub = make_submission(work / "sub", train_rows=rows, val_rows=rows[:4], config=TRAIN_CONFIG)
    validation = validate_submission(sub, base_model=str(tiny_default["base_model"]), data_dir=work / "data")
    assert validation.ok
    return validation, load_validated(work / "data")[1], work


def config_with(**changes) -> str:
    """TRAIN_CONFIG with some keys changed or added (each key once: a duplicate key is an error)."""
    return yaml.safe_dump({**yaml.safe_load(TRAIN_CONFIG), **changes}, sort_keys=False)


def make_trainer(validated, tiny_default, speed: Speed, config_text: str = TRAIN_CONFIG, name: str = "out"):
    from trl import SFTTrainer

    from grader.training.train import sft_config

    validation, dataset, work = validated
    config = config_of(config_text)
    return SFTTrainer(
        model=str(tiny_default["base_model"]),
        args=sft_config(config, work / name, has_eval=False, speed=speed),
        train_dataset=dataset,
        processing_class=validation.tokenizer,
    )


def completion_log_probs(trainer, examples: list[dict]) -> tuple[torch.Tensor, dict]:
    """Per-token log-probs of the trained tokens, in example order, as TRL's loss computes them."""
    model = trainer.model.eval()
    batch = {k: v.to(model.device) if torch.is_tensor(v) else v for k, v in trainer.data_collator(examples).items()}
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    out = model(**inputs, labels=batch["labels"], use_cache=False, fused_lm_head=True)
    return out.log_probs[out.label_mask].float(), batch


def test_padding_free_rows_give_the_same_per_token_losses_as_padded_batches(validated, tiny_default):
    padded = make_trainer(validated, tiny_default, PADDED)
    packed = make_trainer(validated, tiny_default, PADDING_FREE)
    examples = [padded.train_dataset[i] for i in range(16)]
    with torch.no_grad():
        a, batch_a = completion_log_probs(padded, examples)
        b, batch_b = completion_log_probs(packed, examples)
    assert "attention_mask" in batch_a and "attention_mask" not in batch_b
    assert (batch_a["input_ids"] == padded.processing_class.pad_token_id).any()  # the padded batch really pads
    assert a.shape == b.shape and a.numel() == sum(sum(x != -100 for x in e["labels"]) for e in examples)
    assert torch.allclose(a, b, atol=1e-5, rtol=0), (a - b).abs().max()
    # A check that can fail: without the position restarts the examples would see each other.
    with torch.no_grad():
        mixed = packed.model(input_ids=batch_b["input_ids"], labels=batch_b["labels"], use_cache=False,
                             fused_lm_head=True)  # fmt: skip
    assert (mixed.log_probs[mixed.label_mask] - b).abs().max() > 1e-3


def test_kit_varlen_attention_matches_padded_sdpa_in_loss_and_gradients(validated, tiny_default):
    """The kernel path of kit_varlen (layout, example boundaries, GQA, scale), with the CPU reference kernel."""
    padded = make_trainer(validated, tiny_default, PADDED)
    varlen = make_trainer(validated, tiny_default, VARLEN)
    assert varlen.model.config._attn_implementation == "kit_varlen"
    examples = [padded.train_dataset[i] for i in range(12)]
    losses, grads = [], []
    for trainer in (padded, varlen):
        trainer.model.zero_grad()
        log_probs, _ = completion_log_probs(trainer, examples)
        loss = -log_probs.sum()
        loss.backward()
        losses.append(log_probs.detach())
        grads.append(torch.cat([p.grad.flatten() for p in trainer.model.parameters()]))
    assert torch.allclose(losses[0], losses[1], atol=1e-5, rtol=0), (losses[0] - losses[1]).abs().max()
    assert torch.allclose(grads[0], grads[1], atol=1e-6 * grads[0].abs().max().item(), rtol=0)


def test_kit_varlen_finds_example_boundaries_without_the_collators_hints(validated, tiny_default):
    """position_ids alone (no cu_seq_lens) and padded rows with a mask give the same log-probs too."""
    varlen = make_trainer(validated, tiny_default, VARLEN)
    padded = make_trainer(validated, tiny_default, PADDED)
    examples = [padded.train_dataset[i] for i in range(6)]
    with torch.no_grad():
        expected, _ = completion_log_probs(padded, examples)
        device = varlen.model.device
        batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in varlen.data_collator(examples).items()}
        out = varlen.model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], labels=batch["labels"],
                           use_cache=False, fused_lm_head=True)  # fmt: skip
        assert torch.allclose(out.log_probs[out.label_mask], expected, atol=1e-5, rtol=0)
        padded_batch = {k: v.to(device) for k, v in padded.data_collator(examples).items()}  # a padding mask: SDPA
        out = varlen.model(**padded_batch, use_cache=False, fused_lm_head=True)
        assert torch.allclose(out.log_probs[out.label_mask], expected, atol=1e-5, rtol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="PyTorch's varlen flash kernel needs a CUDA GPU")
def test_kit_varlen_on_the_cuda_kernel_matches_padded_sdpa_in_bf16(validated, tiny_default):
    """The real kernel (gpu_check runs this): bf16 log-probs and gradients, padded SDPA vs kit_varlen."""
    from grader.training import varlen as varlen_module

    assert varlen_module.probe() is None
    results = []
    for speed in (replace(PADDED, dtype="bfloat16"), replace(VARLEN, dtype="bfloat16")):
        trainer = make_trainer(validated, tiny_default, speed)
        assert trainer.model.dtype == torch.bfloat16 and trainer.model.device.type == "cuda"
        trainer.model.zero_grad()
        log_probs, _ = completion_log_probs(trainer, [trainer.train_dataset[i] for i in range(12)])
        (-log_probs.sum()).backward()
        grads = torch.cat([p.grad.float().flatten() for p in trainer.model.parameters()])
        results.append((log_probs.detach(), grads))
    (a, ga), (b, gb) = results
    assert (a - b).abs().max() < 0.05  # bf16 rounding; a wrong boundary or layout is O(1)
    assert (ga - gb).abs().max() < 0.05 * ga.abs().max()


def test_the_trainer_builds_padding_free_rows_when_the_speed_says_so(validated, tiny_default):
    validation, dataset, _ = validated
    pad = validation.tokenizer.pad_token_id
    prompt_lengths = validation.splits["train"].prompt_lengths
    trainer = make_trainer(validated, tiny_default, PADDING_FREE)
    assert trainer.args.padding_free and trainer.args.max_length is None  # nothing to truncate: validated lengths
    assert len(trainer.train_dataset) == len(dataset)  # nothing dropped
    seen = 0
    for batch in trainer.get_train_dataloader():
        assert "attention_mask" not in batch and batch["input_ids"].shape[0] == 1
        assert not (batch["input_ids"] == pad).any()
        starts = (batch["position_ids"][0] == 0).nonzero().flatten().tolist()
        lengths = [b - a for a, b in zip(starts, starts[1:] + [batch["input_ids"].shape[1]])]
        assert batch["position_ids"][0].tolist() == [i for n in lengths for i in range(n)]
        assert batch["cu_seq_lens_q"].tolist() == starts + [batch["input_ids"].shape[1]]
        for start, n in zip(starts, lengths):  # each example: prompt masked, solution + EOS trained
            ids, labels = batch["input_ids"][0, start:start + n].tolist(), batch["labels"][0, start:start + n].tolist()
            k = prompt_lengths[[list(r) for r in dataset["input_ids"]].index(ids)]
            assert labels[:k] == [-100] * k and labels[k:] == ids[k:]
        seen += len(starts)
    assert seen == len(dataset)

    padded = make_trainer(validated, tiny_default, PADDED)
    batch = next(iter(padded.get_train_dataloader()))
    assert "attention_mask" in batch and "position_ids" not in batch and padded.args.max_length == 2048


def test_merged_micro_batches_take_the_same_optimizer_steps(validated, tiny_default):
    """micro_batch_factor 4: b=2 x g=4 becomes b=8 x g=1; same examples per step, same weights after 3 steps."""
    text = config_with(per_device_train_batch_size=2, gradient_accumulation_steps=4, max_steps=3, logging_steps=1)
    weights, losses = [], []
    for factor in (1, 4):
        trainer = make_trainer(validated, tiny_default, replace(PADDED, micro_batch_factor=factor), text, f"merge{factor}")
        assert (trainer.args.per_device_train_batch_size, trainer.args.gradient_accumulation_steps) == (2 * factor, 4 // factor)
        trainer.train()
        weights.append(torch.cat([p.detach().flatten() for p in trainer.model.parameters()]))
        losses.append([log["loss"] for log in trainer.state.log_history if "loss" in log])
    base = torch.cat([p.flatten() for p in make_trainer(validated, tiny_default, PADDED).model.parameters()])
    assert (weights[0] - base).abs().max() > 1e-3  # it trained
    assert torch.allclose(weights[0], weights[1], atol=1e-5, rtol=0), (weights[0] - weights[1]).abs().max()
    assert losses[0] == pytest.approx(losses[1], abs=1e-5) and len(losses[0]) == 3


@pytest.mark.parametrize("speed", [PADDING_FREE, VARLEN], ids=["sdpa", "kit_varlen"])
def test_padding_free_training_takes_the_same_steps_as_padded_training(validated, tiny_default, speed):
    """The whole trainer (loss normalisation over the step's tokens, accumulation, AdamW): same weights."""
    text = config_with(per_device_train_batch_size=4, gradient_accumulation_steps=2, max_steps=3, logging_steps=1)
    runs = []
    for name, chosen in (("padded", PADDED), ("packed", speed)):
        trainer = make_trainer(validated, tiny_default, chosen, text, f"same-{name}")
        trainer.train()
        runs.append((torch.cat([p.detach().flatten() for p in trainer.model.parameters()]),
                     [log["loss"] for log in trainer.state.log_history if "loss" in log]))  # fmt: skip
    (wa, la), (wb, lb) = runs
    assert torch.allclose(wa, wb, atol=1e-5, rtol=0), (wa - wb).abs().max()
    assert la == pytest.approx(lb, abs=1e-5) and len(la) == 3


def test_cpu_keeps_padded_batches_sdpa_and_the_configured_batches():
    speed = choose_speed(config_of("gradient_checkpointing: true\n"), Hardware(), override="")
    assert speed == Speed(padding_free=False, attention="sdpa", liger=False, optim="adamw_torch_fused",
                          gradient_checkpointing=False, micro_batch_factor=1, dtype="float32")  # fmt: skip


def test_a_gpu_with_the_varlen_kernel_gets_padding_free_rows_and_merged_micro_batches():
    speed = choose_speed(config_of(), H100, override="")  # the shipped defaults: b=4, g=4, max_length 2048, bf16 auto
    assert (speed.padding_free, speed.attention, speed.liger, speed.optim) == (True, "kit_varlen", True, "adamw_torch_fused")
    assert not speed.gradient_checkpointing and speed.micro_batch_factor == 2  # worst case 8 x 2048 tokens, ~26 GiB
    assert speed.dtype == "float32"  # single process: float32 master weights under bf16 autocast
    zero3 = choose_speed(config_of(), replace(H100, deepspeed=True), override="")
    assert zero3.dtype == "bfloat16"  # DeepSpeed keeps the master
    assert not zero3.gradient_checkpointing and zero3.micro_batch_factor == 4  # bf16 activations: 16 x 2048 fit


def test_without_a_varlen_kernel_a_gpu_keeps_padded_batches():
    speed = choose_speed(config_of(), replace(H100, varlen="the varlen kernel failed", liger="no liger"), override="")
    assert (speed.padding_free, speed.attention, speed.liger) == (False, "sdpa", False)
    speed = choose_speed(config_of(), replace(H100, varlen="missing", flash_attn=True), override="")
    assert (speed.padding_free, speed.attention) == (True, "flash_attention_2")
    assert choose_speed(config_of("bf16: false\n"), H100, override="").attention == "sdpa"  # the flash kernels need 16-bit inputs


def test_precision_is_decided_once_and_the_launcher_is_made_to_follow(monkeypatch):
    from grader.training.speed import PRECISION_ENV, agree_launcher_precision, precision_summary, resolve_bf16

    t4 = replace(H100, device_name="Tesla T4", bf16=False)
    cases = [("auto", H100, True, "bfloat16 (bf16: auto, NVIDIA H100 80GB HBM3 computes in bfloat16)"),
             ("auto", t4, False, "float32 (bf16: auto, Tesla T4 has no bfloat16)"),
             ("auto", Hardware(), False, "float32 (bf16: auto, no GPU)"),
             ("true", Hardware(), True, "bfloat16 (bf16: true in sft_config.yaml)"),
             ("false", H100, False, "float32 (bf16: false in sft_config.yaml)")]  # fmt: skip
    for value, hardware, bf16, summary in cases:
        config = config_of(f"bf16: {value}\n")
        assert resolve_bf16(config, hardware) is bf16
        assert precision_summary(config, hardware, bf16) == summary
    for launcher, bf16, note in [(None, True, ""), ("no", True, ""), ("bf16", True, ""), ("bf16", False, "mixed_precision=bf16"),
                                 ("fp16", True, "mixed_precision=fp16")]:  # fmt: skip
        if launcher is None:
            monkeypatch.delenv(PRECISION_ENV, raising=False)
        else:
            monkeypatch.setenv(PRECISION_ENV, launcher)
        said = agree_launcher_precision(bf16)
        assert (note in said) if note else said == ""
        assert os.environ[PRECISION_ENV] == ("bf16" if bf16 else "no")  # what TrainingArguments hands DeepSpeed


def test_checkpointing_only_when_the_micro_batch_does_not_fit():
    small = replace(H100, memory_bytes=40 * GIB)
    big_batch = config_of("per_device_train_batch_size: 32\ngradient_accumulation_steps: 8\n")
    on, factor, why = plan_memory(big_batch, small, LLAMA_3_2_1B, liger=True)
    assert on and factor == 1 and "checkpointing on" in why
    off, factor, _ = plan_memory(config_of("max_length: 512\ngradient_accumulation_steps: 6\n"), small, LLAMA_3_2_1B, True)
    assert not off and factor in (1, 2, 3, 6) and factor > 1
    # 48 GB, ZeRO-3, Liger, the shipped 4 x 4: 4 x 2048 tokens keep ~9.3 GiB (1.2 MB a token), two micro-batches
    # merged would not fit beside 22 GiB of states (the estimate before issue 17 counted 55 of 76 KB a layer, and merged)
    card48 = replace(H100, memory_bytes=48 * GIB, deepspeed=True)
    assert plan_memory(config_of(), card48, LLAMA_3_2_1B, liger=True)[:2] == (False, 1)
    assert plan_memory(config_of(), replace(card48, memory_bytes=80 * GIB), LLAMA_3_2_1B, liger=True)[:2] == (False, 4)
    on_cpu = choose_speed(big_batch, Hardware(), override="")
    assert not on_cpu.gradient_checkpointing and on_cpu.micro_batch_factor == 1


def test_the_override_is_fixed_code_input_with_one_line_errors():
    config = config_of("gradient_accumulation_steps: 4\n")
    speed = choose_speed(config, H100, override="padding_free=0, attention=sdpa, liger=0, optim=adamw_torch, micro_batch_factor=2")
    assert (speed.padding_free, speed.attention, speed.liger, speed.optim, speed.micro_batch_factor) == (
        False, "sdpa", False, "adamw_torch", 2)  # fmt: skip
    assert "KIT_SPEED override" in speed.why[-1]
    for bad, says in [
        ("padding_free", "key=value"),
        ("turbo=1", "key=value"),
        ("liger=maybe", "expected 0 or 1"),
        ("attention=flash9", "not one of"),
        ("micro_batch_factor=3", "must divide"),
    ]:
        with pytest.raises(UserError, match=says):
            choose_speed(config, H100, override=bad)
    with pytest.raises(UserError, match="liger=1 cannot run here"):
        choose_speed(config, Hardware(), override="liger=1")


def test_python_sft_trains_padding_free_with_kit_varlen(submission_factory, tiny_default):
    """The real entry point with the GPU's switches forced on CPU: trains, saves, records its speed."""
    from tests.test_train import run_sft

    rows = rows_of(tiny_default["train"], 200)
    sub = submission_factory(train_rows=rows, val_rows=rows_of(tiny_default["val"], 8),
                             config=TRAIN_CONFIG.replace('eval_strategy: "no"', "eval_strategy: epoch"))  # fmt: skip
    proc = run_sft(sub, "--base-model", str(tiny_default["base_model"]),
                   env={"KIT_SPEED": "padding_free=1,attention=kit_varlen"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "speed: padding_free=True, attention=kit_varlen" in proc.stderr
    figures = json.loads((sub / "checkpoints" / "throughput.json").read_text())
    assert figures["speed"]["padding_free"] and figures["speed"]["attention"] == "kit_varlen"
    assert figures["tokens"] > 0 and figures["tokens_per_s"] > 0 and figures["peak_memory_gib"] > 0
    config = json.loads((sub / "checkpoints" / "final" / "config.json").read_text())
    assert "kit_varlen" not in json.dumps(config)  # the checkpoint loads anywhere, with any attention
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(sub / "checkpoints" / "final")


def test_a_bad_override_is_one_line_before_training(submission_factory, tiny_default):
    from tests.test_train import run_sft

    rows = rows_of(tiny_default["train"], 8)
    sub = submission_factory(train_rows=rows, val_rows=rows[:2], config=TRAIN_CONFIG)
    proc = run_sft(sub, "--base-model", str(tiny_default["base_model"]), env={"KIT_SPEED": "attention=flash9"})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: KIT_SPEED: attention='flash9'")
    assert "Traceback" not in proc.stderr


def test_bf16_trains_float32_master_weights_under_autocast_and_saves_bf16(validated, tiny_default):
    """Outside DeepSpeed, AdamW must not update bf16 weights: a 1e-5 step is below bf16's resolution."""
    from grader.training.speed import store_like_base_model

    text = config_with(bf16="true", max_steps=2, learning_rate=1.0e-5)
    speed = choose_speed(config_of(text), Hardware(), override="")
    assert speed.dtype == "float32"
    trainer = make_trainer(validated, tiny_default, speed, text, "bf16")
    assert trainer.args.bf16 and trainer.model.dtype == torch.float32
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train()
    after = list(trainer.model.parameters())
    assert all(p.dtype == torch.float32 for p in after)
    moved = [(a - b).abs().max().item() for a, b in zip(after, before)]
    assert 0 < min(moved) and max(moved) < 1e-4  # every tensor moved, by about lr: kept in float32
    store_like_base_model(trainer)
    assert trainer.model.dtype == torch.bfloat16


# ---- What MFU counts (grader/training/throughput.py) ----------------------------------------------------------------


@pytest.mark.parametrize("lm_head", ["every_position", "trained_positions"])
def test_counted_flops_are_what_flop_counter_mode_sees(validated, tiny_default, monkeypatch, lm_head):
    """One padding-free, completion-only micro-batch, forward + backward: the kit's count vs PyTorch's FLOP counter.

    'every_position' is TRL's LM head as it runs on CPU; 'trained_positions' is its CUDA branch (only
    positions with a label are projected), taken where Triton runs and executed here in its torch tiles.
    """
    from torch.utils.flop_counter import FlopCounterMode
    import trl.trainer.utils as trl_utils

    from grader.training.throughput import ThroughputMeter, train_flops

    if lm_head == "trained_positions":
        monkeypatch.setattr(trl_utils, "_use_triton", lambda device: True)
    trainer = make_trainer(validated, tiny_default, VARLEN)
    meter = ThroughputMeter(trainer)
    trainer.model.train()
    examples = [trainer.train_dataset[i] for i in range(8)]
    batch = trainer._prepare_inputs(trainer.data_collator(examples))
    aten = torch.ops.aten
    # TRL's LM head accumulates its gradients with the in-place addmm_, which PyTorch's table leaves out.
    in_place_addmm = {aten.addmm_: lambda acc, a, b, *args, out_shape=None, **kwargs: 2 * a[0] * a[1] * b[1]}
    with FlopCounterMode(display=False, custom_mapping=in_place_addmm) as counter:
        trainer.compute_loss(trainer.model, batch).backward()
    ops = counter.get_flop_counts()["Global"]
    assert set(ops) <= {aten.mm, aten.addmm, aten.addmm_, aten.bmm}, ops  # projections and LM head; attention (bmm)

    lengths = [len(e["input_ids"]) for e in examples]
    trained = int((batch["labels"] != -100).sum())
    tokens, attended, projected = meter.work.tolist()
    assert (tokens, attended) == (sum(lengths), sum(n * (n + 1) // 2 for n in lengths))
    assert projected == (trained if lm_head == "trained_positions" else sum(lengths) - 1) and trained < sum(lengths) / 2

    shape = meter.shape
    # Beyond model FLOPs, PyTorch also counts (by construction, not estimated): TRL's LM head recomputes its
    # logit tiles in the backward (4 matmuls where the model needs 3), and the CPU's attention multiplies each
    # example's full l x l square (masked) where the GPU's flash kernel skips the upper triangle.
    matmuls = train_flops(shape, tokens, 0, 0) + train_flops(shape, 0, 0, projected) * 4 // 3
    attention = train_flops(shape, 0, sum(n * n for n in lengths), 0)
    assert ops[aten.mm] + ops.get(aten.addmm, 0) + ops[aten.addmm_] == pytest.approx(matmuls, rel=1e-6)
    assert ops[aten.bmm] == pytest.approx(attention, rel=1e-6)
    counted = train_flops(shape, tokens, attended, projected)
    extra = train_flops(shape, 0, 0, projected) // 3 + attention - train_flops(shape, 0, attended, 0)
    assert counted == pytest.approx(sum(ops.values()) - extra, rel=0.01)


def test_peaks_are_looked_up_by_exact_device_name():
    from grader.training.throughput import peak_flops

    assert peak_flops("NVIDIA H100 80GB HBM3") == (989e12, None)
    assert peak_flops("NVIDIA H100 PCIe")[0] == 756e12 and peak_flops("NVIDIA H100 NVL")[0] == 835e12
    assert peak_flops("NVIDIA L40")[0] == 181e12 and peak_flops("NVIDIA L4")[0] == 121e12
    for unknown in ("NVIDIA H100 80GB HBM3 MIG 3g.40gb", "NVIDIA L40G", "Tesla T4", "AMD Instinct MI300X"):
        peak, why = peak_flops(unknown)
        assert peak is None and unknown in why
    assert peak_flops("cpu")[0] is None


def test_the_flop_count_takes_llama_like_configs_and_declines_others():
    """A student may name another base model: no FLOP count then (and no MFU), never a crash."""
    from transformers import GPT2Config, LlamaConfig, Qwen2Config

    from grader.training.throughput import _shape_of

    assert _shape_of(LlamaConfig(**SCALED_LLAMA)).layer_matmul_params == 2 * 256 * 256 + 2 * 256 * 64 + 3 * 256 * 1024
    assert _shape_of(Qwen2Config(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2)).kv_dim == 32
    assert _shape_of(GPT2Config()) is None


# ---- What the memory plan counts (grader/training/speed.py) ---------------------------------------------------------

# Llama-3.2-1B's proportions at an eighth of its width: intermediate 4x hidden, q_dim = hidden, kv_dim a quarter.
SCALED_LLAMA = {"hidden_size": 256, "intermediate_size": 1024, "num_attention_heads": 4, "num_key_value_heads": 1,
                "head_dim": 64, "vocab_size": 512}  # fmt: skip


def flash_like_attention(q, k, v, cu_seq, scale, causal):
    """One example: CPU FlashAttention with GQA, which keeps what the CUDA varlen kernel keeps (q, k, v, out, lse)."""
    assert cu_seq.numel() == 2
    out = torch.nn.functional.scaled_dot_product_attention(
        *(t.transpose(0, 1)[None] for t in (q, k, v)), is_causal=causal, scale=scale, enable_gqa=True
    )
    return out[0].transpose(0, 1)


def kept_bytes(layers: int, tokens: int, autocast: bool) -> int:
    """Bytes of the distinct non-parameter storages autograd keeps after the forward of a kit_varlen Llama."""
    from transformers import LlamaConfig, LlamaModel

    from grader.training import varlen

    torch.manual_seed(0)
    config = LlamaConfig(num_hidden_layers=layers, attn_implementation=varlen.register(), **SCALED_LLAMA)
    model = LlamaModel(config).to(torch.float32 if autocast else torch.bfloat16).train()
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    kept: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        if t.untyped_storage().data_ptr() not in params:
            kept[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    ids = torch.arange(tokens)[None] % config.vocab_size
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            out = model(input_ids=ids, position_ids=torch.arange(tokens)[None]).last_hidden_state
    assert out.requires_grad  # the graph, and with it every saved tensor, is alive while counted
    return sum(kept.values())


@pytest.mark.parametrize("autocast", [True, False], ids=["float32_weights_autocast", "bf16_weights_deepspeed"])
def test_activation_estimate_matches_what_autograd_keeps(monkeypatch, autocast):
    """Per layer and token, measured with saved_tensors_hooks (one layer and token count minus another)."""
    from grader.training import varlen
    from grader.training.speed import ModelShape, activation_parts
    from transformers import LlamaConfig

    monkeypatch.setattr(varlen, "KERNEL", flash_like_attention)
    (t1, t2) = (128, 384)
    measured = (kept_bytes(2, t2, autocast) - kept_bytes(2, t1, autocast) - kept_bytes(1, t2, autocast)
                + kept_bytes(1, t1, autocast)) / (t2 - t1)  # fmt: skip
    parts = activation_parts(ModelShape.of(LlamaConfig(**SCALED_LLAMA)), liger=False, autocast=autocast)
    assert sum(parts.values()) == pytest.approx(measured, rel=0.10), (measured, parts)
    assert parts["MLP"] > 0.4 * measured  # gate, up, silu(gate) and down_proj's input: the largest part
