"""The one validation pipeline: config -> sandboxed data -> prompt format -> tokens -> limits.

``check``, ``sft.py`` and the batch grader all run it. With ``data_dir`` it writes what passed
as the trainer's input (Arrow token ids, ``meta.json``, ``prompt_format.json``), and ``sft.py``
trains on exactly those files; without it, nothing but the lengths is kept. Examples stream
through in chunks (read, survey, render the template confined, tokenize, check limits,
decontaminate, write), so memory stays bounded whatever a submission holds. Every problem is
collected as a ``Violation`` so a student sees all of them in one run; what does not break a rule
but will cost a grade is a ``DataWarning`` (survey.py). The base model's tokenizer loads while
the sandbox runs; a deadline, when given, bounds the whole pipeline and not only the student's code.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from grader import records
from grader.errors import UserError
from grader.jsonl import DataError
from grader.submission.config import TrainConfig, read_submission_config
from grader.submission.decontam import TestSet, find_contamination, find_template_contamination
from grader.submission.encode import (
    CHUNK_CHARS, PARTIAL_FROM, ArrowSink, EncodedSplit, encode_examples, longest_token_chars, token_floor,
    tokens_at_least,
)  # fmt: skip
from grader.submission.limits import (
    COUNT_LIMITS, Violation, count_violation, length_violation, lower_bound_violation, where,
)  # fmt: skip
from grader.submission.materialize import MaterializeError, Progress, SplitSource, StudentOutput, Unread, start_materialize
from grader.submission.prompts import (
    FORMAT_NAME, PromptFormat, TemplateError, first_divergence, prompt_format, write_format,
)  # fmt: skip
from grader.submission.sandbox import (
    Deadline, DeadlineExceeded, Forked, ForkedCallError, SandboxLimits, call_forked, start_forked,
)  # fmt: skip
from grader.submission.shadowing import find_shadowing
from grader.submission.survey import DataWarning, SplitSurvey, Surveyor, special_token_pattern
from grader.submission.tokenizer import load_tokenizer

META_NAME = "meta.json"
SPLIT_FILES = {"train": "train.arrow", "val": "val.arrow"}

@dataclass(frozen=True)
class SplitStats:
    """A split's size in examples and tokens (prompt + solution + EOS), as checked; None where not known."""

    OMIT_NONE: ClassVar[bool] = True
    examples: int | None  # None: the split was not read
    max_tokens: int | None = None  # the token figures: only once examples were tokenized
    p50_tokens: int | None = None
    p99_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(frozen=True)
class DatasetMeta:
    """meta.json beside the validated ids: what the trainer needs to train on exactly them."""

    chat_template: str
    base_model: str
    config: dict[str, Any]  # TrainConfig's fields
    stats: dict[str, SplitStats]
    sandbox: str | None
    prompt_format_sha256: str
    splits: dict[str, str]  # split -> its Arrow file in the folder


@dataclass
class Validation:
    config: TrainConfig
    base_model: str
    violations: list[Violation] = field(default_factory=list)
    chat_template: str | None = None
    fmt: PromptFormat | None = None
    tokenizer: Any = None
    splits: dict[str, EncodedSplit] = field(default_factory=dict)
    confinement: str | None = None
    notes: list[str] = field(default_factory=list)
    data_dir: Path | None = None  # where the trainer's input was written (only when valid)
    surveys: dict[str, SplitSurvey] = field(default_factory=dict)  # per split read: boxes, duplicates, sources, lengths
    warnings: list[DataWarning] = field(default_factory=list)  # do not fail the check (check --strict)
    output: StudentOutput | None = None  # what sft_utils.py printed
    rendered: int = 0  # problems the template was rendered on (confined), besides the probes

    @property
    def ok(self) -> bool:
        return not self.violations

    def stats(self) -> dict[str, SplitStats]:
        """Counts and token-length percentiles per split (of the examples that were tokenized)."""
        out: dict[str, SplitStats] = {}
        for name, split in self.splits.items():
            lengths = np.sort(split.tokenized)
            if not lengths.size:
                out[name] = SplitStats(split.count)
                continue
            out[name] = SplitStats(
                split.count,
                max_tokens=int(lengths[-1]),
                p50_tokens=int(np.median(lengths)),
                p99_tokens=int(lengths[min(lengths.size - 1, int(0.99 * lengths.size))]),
                total_tokens=int(lengths.sum()),
            )
        return out


TEMPLATE_SECONDS = 10.0  # rendering the probes of a real template takes milliseconds
TEMPLATE_MEMORY = 1 << 30
MAX_TEMPLATE_ANSWER = 1 << 20  # the text around the problem: far more than 2048 tokens


def confined_prompt_format(tokenizer, chat_template: str, deadline: Deadline = Deadline()) -> PromptFormat:
    """``prompt_format`` in a forked child with time and memory limits.

    The chat template is student data, yet Jinja renders it in this process's code. Jinja's
    sandbox blocks attribute tricks, not a loop nest that runs for hours or ``'a' * 10**10``.
    Here (the probes) and in ``_TemplateCheck`` (the student's own problems) are the only places a
    student's template is ever rendered; never on a hidden problem.
    """

    def render() -> dict:
        try:
            return prompt_format(tokenizer, chat_template).to_json()
        except UserError as exc:
            return {"error": str(exc)}

    seconds = max(0.1, min(TEMPLATE_SECONDS, deadline.remaining()))
    try:
        answer = call_forked(render, seconds, TEMPLATE_MEMORY, MAX_TEMPLATE_ANSWER)
    except ForkedCallError as exc:
        raise TemplateError(f"CHAT_TEMPLATE: rendering {exc}") from None
    if "error" in answer:
        raise TemplateError(answer["error"])
    answer["prefix_ids"], answer["suffix_ids"] = tuple(answer["prefix_ids"]), tuple(answer["suffix_ids"])
    fmt = PromptFormat(**answer)
    try:
        (fmt.prefix + fmt.suffix).encode("utf-8")
    except UnicodeEncodeError:
        raise TemplateError("CHAT_TEMPLATE: renders text that is not valid Unicode (lone surrogate)") from None
    return fmt


IN_FLIGHT = 2  # chunks tokenized and decontaminated at once, behind the one being read
TEMPLATE_RENDER_SECONDS = 120.0  # CPU for rendering the template on all of a submission's problems, every batch together
RENDER_BATCH_CHARS = 8 << 20  # problems per forked child: a fork costs ~20 ms, so batches stay large
RENDER_BATCH_PROBLEMS = 25_000


@dataclass(frozen=True)
class _Rendering:
    child: Forked
    indices: list[int]
    split: str
    by_deadline: bool  # its time was cut to the deadline's (a kill then is --timeout's doing)


@dataclass
class _TemplateCheck:
    """CHAT_TEMPLATE rendered on every problem tokenized, in batches, each in a forked child with time and memory caps.

    Each rendering must be exactly prefix + problem + suffix, the prompt the model gets: the probes
    find the format, this proves it on the student's own problems. The first difference is a
    ``template`` violation naming the example; no rendering of it leaves the child.
    """

    tokenizer: Any
    chat_template: str
    fmt: PromptFormat
    seconds: float = TEMPLATE_RENDER_SECONDS  # left, for every batch together
    done: bool = False  # a difference was found (only the first is reported) or rendering failed
    rendered: int = 0
    indices: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    chars: int = 0
    pending: _Rendering | None = None  # the child rendering the last full batch

    def queue(self, indices: tuple[int, ...], problems: tuple[str, ...]) -> bool:
        """Add a chunk's problems; True when the batch is full and should be rendered now."""
        if not self.done:
            self.indices.extend(indices)
            self.problems.extend(problems)
            self.chars += sum(map(len, problems))
        return self.chars >= RENDER_BATCH_CHARS or len(self.problems) >= RENDER_BATCH_PROBLEMS

    def start(self, split: str, deadline: Deadline) -> None:
        """Fork the child that renders the queued problems; the caller tokenizes meanwhile, then ``collect``s."""
        indices, problems = self.indices, self.problems
        self.indices, self.problems, self.chars = [], [], 0
        if self.done or not problems:
            return
        deadline.check(f"rendering CHAT_TEMPLATE on the '{split}' problems")
        tokenizer, template, fmt = self.tokenizer, self.chat_template, self.fmt

        def render() -> list | None:
            try:
                found = first_divergence(tokenizer, template, fmt, problems)
            except UserError as exc:
                return [0, str(exc)]
            return None if found is None else [found[0], found[1]]

        seconds = max(0.1, min(self.seconds, deadline.remaining()))
        child = start_forked(render, seconds, TEMPLATE_MEMORY, MAX_TEMPLATE_ANSWER)
        self.pending = _Rendering(child, indices, split, deadline.remaining() < self.seconds)

    def abandon(self) -> None:
        """Stop a started child (the split stopped early: a deadline, an error)."""
        if self.pending is not None:
            self.pending.child.cancel()
            self.pending = None

    def collect(self, file: str) -> Violation | None:
        """The started child's verdict: None, or the first example whose rendering differs (or why rendering failed)."""
        if self.pending is None:
            return None
        pending, self.pending = self.pending, None
        child, indices, split, by_deadline = pending.child, pending.indices, pending.split, pending.by_deadline
        try:
            answer = child.result()
        except ForkedCallError as exc:
            self.done = True
            if by_deadline:  # killed at the wall or its CPU limit: --timeout's doing
                raise DeadlineExceeded(f"rendering CHAT_TEMPLATE on the '{split}' problems") from None
            return Violation("template", f"CHAT_TEMPLATE: rendering it on your '{split}' problems {exc} (all of them "
                                         f"together may take {TEMPLATE_RENDER_SECONDS:.0f} s of CPU)", split)  # fmt: skip
        finally:  # the child's CPU, its limit's own measure: it may have finished long before it is collected
            self.seconds -= child.cpu_seconds
        self.rendered += len(indices)
        if answer is None:
            return None
        self.done = True
        k, detail = answer if isinstance(answer, list) and len(answer) == 2 else (0, "unreadable answer")
        index = indices[k] if type(k) is int and 0 <= k < len(indices) else indices[0]
        return Violation(
            "template",
            f"CHAT_TEMPLATE does not give {where(split, file)} example {index} the prompt the model gets ({detail}): "
            "training and grading use the text before the problem + the problem + the text after it, as found on "
            "the kit's probe problems, so make the template's text the same for every problem",
            split, index,
        )  # fmt: skip


def read_test_set(test_file: str | Path) -> TestSet:
    """The decontamination test set; a broken one is the caller's mistake (exit code 2)."""
    try:
        return TestSet.read(test_file)
    except DataError as exc:
        raise UserError(f"--test: {exc}", exit_code=2) from None
    except OSError as exc:
        raise UserError(f"--test: {test_file}: {exc.strerror}", exit_code=2) from None


def _violation(exc: MaterializeError) -> Violation:
    return Violation(exc.code, str(exc), exc.split, exc.index, exc.value, exc.limit)


def _timeout(deadline: Deadline, stage: str) -> Violation:
    return Violation("timeout", f"checking did not finish within --timeout {deadline.seconds:g} s (stopped while {stage}); "
                                "give it more with --timeout SECONDS", limit=int(deadline.seconds))  # fmt: skip


@dataclass(frozen=True)
class _Chunk:
    indices: tuple[int, ...]
    problems: tuple[str, ...]
    encoded: Future  # of encode_examples(...): the ids
    contaminated: Future  # of list[Violation]


@dataclass
class _SplitRun:
    """One split streaming through encode -> limits -> decontamination -> (Arrow file)."""

    source: SplitSource
    tokenizer: Any
    fmt: PromptFormat
    max_length: int
    tests: TestSet | None
    sink: ArrowSink | None
    template: _TemplateCheck | None = None
    violations: list[Violation] = field(default_factory=list)
    lengths: list[np.ndarray] = field(default_factory=list)
    prompt_lengths: list[np.ndarray] = field(default_factory=list)
    pending: list[tuple[int, str, str]] = field(default_factory=list)
    pending_chars: int = 0
    # Chunks being tokenized and decontaminated while the next one is read, oldest first: two, so the
    # tokenizer starts the next chunk the moment it ends one instead of waiting for the reader.
    in_flight: deque[_Chunk] = field(default_factory=deque)
    encoder: ThreadPoolExecutor | None = None  # one thread each: chunks queue behind each other, in order
    checker: ThreadPoolExecutor | None = None

    @property
    def name(self) -> str:
        return self.source.name

    def too_long(self, index: int, at_least: int, why: str, problem: str, deadline: Deadline) -> None:
        self.drain(deadline)  # lengths stay in example order
        self.violations.append(
            lower_bound_violation(self.name, self.source.file, index, at_least, why, self.max_length, problem)
        )
        self.lengths.append(np.array([-1]))
        self.prompt_lengths.append(np.array([-1]))

    def add(self, index: int, problem: str, solution: str, deadline: Deadline) -> None:
        """Queue an example, unless its size alone proves it cannot fit."""
        frame = len(self.fmt.prefix_ids) + len(self.fmt.suffix_ids) + 1
        chars = len(problem) + len(solution)
        floor = frame + token_floor(self.tokenizer, chars)
        if floor > self.max_length:
            why = f"{chars:,} characters, and no token is longer than {longest_token_chars(self.tokenizer)}"
            self.too_long(index, floor, why, problem, deadline)
            return
        if max(len(problem), len(solution)) > PARTIAL_FROM * self.max_length:
            for text, what in ((problem, "problem"), (solution, "solution")):
                proven = tokens_at_least(self.tokenizer, text, self.max_length - frame)
                if proven is not None:
                    why = f"the first part of its {what} alone is {proven:,} tokens"
                    self.too_long(index, frame + proven, why, problem, deadline)
                    return
        self.pending.append((index, problem, solution))
        self.pending_chars += chars
        if self.pending_chars >= CHUNK_CHARS:
            self.flush(deadline)

    def flush(self, deadline: Deadline) -> None:
        """Send the queued examples off: tokenized (Rust, without the GIL) and decontaminated in two threads
        while the caller reads the next chunk; the oldest is recorded first when ``IN_FLIGHT`` are out."""
        if not self.pending:
            return
        deadline.check(f"tokenizing the '{self.name}' examples")
        indices, problems, solutions = zip(*self.pending)
        self.pending, self.pending_chars = [], 0
        if self.template is not None and self.template.queue(indices, problems):
            self._record(every=True)  # fork while no thread of ours is busy
            self._collect_rendering()  # one child at a time
            self.template.start(self.name, deadline)
        while len(self.in_flight) >= IN_FLIGHT:
            self._record()
        if self.encoder is None or self.checker is None:
            self.encoder = ThreadPoolExecutor(1, thread_name_prefix=f"check-{self.name}-encode")
            self.checker = ThreadPoolExecutor(1, thread_name_prefix=f"check-{self.name}-decontaminate")
        self.in_flight.append(_Chunk(
            indices, problems,
            self.encoder.submit(encode_examples, self.tokenizer, self.fmt, problems, solutions, self.sink is not None),
            self.checker.submit(self.contamination, indices, problems, solutions, deadline),
        ))  # fmt: skip

    def drain(self, deadline: Deadline) -> None:
        """Every example queued so far, recorded."""
        self.flush(deadline)
        self._record(every=True)

    def close(self) -> None:
        """Wait for the threads and stop a rendering child (the split ended, or stopped early)."""
        for pool in (self.encoder, self.checker):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self.encoder = self.checker = None
        self.in_flight.clear()
        if self.template is not None:
            self.template.abandon()

    def _record(self, every: bool = False) -> None:
        """The oldest in-flight chunk's lengths, violations and ids (waiting for them), in example
        order; ``every``: all of them."""
        while self.in_flight:
            self._record_one(self.in_flight.popleft())
            if not every:
                return

    def _record_one(self, chunk: _Chunk) -> None:
        encoded = chunk.encoded.result()
        lengths = np.asarray(encoded.lengths, np.int64)
        self.lengths.append(lengths)
        self.prompt_lengths.append(np.asarray(encoded.prompt_lengths, np.int64))
        found = [
            length_violation(self.name, self.source.file, chunk.indices[k], int(lengths[k]), encoded.prompt_lengths[k],
                             self.max_length, chunk.problems[k])
            for k in np.flatnonzero(lengths > self.max_length)
        ]  # fmt: skip
        found += chunk.contaminated.result()
        self.violations += sorted(found, key=lambda v: v.index)  # example order, however the examples were chunked
        if self.sink is not None:
            if self.violations:
                self.sink.discard()
                self.sink = None
            else:
                self.sink.write(encoded)

    def contamination(self, indices, problems, solutions, deadline: Deadline) -> list[Violation]:
        """Every trained text of a chunk against the test set: problems, then solutions."""
        if self.tests is None:
            return []
        file = self.source.file
        return [
            violation
            for field_name, texts in (("problem", problems), ("solution", solutions))
            for violation in find_contamination(self.tests, self.name, file, texts, deadline, field=field_name, indices=indices)
        ]

    def _collect_rendering(self) -> None:
        found = self.template.collect(self.source.file) if self.template is not None else None
        if found is not None:
            self.violations.append(found)

    def finish(self, deadline: Deadline) -> EncodedSplit:
        self.drain(deadline)
        self._collect_rendering()
        if self.template is not None:  # the last, partial batch
            self.template.start(self.name, deadline)
            self._collect_rendering()
        source = self.source
        counted = count_violation(self.name, source.file, source.count, source.count_capped)
        if counted is not None:
            self.violations.append(counted)
        path = None
        if self.sink is not None:
            if self.violations:
                self.sink.discard()
            else:
                path = self.sink.commit()
        empty = np.zeros(0, np.int64)
        return EncodedSplit(
            self.name, source.file, source.count, source.count_capped,
            np.concatenate(self.lengths) if self.lengths else empty,
            np.concatenate(self.prompt_lengths) if self.prompt_lengths else empty,
            path,
        )  # fmt: skip


def _stream_split(run: _SplitRun, deadline: Deadline, surveyor: Surveyor) -> EncodedSplit:
    limit = COUNT_LIMITS[run.name]
    try:
        for row in run.source.rows(deadline):
            if isinstance(row, Unread):
                if row.index < limit:  # UTF-8 is at most 4 bytes a character
                    why = f"a row of {row.size:,} bytes, too long to read"
                    run.too_long(row.index, token_floor(run.tokenizer, row.size // 4), why, "", deadline)
                continue
            index, problem, solution, answer, source = row
            if index < limit:  # the row past the limit only shows that there are too many
                surveyor.add(index, problem, solution, answer, source)
                run.add(index, problem, solution, deadline)
        return run.finish(deadline)
    except BaseException:
        if run.sink is not None:
            run.sink.discard()
        raise
    finally:
        run.close()


def write_meta(validation: Validation, data_dir: Path) -> None:
    """What the trainer needs beside the ids; written last, so its presence means the folder is whole."""
    assert validation.fmt is not None and validation.chat_template is not None
    write_format(data_dir, validation.fmt)
    meta = DatasetMeta(
        chat_template=validation.chat_template,
        base_model=validation.base_model,
        config=asdict(validation.config),
        stats=validation.stats(),
        sandbox=validation.confinement,
        prompt_format_sha256=validation.fmt.sha256,
        splits={name: SPLIT_FILES[name] for name, split in validation.splits.items() if split.path is not None},
    )
    records.save(data_dir / META_NAME, meta)


def read_meta(data_dir: str | Path) -> DatasetMeta:
    """A validated dataset folder's meta.json (written last: its presence means the folder is whole)."""
    path = Path(data_dir) / META_NAME
    if not path.is_file():
        raise UserError(f"{data_dir}: not a validated dataset (no {META_NAME}; `python -m grader check --save DIR` writes one)")
    return records.load(path, DatasetMeta)


def _clear(data_dir: Path) -> None:
    """Nothing of an earlier run may pass for this one's: meta.json goes first."""
    for name in (META_NAME, FORMAT_NAME, *SPLIT_FILES.values()):
        (data_dir / name).unlink(missing_ok=True)
    for stale in data_dir.glob("cache-*.arrow"):
        stale.unlink(missing_ok=True)


def validate_submission(
    submission: str | Path,
    config_path: str | Path | None = None,
    base_model: str | None = None,
    limits: SandboxLimits = SandboxLimits(),
    tokenizer=None,
    test_file: str | Path | None = None,
    deadline: Deadline = Deadline(),
    data_dir: str | Path | None = None,
    confined: bool = False,
    progress: Progress | None = None,
) -> Validation:
    """Run every check ``sft.py`` needs before training; never raises for a submission's mistakes.

    ``test_file``: JSON Lines of test problems to decontaminate against (a broken one raises
    UserError with exit code 2). ``deadline``: the whole run ends by it, the sandbox included
    (the sandbox's own limits stay the same: only its kill comes sooner). ``data_dir``: write
    the trainer's input there when the submission is valid (and nothing when it is not).
    ``confined`` (grading): sft_utils.py runs under bubblewrap or as a separate uid, or not at all
    (SandboxUnavailable, a UserError), and ``test_file`` must then be unreadable to it.
    ``progress(stage, rows, seconds)``: called about twice a second while the sandbox runs.
    """
    tests = read_test_set(test_file) if test_file else None
    submission = Path(submission).resolve()
    config, errors = read_submission_config(submission, config_path)
    violations = [Violation("config", e) for e in errors]
    result = Validation(config=config, base_model=base_model or config.model_name_or_path, violations=violations)
    if data_dir is not None:
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        _clear(data_dir)
    if not submission.is_dir():
        result.violations.append(Violation("data", f"{submission}: submission folder not found"))
        return result
    result.violations += [Violation("shadowing", line) for line in find_shadowing(submission)]
    secrets = (Path(test_file),) if test_file else ()
    try:
        pending = start_materialize(submission, config, limits, wall_seconds=deadline.remaining(), confined=confined, secrets=secrets)
    except MaterializeError as exc:
        result.violations.append(_violation(exc))
        return result
    result.confinement = pending.process.confinement
    with pending:  # the sandbox's output folder lives until the splits have streamed through
        _collect(pending, result, tokenizer, tests, deadline, data_dir, progress)
        result.output = pending.output()
    if data_dir is not None:
        if result.ok:
            write_meta(result, data_dir)
            result.data_dir = data_dir
        else:
            _clear(data_dir)
    return result


def _collect(pending, result: Validation, tokenizer, tests: TestSet | None, deadline: Deadline, data_dir: Path | None,
             progress: Progress | None = None) -> None:  # fmt: skip
    """Load the tokenizer while the sandbox runs, then stream its data through the checks."""
    problem: Violation | None = None
    if tokenizer is None:
        try:
            tokenizer = load_tokenizer(result.base_model)
        except UserError as exc:
            problem = Violation("base_model", str(exc))
    result.tokenizer = tokenizer
    try:
        data = pending.result(deadline, progress)
    except MaterializeError as exc:
        result.violations.append(_violation(exc))
        data = None
    except DeadlineExceeded as exc:
        result.violations.append(_timeout(deadline, str(exc)))
        data = None
    if problem is not None:
        result.violations.append(problem)
    if data is None or tokenizer is None:
        return
    result.violations.extend(_violation(exc) for exc in data.errors.values())  # the other split is still checked
    result.chat_template = data.chat_template
    try:
        result.fmt = confined_prompt_format(tokenizer, data.chat_template, deadline)
    except UserError as exc:
        result.violations.append(Violation("template", str(exc)))
        return
    if tests is not None:  # the template's constant text is trained with every example
        result.violations.extend(find_template_contamination(tests, result.fmt.prefix, result.fmt.suffix))
    template = _TemplateCheck(tokenizer, data.chat_template, result.fmt, TEMPLATE_RENDER_SECONDS)
    specials, train_problems = special_token_pattern(tokenizer), {}
    try:
        for name, source in data.splits.items():
            sink = ArrowSink(data_dir / SPLIT_FILES[name]) if data_dir is not None and result.ok else None
            run = _SplitRun(source, tokenizer, result.fmt, result.config.max_length, tests, sink, template)
            surveyor = Surveyor(name, source.file, specials, train_problems)
            try:
                encoded = result.splits[name] = _stream_split(run, deadline, surveyor)
                result.surveys[name] = surveyor.survey(encoded.lengths)
                result.warnings.extend(surveyor.warnings())
            except MaterializeError as exc:
                result.violations.append(_violation(exc))
            except DeadlineExceeded as exc:
                result.violations.append(_timeout(deadline, str(exc)))
                return
            finally:
                result.violations.extend(run.violations)
    finally:
        result.rendered = template.rendered
