"""The Python steps of bench/gpu_check.sh: wheel-cuda, preflight, prepare, reload-and-generate, summary. See that script.

  python bench/gpu_check.py wheel-cuda WHEEL       the CUDA version a torch wheel is built for ('' for a CPU build)
  python bench/gpu_check.py preflight              a CUDA device, a driver for the wheel, bf16, the kit's kernels
  python bench/gpu_check.py prepare WORK [--smoke] [--steps N]
  python bench/gpu_check.py generate WORK
  python bench/gpu_check.py summary WORK

Only the standard library is imported up front: wheel-cuda runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The shipped sft_config.yaml's batch shape (4 x 4; smoke: 2 x 1), max_length 2048, a fixed number of steps.
CONFIG = """\
learning_rate: 1.0e-5
max_steps: {steps}
per_device_train_batch_size: {batch}
gradient_accumulation_steps: {accumulation}
max_length: 2048
warmup_ratio: 0.0
eval_strategy: "no"
logging_steps: 10
seed: 42
"""


def wheel_cuda(wheel: Path) -> str:
    """'13.0' for a torch wheel that requires cuda-toolkit==13.0.x (or nvidia-cuda-runtime-cu12==12.8.x); '' for CPU."""
    import re
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8", "replace")
    found = re.search(r"^Requires-Dist: (?:cuda-toolkit\S*|nvidia-cuda-runtime-cu\d+) ?==(\d+\.\d+)", metadata, re.M)
    return found.group(1) if found else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200]}" if text else type(exc).__name__


def cuda_problem() -> str | None:
    """Why torch cannot use a CUDA device here (a CPU build, no device, a driver too old for the build), or None."""
    import torch

    if torch.version.cuda is None:
        return f"no CUDA device: torch {torch.__version__} is a CPU-only build (install the CUDA build: README.md)"
    try:
        torch.cuda.init()
    except Exception as exc:
        reason = _first_line(exc)
        if "too old" in reason.lower():
            return f"the NVIDIA driver is too old for torch {torch.__version__} (built for CUDA {torch.version.cuda}): {reason}"
        return f"no CUDA device: {reason}"
    if torch.cuda.device_count() == 0:
        return "no CUDA device: torch finds none"
    if not torch.cuda.is_bf16_supported():
        return f"{torch.cuda.get_device_name(0)} computes no bfloat16: the kit's GPU path needs an Ampere or newer GPU"
    return None


def liger_problem() -> str | None:
    """Why Liger's RMSNorm and SwiGLU kernels do not run here (missing, or wrong against torch), or None."""
    from grader.training.speed import _liger_unavailable

    missing = _liger_unavailable()
    if missing is not None:
        return missing
    import torch

    try:
        from liger_kernel.ops.swiglu import LigerSiLUMulFunction
        from liger_kernel.transformers import LigerRMSNorm

        gen = torch.Generator(device="cuda").manual_seed(0)
        x, a, b = (torch.randn(16, 256, generator=gen, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        norm = LigerRMSNorm(256, eps=1e-6).to("cuda", torch.bfloat16)
        pairs = [(norm(x).float(), x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6)),
                 (LigerSiLUMulFunction.apply(a, b).float(), (torch.nn.functional.silu(a.float()) * b.float()))]  # fmt: skip
        worst = max(((got - want).abs().max() / want.abs().max()).item() for got, want in pairs)
    except Exception as exc:  # no kernel for this GPU, a Triton that cannot compile
        return f"Liger's kernels failed: {_first_line(exc)}"
    return None if worst < 0.05 else f"Liger's kernels differ from torch by {worst:.1%} of the largest value"


def preflight() -> str | None:
    """None when this machine can run the GPU path, else the one-line reason; seconds, not minutes."""
    problem = cuda_problem()
    if problem is not None:
        return problem
    from grader.training.varlen import probe

    varlen = probe()
    if varlen is not None:
        return f"a kernel the kit relies on is missing: padding-free attention ({varlen})"
    liger = liger_problem()
    return None if liger is None else f"a kernel the kit relies on is missing: {liger}"


def synthetic_row(rng: random.Random, index: int) -> dict:
    """A worked arithmetic problem whose solution length follows a log-normal around ~300 tokens.

    Grading assumes examples of about 400 tokens (prompt + solution); GSM8K's are about 190 and
    MATH's longer, so the lengths spread from a few dozen to over a thousand tokens.
    """
    steps = max(1, min(60, round(math.exp(rng.gauss(math.log(12), 0.6)))))
    total = rng.randint(1, 50)
    lines = []
    for i in range(steps):
        add = rng.randint(1, 99)
        lines.append(f"Step {i + 1}: we add {add} to the running total {total}, which gives {total} + {add} = {total + add}.")
        total += add
    lines.append(f"The final answer is $\\boxed{{{total}}}$.")
    problem = f"Problem {index}: start from the number in step 1 and add the {steps} numbers given in turn. What is the total?"
    return {"id": f"synthetic-{index}", "problem": problem, "solution": " ".join(lines), "answer": str(total)}


def prepare(work: Path, smoke: bool, steps: int) -> None:
    """The 1B-shaped base model (random bf16 weights, real tokenizer) and a synthetic submission."""
    from grader.tiny import SMOKE_SHAPE, build_llama_shaped

    start = time.perf_counter()
    build_llama_shaped(work / "base-model", SMOKE_SHAPE if smoke else None)
    built = time.perf_counter() - start
    rng = random.Random(0)
    batch, accumulation = (2, 1) if smoke else (4, 4)
    n = steps * batch * accumulation + 64
    rows = [synthetic_row(rng, i) for i in range(n)]
    sub = work / "submission"
    (sub / "data").mkdir(parents=True, exist_ok=True)
    (sub / "sft_utils.py").write_text((ROOT / "sft_utils.py").read_text())  # the kit's default file
    (sub / "sft_config.yaml").write_text(CONFIG.format(steps=steps, batch=batch, accumulation=accumulation))
    for name, chosen in (("train", rows[64:]), ("val", rows[:8])):
        (sub / "data" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chosen))
    (work / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[8:64]))
    (work / "prepare.json").write_text(json.dumps({"model_build_seconds": round(built, 1), "train_examples": n - 64}))


def generate(work: Path) -> None:
    """The saved checkpoint reloads with stock transformers, differs from the base, and generates."""
    import torch
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from grader.evaluation.generate import generate as kit_generate
    from grader.submission.prompts import encode_prompts, prompt_format

    final = work / "submission" / "checkpoints" / "final"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(final, dtype=torch.bfloat16).to(device)
    tokenizer = AutoTokenizer.from_pretrained(final)
    loaded = time.perf_counter() - start
    name = "model.embed_tokens.weight"
    with safe_open(str(work / "base-model" / "model.safetensors"), "pt") as base:
        changed = not torch.equal(base.get_tensor(name).to(device), model.get_parameter(name).data)
    fmt = prompt_format(tokenizer, tokenizer.chat_template)
    problems = [json.loads(line)["problem"] for line in (work / "test.jsonl").open()]
    prompts = encode_prompts(tokenizer, fmt, problems)
    out = model.generate(torch.tensor([prompts[0]], device=device), max_new_tokens=16, do_sample=False)
    new_tokens = out.shape[1] - len(prompts[0])
    del model
    new = 32 if device == "cpu" else 256
    kit_generate(final, prompts[:1], 1, 1, "transformers")  # warm: model load is timed apart
    start = time.perf_counter()
    results, backend = kit_generate(final, prompts, new, len(prompts), "transformers", fixed_length=True)
    seconds = time.perf_counter() - start
    tokens = sum(r.num_tokens for r in results)
    (work / "generate.json").write_text(json.dumps({
        "reload_seconds": round(loaded, 2), "weights_changed": changed, "generated_tokens": int(new_tokens),
        "generation_prompts": len(prompts), "generation_new_tokens": new,
        "generation_seconds": round(seconds, 2), "generation_tokens_per_s": round(tokens / seconds, 1),
    }))  # fmt: skip


def summary(work: Path) -> dict:
    """One JSON object of figures from what the steps left in WORK (missing pieces say so)."""

    def read(path: Path) -> dict:
        return json.loads(path.read_text()) if path.is_file() else {}

    sub = work / "submission"
    train = read(sub / "checkpoints" / "throughput.json")
    gen = read(work / "generate.json")
    ev = read(work / "eval-transformers" / "summary.json")
    ev_vllm = read(work / "eval-vllm" / "summary.json")
    record = read(sub / "checkpoints" / "final" / "training_record.json")
    timings = read(work / "timings.json")
    kernel = read(work / "kernel-test.json").get("passed")
    return {
        "check": "gpu_check",
        "ok": bool(train.get("tokens_per_s")) and bool(gen.get("weights_changed")) and bool(ev.get("n")) and bool(kernel),
        "kernel_test_passed": kernel,
        "device": train.get("device"),
        "train_tokens_per_s": train.get("tokens_per_s"),
        "train_mfu": train.get("mfu"),
        "train_mfu_missing": train.get("mfu_missing"),
        "train_model_flops_per_token": train.get("model_flops_per_token"),
        "train_peak_memory_gib": train.get("peak_memory_gib"),
        "train_steps_measured": train.get("steps_measured"),
        "train_speed": train.get("speed"),
        "final_train_loss": record.get("final_train_loss"),
        "reload_and_generate": bool(gen.get("generated_tokens")),
        "weights_changed": gen.get("weights_changed"),
        "generation_tokens_per_s": gen.get("generation_tokens_per_s"),
        "evaluate_transformers_n": ev.get("n"),
        "evaluate_transformers_problems_per_s": ev.get("problems_per_second"),
        "evaluate_transformers_output_tokens_per_s": ev.get("output_tokens_per_second"),
        "evaluate_vllm_n": ev_vllm.get("n"),
        "evaluate_vllm_problems_per_s": ev_vllm.get("problems_per_second"),
        "evaluate_vllm_output_tokens_per_s": ev_vllm.get("output_tokens_per_second"),
        **{f"seconds_{k}": v for k, v in timings.items()},
        **read(work / "prepare.json"),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=("wheel-cuda", "preflight", "prepare", "generate", "summary"))
    p.add_argument("work", type=Path, nargs="?", help="the check's folder (wheel-cuda: the torch wheel)")
    p.add_argument("--smoke", action="store_true", help="tiny shape (CPU): checks the script, measures nothing")
    p.add_argument("--steps", type=int, default=80)
    args = p.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.step == "preflight":
        problem = preflight()
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        return 0
    if args.work is None:
        p.error(f"{args.step} needs a folder")
    if args.step == "wheel-cuda":
        print(wheel_cuda(args.work))
    elif args.step == "prepare":
        prepare(args.work, args.smoke, args.steps)
    elif args.step == "generate":
        generate(args.work)
    else:
        print(json.dumps(summary(args.work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
