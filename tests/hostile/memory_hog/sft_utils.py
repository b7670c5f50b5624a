"""Hostile: allocates far more memory than the sandbox allows (64 GiB, 1 GiB at a time)."""

hog = []
for _ in range(64):
    hog.append(bytes(1 << 30))  # calloc: address space without touched pages, so the test stays cheap

CHAT_TEMPLATE = "{{ messages[0]['content'] }}"


def load_split(split, path):
    return []
