"""Turn a submission folder into plain data: run sft_utils.py in the sandbox, re-read its output.

This is the only way the fixed code gets the student's examples and chat template. The
output of the sandbox is parsed strictly (JSON only, types checked, sizes bounded); nothing
the student produced is unpickled or imported here. Everything in the output folder was
written by student-controlled code, so each file is opened without following links, must be a
regular file, and is read only up to a bound: no symlink can point this process at a host file
(the hidden test set, say), and no FIFO or endless file can stall it.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from grader.submission.config import MAX_TRAIN_EXAMPLES, MAX_VAL_EXAMPLES, TrainConfig
from grader.errors import UserError
from grader.submission.sandbox import ConfinedProcess, Deadline, SandboxLimits, SandboxResult, start_confined
from grader.submission.sandbox_worker import MAX_OUTPUT_CHARS, OPTIONAL_FIELDS, OUTPUT_NAME, PROGRESS_NAME

SPLIT_LIMITS = {"train": MAX_TRAIN_EXAMPLES, "val": MAX_VAL_EXAMPLES}
COUNT_CAP = 10 * MAX_TRAIN_EXAMPLES + 1  # the worker stops counting here, so an endless generator ends
# A line this long holds far more than 2048 tokens' worth of text for any tokenizer (the
# validation pipeline's per-tokenizer character budget is much lower); it is skipped unread.
MAX_LINE_BYTES = 8 << 20
MAX_SPLIT_BYTES = 2 << 30  # 100,000 examples of 2048 tokens stay well under 1 GiB
MAX_REPORT_BYTES = 16 << 20
# The worker, loaded from the kit only: `python -m` would put the current folder (the submission)
# first on sys.path, where a folder named grader/ would stand in for the kit. `-c` puts '' there
# instead, which goes before anything is imported; PYTHONPATH (the sandbox's) names the kit.
WORKER = "grader.submission.sandbox_worker"
BOOTSTRAP = f"import sys; sys.path[:] = filter(None, sys.path); import runpy; runpy.run_module({WORKER!r}, run_name='__main__', alter_sys=True)"
_CHECK_EVERY = 4096  # rows between deadline checks
MAX_OUTPUT_LINES = 20  # of what sft_utils.py printed, shown by check
MAX_OUTPUT_LINE = 300
# output.txt is MAX_OUTPUT_CHARS characters at most, each at most 6 bytes (backslashreplace writes a lone surrogate as \udc80)
_MAX_OUTPUT_BYTES = 6 * MAX_OUTPUT_CHARS + 4096
_POLL_SECONDS = 0.5  # how often the sandbox's progress is read while it runs
Progress = Callable[[str, int, float], None]  # (stage: import, train or val; rows so far; seconds)


class MaterializeError(UserError):
    """The submission's data could not be produced; ``code`` is its violation code."""

    def __init__(self, message: str, code: str = "data", split: str | None = None, index: int | None = None,
                 value: int | None = None, limit: int | None = None):  # fmt: skip
        super().__init__(message)
        self.code, self.split, self.index, self.value, self.limit = code, split, index, value, limit


@dataclass(frozen=True)
class Unread:
    """A row too long to read (``size`` bytes at least): over any token limit, never parsed."""

    index: int
    size: int


@dataclass
class SplitSource:
    """One split as the sandbox wrote it, read row by row (nothing is held: the caller streams).

    ``count`` is final once ``rows()`` is exhausted: how many examples load_split produced.
    """

    name: str
    file: str
    path: Path
    claimed: object = None
    count: int = 0

    @property
    def count_capped(self) -> bool:
        """load_split kept producing examples until the worker stopped counting."""
        return self.count >= COUNT_CAP

    def rows(self, deadline: Deadline = Deadline()) -> Iterator[tuple[int, str, str, str | None, str | None] | Unread]:
        """(index, problem, solution, answer, source) for at most limit + 1 rows; more rows only raise the count."""
        limit = SPLIT_LIMITS[self.name]
        index = 0
        with _open_output(self.path, MAX_SPLIT_BYTES, f"'{self.name}' data") as handle:
            while index <= limit:
                if index % _CHECK_EVERY == 0:
                    deadline.check(f"reading the '{self.name}' examples")
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                if len(raw) > MAX_LINE_BYTES:
                    yield Unread(index, len(raw) + _skip_line(handle))
                else:
                    yield (index, *_parse_row(raw, self.name, index))
                index += 1
            overflow = bool(handle.read(1))  # only a forged file has more rows than the worker writes
        count = max(index, limit + 1 if overflow else 0)
        claimed = self.claimed
        if isinstance(claimed, int) and not isinstance(claimed, bool) and claimed > count:
            count = min(claimed, COUNT_CAP)
        self.count = count


@dataclass(frozen=True)
class Materialized:
    chat_template: str
    splits: dict[str, SplitSource]  # the splits load_split produced
    confinement: str
    seconds: float
    notes: list[str] = field(default_factory=list)
    errors: dict[str, MaterializeError] = field(default_factory=dict)  # the splits whose load_split failed


@dataclass(frozen=True)
class StudentOutput:
    """What sft_utils.py printed (stdout and stderr): its first lines as printed, and how many there were."""

    head: list[str]
    lines: int


def _skip_line(handle: BinaryIO) -> int:
    """Read past the rest of a line without holding it; the bytes skipped."""
    skipped = 0
    while chunk := handle.readline(1 << 20):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _open_output(path: Path, max_bytes: int, what: str) -> BinaryIO:
    """Open a file the sandbox wrote: a regular file (no link, FIFO or device) of at most max_bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise MaterializeError(f"sft_utils.py: no {what} came back from the sandbox") from None
    except OSError:  # ELOOP: a symbolic link
        raise MaterializeError(f"sft_utils.py: the sandbox's {what} is not a regular file") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        os.close(fd)
        reason = "is not a regular file" if not stat.S_ISREG(info.st_mode) else f"is larger than {max_bytes >> 20:,} MiB"
        raise MaterializeError(f"sft_utils.py: the sandbox's {what} {reason}")
    return os.fdopen(fd, "rb")


def _parse_row(raw: bytes, name: str, index: int) -> tuple[str, str, str | None, str | None]:
    malformed = MaterializeError(f"sft_utils.py: '{name}' example {index} came back malformed", split=name, index=index)
    try:
        row = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise malformed from None
    if type(row) is not dict or not 2 <= len(row) <= 4 or not set(row) <= {"problem", "solution", *OPTIONAL_FIELDS}:
        raise malformed
    problem, solution, answer, source = row.get("problem"), row.get("solution"), row.get("answer"), row.get("source")
    if type(problem) is not str or type(solution) is not str:
        raise malformed
    if any(value is not None and type(value) is not str for value in (answer, source)):
        raise malformed
    if b"\\u" in raw:  # only escapes can smuggle in a lone surrogate, which no tokenizer takes
        try:
            problem.encode("utf-8"), solution.encode("utf-8"), (answer or "").encode("utf-8"), (source or "").encode("utf-8")
        except UnicodeEncodeError:
            raise malformed from None
    return problem, solution, answer, source


def read_progress(out: Path) -> tuple[str, int] | None:
    """The sandbox's last progress report (stage, rows so far); None when there is none or it is not one."""
    try:
        with _open_output(out / PROGRESS_NAME, 4096, "progress") as handle:
            seen = json.loads(handle.read())
    except (MaterializeError, OSError, ValueError, UnicodeDecodeError):
        return None
    stage, rows = seen.get("stage") if isinstance(seen, dict) else None, seen.get("rows") if isinstance(seen, dict) else None
    if stage not in ("import", *SPLIT_LIMITS) or type(rows) is not int or rows < 0:
        return None
    return stage, rows


def _timed_out(result: SandboxResult, limits: SandboxLimits, seen: tuple[str, int] | None) -> MaterializeError:
    """The time limit stopped sft_utils.py: where it was, in whole seconds, and what --timeout can and cannot do."""
    seconds = max(1, round(result.wall_seconds))
    stage, rows = seen or (None, 0)
    if stage == "import":
        doing = "importing it"
    elif stage is not None:
        doing = f"load_split('{stage}') ({rows:,} examples so far)"
    else:
        doing = "it"
    if result.wall_seconds < limits.wall_seconds:
        hint = (f"that was what check's --timeout left it; give check more with --timeout SECONDS "
                f"(sft_utils.py gets at most {limits.wall_seconds:.0f} s)")  # fmt: skip
    else:
        hint = "that is the sandbox's limit, whatever --timeout says: prepare data files beforehand and only read them here"
    split = stage if stage in SPLIT_LIMITS else None
    return MaterializeError(f"sft_utils.py: {doing} did not finish within {seconds} s; {hint}", "timeout", split=split, limit=seconds)


def _failure(result: SandboxResult, limits: SandboxLimits, seen: tuple[str, int] | None = None) -> MaterializeError:
    """Why the sandbox stopped without a report, in one line with its violation code."""
    if result.timed_out:
        return _timed_out(result, limits, seen)
    mib = limits.memory_bytes >> 20
    if result.memory_killed or "MemoryError" in result.stderr_tail:
        return MaterializeError(f"sft_utils.py: was killed by the sandbox's memory limit of {mib:,} MiB", "memory", limit=mib)
    if result.signal == signal.SIGXCPU:
        return MaterializeError("sft_utils.py: used up its CPU time (the time limit)", "timeout", limit=int(limits.wall_seconds))
    if result.signal == signal.SIGXFSZ:
        return MaterializeError(f"sft_utils.py: wrote a file larger than the sandbox's limit of {limits.max_file_bytes >> 20:,} MiB")
    if result.signal == signal.SIGKILL:
        return MaterializeError(f"sft_utils.py: was killed (SIGKILL); it may have exceeded the memory limit of {mib:,} MiB", "memory", limit=mib)
    tail = result.stderr_tail.strip().splitlines()
    last = tail[-1] if tail else ""
    return MaterializeError(f"sft_utils.py: stopped before returning its data (exit {result.returncode}){': ' + last if last else ''}")


def _read_report(out: Path, result: SandboxResult, limits: SandboxLimits) -> dict:
    try:
        handle = _open_output(out / "result.json", MAX_REPORT_BYTES, "report")
    except MaterializeError:
        if not (out / "result.json").exists() or result.timed_out:
            raise _failure(result, limits, read_progress(out)) from None
        raise
    try:
        with handle:
            report = json.loads(handle.read())
        if not isinstance(report, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError):
        raise MaterializeError("sft_utils.py: the sandbox's report came back malformed") from None
    return report


def _template(report: dict) -> str:
    template = report.get("chat_template")
    if not isinstance(template, str) or not template.strip():
        raise MaterializeError("sft_utils.py must define CHAT_TEMPLATE as a non-empty string", "template")
    try:
        template.encode("utf-8")
    except UnicodeEncodeError:
        raise MaterializeError("sft_utils.py: CHAT_TEMPLATE is not valid Unicode (lone surrogate)", "template") from None
    return template


class PendingMaterialization:
    """sft_utils.py running in the sandbox; ``result()`` waits for it and reads its data back.

    A context manager: leaving the block kills the sandbox and removes its output folder.
    """

    def __init__(self, submission: Path, config: TrainConfig, limits: SandboxLimits, wall_seconds: float | None = None,
                 confined: bool = False, secrets: tuple[Path, ...] = ()):  # fmt: skip
        self.config, self.limits = config, limits
        self._tmp = tempfile.TemporaryDirectory(prefix="grader-materialize-", ignore_cleanup_errors=True)
        self.out = Path(self._tmp.name)
        self.out.chmod(0o777)  # the sandbox runs as another uid
        argv = [
            sys.executable, "-c", BOOTSTRAP,
            "--train-file", config.train_file,
            "--val-file", config.val_file,
            "--max-train", str(SPLIT_LIMITS["train"]),
            "--max-val", str(SPLIT_LIMITS["val"]),
            "--max-count", str(COUNT_CAP),
            "--seed", str(config.seed),
        ]  # fmt: skip
        try:
            self.process: ConfinedProcess = start_confined(argv, submission, self.out, limits, wall_seconds=wall_seconds,
                                                           confined=confined, secrets=secrets)  # fmt: skip
        except BaseException:
            self._tmp.cleanup()
            raise

    def result(self, deadline: Deadline = Deadline(), progress: Progress | None = None) -> Materialized:
        """The student's data, or MaterializeError with one line; DeadlineExceeded past ``deadline``.

        ``progress(stage, rows, seconds)`` is called about twice a second while the sandbox runs.
        """
        result = self._wait(progress)
        if result.timed_out:
            raise _failure(result, self.limits, read_progress(self.out))
        report = self._report = _read_report(self.out, result, self.limits)
        error = report.get("error")
        if error is not None:
            raise self._student_error(str(error), report.get("error_code"), result)
        template = _template(report)
        counts = report.get("counts") if isinstance(report.get("counts"), dict) else {}
        failed = report.get("split_errors") if isinstance(report.get("split_errors"), dict) else {}
        splits, errors = {}, {}
        for name, file in (("train", self.config.train_file), ("val", self.config.val_file)):
            if failed.get(name) is not None:
                errors[name] = self._student_error(str(failed[name]), "data", result, split=name)
            else:
                splits[name] = SplitSource(name, file, self.out / f"{name}.jsonl", counts.get(name))
        return Materialized(template, splits, result.confinement, result.seconds, errors=errors)

    def _wait(self, progress: Progress | None) -> SandboxResult:
        proc = self.process.proc
        while progress is not None:
            try:
                proc.wait(timeout=_POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                seen = read_progress(self.out)
                if seen is not None:
                    progress(*seen, time.monotonic() - self.process.start)
        return self.process.wait()

    def output(self) -> StudentOutput:
        """What the student's code printed (its first lines, cut to a width), whatever became of it; read after ``result``."""
        try:
            with _open_output(self.out / OUTPUT_NAME, _MAX_OUTPUT_BYTES, "output") as handle:
                text = handle.read().decode("utf-8", "replace")
        except (MaterializeError, OSError):
            text = ""
        lines = text.splitlines()
        claimed = getattr(self, "_report", {}).get("output_lines")
        total = claimed if type(claimed) is int and claimed >= len(lines) else len(lines)
        return StudentOutput([line[:MAX_OUTPUT_LINE] for line in lines[:MAX_OUTPUT_LINES]], total)

    def _student_error(self, error: str, code: object, result: SandboxResult, split: str | None = None) -> MaterializeError:
        line = error.splitlines()[0] if error.strip() else "sft_utils.py failed"
        if code == "memory" or result.memory_killed:
            return MaterializeError(line, "memory", split=split, limit=self.limits.memory_bytes >> 20)
        if result.processes_refused:
            return MaterializeError(
                f"{line} (the sandbox allows {self.limits.max_processes} processes)",
                "processes", split=split, limit=self.limits.max_processes,
            )  # fmt: skip
        return MaterializeError(line, split=split)

    def __enter__(self) -> PendingMaterialization:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.__exit__(*exc)
        self._tmp.cleanup()


def start_materialize(
    submission: str | Path, config: TrainConfig, limits: SandboxLimits = SandboxLimits(), wall_seconds: float | None = None,
    confined: bool = False, secrets: tuple[Path, ...] = (),
) -> PendingMaterialization:
    """Start sft_utils.py in the sandbox and return at once; raise UserError if it cannot start.

    ``limits`` is what the student's code can observe, the same in every mode (check, sft.py,
    batch); ``wall_seconds`` only brings the kill forward (``check --timeout``), unobservably.
    ``confined`` (grading) and ``secrets``: see ``grader.submission.sandbox.start_confined``.
    """
    submission = Path(submission).resolve()
    module = submission / "sft_utils.py"
    if not module.is_file():
        raise MaterializeError(f"{module}: file not found (the submission must contain sft_utils.py)")
    return PendingMaterialization(submission, config, limits, wall_seconds, confined, secrets)
