"""grading.yaml: the instructor's rules for a batch, declared once and checked like sft_config.yaml.

Every key has a default, so a batch runs without a policy file; a file sets only what it
changes. Unknown keys, wrong types and out-of-bounds values are errors naming the key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from grader.batch.layout import STAGE, STAGE_TABLE
from grader.errors import UserError
from grader.settings import declared, from_mapping, load_yaml, setting, yaml_template

HOUR = 3600.0
WEEK = 7 * 24 * HOUR
HEADER = "grading.yaml: the batch's rules (python -m grader grade --policy grading.yaml)."


@dataclass(frozen=True)
class Policy:
    check_seconds: float = setting(1800.0, "wall time of the check stage (sandbox, tokenizing, limits)", low=1.0, high=24 * HOUR)
    train_seconds: float = setting(8 * HOUR, "wall time of the train stage", low=1.0, high=WEEK)
    evaluate_seconds: float = setting(2 * HOUR, "wall time of the evaluate stage (generation)", low=1.0, high=WEEK)
    score_seconds: float = setting(1800.0, "wall time of the score stage", low=1.0, high=24 * HOUR)
    max_trained_tokens: int = setting(
        1_000_000_000, "compute budget, in trained tokens: tokens trained (all epochs) + tokens evaluated by the "
        "validation passes during training / 3", low=1, high=10**13)  # fmt: skip
    max_new_tokens: int = setting(1024, "generation budget per hidden problem", low=1, high=32768)
    retries: int = setting(1, "automatic re-runs of a stage after an infrastructure failure (killed, NCCL, ...)", low=0, high=10)
    max_submission_mb: int = setting(1024, "largest submission taken in (folder or unpacked zip), in MiB", low=1, high=1 << 20)
    max_submission_files: int = setting(10_000, "most entries (files and folders) a submission may hold", low=1, high=10**7)
    max_score: float = setting(100.0, "Gradescope max_score: accuracy 1.0 earns this many points", low=0.0, high=1e6)
    eval_python: str | None = setting(None, "the Python the evaluate stage runs with, e.g. .venv-vllm/bin/python from "
                                      "`make vllm-env` (relative to where grade runs; null: the grader's own)")  # fmt: skip

    def stage_seconds(self, stage: str) -> float:
        """The wall-time limit of a stage that runs as a process (its key in the stage table)."""
        return getattr(self, STAGE[stage].limit)

    def stage_python(self, stage: str) -> str | None:
        """The interpreter a stage's process runs with (its key in the stage table); None: the grader's own."""
        key = STAGE[stage].python
        return getattr(self, key) if key else None

    def to_json(self) -> dict:
        return asdict(self)


POLICY_FIELDS = declared(Policy)
DEFAULT_POLICY = Policy()
assert all(s.limit in POLICY_FIELDS for s in STAGE_TABLE if s.limit), "every stage's time limit is a policy key"
assert all(s.python in POLICY_FIELDS for s in STAGE_TABLE if s.python), "every stage's interpreter is a policy key"


def parse_policy(text: str, source: str = "grading.yaml") -> Policy:
    """The policy, or UserError listing every problem (one line each, joined)."""
    raw, problem = load_yaml(text, Path(source).name)
    if problem:
        raise UserError(f"{source} {problem}" if problem.startswith("(") else f"{source}: {problem}", exit_code=2)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError(f"{source}: expected a mapping of key: value", exit_code=2)
    policy, errors = from_mapping(Policy, raw)
    if errors:
        raise UserError(f"{source}: " + "; ".join(errors), exit_code=2)
    return policy


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
    """A documented grading.yaml with every key at its default (docs/grading-a-class.md shows it)."""
    return yaml_template(Policy, HEADER, column=32)
