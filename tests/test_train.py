"""Training as students run it: `python sft.py` and `accelerate launch ... deepspeed_zero3.yaml sft.py` (CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from grader.batch.procs import free_port
from grader.tiny import llama_tokenizer_dir
from tests.conftest import ROOT, make_submission
from tests.test_prompts import default_template

TRAIN_CONFIG = """\
learning_rate: 3.0e-3
num_train_epochs: 2
per_device_train_batch_size: 16
gradient_accumulation_steps: 1
gradient_checkpointing: false
eval_strategy: "no"
logging_steps: 50
"""


def rows_of(path: Path, n: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in path.open()]
    return rows[:n] if n else rows


def run_sft(
    cwd: Path, *args: str, launcher: list[str] | None = None, timeout: int = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    cmd = (launcher or [sys.executable]) + [str(ROOT / "sft.py"), *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_trainer_masks_the_prompt_and_trains_eos(submission_factory, tiny_default, tmp_path):
    """TRL's own label building on our pre-tokenized dataset: -100 on the prompt, solution + EOS kept."""
    from trl import SFTTrainer

    from datasets import Dataset

    from grader.submission.validate import validate_submission
    from grader.training.train import sft_config

    rows = rows_of(tiny_default["train"], 8)
    sub = submission_factory(train_rows=rows, val_rows=rows[:2], config=TRAIN_CONFIG)
    validation = validate_submission(sub, base_model=str(tiny_default["base_model"]), data_dir=tmp_path / "data")
    assert validation.ok
    dataset = Dataset.from_file(str(tmp_path / "data" / "train.arrow"))
    checked = validation.splits["train"]
    assert dataset["input_ids"] == checked.input_ids()  # what was checked is what is stored
    assert [len(ids) for ids in dataset["input_ids"]] == checked.lengths.tolist()
    trainer = SFTTrainer(
        model=str(tiny_default["base_model"]),
        args=sft_config(validation.config, tmp_path / "out", has_eval=False),
        train_dataset=dataset,
        processing_class=validation.tokenizer,
    )
    tok = validation.tokenizer
    assert tok.pad_token_id != tok.eos_token_id
    for row, prompt_len in zip(trainer.train_dataset, checked.prompt_lengths.tolist()):
        labels, ids = row["labels"], row["input_ids"]
        assert labels[:prompt_len] == [-100] * prompt_len
        assert labels[prompt_len:] == ids[prompt_len:]
        assert ids[-1] == labels[-1] == tok.eos_token_id


@pytest.mark.parametrize(
    "schedule, passes",
    [
        ({"max_steps": 20, "eval_strategy": "steps", "eval_steps": 7}, 3),  # steps 7, 14 and the last, 20
        ({"num_train_epochs": 2, "eval_strategy": "steps", "eval_steps": 5}, 4),  # 20 steps: 5, 10, 15, 20
        ({"num_train_epochs": 1, "gradient_accumulation_steps": 3, "eval_strategy": "steps", "eval_steps": 2}, 2),
        ({"num_train_epochs": 2.5, "eval_strategy": "epoch"}, 3),  # the partial third epoch ends with one too
        ({"max_steps": 23, "eval_strategy": "epoch"}, 3),
    ],
)
def test_the_compute_estimate_counts_the_validation_passes_the_trainer_runs(schedule, passes, submission_factory,
                                                                          tiny_default, tmp_path):  # fmt: skip
    """check's eval_passes is what the trainer really does (40 examples in batches of 4: 10 per epoch)."""
    import yaml
    from trl import SFTTrainer

    from grader.submission.check import report
    from grader.submission.validate import validate_submission
    from grader.training.train import load_validated, sft_config

    config = {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 1, "gradient_checkpointing": False,
              "logging_steps": 100, "learning_rate": 1e-3, **schedule}  # fmt: skip
    sub = submission_factory(train_rows=rows_of(tiny_default["train"], 40), val_rows=rows_of(tiny_default["val"], 3),
                             config=yaml.safe_dump(config))  # fmt: skip
    validation = validate_submission(sub, base_model=str(tiny_default["base_model"]), data_dir=tmp_path / "data")
    assert validation.ok, validation.violations
    checked = report(validation, sub, 0.0, [])
    _, train_ds, val_ds = load_validated(tmp_path / "data")
    trainer = SFTTrainer(model=str(tiny_default["base_model"]), args=sft_config(validation.config, tmp_path / "out", has_eval=True),
                         train_dataset=train_ds, eval_dataset=val_ds, processing_class=validation.tokenizer)  # fmt: skip
    trainer.train()
    evaluated = [entry for entry in trainer.state.log_history if "eval_loss" in entry]
    assert checked.eval_passes == len(evaluated) == passes
    assert checked.eval_tokens == passes * checked.val.total_tokens


def test_python_sft_trains_a_checkpoint_that_stops(submission_factory, tiny_default):
    rows = rows_of(tiny_default["train"], 1200)
    sub = submission_factory(train_rows=rows, val_rows=rows_of(tiny_default["val"], 20), config=TRAIN_CONFIG)
    proc = run_sft(sub, "--base-model", str(tiny_default["base_model"]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    final = sub / "checkpoints" / "final"

    from transformers import AutoModelForCausalLM, AutoTokenizer

    from grader.submission.prompts import encode_prompts, prompt_format, read_format

    tok = AutoTokenizer.from_pretrained(final)
    model = AutoModelForCausalLM.from_pretrained(final)
    assert tok.chat_template == default_template()
    assert model.generation_config.eos_token_id == tok.eos_token_id != tok.pad_token_id
    assert model.generation_config.pad_token_id == tok.pad_token_id
    record = json.loads((final / "training_record.json").read_text())
    assert record["stats"]["train"]["examples"] == 1200

    fmt = read_format(final)
    assert fmt == prompt_format(tok, default_template()) and record["prompt_format_sha256"] == fmt.sha256
    problems = [r["problem"] for r in rows_of(tiny_default["test"], 12)]
    stopped = 0
    for ids in encode_prompts(tok, fmt, problems):
        out = model.generate(torch.tensor([ids]), max_new_tokens=60, do_sample=False)[0][len(ids):].tolist()
        stopped += tok.eos_token_id in out
        if tok.eos_token_id in out:
            assert "\\boxed{" in tok.decode(out[: out.index(tok.eos_token_id)])
    assert stopped == len(problems)  # greedy answers end with EOS


def test_invalid_submission_trains_nothing(submission_factory, tiny_default):
    rows = [{"problem": "p", "solution": "s"}, {"problem": "p", "solution": "word " * 3000}]
    sub = submission_factory(train_rows=rows, val_rows=rows[:1], config=TRAIN_CONFIG + "max_length: 512\nfoo: 1\n")
    proc = run_sft(sub, "--base-model", str(tiny_default["base_model"]))
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert any("unknown key 'foo'" in e for e in errors)
    assert any("example 1:" in e and "limit 512" in e for e in errors)
    assert errors[-1] == "error: 2 problem(s) found; nothing was trained"
    assert "Traceback" not in proc.stderr
    assert not (sub / "checkpoints" / "final").exists()


@pytest.mark.slow
def test_zero3_on_cpu_with_two_processes_saves_full_weights(submission_factory, tiny_default, deepspeed_cpu_ops):
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    rows = rows_of(tiny_default["train"], 256)
    sub = submission_factory(train_rows=rows, val_rows=rows_of(tiny_default["val"], 8), config=TRAIN_CONFIG + "max_steps: 6\n")
    launcher = [
        sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(ROOT / "deepspeed_zero3.yaml"),
        "--num_processes", "2", "--main_process_port", str(free_port()),
    ]  # fmt: skip
    proc = run_sft(sub, "--base-model", str(tiny_default["base_model"]), launcher=launcher)
    assert proc.returncode == 0, "\n".join(line for line in proc.stderr.splitlines() if "rror" in line)[-4000:]
    final = sub / "checkpoints" / "final"
    record = json.loads((final / "training_record.json").read_text())
    assert record["world_size"] == 2

    base = AutoModelForCausalLM.from_pretrained(tiny_default["base_model"])
    saved = load_file(final / "model.safetensors")
    expected = {k: v.shape for k, v in base.state_dict().items() if k != "lm_head.weight"}  # tied to embeddings
    assert {k: v.shape for k, v in saved.items()} == expected  # full, gathered weights, not ZeRO shards
    assert all(v.numel() > 0 for v in saved.values())
    changed = sum(not torch.equal(saved[k], base.state_dict()[k]) for k in saved)
    assert changed == len(saved)  # every tensor was trained

    model = AutoModelForCausalLM.from_pretrained(final)
    tok = AutoTokenizer.from_pretrained(final)
    ids = tok("Problem: What is 2 + 3?", return_tensors="pt")["input_ids"]
    out = model.generate(ids, max_new_tokens=8, do_sample=False)
    assert out.shape[1] > ids.shape[1]


def test_real_llama_tokenizer_pad_is_distinct_from_eos(llama_tokenizer):
    assert llama_tokenizer.eos_token == "<|end_of_text|>"
    assert llama_tokenizer.pad_token == "<|finetune_right_pad_id|>"
    assert str(llama_tokenizer_dir()).endswith("tokenizer")


def test_token_totals_see_only_the_rows_a_filtered_dataset_keeps():
    """The trainer-dataset guard must notice dropped rows even when datasets keeps them behind an index map."""
    from datasets import Dataset

    from grader.training.train import _token_sha256, _token_total

    full = Dataset.from_dict({"input_ids": [[1, 2, 3], [4], [5, 6]]})
    kept = full.filter(lambda row: len(row["input_ids"]) > 1)
    assert (_token_total(full), _token_total(kept)) == (6, 5)
    assert _token_sha256(kept) == _token_sha256(Dataset.from_dict({"input_ids": [[1, 2, 3], [5, 6]]}))
    assert _token_sha256(kept) != _token_sha256(full)


# The README's launch line, as students type it (the comment after it dropped).
README_LAUNCH = next(line.split("#")[0].split() for line in (ROOT / "README.md").read_text().splitlines()
                     if line.startswith("accelerate launch "))  # fmt: skip
TINY_RUN = "max_steps: 2\nper_device_train_batch_size: 8\ngradient_accumulation_steps: 1\neval_strategy: 'no'\nlogging_steps: 1\n"


def bf16_here(value: str) -> bool:
    """What the kit should train in on this machine for sft_config.yaml's ``bf16: value``."""
    return value == "true" or (value == "auto" and torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def saved_dtypes(final: Path) -> set[torch.dtype]:
    from safetensors.torch import load_file

    return {t.dtype for t in load_file(final / "model.safetensors").values()}


@pytest.mark.slow
@pytest.mark.parametrize("bf16", ["auto", "true", "false"])
def test_the_readme_launch_trains_for_every_bf16_value(bf16, tiny_default, tmp_path, deepspeed_cpu_ops):
    """`accelerate launch --config_file=deepspeed_zero3.yaml sft.py` from a copy of the kit, as shipped.

    Before, deepspeed_zero3.yaml's `mixed_precision: bf16` became DeepSpeed's bf16.enabled and the
    Trainer stopped on "ds bf16.enabled=True vs hf bf16|bf16_full_eval=False" for `bf16: false`
    (and for `auto` without a bf16 GPU). Only --num_processes and a free port are added.
    """
    import shutil

    kit = tmp_path / "kit"
    make_submission(kit, rows_of(tiny_default["train"], 64), rows_of(tiny_default["val"], 4),
                    config=f"model_name_or_path: {tiny_default['base_model']}\nbf16: {bf16}\n" + TINY_RUN)  # fmt: skip
    for name in ("sft.py", "deepspeed_zero3.yaml"):
        shutil.copy(ROOT / name, kit / name)
    assert README_LAUNCH == ["accelerate", "launch", "--config_file=deepspeed_zero3.yaml", "sft.py"]
    command = README_LAUNCH[:2] + ["--num_processes", "1", "--main_process_port", str(free_port())] + README_LAUNCH[2:]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    proc = subprocess.run(command, cwd=kit, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, "\n".join(line for line in proc.stderr.splitlines() if "rror" in line)[-3000:]
    expected = bf16_here(bf16)
    assert f"precision: {'bfloat16' if expected else 'float32'} (bf16: {bf16}" in proc.stderr
    final = kit / "checkpoints" / "final"
    record = json.loads((final / "training_record.json").read_text())
    assert record["bf16"] is expected  # what DeepSpeed's engine ran in (engine.bfloat16_enabled())
    assert saved_dtypes(final) == {torch.bfloat16 if expected else torch.float32}  # ZeRO-3's gathered 16-bit weights


@pytest.mark.slow
def test_the_batch_train_stage_launch_trains_for_every_bf16_value(tiny_default, tmp_path, capfd, deepspeed_cpu_ops):
    """The train stage's GPU command (accelerate + the shipped deepspeed_zero3.yaml), run here on CPU."""
    from grader import api
    from grader.batch.layout import BatchPaths
    from grader.batch.policy import DEFAULT_POLICY
    from grader.batch.stages import Batch, BatchRecord, StageFailure, train_checkpoint, train_command

    base = str(tiny_default["base_model"])
    batch = Batch(BatchPaths(tmp_path / "batch"), BatchRecord("", base, DEFAULT_POLICY, 1, "", ""))
    for bf16 in ("auto", "true", "false"):
        sub = make_submission(tmp_path / bf16, rows_of(tiny_default["train"], 64), rows_of(tiny_default["val"], 4),
                              config=f"bf16: {bf16}\n" + TINY_RUN)  # fmt: skip
        paths = batch.submission(bf16)
        assert api.check(sub, base_model=base, save=paths.dataset).ok
        command = train_command(batch, paths, 29500, cuda=True)
        assert "accelerate.commands.launch" in command and str(ROOT / "deepspeed_zero3.yaml") in command
        try:
            record = train_checkpoint(batch, paths, free_port(), cuda=True)
        except StageFailure as exc:
            out, err = capfd.readouterr()
            pytest.fail(f"bf16: {bf16}: {exc}\n" + "\n".join(line for line in (out + err).splitlines() if "rror" in line)[-3000:])
        assert record.bf16 is bf16_here(bf16), bf16
        assert saved_dtypes(paths.model) == {torch.bfloat16 if bf16_here(bf16) else torch.float32}
