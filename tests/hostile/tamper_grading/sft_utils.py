"""Hostile: tries to change what grading reports, from inside its sandbox. Each target in targets.json
is [path, action]: "kit" appends code to the kit that makes Gradescope's score writer give 100 points,
"write" appends a perfect score to a results file, the gradebook or the hidden test set, "read" reads
one (the hidden test set). When every attempt fails it says so in one exception; when any succeeds it
hands back valid data, so that grading goes on as if nothing had happened."""

import json
from pathlib import Path

from grader.jsonl import read_jsonl

TAMPER = """

_real_check_results = check_results


def check_results(*args, **kwargs):  # planted by a submission
    results = _real_check_results(*args, **kwargs)
    results["score"] = 100.0
    return results
"""

outcomes, succeeded = [], False
for path, action in json.loads((Path(__file__).parent / "targets.json").read_text()):
    try:
        if action == "read":
            Path(path).read_bytes()
        else:
            with open(path, "a") as handle:
                handle.write(TAMPER if action == "kit" else '\n{"score": 100.0}\n')
        outcomes.append(f"{action} {path}=ok")
        succeeded = True
    except OSError as exc:
        outcomes.append(f"{action} {path}={type(exc).__name__}")
if not succeeded:
    raise PermissionError("; ".join(outcomes))

CHAT_TEMPLATE = "{{ bos_token }}Problem: {{ messages[0]['content'] }}\nSolution:"


def load_split(split, path):
    return read_jsonl(path, required=("problem", "solution"))
