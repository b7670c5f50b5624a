"""`python -m grader COMMAND`: one entry point, one module per command.

Each command module exposes ``add_arguments(parser)`` and ``run(args) -> int``; modules are
imported lazily so that ``score`` or ``check --help`` never pay for importing torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from grader.errors import UserError

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("grader.submission.check", "validate a submission: config schema, sandboxed data, exact-token limits"),
    "evaluate": ("grader.evaluation.evaluate", "generate answers with a checkpoint on a problem set and score them"),
    "score": ("grader.evaluation.score", "score existing generations against reference answers (no model)"),
    "report": ("grader.report.command", "class report, per-submission feedback pages and Gradescope results of a graded batch"),
    "demo": ("grader.demo", "the whole loop on the embedded tiny model, on CPU"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    wanted = argv[0] if argv else None
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:  # only the chosen command's module is imported
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(importlib.import_module(COMMANDS[args.command][0]).run(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
