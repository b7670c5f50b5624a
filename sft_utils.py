"""YOUR data: which examples to train on, what the solution text says, and the prompt format.

This file runs in a sandbox, separate from the trainer: it has no network, can read only this
folder, and hands back plain data. The kit then checks the limits on the exact tokens it will
train on (at most 100,000 training and 100 validation examples, each at most 2048 tokens of
prompt + solution + end-of-text). Nothing is cut or dropped for you: an example over a limit is
an error, so filter here if you need to.

You may change anything in this file, as long as it keeps these two names:
  CHAT_TEMPLATE          the Jinja template that turns a problem into the prompt
  load_split(split, path)  returns the examples of 'train' or 'val' as a list (or generator) of
                           dicts {"problem": str, "solution": str}; optionally also "answer" (the
                           final answer: check warns when the solution's last \boxed{} differs)
                           and "source" (check counts examples per source). Only the problem and
                           the solution are trained.
"""

from grader.jsonl import read_jsonl  # kit helper: one clear error per bad line

# The prompt. The kit renders it with messages=[{"role": "user", "content": <problem>}] and
# add_generation_prompt=True, then trains the model to continue it with the solution and an
# end-of-text token. The SAME template builds the prompts of the hidden test set at grading
# time, so the problem must appear verbatim and the rest must not depend on the problem.
# Grading reads the LAST \boxed{...} in what the model writes: teach it to end with one.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}{% if message['role'] == 'user' %}"
    "Solve the following math problem. Put the final answer in \\boxed{}.\n\n"
    "Problem: {{ message['content'] }}\n\n"
    "Solution:"
    "{% endif %}{% endfor %}"
)


def format_example(row: dict) -> dict:
    """One training example. Change the solution text here (e.g. shorten it, reformat the answer)."""
    example = {"problem": row["problem"].strip(), "solution": " " + row["solution"].strip()}
    for key in ("answer", "source"):  # not trained; check compares the answer with the last \boxed{}
        if isinstance(row.get(key), str):
            example[key] = row[key]
    return example


def load_split(split: str, path: str):
    """Examples for 'train' or 'val'; `path` is train_file / val_file from sft_config.yaml.

    Choose which examples to keep here (for instance, skip solutions without a \\boxed{} answer).
    """
    return [format_example(row) for row in read_jsonl(path, required=("problem", "solution"))]
