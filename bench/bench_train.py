"""Training throughput of the kit's trainer: tokens/s, MFU and peak memory, per speed setting and launcher.

The model has Llama-3.2-1B's architecture (16 layers, hidden 2048, GQA 32/8, 128,256-token
vocabulary, tied embeddings) with random bf16 weights, and the real Llama 3.2 tokenizer: nothing
is downloaded. The examples are real worked solutions (GSM8K train and MATH-500 from
../shared/data, through the kit's default sft_utils.py and validation), so the lengths, and with
them the padding, are those of real data. The config is the shipped sft_config.yaml's (batch 4,
accumulation 4, max_length 2048) with ``--steps`` optimizer steps.

Rows, each a KIT_SPEED setting, cumulative as listed:
  trl_default   TRL's defaults as the kit ran them before: padded batches, SDPA, gradient
                checkpointing on (the shipped config), micro-batches as configured; the unfused
                adamw_torch (the kit already ran transformers' default adamw_torch_fused)
  padding_free_sdpa  (a side row) padding-free rows on SDPA: transformers derives a dense
                block-diagonal mask from position_ids, (sum of lengths)^2 attention work
  padding_free  + padding-free rows on the kit's varlen attention (PyTorch's FlashAttention-2)
  flash_attn    (a side row) the same on flash-attn's kernel; skipped unless flash-attn is installed
  liger         + Liger's RMSNorm / RoPE / SwiGLU kernels (skipped where they cannot run)
  fused_adamw   + adamw_torch_fused
  kit           the kit's own choice on this machine (no override): also no checkpointing and
                merged micro-batches where memory allows
Each row runs in a fresh process, once as ``python`` (``single``) and once under
``accelerate launch --config_file deepspeed_zero3.yaml`` (``zero3``). One JSON line per row on
stdout, then a Markdown table.

  GPU:              python bench/bench_train.py
  CPU smoke test:   python bench/bench_train.py --smoke     (tiny shape, a few steps: checks, not figures)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS = {
    "trl_default": "padding_free=0,attention=sdpa,liger=0,optim=adamw_torch,gradient_checkpointing=1,micro_batch_factor=1",
    "padding_free_sdpa": "padding_free=1,attention=sdpa,liger=0,optim=adamw_torch,gradient_checkpointing=1,micro_batch_factor=1",
    "padding_free": "padding_free=1,attention=kit_varlen,liger=0,optim=adamw_torch,gradient_checkpointing=1,micro_batch_factor=1",
    "flash_attn": "padding_free=1,attention=flash_attention_2,liger=0,optim=adamw_torch,gradient_checkpointing=1,micro_batch_factor=1",
    "liger": "padding_free=1,attention=kit_varlen,liger=1,optim=adamw_torch,gradient_checkpointing=1,micro_batch_factor=1",
    "fused_adamw": "padding_free=1,attention=kit_varlen,liger=1,optim=adamw_torch_fused,gradient_checkpointing=1,micro_batch_factor=1",
    "kit": "",
}
LAUNCHERS = ("single", "zero3")


def bench_config(steps: int, batch: int, accumulation: int, max_length: int) -> str:
    """The shipped sft_config.yaml's values, a fixed number of steps and no evaluation."""
    return (
        f"learning_rate: 1.0e-5\nmax_steps: {steps}\nper_device_train_batch_size: {batch}\n"
        f"gradient_accumulation_steps: {accumulation}\nmax_length: {max_length}\nwarmup_ratio: 0.0\n"
        "eval_strategy: \"no\"\nlogging_steps: 1000000\nseed: 42\n"
    )


def real_rows(data: Path, limit: int) -> list[dict]:
    """GSM8K train and MATH-500 worked solutions, interleaved (about 1 MATH per 15 GSM8K, their sizes' ratio)."""
    if not (data / "gsm8k_train.jsonl").is_file():
        raise SystemExit(f"error: {data}/gsm8k_train.jsonl not found: the bench draws its example lengths from real data")
    rows = []
    for name in ("gsm8k_train.jsonl", "math500_test.jsonl"):
        with (data / name).open(encoding="utf-8") as handle:  # not splitlines(): solutions contain U+2028
            rows.append([json.loads(line) for line in handle if line.strip()])
    gsm, math = rows
    mixed = []
    for i, row in enumerate(gsm):
        mixed.append(row)
        if i % 15 == 14 and math:
            mixed.append(math.pop())
    return [{"problem": r["problem"], "solution": r["solution"]} for r in mixed[:limit]]


def prepare(work: Path, smoke: bool, config_text: str, examples: int, data: Path) -> dict:
    """Model, validated dataset (the kit's own path: sandboxed sft_utils.py, exact tokens) and config."""
    from grader.submission.validate import validate_submission
    from grader.tiny import SMOKE_SHAPE, build_llama_shaped
    start = time.perf_counter()
    model = build_llama_shaped(work / "model", SMOKE_SHAPE if smoke else None)
    built = time.perf_counter() - start
    sub = work / "submission"
    (sub / "data").mkdir(parents=True)
    (sub / "sft_utils.py").write_text((ROOT / "sft_utils.py").read_text())  # the kit's default
    (sub / "sft_config.yaml").write_text(config_text)
    rows = real_rows(data, examples)
    for split, chosen in (("train", rows), ("val", rows[:8])):  # the val split is validated, never trained here
        (sub / "data" / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chosen))
    validation = validate_submission(sub, base_model=str(model), data_dir=work / "data")
    if not validation.ok:
        raise SystemExit("error: " + "; ".join(v.message for v in validation.violations[:3]))
    lengths = sorted(validation.splits["train"].lengths.tolist())
    return {
        "model": str(model),
        "model_build_seconds": round(built, 1),
        "examples": len(lengths),
        "tokens_mean": round(sum(lengths) / len(lengths), 1),
        "tokens_p50": lengths[len(lengths) // 2],
        "tokens_p95": lengths[int(len(lengths) * 0.95)],
        "tokens_max": lengths[-1],
    }


def worker(args: argparse.Namespace) -> int:
    """One row, in this process (under accelerate launch for zero3): train --steps steps, write the figures."""
    from trl import SFTTrainer

    from grader.submission.config import parse_config
    from grader.submission.tokenizer import load_tokenizer
    from grader.training.throughput import ThroughputMeter
    from grader.training.train import load_validated, sft_config

    work = Path(args.worker)
    config, errors = parse_config((work / "config.yaml").read_text())
    assert not errors, errors
    tokenizer = load_tokenizer(json.loads((work / "prepared.json").read_text())["model"])
    trainer = SFTTrainer(
        model=json.loads((work / "prepared.json").read_text())["model"],
        args=sft_config(config, Path(args.row_dir), has_eval=False),  # KIT_SPEED comes from the environment
        train_dataset=load_validated(work / "data")[1],
        processing_class=tokenizer,
    )
    meter = ThroughputMeter(trainer, Path(args.row_dir) / "figures.json", args.warmup, args.peak_flops)
    trainer.add_callback(meter)
    trainer.train()
    return 0


def run_row(work: Path, name: str, launcher: str, args: argparse.Namespace) -> dict:
    """Run one row in a fresh process; its figures, or why it was skipped or failed."""
    from grader.training.speed import Hardware

    row_dir = work / f"{name}-{launcher}"
    row_dir.mkdir()
    result: dict = {"row": name, "launcher": launcher, "kit_speed": ROWS[name] or "(the kit's choice)"}
    hardware = Hardware.detect()
    if "liger=1" in ROWS[name] and hardware.liger is not None:
        return {**result, "skipped": f"Liger cannot run here: {hardware.liger}"}
    if "flash_attention_2" in ROWS[name] and not hardware.flash_attn:
        return {**result, "skipped": "flash-attn is not installed"}
    cmd = [sys.executable]
    if launcher == "zero3":
        from grader.batch.procs import free_port

        cmd += ["-m", "accelerate.commands.launch", "--config_file", str(ROOT / "deepspeed_zero3.yaml"), "--num_processes", "1",
                "--main_process_port", str(free_port())]  # fmt: skip  (two launches at once must not share 29500)
    cmd += [str(Path(__file__).resolve()), "--worker", str(work), "--row-dir", str(row_dir), "--warmup", str(args.warmup)]
    if args.peak_flops:
        cmd += ["--peak-flops", str(args.peak_flops)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KIT_SPEED": ROWS[name], "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=args.row_timeout)
    result["wall_seconds"] = round(time.perf_counter() - start, 1)
    figures = row_dir / "figures.json"
    if proc.returncode != 0 or not figures.exists():
        errors = [line for line in proc.stderr.splitlines() if "rror" in line][-5:]
        return {**result, "failed": f"exit {proc.returncode}: " + " | ".join(errors or proc.stderr.splitlines()[-3:])}
    speed_line = next((line for line in proc.stderr.splitlines() if line.startswith("speed: ")), "")
    return {**result, **json.loads(figures.read_text()), "speed_line": speed_line.removeprefix("speed: ")}


def device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def table(rows: list[dict]) -> str:
    base = {r["launcher"]: r["tokens_per_s"] for r in rows if r["row"] == "trl_default" and r.get("tokens_per_s")}
    lines = [
        "| row | launcher | tokens/s | x trl_default | MFU | peak memory GiB | micro-batch x accumulation | checkpointing |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        if "tokens_per_s" not in r or r["tokens_per_s"] is None:
            lines.append(f"| {r['row']} | {r['launcher']} | {r.get('skipped') or r.get('failed') or 'not measured'} | | | | | |")
            continue
        speedup = r["tokens_per_s"] / base[r["launcher"]] if base.get(r["launcher"]) else None
        s = r["speed"]
        lines.append(
            f"| {r['row']} | {r['launcher']} | {r['tokens_per_s']:,.0f} | {format(speedup, '.2f') if speedup else '-'} | "
            f"{'-' if r['mfu'] is None else format(r['mfu'], '.1%')} | {r['peak_memory_gib']:.1f} | "
            f"{s['per_device_train_batch_size']} x {s['gradient_accumulation_steps']} | {'on' if s['gradient_checkpointing'] else 'off'} |"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="CPU smoke test: tiny shape, few steps and examples")
    p.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    p.add_argument("--launchers", nargs="+", choices=LAUNCHERS, default=list(LAUNCHERS))
    p.add_argument("--steps", type=int, help="optimizer steps per row (default 30; smoke 3)")
    p.add_argument("--warmup", type=int, help="steps left out of the rate (default 5; smoke 1)")
    p.add_argument("--batch-size", type=int, help="per_device_train_batch_size (default 4, the shipped config's; smoke 2)")
    p.add_argument("--grad-accum", type=int, help="gradient_accumulation_steps (default 4, the shipped config's; smoke 1)")
    p.add_argument("--max-length", type=int, default=2048)
    p.add_argument("--peak-flops", type=float, help="device peak FLOP/s for MFU (default: by the GPU's exact name; none for another GPU or CPU)")
    p.add_argument("--row-timeout", type=int, default=1200)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="folder with gsm8k_train.jsonl, math500_test.jsonl")
    p.add_argument("--json-out", help="also write the JSON lines to this file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--row-dir", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        args.warmup = args.warmup or 0
        return worker(args)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    steps = args.steps or (3 if args.smoke else 30)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.smoke else 5)
    accumulation = args.grad_accum or (1 if args.smoke else 4)
    args.batch_size = args.batch_size or (2 if args.smoke else 4)
    if steps <= args.warmup:
        raise SystemExit("error: --steps must be larger than --warmup")
    examples = steps * args.batch_size * accumulation
    config_text = bench_config(steps, args.batch_size, accumulation, args.max_length)
    out = open(args.json_out, "w") if args.json_out else None
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        work = Path(tmp)
        (work / "config.yaml").write_text(config_text)
        prepared = prepare(work, args.smoke, config_text, examples, args.data)
        (work / "prepared.json").write_text(json.dumps(prepared))
        header = {
            "bench": "train", "smoke": args.smoke, "device": device_name(), "steps": steps, "warmup": args.warmup,
            "per_device_train_batch_size": args.batch_size, "gradient_accumulation_steps": accumulation,
            "max_length": args.max_length, **{k: v for k, v in prepared.items() if k != "model"},
        }  # fmt: skip
        print(json.dumps(header), flush=True)
        if out:
            out.write(json.dumps(header) + "\n")
        rows = []
        for launcher in args.launchers:
            for name in args.rows:
                row = {**run_row(work, name, launcher, args), "bench": "train", "smoke": args.smoke}
                rows.append(row)
                print(json.dumps(row), flush=True)
                if out:
                    out.write(json.dumps(row) + "\n")
                    out.flush()
    print("\n" + table(rows))
    return 0 if all("failed" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
