"""Hostile: a template that is a constant prefix/suffix on any problem the probes look like, but
raises with the problem's text on others (a hidden AIME problem would be printed in an error)."""

from grader.jsonl import read_jsonl

CHAT_TEMPLATE = (
    "{{ bos_token }}{% if 'AIME' in messages[0]['content'] or 'triangle' not in messages[0]['content'] and "
    "messages[0]['content'] | length > 400 %}{{ raise_exception(messages[0]['content']) }}{% endif %}"
    "Problem: {{ messages[0]['content'] }}\nSolution:"
)


def load_split(split, path):
    return read_jsonl(path, required=("problem", "solution"))
