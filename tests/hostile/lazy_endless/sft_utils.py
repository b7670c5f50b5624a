"""Hostile: the training split is an endless generator (a lazily growing dataset)."""

import itertools

CHAT_TEMPLATE = "{{ bos_token }}Problem: {{ messages[0]['content'] }}\nSolution:"


def load_split(split, path):
    if split == "val":
        return [{"problem": "What is 1 + 1?", "solution": " 2"}]
    return ({"problem": f"What is {i} + 1?", "solution": f" {i + 1}"} for i in itertools.count())
