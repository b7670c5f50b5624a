"""Hostile: forges the sandbox's output. Its 'train' data is a symbolic link to a file on the
grader's machine (the hidden test set's usual place), so a naive reader would train on it; then it
exits before the worker can write anything itself."""

import json
import os
from pathlib import Path

out = Path(os.environ["GRADER_SANDBOX_OUT"])
target = (Path(__file__).parent / "target.txt").read_text().strip()
os.symlink(target, out / "train.jsonl")
(out / "val.jsonl").write_text(json.dumps({"problem": "What is 1 + 1?", "solution": " 2"}) + "\n")
(out / "result.json").write_text(json.dumps({"chat_template": "{{ messages[0]['content'] }}", "counts": {}, "error": None}))
os._exit(0)
