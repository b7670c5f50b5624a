"""The demo (`python -m grader demo`): the whole loop on the embedded default, on CPU, in a few minutes.

materialize (sandboxed sft_utils.py) -> check (exact-token limits) -> score the untrained tiny
model -> train (the same code as sft.py) -> score the trained model. Nothing is downloaded:
the model, tokenizer and data are built here. The kit's own sft_utils.py formats the data, so
the demo also shows that the student's file works.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from grader import records
from grader.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
# Hyperparameters that let a 350k-parameter model learn the sample in about a minute of CPU.
DEMO_CONFIG = """\
# The demo's config: a tiny model needs a far larger learning rate than Llama-3.2-1B.
learning_rate: 3.0e-3
num_train_epochs: 5
per_device_train_batch_size: 16
gradient_accumulation_steps: 1
gradient_checkpointing: false
warmup_ratio: 0.05
logging_steps: 25
eval_strategy: epoch
"""
MAX_NEW_TOKENS = 48  # the sample's solutions are about 25 tokens


def _step(n: int, text: str) -> None:
    print(f"\n[{n}/5] {text}", file=sys.stderr, flush=True)


def demo(workdir: str | Path = "runs/demo") -> dict:
    """Build, check, score, train and score again in ``workdir``; the numbers (see ``--json``)."""
    from grader.evaluation.evaluate import evaluate
    from grader.submission.validate import validate_submission
    from grader.tiny import build_default
    from grader.training.train import FINAL_DIR, train

    start = time.perf_counter()
    work = Path(workdir).resolve()
    if work.exists():
        shutil.rmtree(work)
    _step(1, f"building the tiny model and the synthetic sample in {work}")
    base_model, data = build_default(work / "build")
    submission = work / "submission"
    (submission / "data").mkdir(parents=True)
    shutil.copy(ROOT / "sft_utils.py", submission / "sft_utils.py")
    (submission / "sft_config.yaml").write_text(DEMO_CONFIG)
    for split in ("train", "val"):
        shutil.copy(data[split], submission / "data" / f"{split}.jsonl")

    _step(2, "checking the submission: sandboxed sft_utils.py, exact-token limits")
    validation = validate_submission(submission, base_model=str(base_model), data_dir=work / "validated")
    if not validation.ok:
        raise UserError("the demo submission is invalid: " + "; ".join(v.message for v in validation.violations))
    print(f"ok: {json.dumps(records.to_json(validation.stats()))} (sandbox: {validation.confinement})", file=sys.stderr)

    _step(3, "scoring the untrained model on the held-out sample")
    before = evaluate(
        base_model, data["test"], work / "eval-before", max_new_tokens=MAX_NEW_TOKENS, format_dir=validation.data_dir
    )

    _step(4, "training (the code sft.py runs, on the ids step 2 validated)")
    checkpoint = train(submission, base_model=str(base_model), output_dir=work / "checkpoints",
                       validated=validation.data_dir)  # fmt: skip
    assert checkpoint == work / "checkpoints" / FINAL_DIR

    _step(5, "scoring the trained model on the held-out sample")
    after = evaluate(checkpoint, data["test"], work / "eval-after", max_new_tokens=MAX_NEW_TOKENS)

    result = {
        "accuracy_before": before.accuracy,
        "accuracy_after": after.accuracy,
        "never_stopped_before": before.never_stopped,
        "never_stopped_after": after.never_stopped,
        "n_test": after.n,
        "checkpoint": str(checkpoint),
        "predictions": str(work / "eval-after"),
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(
        f"\naccuracy on {after.n} held-out problems: {before.accuracy:.1%} untrained -> "
        f"{after.accuracy:.1%} trained; outputs that stop at EOS: {1 - after.never_stopped:.0%}; "
        f"{result['seconds']} s in all\ncheckpoint: {checkpoint}",
        file=sys.stderr,
    )
    print(next_commands(base_model), file=sys.stderr)
    return result


def next_commands(base_model: Path) -> str:
    """What to run next: README.md's student commands, with the tiny model built here as the base model."""
    try:
        model = Path(base_model).resolve().relative_to(ROOT)
    except ValueError:  # a --workdir outside the kit
        model = Path(base_model).resolve()
    return f"""
next: your own run, from {ROOT} (README.md, "For students"):
  . .venv/bin/activate
  python data/prepare_numina.py
  python -m grader check
  python sft.py --base-model {model}
  python -m grader evaluate checkpoints/final --data data/val.jsonl --limit 10 --max-new-tokens 100
For this first run on the tiny model, set max_steps: 5 in sft_config.yaml. For Llama-3.2-1B, set it back
to -1 and leave out the options after sft.py and data/val.jsonl (Llama is gated: accept its licence on
the Hub, then `hf auth login` or set HF_TOKEN)."""
