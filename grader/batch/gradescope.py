"""Gradescope's ``results.json`` for one submission (https://gradescope-autograders.readthedocs.io/en/latest/specs/).

A plain function of the submission's state and scores, so the batch grader, ``report`` and the
``run_autograder`` example all produce the same file. The score is ``accuracy x max_score`` on the
hidden set; everything else is a 0-point informational test. Nothing of the hidden set's text
is ever in this file: the numbers only.

Fields used (all from the spec): top level ``score``, ``output``, ``execution_time``,
``visibility``, ``stdout_visibility``, ``tests`` and ``leaderboard``; per test ``name``,
``score``, ``max_score``, ``status``, ``output`` and ``visibility``; per leaderboard entry
``name``, ``value`` and ``order``.
"""

from __future__ import annotations

from pathlib import Path

from grader.atomic import write_json_atomic
from grader.batch.layout import FINAL, SubmissionPaths, SubmissionState
from grader.evaluation.evaluate import GROUP_FIELDS, Summary
from grader.submission.check import CheckReport

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEFAULT_MAX_SCORE = 100.0
SCORE_TEST = "Accuracy on the hidden test set"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _check_test(check: CheckReport | None, visibility: str) -> dict | None:
    if not check:
        return None
    violations = check.violations
    lines = []
    for split in ("train", "val"):
        entry = check.split(split)
        if entry.examples is not None:
            line = f"{split}: {entry.examples:,} examples"
            if entry.max_tokens is not None:
                line += f", tokens max {entry.max_tokens:,}, p50 {entry.p50_tokens:,}, p99 {entry.p99_tokens:,}"
            lines.append(line)
    lines += [f"{v.code}: {v.message}" for v in violations[:50]]
    if len(violations) > 50:
        lines.append(f"... and {len(violations) - 50} more (python -m grader check lists all)")
    return {
        "name": "Submission check (config, data, token limits)",
        "score": 0.0,
        "max_score": 0.0,
        "status": "failed" if violations else "passed",
        "output": "\n".join(lines) or ("valid" if not violations else "invalid"),
        "visibility": visibility,
    }


def results_json(
    state: SubmissionState,
    summary: Summary | None,
    *,
    check: CheckReport | None = None,
    max_score: float = DEFAULT_MAX_SCORE,
    visibility: str = "visible",
    leaderboard: bool = True,
) -> dict:
    """The results.json object: score = accuracy x max_score when graded, else 0 with the reason."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, got {visibility!r}")
    graded = state.status == "graded" and summary is not None
    accuracy = summary.accuracy if graded else 0.0
    score = round(accuracy * max_score, 4)
    seconds = [s.seconds for s in state.stages.values() if isinstance(s.seconds, (int, float))]
    tests: list[dict] = []
    if graded:
        output = f"{summary.correct}/{summary.n} hidden problems correct ({_pct(accuracy)})."
        tests.append({"name": SCORE_TEST, "score": score, "max_score": float(max_score), "status": "passed",
                      "output": output, "visibility": visibility})  # fmt: skip
        ends = (
            f"never stopped (hit the token budget): {_pct(summary.never_stopped)}\n"
            f"no \\boxed{{}} answer: {_pct(summary.no_box)}\n"
            f"mean output length: {summary.mean_output_tokens} tokens\n"
            + "".join(f"verdict {k}: {v}\n" for k, v in summary.reasons.items())
        )
        tests.append({"name": "How the outputs ended", "score": 0.0, "max_score": 0.0, "status": "passed",
                      "output": ends.rstrip("\n"), "visibility": visibility})  # fmt: skip
        for name in GROUP_FIELDS:
            groups = summary.by(name)
            if len(groups) > 1:
                text = "\n".join(f"{k}: {e.correct}/{e.n} ({_pct(e.accuracy)})" for k, e in groups.items())
                tests.append({"name": f"Accuracy by {name}", "score": 0.0, "max_score": 0.0, "status": "passed",
                              "output": text, "visibility": visibility})  # fmt: skip
        output = f"Accuracy {_pct(accuracy)}: {output}"
    else:
        meaning = FINAL.get(state.status, "not graded yet")
        output = f"Not graded ({state.status.replace('_', ' ')}: {meaning})" + (f": {state.error}" if state.error else ".")
        tests.append({"name": SCORE_TEST, "score": 0.0, "max_score": float(max_score), "status": "failed",
                      "output": output, "visibility": visibility})  # fmt: skip
    check_test = _check_test(check, visibility)
    if check_test:
        tests.insert(0, check_test)
    result: dict = {
        "score": score,
        "output": output,
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if seconds:
        result["execution_time"] = int(round(sum(seconds)))
    if leaderboard and graded:
        result["leaderboard"] = [{"name": "Accuracy", "value": round(100 * accuracy, 2), "order": "desc"}]
    return result


def check_results(check: CheckReport | None, error: str | None = None, *, max_score: float = DEFAULT_MAX_SCORE) -> dict:
    """results.json for a submission that is only checked so far (Gradescope's own run: no GPU there).

    Score 0 out of ``max_score`` with check's verdict, so the student learns at once whether the
    submission is valid; the score itself comes from the offline batch (see docs/grading-a-class.md).
    """
    valid = bool(check and check.ok) and error is None
    if error is not None:
        verdict = f"The check could not run: {error}"
    elif valid:
        verdict = "Your submission is valid. It is trained and scored on the hidden test set after the deadline."
    else:
        verdict = "Your submission breaks the rules below: fix them (python -m grader check shows the same) and resubmit."
    tests = [{"name": SCORE_TEST, "score": 0.0, "max_score": float(max_score), "status": "failed",
              "output": "Not graded yet: " + verdict, "visibility": "visible"}]  # fmt: skip
    check_test = _check_test(check, "visible")
    if check_test:
        tests.insert(0, check_test)
    return {"score": 0.0, "output": verdict, "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def write_results(paths: SubmissionPaths, state: SubmissionState, summary: Summary | None,
                  check: CheckReport | None = None, **options) -> Path:  # fmt: skip
    """``submissions/<id>/results.json``, atomically (the batch grader calls this after scoring)."""
    write_json_atomic(paths.results, results_json(state, summary, check=check, **options))
    return paths.results
