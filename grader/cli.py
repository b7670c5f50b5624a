"""`grader COMMAND` (or `python -m grader COMMAND`): one entry point, one module per command.

Each command module exposes ``add_arguments(parser)`` and ``run(args) -> int`` (or, for a module
serving several commands, ``add_<name>_arguments`` and ``run_<name>``); modules are imported
lazily so that ``score`` or ``check --help`` never pay for importing torch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from grader.commands.exits import one_line_errors

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("grader.commands.check", "validate a submission: config schema, sandboxed data, exact-token limits"),
    "evaluate": ("grader.commands.evaluate", "generate answers with a checkpoint on a problem set and score them"),
    "score": ("grader.commands.score", "score existing generations against reference answers (no model)"),
    "grade": ("grader.commands.grade", "grade a whole class: check, train, evaluate, score every submission (resumable)"),
    "status": ("grader.commands.grade", "where a batch stands (also while it runs, also on Slurm)"),
    "grade-one": ("grader.commands.grade", "one submission's remaining stages in a batch folder (a Slurm task)"),
    "stage": ("grader.commands.grade", "one stage of one submission in a batch folder (internal)"),
    "report": ("grader.commands.report", "class report, per-submission feedback pages and Gradescope results of a graded batch"),
    "demo": ("grader.commands.demo", "the whole loop on the embedded tiny model, on CPU"),
}


def _entry(name: str, kind: str):
    """``add_arguments``/``run`` of the command's module, or its ``add_<name>_arguments``/``run_<name>``."""
    module = importlib.import_module(COMMANDS[name][0])
    specific = name.replace("-", "_")
    if kind == "add":
        return getattr(module, f"add_{specific}_arguments", None) or module.add_arguments
    return getattr(module, f"run_{specific}", None) or module.run


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    prog = "grader" if os.path.basename(sys.argv[0]) == "grader" else "python -m grader"  # the console script, or -m
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    wanted = argv[0] if argv else None
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:  # only the chosen command's module is imported
            _entry(name, "add")(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    return one_line_errors(lambda: _entry(args.command, "run")(args))
