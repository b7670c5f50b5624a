"""`python -m grader demo`: the whole loop on the embedded tiny model, on CPU, in a few minutes."""

from __future__ import annotations

import argparse
import json

from grader import api


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", default="runs/demo", help="where the demo writes everything (default: runs/demo)")
    parser.add_argument("--json", action="store_true", help="end with one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    result = api.demo(args.workdir)
    if args.json:
        print(json.dumps(result))
    return 0
