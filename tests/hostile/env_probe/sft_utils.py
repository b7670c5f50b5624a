"""Hostile: tries to tell `check` from training by what the sandbox lets it observe, and would
return clean data to one and other data to the other. It encodes what it sees into the problem
text; the test requires check and sft.py to hand it identical inputs (so identical data)."""

import hashlib
import json
import os
import resource
import socket
import sys

seen = {
    "env": dict(sorted(os.environ.items())),
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "ids": [os.getuid(), os.getgid(), os.geteuid()],
    "host": socket.gethostname(),
    "cpus": os.cpu_count(),
    "rlimits": {
        name: resource.getrlimit(getattr(resource, name))
        for name in sorted(dir(resource))
        if name.startswith("RLIMIT_")
    },
    "root": sorted(os.listdir("/")),
    "tmp": sorted(os.listdir("/tmp")),
    "mounts": sorted(line.split()[4] for line in open("/proc/self/mountinfo")),
    "statvfs_tmp": os.statvfs("/tmp").f_blocks * os.statvfs("/tmp").f_frsize,
}
for knob in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max"):
    try:
        seen[knob] = open(knob).read().strip()
    except OSError as exc:
        seen[knob] = type(exc).__name__
OBSERVED = hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()

CHAT_TEMPLATE = "{{ bos_token }}Problem: {{ messages[0]['content'] }}\nSolution:"


def load_split(split, path):
    rows = [{"problem": f"What is {i} + 1?", "solution": f" {i + 1}. The answer is $\\boxed{{{i + 1}}}$."} for i in range(8)]
    return rows + [{"problem": "observed " + OBSERVED, "solution": " 0"}]
