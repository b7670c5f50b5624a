"""The kit from Python: every command as a function with keyword arguments.

    from grader import api
    report = api.check("path/to/submission", test="hidden.jsonl")          # a CheckReport (check --json)
    summary = api.evaluate("checkpoints/final", "data/val.jsonl")          # a Summary, + OUT/report.html
    result = api.grade("submissions/", test="hidden.jsonl", base_model="/models/Llama-3.2-1B", out="batch/")
    api.report("batch/", feedback="pages/", show_problems="wrong")

The commands (``grader.commands``) parse their arguments and call these; nothing here needs an
argparse Namespace. Where a command is one layer's work the function is that layer's own
(``score``, ``status``, ``grade_one``, ``report``, ``demo``, re-exported here and imported on first
use, so ``score`` never pays for torch or matplotlib); where it composes layers it is written here:
``evaluate`` adds the feedback page, ``check`` (``report=``) the data page and ``grade`` the class
report, all of which sit above the work they describe.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from grader.batch.grade import GradeResult, SlurmOptions, Status  # no heavy imports: torch and matplotlib load on use
from grader.batch.grade import grade as run_grade
from grader.evaluation.evaluate import DEFAULT_MAX_NEW_TOKENS, Summary, default_out_dir
from grader.evaluation.evaluate import evaluate as run_evaluate
from grader.submission.check import CheckReport
from grader.submission.check import check as run_check
from grader.submission.sandbox import allow_unconfined_student_code

# One layer's work, re-exported as it is: name -> (module, function).
_OWN = {
    "prepare_numina": ("grader.submission.numina", "prepare"),
    "score": ("grader.evaluation.score", "score"),
    "status": ("grader.batch.grade", "status"),
    "grade_one": ("grader.batch.grade", "grade_one"),
    "report": ("grader.report.write", "write_report"),
    "demo": ("grader.demo", "demo"),
}
__all__ = [*_OWN, "check", "evaluate", "grade", "GradeResult", "SlurmOptions", "Status", "Summary"]


def __getattr__(name: str) -> Any:
    if name not in _OWN:
        raise AttributeError(f"module 'grader.api' has no attribute {name!r}")
    module, function = _OWN[name]
    return getattr(importlib.import_module(module), function)


def check(submission: str | Path = ".", *, report: str | Path | None = None, unconfined_student_code: bool = False,
          **options: Any) -> CheckReport:
    """Validate a submission (``grader.submission.check.check``: base_model=, test=, timeout=, save=, strict=,
    confined=, progress=, ...); check's report (``records.to_json`` of it is the ``--json`` object).

    ``report``: also write the data page there (one offline HTML file). ``unconfined_student_code``:
    the instructor's explicit leave to run sft_utils.py as a plain subprocess where ``confined`` (or
    ``save``) cannot confine it (for this process and what it starts).
    """
    if report is not None:
        from grader.report.data_page import report_path, write_data_page

        report_path(report)  # a usage error before the check runs, not after
    if unconfined_student_code:
        allow_unconfined_student_code()
    result = run_check(submission, **options)
    if report is not None:
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
) -> Summary:
    """Generate with a checkpoint on a problem set and score it; the summary (accuracy, ...).

    Writes ``predictions.jsonl``, ``summary.json`` and (``page``) the feedback page ``report.html``
    into ``out`` (default ``MODEL_DIR/eval/<data file stem>``). ``prompt_format``: a validated
    dataset folder whose prompt format to use (e.g. to score an untrained base model).
    """
    folder = Path(out) if out is not None else default_out_dir(model_dir, data)
    summary = run_evaluate(model_dir, data, folder, max_new_tokens=max_new_tokens, batch_size=batch_size,
                           backend=backend, limit=limit, format_dir=prompt_format)  # fmt: skip
    if page:
        from grader.report.feedback import write_run_feedback

        write_run_feedback(folder, model_dir, data)
    return summary


def grade(submissions: str | Path, *, class_report: bool = True, title: str | None = None,
          unconfined_student_code: bool = False, **options: Any) -> GradeResult:
    """Grade a class (``grader.batch.grade.grade``: test=, base_model=, out=, policy=, gpus=, slurm=, retake=, ...),
    then write ``out/report.html`` titled ``title`` (default: the batch folder's name). A class report that cannot
    be written is a warning: the gradebook counts. ``unconfined_student_code``: where sft_utils.py cannot be
    confined, run it as a plain subprocess anyway (else grading refuses with one line)."""
    from grader.report.write import write_report

    if unconfined_student_code:
        allow_unconfined_student_code()
    result = run_grade(submissions, **options)
    if class_report and not result.submitted_only:
        root = result.batch.paths.root
        try:
            print(f"written: {write_report(root, gradescope=False, title=title).page}", file=sys.stderr)
        except Exception as exc:  # the gradebook is written; a report problem must not hide it
            print(f"warning: the class report could not be written ({type(exc).__name__}: {exc}); "
                  f"try `python -m grader report {root}`", file=sys.stderr)  # fmt: skip
    return result
