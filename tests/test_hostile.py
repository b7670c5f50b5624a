"""Hostile submissions (tests/hostile/<case>/): each is contained, or ends with one clear line.

Every case runs the real command, ``python -m grader check --json``, with the real bubblewrap
sandbox and a real tokenizer, and asserts the exact outcome: the exit code, the violation code,
a distinctive part of its one-line message, and for containment that the forbidden effect did
not happen. Big inputs are generated into tmp_path at run time, never committed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import grader.submission.config
import grader.submission.limits
from grader.cli import main
from grader.submission.sandbox import SandboxLimits, _Cgroups, bubblewrap_path, start_confined
from grader.tiny import llama_tokenizer_dir
from tests.conftest import ROOT
from tests.test_limits import solution_with_total

pytestmark = pytest.mark.skipif(bubblewrap_path() is None, reason="bubblewrap cannot create namespaces here")

HOSTILE = Path(__file__).resolve().parent / "hostile"
LLAMA = str(llama_tokenizer_dir())
TIMEOUT = 20  # seconds; --timeout of each check
ROWS = [{"problem": f"What is {i} + 1?", "solution": f" {i} + 1 = {i + 1}. The answer is $\\boxed{{{i + 1}}}$."} for i in range(8)]


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict:
        return json.loads(self.out)

    @property
    def violations(self) -> list[dict]:
        return self.report["violations"]

    def only(self) -> dict:
        """The one violation there must be."""
        (violation,) = self.violations
        return violation


def submission(case: str, tmp_path: Path) -> Path:
    """A copy of tests/hostile/<case>/, with the kit's defaults for whatever the case leaves out."""
    folder = tmp_path / case
    shutil.copytree(HOSTILE / case, folder, symlinks=True)
    (folder / "README.md").unlink(missing_ok=True)
    if not (folder / "sft_utils.py").exists():
        shutil.copy(ROOT / "sft_utils.py", folder / "sft_utils.py")
    if not (folder / "sft_config.yaml").exists():
        (folder / "sft_config.yaml").write_text("")
    (folder / "data").mkdir(exist_ok=True)
    for split in ("train", "val"):
        path = folder / "data" / f"{split}.jsonl"
        if not path.exists() and not path.is_symlink():
            path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return folder


def check(capsys, folder: Path, *extra: str, base_model: str, timeout: float = TIMEOUT) -> Outcome:
    """The real CLI, in this process (the sandbox is still a separate, confined process)."""
    capsys.readouterr()
    code = main(["check", str(folder), "--json", "--timeout", str(timeout), "--base-model", base_model, *extra])
    out, err = capsys.readouterr()
    return Outcome(code, out, err)


def check_process(folder: Path, *extra: str, base_model: str, timeout: float) -> tuple[Outcome, float]:
    """The real CLI as its own process, timed from the outside."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(folder), "--json", "--timeout", str(timeout), "--base-model", base_model, *extra],
        capture_output=True, text=True, cwd=ROOT, timeout=timeout + 60,
    )  # fmt: skip
    return Outcome(proc.returncode, proc.stdout, proc.stderr), time.monotonic() - start


@pytest.fixture
def tiny(tiny_default) -> str:
    return str(tiny_default["base_model"])


def test_network_connection_is_refused_and_nothing_arrives(capsys, tmp_path, tiny):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        folder = submission("network", tmp_path)
        (folder / "port.txt").write_text(str(listener.getsockname()[1]))
        result = check(capsys, folder, base_model=tiny)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected to the grader's machine
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "data"
    assert "importing sft_utils.py failed at sft_utils.py line 7 (in <module>): ConnectionRefusedError" in violation["message"]


@pytest.mark.parametrize("target", ["test_file", "instructor_file"])
def test_reading_outside_the_submission_finds_nothing(capsys, tmp_path, tiny, target):
    secret = "SECRET-7f3a: what is the hidden answer?"
    test_file = tmp_path / "hidden" / "test.jsonl"
    test_file.parent.mkdir()
    test_file.write_text(json.dumps({"id": "t-1", "problem": secret, "answer": "42"}) + "\n")
    instructor_file = tmp_path / "instructor" / "grades.csv"
    instructor_file.parent.mkdir()
    instructor_file.write_text(f"alice,{secret}\n")
    path = test_file if target == "test_file" else instructor_file
    folder = submission("read_outside", tmp_path)
    (folder / "target.txt").write_text(str(path))
    result = check(capsys, folder, "--test", str(test_file), base_model=tiny)
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "data"
    assert f"FileNotFoundError: [Errno 2] No such file or directory: '{path}'" in violation["message"]
    assert "SECRET-7f3a" not in result.out + result.err


def test_writes_outside_the_output_folder_all_fail(capsys, tmp_path, tiny):
    kit_limits = ROOT / "grader" / "submission" / "limits.py"
    before = kit_limits.read_bytes()
    escaped = tmp_path / "escaped.txt"
    folder = submission("write_outside", tmp_path)
    config_before = (folder / "sft_config.yaml").read_bytes()
    targets = ["/kit/grader/submission/limits.py", "/kit/grader/pwned.py", str(kit_limits), "/submission/sft_config.yaml", str(escaped)]
    (folder / "targets.json").write_text(json.dumps(targets))
    result = check(capsys, folder, base_model=tiny)
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "data"
    message = violation["message"]
    assert "PermissionError: remount /kit/grader=errno 1;" in message  # no CAP_SYS_ADMIN in the sandbox
    assert "/kit/grader/submission/limits.py=OSError" in message and "/submission/sft_config.yaml=OSError" in message
    assert f"{escaped}=FileNotFoundError" in message and "=ok" not in message
    assert kit_limits.read_bytes() == before and not (ROOT / "grader" / "pwned.py").exists()
    assert not escaped.exists() and (folder / "sft_config.yaml").read_bytes() == config_before


def test_patching_limits_and_trainer_at_import_has_no_effect(capsys, tmp_path, tiny):
    before = (ROOT / "grader" / "submission" / "limits.py").read_bytes()
    result = check(capsys, submission("patch_limits", tmp_path), base_model=tiny)
    assert result.code == 1
    found = [(v["code"], v["split"], v.get("index"), v["limit"]) for v in result.violations]
    assert found == [("example_too_long", "train", 1, 2048), ("too_many_examples", "val", None, 100)]
    assert result.violations[1]["message"] == "val data (data/val.jsonl via sft_utils.load_split): 101 examples, limit 100"
    assert grader.submission.limits.COUNT_LIMITS == {"train": 100_000, "val": 100} and grader.submission.config.MAX_TOKENS_PER_EXAMPLE == 2048
    assert (ROOT / "grader" / "submission" / "limits.py").read_bytes() == before


def test_endless_loop_is_stopped_at_the_timeout(tmp_path, tiny):
    result, seconds = check_process(submission("infinite_loop", tmp_path), base_model=tiny, timeout=5)
    assert result.code == 1, result.err
    violation = result.only()
    assert violation["code"] == "timeout" and violation["limit"] <= 5
    assert violation["message"].startswith("sft_utils.py: importing it did not finish within")
    assert "give check more with --timeout SECONDS" in violation["message"]
    # The whole command ends (not hangs) after the kill: start-up and the tokenizer load included, with room for
    # a loaded CI machine (27 s seen at load 8 on 2 cores); an endless loop left running would never end.
    assert seconds < 5 + 45, seconds


def test_wall_time_holds_while_the_caller_is_busy(tmp_path):
    """check loads the tokenizer while the sandbox runs: the time limit must not wait for it."""
    folder = submission("infinite_loop", tmp_path)
    with start_confined([sys.executable, "sft_utils.py"], folder, tmp_path / "out", SandboxLimits(wall_seconds=1)) as confined:
        time.sleep(3)  # the caller is busy
        assert confined.proc.poll() is not None  # already killed, at about 1 s
        result = confined.wait()
    assert result.timed_out


def test_memory_hog_gets_a_memory_error(capsys, tmp_path, tiny):
    result = check(capsys, submission("memory_hog", tmp_path), base_model=tiny)
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "memory"
    assert violation["message"] == (
        "importing sft_utils.py failed at sft_utils.py line 5 (in <module>): MemoryError: out of memory (the sandbox's memory limit)"
    )


def _processes_with(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(entry.name)
        except OSError:
            continue
    return found


def test_fork_bomb_is_capped_and_leaves_no_process(capsys, tmp_path, tiny):
    result = check(capsys, submission("fork_bomb", tmp_path), base_model=tiny)
    assert result.code == 1
    violation = result.only()
    capped_by_cgroup = _Cgroups(SandboxLimits())
    expected = "processes" if capped_by_cgroup.caps_processes else "data"
    capped_by_cgroup.close()
    assert violation["code"] == expected
    assert "(in <module>): BlockingIOError: [Errno 11] Resource temporarily unavailable" in violation["message"]
    assert _processes_with("fork-bomb-marker") == []
    assert not list(Path("/sys/fs/cgroup").glob(f"*/**/grader-sandbox-{os.getpid()}-*"))


def test_endless_dataset_is_counted_up_to_a_cap(capsys, tmp_path, tiny):
    result = check(capsys, submission("lazy_endless", tmp_path), base_model=tiny, timeout=60)
    assert result.code == 1
    violation = result.only()
    assert (violation["code"], violation["split"], violation["value"], violation["limit"]) == (
        "too_many_examples", "train", 1_000_001, 100_000,
    )  # fmt: skip
    assert "at least 1,000,001 examples (counting stopped there), limit 100,000" in violation["message"]


def test_str_subclass_is_not_accepted_as_text(capsys, tmp_path, tiny):
    result = check(capsys, submission("unserializable", tmp_path), base_model=tiny)
    assert result.code == 1
    assert result.violations == [  # both splits are told, each on its own
        {"code": "data", "message": f"sft_utils.load_split('{split}') example 1: 'solution' must be a str, got Sneaky",
         "split": split} for split in ("train", "val")
    ]


def test_forged_output_link_to_a_host_file_is_not_followed(capsys, tmp_path, tiny):
    hidden = tmp_path / "hidden" / "test.jsonl"
    hidden.parent.mkdir()
    hidden.write_text(json.dumps({"problem": "SECRET-91c2 hidden problem", "solution": " hidden solution"}) + "\n")
    folder = submission("forge_output", tmp_path)
    (folder / "target.txt").write_text(str(hidden))
    result = check(capsys, folder, base_model=tiny)
    assert result.code == 1
    assert result.only() == {"code": "data", "message": "sft_utils.py: the sandbox's 'train' data is not a regular file"}
    assert "SECRET-91c2" not in result.out + result.err


def test_template_that_renders_forever_is_stopped(capsys, tmp_path, tiny):
    start = time.monotonic()
    result = check(capsys, submission("template_bomb", tmp_path), base_model=tiny, timeout=6)
    assert time.monotonic() - start < 6 + 3
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "template"
    assert violation["message"].startswith("CHAT_TEMPLATE: rendering did not finish within")


def test_forbidden_config_keys_are_all_reported(capsys, tmp_path, tiny):
    result = check(capsys, submission("config_forbidden_keys", tmp_path), base_model=tiny)
    assert result.code == 1
    assert [v["code"] for v in result.violations] == ["config"] * 4
    messages = " | ".join(v["message"] for v in result.violations)
    for key in ("output_dir", "deepspeed", "trust_remote_code", "push_to_hub"):
        assert f"key '{key}' is not allowed" in messages


def test_yaml_tags_are_rejected_and_never_run(capsys, tmp_path, tiny):
    marker = Path("/tmp/grader-hostile-yaml-tag-ran")
    marker.unlink(missing_ok=True)
    result = check(capsys, submission("config_yaml_tags", tmp_path), base_model=tiny)
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "config"
    assert "sft_config.yaml (line 1): YAML tags (such as !!python/...) are not allowed" in violation["message"]
    assert not marker.exists()


def test_alias_bomb_is_rejected_without_expanding(capsys, tmp_path, tiny):
    start = time.monotonic()
    result = check(capsys, submission("config_alias_bomb", tmp_path), base_model=tiny)
    assert result.code == 1 and time.monotonic() - start < TIMEOUT
    violation = result.only()
    assert violation["code"] == "config"
    assert "YAML aliases (*name) are not allowed in sft_config.yaml" in violation["message"]


def test_ten_megabytes_of_config_junk_is_not_parsed(capsys, tmp_path, tiny):
    folder = submission("config_junk_10mb", tmp_path)
    (folder / "sft_config.yaml").write_bytes(os.urandom(10 << 20))
    result = check(capsys, folder, base_model=tiny)
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "config"
    assert "sft_config.yaml: file is 10,485,760 bytes; a config holds a few keys (at most 64 KiB)" in violation["message"]


def test_100001_rows_are_one_too_many(capsys, tmp_path, tiny):
    folder = submission("rows_100001", tmp_path)
    line = json.dumps({"problem": "1+1", "solution": "2"}) + "\n"
    (folder / "data" / "train.jsonl").write_text(line * 100_001)
    result = check(capsys, folder, base_model=tiny, timeout=60)
    assert result.code == 1
    violation = result.only()
    assert (violation["code"], violation["split"], violation["value"], violation["limit"]) == (
        "too_many_examples", "train", 100_001, 100_000,
    )  # fmt: skip
    assert violation["message"] == "train data (data/train.jsonl via sft_utils.load_split): 100,001 examples, limit 100,000"


def test_2049_token_example_is_one_too_long(capsys, tmp_path, llama_tokenizer):
    folder = submission("example_2049_tokens", tmp_path)
    solution = solution_with_total(llama_tokenizer, 2049).strip()  # the kit's sft_utils puts one space back
    rows = [ROWS[0], {"problem": "What is 1 + 1?", "solution": solution}]
    (folder / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = check(capsys, folder, base_model=LLAMA)
    assert result.code == 1
    violation = result.only()
    assert (violation["code"], violation["split"], violation["index"], violation["value"], violation["limit"]) == (
        "example_too_long", "train", 1, 2049, 2048,
    )  # fmt: skip
    assert "example 1: 2049 tokens" in violation["message"]


def test_non_utf8_bytes_name_the_line(capsys, tmp_path, tiny):
    result = check(capsys, submission("non_utf8", tmp_path), base_model=tiny)
    assert result.code == 1
    assert result.only() == {"code": "data", "message": "data/train.jsonl line 2: not valid UTF-8 (byte 45 of the line)",
                             "split": "train"}


def test_missing_field_names_the_line(capsys, tmp_path, tiny):
    result = check(capsys, submission("missing_field", tmp_path), base_model=tiny)
    assert result.code == 1
    assert result.only() == {"code": "data", "message": "data/train.jsonl line 3: missing field 'solution'", "split": "train"}


def test_symlink_to_etc_passwd_is_not_visible(capsys, tmp_path, tiny):
    result = check(capsys, submission("symlink_passwd", tmp_path), base_model=tiny)
    assert result.code == 1
    assert result.only() == {
        "code": "data",
        "message": "data/train.jsonl: file not found (a symbolic link to '/etc/passwd'; "
        "in the sandbox only the submission folder is visible)",
        "split": "train",
    }
    assert "root:" not in result.out + result.err


def test_two_gigabyte_file_is_refused_unread(capsys, tmp_path, tiny):
    folder = submission("file_2gb", tmp_path)
    path = folder / "data" / "train.jsonl"
    with open(path, "r+b") as handle:
        os.truncate(handle.fileno(), 2 << 30)  # sparse: nothing is written
    result = check(capsys, folder, base_model=tiny)
    assert result.code == 1
    assert result.only() == {"code": "data", "message": "data/train.jsonl: file is 2.0 GiB; at most 1.0 GiB is read", "split": "train"}


def test_config_symlink_out_of_the_folder_is_not_followed(capsys, tmp_path, tiny):
    result = check(capsys, submission("config_symlink_passwd", tmp_path), base_model=tiny)
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "config"
    assert violation["message"].endswith("sft_config.yaml: a symbolic link to '/etc/passwd', outside the submission folder")
    assert "root:" not in result.out + result.err


def test_the_sandbox_looks_the_same_to_check_and_to_training(capsys, tmp_path, tiny):
    """env_probe hashes everything it can observe (environment, rlimits, mounts, ids, cgroup caps)
    into its data: check (with a short --timeout) and sft.py must hand it identical inputs."""
    from grader.submission.encode import read_ids

    folder = submission("env_probe", tmp_path)
    (folder / "sft_config.yaml").write_text("max_steps: 1\neval_strategy: 'no'\ngradient_checkpointing: false\n")
    result = check(capsys, folder, "--save", str(tmp_path / "checked"), base_model=tiny, timeout=50)
    assert result.code == 0, result.out
    proc = subprocess.run(
        [sys.executable, str(ROOT / "sft.py"), "--base-model", tiny], cwd=folder, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    checked, trained = read_ids(tmp_path / "checked" / "train.arrow"), read_ids(folder / "checkpoints" / "dataset" / "train.arrow")
    assert len(checked) == len(trained) == 9
    assert checked[-1] == trained[-1]  # the observation, hashed into the last problem
    assert checked == trained


@pytest.mark.parametrize("case, used", [("template_leak", "raise_exception"), ("template_clock", "strftime_now")])
def test_templates_that_could_behave_otherwise_at_grading_are_rejected(capsys, tmp_path, tiny, case, used):
    """The template is read before it is run: anything but the conversation and BOS/EOS is refused."""
    result = check(capsys, submission(case, tmp_path), base_model=tiny)
    assert result.code == 1
    violation = result.only()
    assert violation["code"] == "template" and f"it uses {used}" in violation["message"]


def test_evaluating_every_step_is_counted_in_the_compute(capsys, tmp_path, tiny):
    """eval_every_step trains one example but evaluates 100 after each of its 1,000,000 steps: check counts
    those forward passes (a third of a trained token each); trained tokens alone were 30x too low."""
    folder = submission("eval_every_step", tmp_path)
    result = check(capsys, folder, base_model=tiny)
    assert result.code == 0, result.out
    report = result.report
    train, val = report["train"]["total_tokens"], report["val"]["total_tokens"]
    assert report["trained_tokens"] == train * 1_000_000
    assert report["eval_passes"] == 1_000_000 and report["eval_tokens"] == val * 1_000_000
    assert report["compute_tokens"] == report["trained_tokens"] + -(-report["eval_tokens"] // 3)
    assert report["compute_tokens"] > 10 * report["trained_tokens"]
    capsys.readouterr()
    assert main(["check", str(folder), "--base-model", tiny]) == 0
    assert f"compute: {report['compute_tokens']:,} = {report['trained_tokens']:,} trained + " in capsys.readouterr().out


def _leaked(case: str, tmp_path: Path) -> tuple[Path, list[dict]]:
    """The hidden test set: the case's leaked.jsonl, the test problems the submission knows."""
    rows = [json.loads(line) for line in (HOSTILE / case / "leaked.jsonl").read_text().splitlines()]
    test_file = tmp_path / "hidden.jsonl"
    test_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return test_file, rows


def _says_nothing_of(out: str, rows: list[dict]) -> None:
    """Neither an id nor 3 consecutive words of a hidden problem in what the student reads."""
    from grader.submission.decontam import words

    said = " ".join(words(out))
    for row in rows:
        assert row["id"] not in out
        for gram in zip(*(words(row["problem"])[i:] for i in range(3))):
            assert " ".join(gram) not in said, gram


@pytest.mark.parametrize(
    "case, expected",
    [
        ("contamination_latex", [(8, "problem", "hidden-geo-17"), (9, "solution", "hidden-nt-4")]),
        ("contamination_short", [(8, "problem", "hidden-short-1"), (9, "problem", "hidden-short-2"), (10, "problem", "hidden-short-3")]),
    ],
)  # fmt: skip
def test_hidden_test_problems_in_disguise_are_found_and_not_quoted(capsys, tmp_path, tiny, case, expected):
    """Render-invisible LaTeX on every word, and short problems without their final punctuation or
    behind a label: each is a contamination of its own example and field, with nothing of the test
    problem (its id or words) in the message."""
    test_file, rows = _leaked(case, tmp_path)
    result = check(capsys, submission(case, tmp_path), "--test", str(test_file), base_model=tiny)
    assert result.code == 1, result.out
    found = [(v["code"], v.get("split"), v.get("index"), v.get("field"), v.get("test_id")) for v in result.violations]
    assert found == [("contamination", "train", index, field, test_id) for index, field, test_id in expected]
    for violation, (index, field, _) in zip(result.violations, expected):
        assert violation["message"].startswith(f"train data (data/train.jsonl via sft_utils.load_split) example {index}, {field}: ")
        assert "a hidden test problem" in violation["message"]
    _says_nothing_of("\n".join(v["message"] for v in result.violations) + result.err, rows)


def test_a_submissions_grader_package_never_stands_in_for_the_kit(tmp_path, tiny):
    """`cd SUBMISSION && python -m grader check .`, and the console command `grader check .`: the
    kit's own check runs (the folder's grader/ never does: no marker, no fake verdict) and reports
    every file that would shadow the kit or run at Python's start-up."""
    folder = submission("shadow_kit", tmp_path)
    marker = tmp_path / "shadow-ran"
    env = {**os.environ, "HOSTILE_MARKER": str(marker)}
    for command in ([sys.executable, "-m", "grader"], [str(Path(sys.executable).parent / "grader")]):
        proc = subprocess.run([*command, "check", ".", "--json", "--timeout", str(TIMEOUT), "--base-model", tiny],
                              cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT + 60)  # fmt: skip
        assert not marker.exists(), command
        assert proc.returncode == 1, proc.stderr[-2000:]
        report = json.loads(proc.stdout)
        shadowing = [v["message"].split(":")[0] for v in report["violations"] if v["code"] == "shadowing"]
        assert shadowing == ["grader/", "sitecustomize.py", "usercustomize.py", "zz_hook.pth"], report["violations"]
        assert "in place of the kit's own package 'grader'" in report["violations"][0]["message"]
        assert report["train"]["examples"] == len(ROWS) and report["sandbox"] == "bubblewrap"  # the real check ran


def test_a_submissions_worker_and_jsonl_never_replace_the_kits_in_the_sandbox(capsys, tmp_path, tiny):
    """The sandbox starts in the submission folder: the worker and grader.jsonl still come from the kit."""
    result = check(capsys, submission("shadow_worker", tmp_path), base_model=tiny)
    assert result.code == 1
    assert result.only()["code"] == "shadowing"
    assert result.report["train"]["examples"] == result.report["val"]["examples"] == len(ROWS)
    assert "FORGED" not in result.out + result.err
