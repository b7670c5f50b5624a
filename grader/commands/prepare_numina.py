"""`data/prepare_numina.py`: the course's default data, NuminaMath-CoT, as data/train.jsonl and data/val.jsonl."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader import api
from grader.commands.args import nonnegative_int, positive_int
from grader.commands.exits import one_line_errors
from grader.submission.numina import DATASET, HUB_SHARDS, VAL_ROWS, describe

def parse_args(argv: list[str] | None, data_dir: Path) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="prepare_numina.py",
        description=f"Write data/train.jsonl and data/val.jsonl from {DATASET} (the Hub, or a local copy with --from), "
        "each row with its 'answer': the last \\boxed{} of its solution. See data/README.md.",
    )
    p.add_argument("--from", dest="source", metavar="PATH",
                   help="a local copy instead of the Hub: a folder with the dataset's split files (data/train-*.parquet, "
                   "data/test-*.parquet, or .jsonl), or one .parquet/.jsonl file whose last --val-rows rows validate")
    p.add_argument("--out", default=str(data_dir), help=f"folder for train.jsonl and val.jsonl (default: {data_dir})")
    p.add_argument("--num-shards", type=positive_int, default=None,
                   help=f"split the training rows into N shards (default: {HUB_SHARDS}, or 1 for one --from file)")
    p.add_argument("--shard", type=nonnegative_int, default=0, help="which shard to keep (default: 0)")
    p.add_argument("--val-rows", type=positive_int, default=VAL_ROWS,
                   help=f"with one --from file: how many of its last rows validate (default: {VAL_ROWS}, the limit)")
    return p.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None, data_dir: str | Path = "data") -> int:
    """``data_dir``: the default --out, the data/ folder beside the script students run (data/prepare_numina.py)."""
    args = parse_args(argv, Path(data_dir))

    def run() -> None:
        prepared = api.prepare_numina(args.out, source=args.source, num_shards=args.num_shards, shard=args.shard,
                                      val_rows=args.val_rows)  # fmt: skip
        print(describe(prepared))

    return one_line_errors(run)
