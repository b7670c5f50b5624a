"""Gradescope's results.json for one graded submission (its autograder specification's fields)."""

from __future__ import annotations


def results_for(state, summary: dict | None, max_score: float) -> dict:
    accuracy = (summary or {}).get("accuracy")
    graded = state.status == "graded" and accuracy is not None
    score = round(max_score * accuracy, 4) if graded else 0.0
    output = (
        f"Accuracy on the hidden test set: {summary['correct']}/{summary['n']} = {accuracy:.1%}."
        if graded
        else f"Not graded: {state.status}. {state.error or ''}".strip()
    )
    tests = [{"name": "hidden test set accuracy", "score": score, "max_score": max_score, "output": output,
              "visibility": "visible", "status": "passed" if graded else "failed"}]  # fmt: skip
    result = {"score": score, "max_score": max_score, "output": output, "visibility": "visible", "tests": tests}
    if graded:
        result["leaderboard"] = [{"name": "Accuracy", "value": round(100 * accuracy, 2), "order": "desc"}]
    return result
