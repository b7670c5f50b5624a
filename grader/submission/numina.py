"""The course's default data: NuminaMath-CoT -> data/train.jsonl and data/val.jsonl (``data/prepare_numina.py``).

From the Hub (network), or ``source``: a local copy, for courses that mirror the dataset and for
machines without the Hub:

- a folder with the dataset's own split files, as the Hub has them (``data/train-*.parquet`` and
  ``data/test-*.parquet``, or the same as ``.jsonl``): the same rows as from the Hub;
- one file of rows (``.parquet``, ``.jsonl`` or ``.json``): its last ``val_rows`` rows are the
  validation rows, the others the training rows.

Training: shard ``shard`` of ``num_shards`` of the training rows (default: 1 of 10 of the Hub's
860k-row train split, about 86,000 rows; all of them from one file). Validation: the test split
(100 rows). Each row keeps ``problem``, ``solution`` and ``source`` and gains ``answer``: the last
``\\boxed{}`` of the solution, by the extraction that grades the model's outputs, so that
``python -m grader evaluate`` scores against it. A row whose solution has no box keeps no
``answer``: it stays in training (the solution still teaches) and leaves validation (it cannot be
scored); both counts are reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.answers import extract_last_boxed
from grader.atomic import write_text_atomic
from grader.errors import UserError, first_line
from grader.hub import require_access

DATASET = "AI-MO/NuminaMath-CoT"
HUB_SHARDS = 10  # the train split's 860k rows in 10 shards: one is about 86,000, under the 100,000 limit
VAL_ROWS = 100  # the test split's size, and the validation limit
KEPT = ("problem", "solution", "source")
FILE_KINDS = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}
ROW = "__row"  # each row's number in its file or split (1 first), for the messages
USE_LOCAL_COPY = "or pass --from PATH to a local copy of the dataset (see data/README.md)"


@dataclass(frozen=True)
class Written:
    """One written file: its rows, and how many of the source's rows had no ``\\boxed{}`` answer."""

    path: Path
    rows: int
    without_answer: int  # training: kept without 'answer'; validation: left out


@dataclass(frozen=True)
class Prepared:
    origin: str  # where the rows came from, in words
    train: Written
    val: Written


def _datasets():
    try:
        import datasets
    except ImportError:
        raise UserError("reading NuminaMath-CoT needs the `datasets` package: pip install datasets") from None
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)  # its errors come back as one line, below
    return datasets


def _ask_hub() -> None:
    require_access(DATASET, "the dataset", USE_LOCAL_COPY, repo_type="dataset", filename="README.md")


def _from_hub():
    """(train, test) of the Hub's dataset; one line when the Hub cannot give it (asked once, quickly)."""
    from huggingface_hub import is_offline_mode

    datasets, offline = _datasets(), is_offline_mode()
    if not offline:  # offline, the datasets cache may still hold it: that is tried first
        _ask_hub()
    try:
        train, test = datasets.load_dataset(DATASET, split="train"), datasets.load_dataset(DATASET, split="test")
    except Exception as exc:  # the datasets library's own errors, after the quick question was answered
        if offline:
            _ask_hub()  # raises the offline line: the dataset is not in the cache
        raise UserError(f"cannot download {DATASET} ({first_line(exc, innermost=True)}); {USE_LOCAL_COPY}") from None
    return _numbered(train), _numbered(test)


def _read_local(source: Path, **load_args):
    datasets = _datasets()
    try:
        return datasets.load_dataset(**load_args)
    except Exception as exc:  # unreadable parquet, bad JSON: the library's many error types
        raise UserError(f"--from {source}: cannot read it ({first_line(exc, innermost=True)})") from None


def _from_folder(path: Path):
    """(train, test): the dataset's own split files in ``path``."""
    splits = _read_local(path, path=str(path))
    missing = [name for name in ("train", "test") if name not in splits]
    if missing:
        raise UserError(
            f"--from {path}: no {' and no '.join(missing)} split files (a copy of the dataset holds "
            "data/train-*.parquet and data/test-*.parquet, or .jsonl; one file of rows works too)"
        )
    return _numbered(splits["train"]), _numbered(splits["test"])


def _numbered(dataset):
    return dataset.add_column(ROW, list(range(1, len(dataset) + 1)))


def _from_file(path: Path, val_rows: int):
    """(train, validation): the file's last ``val_rows`` rows validate, the others train."""
    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise UserError(f"--from {path}: expected a folder or a .parquet, .jsonl or .json file")
    rows = _numbered(_read_local(path, path=kind, data_files=str(path), split="train"))
    if len(rows) <= val_rows:
        raise UserError(
            f"--from {path}: {len(rows)} rows; its last {val_rows} are the validation rows, so it needs more "
            "(or set --val-rows)"
        )
    cut = len(rows) - val_rows
    return rows.select(range(cut)), rows.select(range(cut, len(rows)))


def _lines(dataset, where: str, keep_unanswered: bool) -> tuple[list[str], int]:
    """(the JSON Lines of the rows kept, the rows without a \\boxed{} answer): the kept fields of
    each row, with ``answer`` when its solution has a box. A row that is not NuminaMath-shaped is
    one line naming it (``where`` and its row number)."""
    missing = [name for name in ("problem", "solution") if name not in dataset.column_names]
    if missing:
        raise UserError(f"{where}: no '{missing[0]}' column (NuminaMath-CoT rows have problem, solution, source)")
    lines, without = [], 0
    for row in dataset.select_columns([name for name in (*KEPT, ROW) if name in dataset.column_names]):
        number = row.pop(ROW)
        for name in ("problem", "solution"):
            if not isinstance(row[name], str):
                raise UserError(f"{where} row {number}: '{name}' must be text, got {type(row[name]).__name__}")
        answer = extract_last_boxed(row["solution"])
        if answer is None:
            without += 1
            if not keep_unanswered:
                continue
        else:
            row["answer"] = answer
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    return lines, without


def prepare(
    out: str | Path,
    source: str | Path | None = None,
    num_shards: int | None = None,
    shard: int = 0,
    val_rows: int = VAL_ROWS,
) -> Prepared:
    """Write ``out/train.jsonl`` and ``out/val.jsonl`` from the Hub or from ``source`` (see the module doc).

    ``num_shards`` (default: 10, or 1 for one file) and ``shard`` pick the training rows.
    """
    path = None if source is None else Path(source)
    if path is not None and not path.exists():
        raise UserError(f"--from {path}: no such file or folder")
    shards = num_shards or (1 if path is not None and path.is_file() else HUB_SHARDS)
    if not 0 <= shard < shards:
        raise UserError(f"--shard {shard}: there are {shards} shards (0 to {shards - 1})", exit_code=2)
    if path is None:
        origin, (train, val) = f"{DATASET} on the Hub", _from_hub()
        where = {"train": f"{DATASET}: the train split", "val": f"{DATASET}: the test split"}
    elif path.is_dir():
        origin, (train, val) = f"{path} (the dataset's split files)", _from_folder(path)
        where = {"train": f"--from {path}: the train split", "val": f"--from {path}: the test split"}
    else:
        origin, (train, val) = f"{path} (its last {val_rows} rows validate)", _from_file(path, val_rows)
        where = {"train": f"--from {path}", "val": f"--from {path}"}
    if shards > 1:
        train = train.shard(num_shards=shards, index=shard)
    train_lines, train_without = _lines(train, where["train"], keep_unanswered=True)
    val_lines, val_without = _lines(val, where["val"], keep_unanswered=False)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []  # both files are read before either is written: no new train.jsonl beside an old val.jsonl
    for name, lines, without in (("train.jsonl", train_lines, train_without), ("val.jsonl", val_lines, val_without)):
        write_text_atomic(out / name, "".join(lines))
        written.append(Written(out / name, len(lines), without))
    return Prepared(origin, *written)


def describe(prepared: Prepared) -> str:
    """What ``prepare`` wrote, one line per file, the rows without a ``\\boxed{}`` answer counted."""
    train, val = prepared.train, prepared.val
    return "\n".join([
        f"from {prepared.origin}",
        f"train: {train.rows:,} rows -> {train.path}"
        + (f" ({train.without_answer:,} without a \\boxed{{}} answer in the solution: kept, no 'answer')"
           if train.without_answer else ""),
        f"val:   {val.rows:,} rows -> {val.path}"
        + (f" ({val.without_answer:,} without a \\boxed{{}} answer in the solution: left out, they cannot be scored)"
           if val.without_answer else ""),
    ])  # fmt: skip
