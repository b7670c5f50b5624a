"""record.json: what it takes to reproduce one grade (inputs' digests, seed, versions, hardware, times)."""

from __future__ import annotations

import platform
import socket
import time
from dataclasses import dataclass
from typing import Any

from grader import records
from grader.batch.intake import Manifest
from grader.batch.layout import STAGES, SubmissionPaths, SubmissionState
from grader.batch.policy import Policy
from grader.evaluation.evaluate import Summary
from grader.evaluation.generate import package_versions
from grader.training.train import TrainingRecord

PACKAGES = ("torch", "transformers", "trl", "deepspeed", "accelerate", "datasets")


def host_info() -> dict:
    """Where a grade was computed: Python, machine, the training stack's versions, the GPU."""
    info = {"python": platform.python_version(), "machine": platform.machine(), "host": socket.gethostname(),
            **package_versions(PACKAGES)}  # fmt: skip
    try:
        import torch

        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
            info["gpu_count"] = torch.cuda.device_count()
        else:
            info["gpu"], info["gpu_count"] = None, 0
    except ImportError:
        pass
    return info


@dataclass(frozen=True)
class ReproRecord:
    """record.json: the inputs' digests, the seed, the stack and the times behind one grade."""

    id: str
    snapshot_sha256: str
    source: str
    test_sha256: str
    base_model: str
    policy: Policy
    seed: int
    train_tokens_sha256: str
    prompt_format_sha256: str
    trained_tokens: int
    world_size: int
    predictions_sha256: str
    accuracy: float
    stage_seconds: dict[str, float | None]
    stage_attempts: dict[str, int]
    environment: dict[str, Any]  # host_info()
    written: str
    evaluate_stack: dict[str, str | None] | None = None  # the interpreter that generated (eval_python) and its versions


def write_record(batch, paths: SubmissionPaths, state: SubmissionState) -> None:
    """``submissions/<id>/record.json``, from the files the earlier stages wrote (all of them must be there)."""
    manifest = records.load(paths.manifest, Manifest)
    training = records.load(paths.training_record, TrainingRecord)
    summary = records.load(paths.summary, Summary)
    record = ReproRecord(
        id=state.id,
        snapshot_sha256=manifest.sha256,
        source=manifest.source,
        test_sha256=batch.test_sha256,
        base_model=batch.base_model,
        policy=batch.policy,
        seed=training.config["seed"],
        train_tokens_sha256=training.train_tokens_sha256,
        prompt_format_sha256=training.prompt_format_sha256,
        trained_tokens=training.trained_tokens,
        world_size=training.world_size,
        predictions_sha256=summary.predictions_sha256,
        accuracy=summary.accuracy,
        stage_seconds={s: state.stages[s].seconds for s in STAGES},
        stage_attempts={s: state.stages[s].attempts for s in STAGES},
        environment=host_info(),
        written=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        evaluate_stack=summary.stack,
    )
    records.save(paths.record, record)
