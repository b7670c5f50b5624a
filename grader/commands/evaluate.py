"""`python -m grader evaluate MODEL_DIR --data FILE`: generate with a checkpoint on a problem set, score it."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader import api
from grader.commands.args import positive_int
from grader.evaluation.evaluate import DEFAULT_MAX_NEW_TOKENS, PREDICTIONS_NAME, SUMMARY_NAME, default_out_dir, format_table
from grader.evaluation.generate import BACKENDS
from grader.report.feedback import REPORT_NAME


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model_dir", metavar="MODEL_DIR",
                        help="checkpoint folder (weights, tokenizer with its chat template)")
    parser.add_argument("--data", required=True, metavar="FILE",
                        help="JSON Lines with problem and answer (without answer: the last \\boxed{} of solution); "
                        "optional id, source, subject, level")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: MODEL_DIR/eval/<data file stem>/)")
    parser.add_argument("--max-new-tokens", type=positive_int, default=DEFAULT_MAX_NEW_TOKENS,
                        help=f"generation budget per problem (default {DEFAULT_MAX_NEW_TOKENS}: trained solutions fit "
                        "well inside it, and it bounds the cost of outputs that never stop)")
    parser.add_argument("--batch-size", type=positive_int,
                        help="prompts per batch for transformers (default: 32 on CPU, 64 on GPU; vLLM batches itself)")
    parser.add_argument("--backend", choices=BACKENDS, default="auto",
                        help="auto: vLLM when it is installed and a GPU is present, else transformers")
    parser.add_argument("--limit", type=positive_int, help="only the first N problems (a quick look)")
    parser.add_argument("--prompt-format", metavar="DIR",
                        help="take prompt_format.json from DIR (a validated dataset) instead of the checkpoint, "
                        "e.g. to score an untrained base model")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    summary = api.evaluate(
        args.model_dir, args.data, out=args.out, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
        backend=args.backend, limit=args.limit, prompt_format=args.prompt_format,
    )  # fmt: skip
    out = Path(args.out) if args.out else default_out_dir(args.model_dir, args.data)
    print(format_table(summary))
    print(f"written: {out / PREDICTIONS_NAME}, {out / SUMMARY_NAME}, {out / REPORT_NAME}")
    return 0
