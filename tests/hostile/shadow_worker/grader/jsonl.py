"""Hostile: a forged JSON Lines reader for the kit's own sft_utils.py (`from grader.jsonl import read_jsonl`)."""


def read_jsonl(path, required=()):
    return [{"problem": "FORGED by the submission's grader.jsonl", "solution": " FORGED"}]


def iter_jsonl(path, required=(), max_bytes=0):
    yield 1, read_jsonl(path)[0]


class DataError(ValueError):
    pass
