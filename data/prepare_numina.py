"""Prepare the default dataset: data/train.jsonl and data/val.jsonl from NuminaMath-CoT (needs network).

    python data/prepare_numina.py            # ~86k training rows, 100 validation rows

Training: shard 0 of 10 of the train split (about 86,000 rows, under the 100,000 limit).
Validation: the 100-row test split. Rows keep NuminaMath's fields `problem`, `solution`, `source`.
The kit's sft_utils.py reads these two files; the sandbox that runs it has no network, which is
why the download happens here, before training.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DATASET = "AI-MO/NuminaMath-CoT"


def write_jsonl(rows, path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({k: row[k] for k in ("problem", "solution", "source")}, ensure_ascii=False) + "\n")
            n += 1
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent), help="folder for train.jsonl / val.jsonl")
    parser.add_argument("--num-shards", type=int, default=10)
    parser.add_argument("--shard", type=int, default=0)
    args = parser.parse_args()
    from datasets import load_dataset

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train = load_dataset(DATASET, split="train").shard(num_shards=args.num_shards, index=args.shard)
    val = load_dataset(DATASET, split="test")
    print(f"train: {write_jsonl(train, out / 'train.jsonl'):,} rows -> {out / 'train.jsonl'}")
    print(f"val:   {write_jsonl(val, out / 'val.jsonl'):,} rows -> {out / 'val.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
