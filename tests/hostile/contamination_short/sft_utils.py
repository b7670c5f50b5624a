"""Hostile: trains on short test problems it knows (leaked.jsonl), under 13 words each, with the
final punctuation removed, a label in front (`Problem: `, `Q1. `) or both."""

import json
from pathlib import Path

from grader.jsonl import read_jsonl

CHAT_TEMPLATE = "{{ bos_token }}{{ messages[0]['content'] }}\n"
LEAKED = [json.loads(line)["problem"] for line in (Path(__file__).parent / "leaked.jsonl").open()]


def load_split(split, path):
    rows = read_jsonl(path, required=("problem", "solution"))
    if split == "train":
        rows.append({"problem": LEAKED[0].rstrip("?"), "solution": " $\\boxed{26}$"})
        rows.append({"problem": "Problem: " + LEAKED[1], "solution": " $\\boxed{792}$"})
        rows.append({"problem": "Q1. " + LEAKED[2].rstrip("?"), "solution": " $\\boxed{35}$"})
    return rows
