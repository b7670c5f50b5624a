"""Hostile: trains on test problems it knows (leaked.jsonl), each word hidden behind LaTeX that does
not change what is rendered: spacing, sizing, colour, comments splitting words, empty groups,
braces, font wrappers. Example 8 is one, rewritten; example 9 quotes the other inside its solution."""

import json
import re
from pathlib import Path

from grader.jsonl import read_jsonl

CHAT_TEMPLATE = "{{ bos_token }}Problem: {{ messages[0]['content'] }}\nSolution:"
LEAKED = [json.loads(line)["problem"] for line in (Path(__file__).parent / "leaked.jsonl").open()]
EDITS = (
    lambda w: w[0] + "\\negthinspace " + w[1:],
    lambda w: w[:2] + "%\n  " + w[2:],  # a comment to the end of the line
    lambda w: "\\textcolor{red}{" + w[0] + "}" + w[1:],
    lambda w: w[0] + "{}" + w[1:] + "\\,",
    lambda w: "{\\small " + w[:2] + "}" + w[2:],
    lambda w: "\\color{blue}" + w[0] + "\\hspace{0pt}" + w[1:],
    lambda w: "\\textrm{" + w[:2] + "}{" + w[2:] + "}",
    lambda w: w[0] + "\\kern0em " + w[1:] + "\\quad",
)


def hide(text: str) -> str:
    count = iter(range(10**6))
    return re.sub(r"(?<![\\A-Za-z])[A-Za-z]{2,}", lambda m: EDITS[next(count) % len(EDITS)](m.group()), text)


def load_split(split, path):
    rows = read_jsonl(path, required=("problem", "solution"))
    if split == "train":
        rows.append({"problem": hide(LEAKED[0]), "solution": " The width is $\\boxed{4}$."})
        rows.append({"problem": "Warm-up.", "solution": " Recall: " + hide(LEAKED[1]) + " So the answer is $\\boxed{1}$."})
    return rows
