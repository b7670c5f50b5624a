"""Generation only: prompt token ids in, decoded outputs out, greedy, on vLLM or transformers.

The prompts arrive as the exact ids the one prompt function produced, so neither backend
tokenizes anything again. Both decode greedily with the same settings (``max_new_tokens``,
stop at the checkpoint's EOS ids), and both outputs are decoded by the checkpoint's own
tokenizer, so the text does not depend on which backend ran. vLLM is used only when it imports
and a GPU is present; transformers is the fallback that runs everywhere, including CPU.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from grader.errors import UserError

BACKENDS = ("auto", "transformers", "vllm")
# Prompts per forward pass for transformers; vLLM schedules its own batches.
DEFAULT_BATCH_SIZE = {"cpu": 32, "cuda": 64}


@dataclass(frozen=True)
class Generation:
    """One output: text without special tokens or EOS; ``num_tokens`` excludes the EOS."""

    text: str
    num_tokens: int
    stopped: bool  # an EOS id came before max_new_tokens; False means it hit the length limit


def eos_ids(model_dir: str | Path, tokenizer) -> list[int]:
    """Every id that ends an answer: generation_config's eos_token_id(s) plus the tokenizer's EOS."""
    ids: list[int] = []
    path = Path(model_dir) / "generation_config.json"
    if path.is_file():
        value = json.loads(path.read_text(encoding="utf-8")).get("eos_token_id")
        ids = [value] if isinstance(value, int) else list(value or [])
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    if not ids:
        raise UserError(f"{model_dir}: no EOS token id in generation_config.json or the tokenizer")
    return ids


GENERATION_PACKAGES = ("torch", "transformers", "vllm")


def package_versions(packages: Sequence[str]) -> dict[str, str | None]:
    """The installed version of each package (None: not installed), read without importing it."""
    import importlib.metadata as md

    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    return versions


def generation_stack() -> dict[str, str | None]:
    """What generates here: this interpreter (the batch's ``eval_python`` runs the evaluate stage), its Python, the packages."""
    import platform

    return {"executable": sys.executable, "python": platform.python_version(), **package_versions(GENERATION_PACKAGES)}


def vllm_available() -> str | None:
    """None when vLLM can run here, else why not (auto falls back, --backend vllm fails with it)."""
    import torch

    if not torch.cuda.is_available():
        return "vLLM needs a CUDA GPU and none is available"
    try:
        import vllm  # noqa: F401
    except Exception as exc:  # a broken install (CUDA libs, ABI) must not crash 'auto'
        return f"vLLM cannot be imported ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    return None


def resolve_backend(backend: str) -> str:
    """'auto' -> vllm where it can run, else transformers; an explicit 'vllm' that cannot run is an error."""
    if backend not in BACKENDS:
        raise UserError(f"unknown backend '{backend}'; choose one of {', '.join(BACKENDS)}", exit_code=2)
    if backend == "transformers":
        return backend
    reason = vllm_available()
    if reason is None:
        return "vllm"
    if backend == "vllm":
        raise UserError(f"--backend vllm: {reason}")
    return "transformers"


def default_batch_size() -> int:
    """Prompts per transformers batch on this machine."""
    import torch

    return DEFAULT_BATCH_SIZE["cuda" if torch.cuda.is_available() else "cpu"]


def generate(
    model_dir: str | Path,
    prompt_ids: Sequence[Sequence[int]],
    max_new_tokens: int,
    batch_size: int | None = None,
    backend: str = "auto",
    *,
    fixed_length: bool = False,
) -> tuple[list[Generation], str]:
    """Greedy outputs in the order of ``prompt_ids``, and the name of the backend that made them.

    ``batch_size`` applies to transformers only (default by device); vLLM schedules its own batches.
    ``fixed_length`` forbids EOS until ``max_new_tokens`` (for benchmarks: equal work per prompt).
    """
    from transformers import AutoTokenizer

    if max_new_tokens < 1:
        raise UserError(f"max_new_tokens must be at least 1, got {max_new_tokens}", exit_code=2)
    name = resolve_backend(backend)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    stop = eos_ids(model_dir, tokenizer)
    min_new_tokens = max_new_tokens if fixed_length else 0
    if name == "vllm":
        tokens = _vllm_tokens(model_dir, prompt_ids, max_new_tokens, min_new_tokens, stop)
    else:
        size = batch_size or default_batch_size()
        tokens = _transformers_tokens(model_dir, tokenizer, prompt_ids, max_new_tokens, min_new_tokens, size, stop)
    return [_finish(tokenizer, ids, stop, max_new_tokens) for ids in tokens], name


def _finish(tokenizer, ids: Sequence[int], stop: Sequence[int], max_new_tokens: int) -> Generation:
    """Cut at the first EOS (what follows is padding); the text never contains special tokens."""
    ids = list(ids)[:max_new_tokens]
    end = next((i for i, token in enumerate(ids) if token in stop), None)
    kept = ids if end is None else ids[:end]
    return Generation(tokenizer.decode(kept, skip_special_tokens=True), len(kept), end is not None)


def _transformers_tokens(
    model_dir: str | Path,
    tokenizer,
    prompt_ids: Sequence[Sequence[int]],
    max_new_tokens: int,
    min_new_tokens: int,
    batch_size: int,
    stop: list[int],
) -> list[list[int]]:
    """Batched, left-padded greedy decoding with a KV cache; batches of similar prompt length."""
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, GenerationConfig

    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).to(device).eval()
    # generate() fills every unset field from model.generation_config: with the checkpoint's, its
    # sampling or penalties (do_sample, repetition_penalty, ...) would apply here and not in vLLM.
    model.generation_config = GenerationConfig()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop[0]
    config = GenerationConfig(
        do_sample=False,
        num_beams=1,
        max_new_tokens=max_new_tokens,
        min_new_tokens=min_new_tokens,
        eos_token_id=stop,
        pad_token_id=pad,
        use_cache=True,
    )
    order = sorted(range(len(prompt_ids)), key=lambda i: (-len(prompt_ids[i]), i))  # longest first: OOM early
    results: list[list[int]] = [[] for _ in prompt_ids]
    with tqdm(total=len(order), desc="generate (transformers)", unit="problem", file=sys.stderr) as bar:
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            width = max(len(prompt_ids[i]) for i in batch)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                ids = prompt_ids[i]
                input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
                attention[row, width - len(ids) :] = 1
            with torch.inference_mode():
                out = model.generate(
                    input_ids=input_ids.to(device), attention_mask=attention.to(device), generation_config=config
                )
            for row, i in enumerate(batch):
                results[i] = out[row, width:].tolist()
            bar.update(len(batch))
    return results


def _vllm_tokens(
    model_dir: str | Path,
    prompt_ids: Sequence[Sequence[int]],
    max_new_tokens: int,
    min_new_tokens: int,
    stop: list[int],
) -> list[list[int]]:
    """vLLM with the exact prompt ids; same greedy settings as transformers. Needs a GPU."""
    from vllm import LLM, SamplingParams
    from vllm.inputs import TokensPrompt

    # generation_config="vllm": the checkpoint's decoding defaults are ignored here too.
    llm = LLM(model=str(model_dir), tokenizer=str(model_dir), seed=0, trust_remote_code=False, generation_config="vllm")
    params = SamplingParams(
        temperature=0.0,
        max_tokens=max_new_tokens,
        min_tokens=min_new_tokens,
        stop_token_ids=stop,
    )
    prompts = [TokensPrompt(prompt_token_ids=list(ids)) for ids in prompt_ids]
    outputs = llm.generate(prompts, params, use_tqdm=True)  # returned in the order of ``prompts``
    return [list(out.outputs[0].token_ids) for out in outputs]
