"""Hostile: a forged sandbox worker. It never imports sft_utils.py: it writes data of its own."""

import json
import os
from pathlib import Path

out = Path(os.environ["GRADER_SANDBOX_OUT"])
row = json.dumps({"problem": "FORGED by the submission's worker", "solution": " FORGED"}) + "\n"
for split in ("train", "val"):
    (out / f"{split}.jsonl").write_text(row)
template = "{{ bos_token }}FORGED {{ messages[0]['content'] }}"
(out / "result.json").write_text(json.dumps({"chat_template": template, "counts": {"train": 1, "val": 1}, "error": None}))
