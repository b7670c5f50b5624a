"""grading.yaml: the instructor's rules for a batch, typed and bounded like sft_config.yaml.

Every key has a default, so a batch runs without a policy file; a file sets only what it
changes. Unknown keys, wrong types and out-of-bounds values are errors naming the key.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import yaml

from grader.errors import UserError
from grader.submission.config import Field, NoAliasLoader, check_value

HOUR = 3600.0
POLICY_FIELDS: dict[str, Field] = {
    "check_seconds": Field(float, 1800.0, "wall time of the check stage (sandbox, tokenizing, limits)", 1.0, 24 * HOUR),
    "train_seconds": Field(float, 8 * HOUR, "wall time of the train stage", 1.0, 7 * 24 * HOUR),
    "evaluate_seconds": Field(float, 2 * HOUR, "wall time of the evaluate stage (generation)", 1.0, 7 * 24 * HOUR),
    "score_seconds": Field(float, 1800.0, "wall time of the score stage", 1.0, 24 * HOUR),
    "max_trained_tokens": Field(
        int, 1_000_000_000, "compute budget: most tokens a submission may train (tokens per epoch x epochs)", 1, 10**13
    ),
    "max_new_tokens": Field(int, 1024, "generation budget per hidden problem", 1, 32768),
    "retries": Field(int, 1, "automatic re-runs of a stage after an infrastructure failure (killed, NCCL, ...)", 0, 10),
    "max_submission_mb": Field(int, 1024, "largest submission taken in (folder or unpacked zip), in MiB", 1, 1 << 20),
    "max_submission_files": Field(int, 10_000, "most files a submission may hold", 1, 10**7),
    "max_score": Field(float, 100.0, "Gradescope max_score: accuracy 1.0 earns this many points", 0.0, 1e6),
}


@dataclass(frozen=True)
class Policy:
    check_seconds: float
    train_seconds: float
    evaluate_seconds: float
    score_seconds: float
    max_trained_tokens: int
    max_new_tokens: int
    retries: int
    max_submission_mb: int
    max_submission_files: int
    max_score: float

    def stage_seconds(self, stage: str) -> float:
        return {"check": self.check_seconds, "train": self.train_seconds, "evaluate": self.evaluate_seconds,
                "score": self.score_seconds}.get(stage, self.check_seconds)  # fmt: skip

    def to_json(self) -> dict:
        return asdict(self)


assert [f.name for f in fields(Policy)] == list(POLICY_FIELDS), "Policy and POLICY_FIELDS must match"
DEFAULT_POLICY = Policy(**{name: spec.default for name, spec in POLICY_FIELDS.items()})


def parse_policy(text: str, source: str = "grading.yaml") -> Policy:
    """The policy, or UserError listing every problem (one line each, joined)."""
    try:
        raw = yaml.load(text, Loader=NoAliasLoader) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise UserError(f"{source}{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}", exit_code=2) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError(f"{source}: expected a mapping of key: value", exit_code=2)
    values = {name: spec.default for name, spec in POLICY_FIELDS.items()}
    errors: list[str] = []
    for key, value in raw.items():
        if key not in POLICY_FIELDS:
            close = difflib.get_close_matches(str(key), POLICY_FIELDS, n=1)
            errors.append(f"unknown key '{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
            continue
        checked, problem = check_value(key, value, POLICY_FIELDS[key])
        if problem:
            errors.append(problem)
        else:
            values[key] = checked
    if errors:
        raise UserError(f"{source}: " + "; ".join(errors), exit_code=2)
    return Policy(**values)


def read_policy(path: str | Path | None) -> Policy:
    if path is None:
        return DEFAULT_POLICY
    path = Path(path)
    try:
        return parse_policy(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise UserError(f"--policy: {path}: file not found", exit_code=2) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--policy: {path}: cannot be read ({exc})", exit_code=2) from None


def policy_template() -> str:
    """A documented grading.yaml with every key at its default (docs and `grade --policy-template`)."""
    lines = ["# grading.yaml: the batch's rules (python -m grader grade --policy grading.yaml)."]
    for name, spec in POLICY_FIELDS.items():
        value = spec.default
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        lines.append(f"{name}: {shown:<14} # {spec.help}")
    return "\n".join(lines) + "\n"
