"""A small class of real submissions for the batch tests: valid ones, broken ones, zips."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from tests.conftest import ROOT

FAST = """\
learning_rate: 3.0e-3
per_device_train_batch_size: 16
gradient_accumulation_steps: 1
gradient_checkpointing: false
eval_strategy: "no"
logging_steps: 5
"""
POLICY = "max_new_tokens: 40\nmax_trained_tokens: 400000\ncheck_seconds: 120\ntrain_seconds: 300\nevaluate_seconds: 120\n"
# What each submission must end as, and why.
EXPECTED = {
    "alice": "graded",  # valid, 150 steps
    "bob": "graded",  # valid, another config: packing, constant schedule, a different seed
    "carol": "invalid",  # one example over max_length (128)
    "dave": "invalid",  # sft_utils.py crashes
    "erin": "over_budget",  # 20 epochs of 2,000 examples
    "frank": "intake_failed",  # a zip member that climbs out with ../
    "gina": "graded",  # a valid zip
}


def _rows(path: Path, n: int) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[:n]]


def _folder(root: Path, name: str, config: str, train: list[dict], val: list[dict], sft_utils: str | None = None) -> Path:
    folder = root / name
    (folder / "data").mkdir(parents=True)
    if sft_utils is None:
        shutil.copy(ROOT / "sft_utils.py", folder / "sft_utils.py")
    else:
        (folder / "sft_utils.py").write_text(sft_utils)
    (folder / "sft_config.yaml").write_text(config)
    for split, rows in (("train", train), ("val", val)):
        (folder / "data" / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def make_class(root: Path, tiny: dict) -> tuple[Path, Path, Path]:
    """(submissions folder, hidden test file, policy file)."""
    subs = root / "submissions"
    subs.mkdir(parents=True)
    train, val = _rows(tiny["train"], 2000), _rows(tiny["val"], 20)
    _folder(subs, "alice", FAST + "max_steps: 150\n", train, val)
    _folder(subs, "bob", FAST + "max_steps: 40\npacking: true\nlr_scheduler_type: constant\nseed: 7\nmax_length: 256\n", train, val)
    _folder(subs, "carol", FAST + "max_steps: 10\nmax_length: 128\n", train[:50] + [{"problem": "Count.", "solution": " 1" * 80}], val)
    _folder(subs, "dave", FAST, train, val, sft_utils="CHAT_TEMPLATE = 'Q: {{ messages[0][\"content\"] }}'\n"
            "def load_split(split, path):\n    raise RuntimeError('my data is somewhere else')\n")  # fmt: skip
    _folder(subs, "erin", FAST + "num_train_epochs: 20\n", train, val)
    with zipfile.ZipFile(subs / "frank.zip", "w") as zf:
        zf.writestr("sft_config.yaml", FAST)
        zf.writestr("../../escaped.txt", "gotcha")
    gina = _folder(root / "staging", "gina", FAST + "max_steps: 60\n", train[:1000], val)
    with zipfile.ZipFile(subs / "gina.zip", "w") as zf:
        for path in sorted(gina.rglob("*")):
            if path.is_file():
                zf.write(path, Path("gina") / path.relative_to(gina))  # a zipped folder: unwrapped at intake
    test = root / "hidden.jsonl"
    rows = _rows(tiny["test"], 12)
    for i, row in enumerate(rows):
        row["subject"] = "counting" if i % 3 else "arithmetic"
        row["level"] = 1 + i % 2
    test.write_text("".join(json.dumps(r) + "\n" for r in rows))
    policy = root / "grading.yaml"
    policy.write_text(POLICY)
    return subs, test, policy
