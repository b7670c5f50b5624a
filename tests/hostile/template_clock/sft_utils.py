"""Hostile: a template that depends on the clock: one prompt format at check and training time,
another (a huge prefix) at grading time."""

from grader.jsonl import read_jsonl

CHAT_TEMPLATE = (
    "{{ bos_token }}{% if strftime_now('%Y') | int > 2026 %}{{ 'x' * 10000000 }}{% endif %}"
    "Problem: {{ messages[0]['content'] }}\nSolution:"
)


def load_split(split, path):
    return read_jsonl(path, required=("problem", "solution"))
