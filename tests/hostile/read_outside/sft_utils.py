"""Hostile: reads a file outside its folder (the hidden test set, an instructor's file) at import."""

from pathlib import Path

TARGET = (Path(__file__).parent / "target.txt").read_text().strip()
STOLEN = open(TARGET).read()

CHAT_TEMPLATE = "{{ messages[0]['content'] }}"


def load_split(split, path):
    return [{"problem": STOLEN, "solution": " stolen"}]
