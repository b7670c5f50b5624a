"""Hostile: a chat template that never finishes rendering. Jinja's sandbox allows loops of up
to 100,000 steps, so two nested ones run 10^10 steps in the grader's process."""

from grader.jsonl import read_jsonl

CHAT_TEMPLATE = (
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    "{{ messages[0]['content'] }}"
)


def load_split(split, path):
    return read_jsonl(path, required=("problem", "solution"))
