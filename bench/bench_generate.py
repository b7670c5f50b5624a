"""Generation throughput of grader.evaluation.generate: problems/s and output tokens/s, per backend and batch size.

Every prompt generates exactly ``--new-tokens`` tokens (EOS is held back, ``fixed_length=True``), so
backends and batch sizes do the same work. Prompts are the sample's held-out problems through the
default chat template and the one prompt function, repeated to ``--problems``.

  CPU, tiny model (built here):   python bench/bench_generate.py
  GPU, Llama-3.2-1B architecture with random weights and the real tokenizer:
                                  python bench/bench_generate.py --llama-1b --backend both --batch-size 64

Model loading is timed apart (a warm 1-prompt, 1-token call) and subtracted from each run; it is reported.
Each setting runs ``--repeats`` times and the median is reported, with every run's seconds.
One JSON line per measurement goes to stdout, then a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def default_template() -> str:
    """The shipped CHAT_TEMPLATE, read as data from sft_utils.py (never imported)."""
    for node in ast.parse((ROOT / "sft_utils.py").read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CHAT_TEMPLATE":
            return ast.literal_eval(node.value)
    raise SystemExit("CHAT_TEMPLATE not found in sft_utils.py")


def prepare(work: Path, llama_1b: bool) -> tuple[Path, list[str]]:
    """(model folder with the default template saved, held-out problems of the sample)."""
    from transformers import AutoTokenizer

    from grader.tiny import build_default, build_llama_shaped

    base, paths = build_default(work / "tiny")
    model = build_llama_shaped(work / "llama-1b") if llama_1b else base
    tokenizer = AutoTokenizer.from_pretrained(model)
    tokenizer.chat_template = default_template()
    tokenizer.save_pretrained(model)
    problems = [json.loads(line)["problem"] for line in paths["test"].read_text().splitlines()]
    return model, problems


def measure(
    model: Path, prompts: list[list[int]], new_tokens: int, batch_size: int, backend: str, repeats: int
) -> dict:
    """Median of ``repeats`` runs (this machine is shared: one run can be slowed by a neighbour)."""
    from grader.evaluation.generate import generate

    loads = []
    for _ in range(2):  # the first load also warms the page cache: the second is what each run pays
        start = time.perf_counter()
        generate(model, prompts[:1], 1, 1, backend)
        loads.append(time.perf_counter() - start)
    load = min(loads)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        results, name = generate(model, prompts, new_tokens, batch_size, backend, fixed_length=True)
        runs.append(time.perf_counter() - start - load)
    seconds = statistics.median(runs)
    tokens = sum(r.num_tokens for r in results)
    assert tokens == len(prompts) * new_tokens, "fixed_length must give every prompt the same work"
    return {
        "backend": name,
        "batch_size": batch_size if name == "transformers" else None,
        "problems": len(prompts),
        "mean_prompt_tokens": round(sum(map(len, prompts)) / len(prompts), 1),
        "new_tokens": new_tokens,
        "load_seconds": round(load, 2),
        "seconds": round(seconds, 2),
        "runs_seconds": [round(r, 2) for r in runs],
        "problems_per_s": round(len(prompts) / seconds, 2),
        "output_tokens_per_s": round(tokens / seconds, 1),
    }


def device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--llama-1b", action="store_true", help="Llama-3.2-1B architecture, random weights (GPU)")
    p.add_argument("--backend", choices=("transformers", "vllm", "both"), default="transformers")
    p.add_argument("--problems", type=int, default=64)
    p.add_argument("--new-tokens", type=int, default=128)
    p.add_argument("--batch-size", type=int, nargs="+", default=[1, 8, 32, 64])
    p.add_argument("--repeats", type=int, default=3, help="runs per setting; the median is reported")
    args = p.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from transformers import AutoTokenizer

    from grader.submission.prompts import encode_prompts, prompt_format

    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        model, problems = prepare(Path(tmp), args.llama_1b)
        tokenizer = AutoTokenizer.from_pretrained(model)
        fmt = prompt_format(tokenizer, tokenizer.chat_template)
        chosen = [problems[i % len(problems)] for i in range(args.problems)]
        prompts = encode_prompts(tokenizer, fmt, chosen)
        backends = ["transformers", "vllm"] if args.backend == "both" else [args.backend]
        rows = []
        for backend in backends:
            for batch_size in args.batch_size if backend == "transformers" else [0]:
                row = {"model": "llama-3.2-1b-arch-random" if args.llama_1b else "tiny", "device": device_name()}
                row.update(measure(model, prompts, args.new_tokens, batch_size, backend, args.repeats))
                print(json.dumps(row), flush=True)
                rows.append(row)
    print(
        "\n| model | device | backend | batch | problems | prompt tok (mean) | new tok | load s | problems/s "
        "| output tok/s | runs (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['model']} | {r['device']} | {r['backend']} | {r['batch_size'] or 'auto'} | {r['problems']} | "
            f"{r['mean_prompt_tokens']} | {r['new_tokens']} | {r['load_seconds']} | {r['problems_per_s']} | "
            f"{r['output_tokens_per_s']} | {', '.join(map(str, r['runs_seconds']))} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
