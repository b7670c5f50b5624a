"""`python -m grader check [DIR]`: validate a submission and report every violation at once.

Exit codes: 0 valid, 1 a rule is broken, 2 the command was used wrongly. See docs/check.md.
"""

from __future__ import annotations

import argparse
import json

from grader import api, records
from grader.commands.args import add_unconfined_argument, positive_float, positive_int
from grader.commands.output import emit
from grader.submission.check import DEFAULT_TIMEOUT, human


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the submission folder (default: the current folder)")
    parser.add_argument(
        "--base-model", metavar="PATH",
        help="base model folder or hub id whose tokenizer counts the tokens (default: model_name_or_path in sft_config.yaml)",
    )  # fmt: skip
    parser.add_argument(
        "--test", metavar="FILE",
        help="JSON Lines test problems ('problem', optional 'id'): training or validation problems that match one are violations",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=positive_float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=f"bound on the whole check, sft_utils.py's sandbox included (default: {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one machine-readable JSON object instead of the report")
    parser.add_argument(
        "--save", metavar="DIR",
        help="when valid, write the validated token ids to DIR: `sft.py --validated DIR` trains on exactly them "
        "(grading: implies --confined)",
    )  # fmt: skip
    parser.add_argument(
        "--confined", action="store_true",
        help="grading: run sft_utils.py under bubblewrap or, as root, as a separate unprivileged uid; never unconfined",
    )  # fmt: skip
    add_unconfined_argument(parser)
    parser.add_argument(
        "--world-size", type=positive_int, default=1, metavar="N",
        help="training processes (GPUs) the trained-token estimate assumes (default 1)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    result = api.check(args.dir, base_model=args.base_model, test=args.test, timeout=args.timeout, save=args.save,
                       world_size=args.world_size, confined=args.confined,
                       unconfined_student_code=args.unconfined_student_code)  # fmt: skip
    emit(json.dumps(records.to_json(result)) if args.json else human(result))  # `check | head`: the exit code still says
    return 0 if result.ok else 1
