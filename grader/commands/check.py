"""`python -m grader check [DIR]`: validate a submission and report every violation at once.

Exit codes: 0 valid, 1 a rule is broken, 2 the command was used wrongly. See docs/check.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from grader import api, records
from grader.commands.args import add_unconfined_argument, positive_float, positive_int
from grader.commands.output import emit
from grader.submission.check import DEFAULT_TIMEOUT, human

PROGRESS_AFTER = 1.0  # seconds of sandbox before the first progress line
PROGRESS_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal (a log, CI)


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
    parser.add_argument("--strict", action="store_true", help="warnings (what breaks no rule but will cost a grade) fail the check too")
    parser.add_argument("--report", metavar="PATH", help="also write the data page to PATH: one HTML file that opens offline")


class ProgressLine:
    """The sandbox's progress on stderr: one line redrawn on a terminal, a line every few seconds in a log."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty, self.last, self.drawn = self.stream.isatty(), 0.0, False

    def __call__(self, stage: str, rows: int, seconds: float) -> None:
        now = time.monotonic()
        if seconds < PROGRESS_AFTER or (not self.tty and now - self.last < PROGRESS_EVERY):
            return
        self.last = now
        doing = "importing sft_utils.py" if stage == "import" else f"load_split('{stage}'): {rows:,} examples"
        line = f"sandbox: {doing}, {seconds:.0f} s"
        self.stream.write(f"\r{line}\x1b[K" if self.tty else line + "\n")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    progress = ProgressLine()
    try:
        result = api.check(args.dir, base_model=args.base_model, test=args.test, timeout=args.timeout, save=args.save,
                           world_size=args.world_size, confined=args.confined, strict=args.strict, report=args.report,
                           progress=progress, unconfined_student_code=args.unconfined_student_code)  # fmt: skip
    finally:
        progress.clear()
    emit(json.dumps(records.to_json(result)) if args.json else human(result))  # `check | head`: the exit code still says
    if args.report and not args.json:
        print(f"written: {args.report}", file=sys.stderr)
    return 0 if result.ok else 1
