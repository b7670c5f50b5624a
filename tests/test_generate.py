"""grader.evaluation.generate on the real tiny Llama: greedy, left-padded batches, EOS handling, backend choice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from grader.errors import UserError
from grader.evaluation.generate import generate, resolve_backend, vllm_available
from grader.tiny import build_model

pytestmark = pytest.mark.xdist_group("generate")

PROBLEMS = [
    "What is 1 + 1?",
    "Ava has 3 apples and gets 2 more. How many apples does Ava have now?",
    "x",
    "Compute 7 + 2 + 1.",
    "Ben has 9 coins and gets 4 more. How many coins does Ben have now? Compute 3 + 4 + 1.",
    "What is 18 - 5?",
]
MAX_NEW = 20


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, Path]:
    """'peaked': random weights with std 0.1, so outputs differ by prompt (the default init repeats one
    token); 'never_stops': final norm zeroed, so every logit is 0 and greedy picks id 0 (BOS) forever."""
    root = tmp_path_factory.mktemp("generate-models")
    base = build_model(root / "base", [p + " The answer is $\\boxed{4}$." for p in PROBLEMS] * 3)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() == 2:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.1)
    model.save_pretrained(root / "peaked")
    tokenizer.save_pretrained(root / "peaked")
    with torch.no_grad():
        model.model.norm.weight.zero_()
    model.save_pretrained(root / "never_stops")
    tokenizer.save_pretrained(root / "never_stops")
    return {"peaked": root / "peaked", "never_stops": root / "never_stops"}


@pytest.fixture(scope="session")
def prompt_ids(models) -> list[list[int]]:
    tokenizer = AutoTokenizer.from_pretrained(models["peaked"])
    ids = [[tokenizer.bos_token_id, *tokenizer(p, add_special_tokens=False)["input_ids"]] for p in PROBLEMS]
    assert len({len(x) for x in ids}) == len(ids), "prompts of distinct lengths, so padding is exercised"
    return ids


def reference_greedy(model_dir: Path, prompts: list[list[int]], steps: int) -> list[list[int]]:
    """Greedy decoding written out: one unpadded prompt at a time, full forward pass, no cache."""
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    out = []
    for ids in prompts:
        seq = list(ids)
        with torch.inference_mode():
            for _ in range(steps):
                seq.append(int(model(torch.tensor([seq])).logits[0, -1].argmax()))
        out.append(seq[len(ids) :])
    return out


@pytest.fixture(scope="session")
def reference(models, prompt_ids) -> list[list[int]]:
    return reference_greedy(models["peaked"], prompt_ids, MAX_NEW)


@pytest.mark.parametrize("batch_size", [1, 4, 16])
def test_batched_left_padded_generation_matches_reference_greedy(models, prompt_ids, reference, batch_size):
    tokenizer = AutoTokenizer.from_pretrained(models["peaked"])
    eos = tokenizer.eos_token_id
    results, backend = generate(models["peaked"], prompt_ids, MAX_NEW, batch_size, "transformers")
    assert backend == "transformers"
    expected = [ref[: ref.index(eos)] if eos in ref else ref for ref in reference]
    assert [r.text for r in results] == [tokenizer.decode(e, skip_special_tokens=True) for e in expected]
    assert [r.num_tokens for r in results] == [len(e) for e in expected]
    assert [r.stopped for r in results] == [eos in ref for ref in reference]
    assert len({r.text for r in results}) == len(results), "distinct outputs, so a reordering would show"


def test_stops_at_every_eos_id_of_the_generation_config(models, prompt_ids, reference, tmp_path):
    """An extra EOS id in generation_config.json ends the output: the id and what follows are dropped."""
    tokenizer = AutoTokenizer.from_pretrained(models["peaked"])
    extra = reference[0][5]
    assert extra != tokenizer.eos_token_id and extra not in reference[0][:5]
    model_dir = tmp_path / "two-eos"
    shutil.copytree(models["peaked"], model_dir)
    config = json.loads((model_dir / "generation_config.json").read_text())
    config["eos_token_id"] = [tokenizer.eos_token_id, extra]
    (model_dir / "generation_config.json").write_text(json.dumps(config))

    results, _ = generate(model_dir, prompt_ids, MAX_NEW, 4, "transformers")

    assert (results[0].num_tokens, results[0].stopped) == (5, True)
    assert results[0].text == tokenizer.decode(reference[0][:5], skip_special_tokens=True)
    for ref, result in zip(reference, results):
        stops = [i for i, t in enumerate(ref) if t in (extra, tokenizer.eos_token_id)]
        assert result.stopped == bool(stops)
        assert result.num_tokens == (stops[0] if stops else MAX_NEW)

    fixed, _ = generate(model_dir, prompt_ids, MAX_NEW, 4, "transformers", fixed_length=True)
    assert all(r.num_tokens == MAX_NEW and not r.stopped for r in fixed)


def test_decoding_settings_saved_in_the_checkpoint_do_not_apply(models, prompt_ids, reference, tmp_path):
    """Sampling or penalties in generation_config.json would make transformers differ from vLLM (which
    gets explicit settings) and from greedy: the output must still be the reference greedy one."""
    model_dir = tmp_path / "sampling-defaults"
    shutil.copytree(models["peaked"], model_dir)
    config = json.loads((model_dir / "generation_config.json").read_text())
    config.update(do_sample=True, temperature=3.0, top_k=5, repetition_penalty=5.0, no_repeat_ngram_size=1)
    (model_dir / "generation_config.json").write_text(json.dumps(config))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    results, _ = generate(model_dir, prompt_ids, MAX_NEW, 4, "transformers")

    eos = tokenizer.eos_token_id
    expected = [ref[: ref.index(eos)] if eos in ref else ref for ref in reference]
    assert [r.text for r in results] == [tokenizer.decode(e, skip_special_tokens=True) for e in expected]
    assert any(len(set(ref)) < len(ref) for ref in reference), "a repeated token, so the n-gram ban would show"


def test_never_stopping_model_hits_the_length_limit(models, prompt_ids):
    results, _ = generate(models["never_stops"], prompt_ids, 7, 4, "transformers")
    assert [(r.text, r.num_tokens, r.stopped) for r in results] == [("", 7, False)] * len(prompt_ids)


def test_transformers_is_chosen_when_vllm_cannot_run():
    reason = vllm_available()
    if reason is None:
        pytest.skip("vLLM and a GPU are present here")
    assert resolve_backend("transformers") == "transformers"
    assert resolve_backend("auto") == "transformers"
    with pytest.raises(UserError, match="--backend vllm: vLLM"):
        resolve_backend("vllm")


def test_max_new_tokens_must_be_positive(models, prompt_ids):
    with pytest.raises(UserError, match="max_new_tokens must be at least 1"):
        generate(models["peaked"], prompt_ids, 0, 4, "transformers")
