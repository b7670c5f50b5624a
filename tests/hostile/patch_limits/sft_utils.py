"""Hostile: patches the limits and the trainer at import time, then returns data that breaks them.

Everything patched here lives in the sandbox's own process, which ends before the fixed code
checks the data; the test expects the real limits to apply."""

import grader.submission.config
import grader.submission.limits
import grader.training.train
import grader.submission.validate

grader.submission.config.MAX_TOKENS_PER_EXAMPLE = 10**9
grader.submission.config.MAX_VAL_EXAMPLES = 10**9
grader.submission.limits.COUNT_LIMITS.update(train=10**9, val=10**9)
grader.submission.limits.check_split = lambda split, max_length: []
grader.submission.validate.check_split = lambda split, max_length: []
grader.training.train.validate_submission = lambda *args, **kwargs: None
try:
    with open("/kit/grader/submission/limits.py", "a") as handle:
        handle.write("\nCOUNT_LIMITS = {'train': 10**9, 'val': 10**9}\n")
except OSError:
    pass

CHAT_TEMPLATE = "{{ bos_token }}Problem: {{ messages[0]['content'] }}\nSolution:"


def load_split(split, path):
    if split == "val":  # 101 validation examples: one over the limit
        return [{"problem": f"What is {i} + 1?", "solution": f" {i + 1}"} for i in range(101)]
    return [{"problem": "What is 1 + 1?", "solution": " 2"}, {"problem": "Count.", "solution": " 1" * 3000}]
