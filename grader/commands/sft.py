"""`sft.py`: the students' training entry point (fixed code), under `accelerate launch` or plain `python`."""

from __future__ import annotations

import argparse
import os
import sys

from grader.errors import UserError
from grader.submission.config import CONFIG_NAME
from grader.submission.sandbox import SandboxLimits


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="sft.py",
        description="Fine-tune the base model on the examples sft_utils.py produces (fixed code: do not edit).",
    )
    p.add_argument("--submission", default=".", help="folder with sft_config.yaml, sft_utils.py and data (default: .)")
    p.add_argument("--config", default=None, help=f"config file (default: SUBMISSION/{CONFIG_NAME})")
    p.add_argument("--base-model", default=None, help="base model folder or hub id; overrides model_name_or_path")
    p.add_argument("--output-dir", default="checkpoints", help="where the run goes; the model lands in OUTPUT_DIR/final")
    p.add_argument("--sandbox-timeout", type=float, default=SandboxLimits.wall_seconds,
                   help="seconds validation may take, sft_utils.py's sandbox included")
    p.add_argument("--validated", metavar="DIR", default=None,
                   help="train on the dataset folder `python -m grader check --save DIR` wrote; runs no student code")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from grader.training.train import train

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = parse_args(argv)
    try:
        train(args.submission, config=args.config, base_model=args.base_model, output_dir=args.output_dir,
              sandbox_timeout=args.sandbox_timeout, validated=args.validated)  # fmt: skip
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0
