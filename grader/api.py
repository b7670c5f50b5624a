"""The kit from Python: every command as a function with keyword arguments.

    from grader import api
    report = api.check("path/to/submission", test="hidden.jsonl")          # CheckReport (check --json's object)
    summary = api.evaluate("checkpoints/final", "data/val.jsonl")          # + OUT/report.html
    result = api.grade("submissions/", test="hidden.jsonl", base_model="/models/Llama-3.2-1B", out="batch/")
    api.report("batch/", feedback="pages/", show_problems="wrong")

The commands (``grader.commands``) parse their arguments and call these; nothing here needs an
argparse Namespace. This is also where layers are composed: ``evaluate`` writes the feedback
page, ``check`` (``report=``) the data page and ``grade`` the class report, all of which sit
above the work they describe. Each
function imports what it needs when called, so ``score`` never pays for torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader.batch.grade import GradeResult, SlurmOptions, Status  # plain data, no heavy imports
from grader.evaluation.evaluate import DEFAULT_MAX_NEW_TOKENS, default_out_dir
from grader.submission.check import DEFAULT_TIMEOUT, CheckReport
from grader.submission.materialize import Progress

if TYPE_CHECKING:
    from grader.batch.policy import Policy
    from grader.report.write import ReportResult
    from grader.batch.layout import SubmissionState

__all__ = ["check", "evaluate", "score", "grade", "status", "grade_one", "report", "demo", "SlurmOptions", "GradeResult", "Status"]


def check(
    submission: str | Path = ".",
    *,
    base_model: str | None = None,
    test: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    save: str | Path | None = None,
    world_size: int = 1,
    strict: bool = False,
    report: str | Path | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Validate a submission (config, sandboxed data, exact-token limits; decontamination with ``test``).

    Returns check's report (``records.to_json`` of it is the ``--json`` object: ``ok``, per-split
    stats, ``violations``, ``warnings``, ``prompt``, ...). ``save``: write the validated token ids
    there when valid (``sft.py --validated`` trains on them). ``strict``: warnings fail it too.
    ``report``: also write the data page there (one offline HTML file). ``progress(stage, rows,
    seconds)``: called about twice a second while sft_utils.py runs in the sandbox.
    """
    from grader.submission.check import check as run_check

    result = run_check(submission, base_model=base_model, test=test, timeout=timeout, save=save, world_size=world_size,
                       strict=strict, progress=progress)  # fmt: skip
    if report is not None:
        from grader.report.data_page import write_data_page

        write_data_page(result, report)
    return result


def evaluate(
    model_dir: str | Path,
    data: str | Path,
    *,
    out: str | Path | None = None,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    batch_size: int | None = None,
    backend: str = "auto",
    limit: int | None = None,
    prompt_format: str | Path | None = None,
    page: bool = True,
) -> dict:
    """Generate with a checkpoint on a problem set and score it; the summary (accuracy, ...).

    Writes ``predictions.jsonl``, ``summary.json`` and (``page``) the feedback page ``report.html``
    into ``out`` (default ``MODEL_DIR/eval/<data file stem>``).
    """
    from grader.evaluation.evaluate import evaluate as run_evaluate

    folder = Path(out) if out is not None else default_out_dir(model_dir, data)
    summary = run_evaluate(model_dir, data, folder, max_new_tokens=max_new_tokens, batch_size=batch_size,
                           backend=backend, limit=limit, format_dir=prompt_format)  # fmt: skip
    if page:
        from grader.report.feedback import write_run_feedback

        write_run_feedback(folder, model_dir, data)
    return summary


def score(predictions: str | Path, data: str | Path, *, out: str | Path | None = None, workers: int | None = None,
          timeout: float | None = None) -> dict:  # fmt: skip
    """Grade existing generations (``{id, output}`` rows) against references (``{id, answer}``); the summary."""
    from grader.answers import DEFAULT_TIMEOUT as ANSWER_TIMEOUT
    from grader.evaluation.score import score as run_score

    return run_score(predictions, data, out=out, workers=workers, timeout=ANSWER_TIMEOUT if timeout is None else timeout)


def grade(
    submissions: str | Path,
    *,
    test: str | Path,
    base_model: str | Path,
    out: str | Path,
    policy: Policy | str | Path | None = None,
    gpus: str | int = "auto",
    gpus_per_job: int = 1,
    cpu_workers: int | None = None,
    slurm: SlurmOptions | None = None,
    only: list[str] | None = None,
    retry_failed: bool = False,
    baseline: bool = True,
    progress: str = "auto",
    class_report: bool = True,
) -> GradeResult:
    """Grade a class into the batch folder ``out`` (resumable), then write ``out/report.html``.

    See ``grader.batch.grade.grade`` for the arguments. A class report that cannot be written is
    a warning: the gradebook is what counts.
    """
    import sys

    from grader.batch.grade import grade as run_grade

    result = run_grade(submissions, test=test, base_model=base_model, out=out, policy=policy, gpus=gpus,
                       gpus_per_job=gpus_per_job, cpu_workers=cpu_workers, slurm=slurm, only=only,
                       retry_failed=retry_failed, baseline=baseline, progress=progress)  # fmt: skip
    if class_report and not result.submitted_only:
        root = result.batch.paths.root
        try:
            written = report(root, gradescope=False)
            print(f"written: {written.page}", file=sys.stderr)
        except Exception as exc:  # the gradebook is written; a report problem must not hide it
            print(f"warning: the class report could not be written ({type(exc).__name__}: {exc}); "
                  f"try `python -m grader report {root}`", file=sys.stderr)  # fmt: skip
    return result


def status(batch_dir: str | Path) -> Status:
    """Where a batch stands: every submission's state (grades.csv rebuilt) and the Slurm tasks still queued."""
    from grader.batch.grade import status as run_status

    return run_status(batch_dir)


def grade_one(batch_dir: str | Path, submission_id: str) -> tuple[str, SubmissionState]:
    """One submission's remaining stages, here and now (what a Slurm task runs): (outcome, its state)."""
    from grader.batch.grade import grade_one as run_one

    return run_one(batch_dir, submission_id)


def report(
    batch_dir: str | Path,
    *,
    out: str | Path | None = None,
    feedback: str | Path | None = None,
    show_problems: str = "none",
    max_score: float | None = None,
    visibility: str = "visible",
    gradescope: bool = True,
) -> ReportResult:
    """The class report (default ``DIR/report.html``), feedback pages in ``feedback``, Gradescope results.json."""
    from grader.report.write import write_report

    return write_report(batch_dir, out=out, feedback=feedback, show_problems=show_problems, max_score=max_score,
                        visibility=visibility, gradescope=gradescope)  # fmt: skip


def demo(workdir: str | Path = "runs/demo") -> dict:
    """The whole loop on the embedded tiny model: accuracy before and after training, and where it all went."""
    from grader.demo import demo as run_demo

    return run_demo(workdir)
