"""record.json: what it takes to reproduce one grade (inputs' digests, seed, versions, hardware, times)."""

from __future__ import annotations

import importlib.metadata as md
import platform
import socket
import time

from grader.atomic import read_json, write_json_atomic
from grader.batch.layout import STAGES, SubmissionPaths, SubmissionState

PACKAGES = ("torch", "transformers", "trl", "deepspeed", "accelerate", "datasets")


def host_info() -> dict:
    """Where a grade was computed: Python, machine, the training stack's versions, the GPU."""
    info = {"python": platform.python_version(), "machine": platform.machine(), "host": socket.gethostname()}
    for package in PACKAGES:
        try:
            info[package] = md.version(package)
        except md.PackageNotFoundError:
            info[package] = None
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


def write_record(batch, paths: SubmissionPaths, state: SubmissionState) -> None:
    """``submissions/<id>/record.json``, from the files the earlier stages wrote."""
    manifest = read_json(paths.manifest, {})
    training = read_json(paths.training_record, {})
    summary = read_json(paths.summary, {})
    record = {
        "id": state.id,
        "snapshot_sha256": manifest.get("sha256"),
        "source": manifest.get("source"),
        "test_sha256": batch.test_sha256,
        "base_model": batch.base_model,
        "policy": batch.policy.to_json(),
        "seed": (training.get("config") or {}).get("seed"),
        "train_tokens_sha256": training.get("train_tokens_sha256"),
        "prompt_format_sha256": training.get("prompt_format_sha256"),
        "trained_tokens": training.get("trained_tokens"),
        "world_size": training.get("world_size"),
        "predictions_sha256": summary.get("predictions_sha256"),
        "accuracy": summary.get("accuracy"),
        "stage_seconds": {s: state.stages[s].seconds for s in STAGES},
        "stage_attempts": {s: state.stages[s].attempts for s in STAGES},
        "environment": host_info(),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json_atomic(paths.record, record)
