"""Prepare the default dataset: data/train.jsonl and data/val.jsonl from NuminaMath-CoT (fixed code).

    python data/prepare_numina.py                  # from the Hub (network): ~86k training rows, 100 validation rows
    python data/prepare_numina.py --from PATH      # from a local copy: the dataset's split files, or one file of rows

Every row keeps NuminaMath's `problem`, `solution`, `source` and gains `answer`, the last \\boxed{}
of its solution (what `python -m grader evaluate` scores against). The kit's sft_utils.py reads
these two files; the sandbox that runs it has no network, which is why this runs before training.
See data/README.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the kit, also where it is not installed

from grader.commands.prepare_numina import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(data_dir=Path(__file__).resolve().parent))  # this data/ folder, wherever it is run from
