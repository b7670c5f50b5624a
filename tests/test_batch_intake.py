"""Batch intake, policy and command-line rules (no training): snapshots, hostile zips, one-line errors."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from grader.batch.intake import IntakeError, Source, discover, snapshot, submission_id
from grader.batch.policy import DEFAULT_POLICY, parse_policy, policy_template
from grader.cli import main
from grader.errors import UserError


def zipped(path: Path, members: dict[str, str], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def take(source: Path, tmp_path: Path, max_bytes: int = 1 << 20, max_files: int = 100) -> Path:
    dest = tmp_path / "snap" / "snapshot"
    dest.parent.mkdir(parents=True, exist_ok=True)
    snapshot(Source("x", source), dest, dest.parent / "snapshot.json", max_bytes, max_files)
    return dest


@pytest.mark.parametrize(
    "members, links, message",
    [
        ({"../evil.py": "x"}, None, "would be written outside the submission"),
        ({"a/../../evil.py": "x"}, None, "would be written outside the submission"),
        ({"/etc/cron.d/evil": "x"}, None, "would be written outside the submission"),
        ({"ok.txt": "x"}, {"data/train.jsonl": "/etc/passwd"}, "is a symbolic link"),
        ({"big.bin": "x" * 5000}, None, "unpacks to more than 0 MiB"),
        ({f"f{i}.txt": "x" for i in range(12)}, None, "more than 10 files and folders"),
        ({f"d{i}/": "" for i in range(12)}, None, "more than 10 files and folders"),  # empty folders count too
    ],
)
def test_unsafe_zips_are_refused_with_one_line(tmp_path, members, links, message):
    archive = zipped(tmp_path / "=student.zip", members, links)
    with pytest.raises(IntakeError, match=message) as refused:
        take(archive, tmp_path, max_bytes=4000, max_files=10)
    assert str(refused.value).startswith("x: ")  # the submission's id first, never the raw file name
    assert not (tmp_path / "snap" / "snapshot").exists() and not (tmp_path / "evil.py").exists()
    assert list((tmp_path / "snap").iterdir()) == []  # no half-made snapshot left behind


def test_snapshot_is_a_read_only_hashed_copy_and_a_zipped_folder_is_unwrapped(tmp_path):
    archive = zipped(tmp_path / "s.zip", {"mine/sft_utils.py": "X = 1\n", "mine/data/train.jsonl": "{}\n",
                                          "__MACOSX/mine/._sft_utils.py": "junk"})  # fmt: skip
    dest = take(archive, tmp_path)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == ["data/train.jsonl", "sft_utils.py"]
    record = json.loads((dest.parent / "snapshot.json").read_text())
    assert set(record["files"]) == {"data/train.jsonl", "sft_utils.py"} and len(record["sha256"]) == 64
    assert stat.S_IMODE((dest / "sft_utils.py").stat().st_mode) == 0o444 and stat.S_IMODE(dest.stat().st_mode) == 0o555


def test_a_folder_keeps_its_links_as_links_and_later_changes_do_not_reach_the_snapshot(tmp_path):
    folder = tmp_path / "student"
    (folder / "data").mkdir(parents=True)
    (folder / "sft_utils.py").write_text("X = 1\n")
    os.symlink("/etc/passwd", folder / "data" / "train.jsonl")
    dest = take(folder, tmp_path)
    assert os.readlink(dest / "data" / "train.jsonl") == "/etc/passwd"  # not followed: the sandbox cannot see /etc
    (folder / "sft_utils.py").write_text("X = 2\n")
    assert (dest / "sft_utils.py").read_text() == "X = 1\n"


def test_ids_are_safe_and_unique(tmp_path):
    for name in ("John Smith", "John_Smith.zip", ".hidden", "ok", "baseline", "__MACOSX"):
        target = tmp_path / name
        if name.endswith(".zip"):
            zipped(target, {"a": "b"})
        else:
            target.mkdir()
    (tmp_path / "notes.txt").write_text("not a submission")
    assert [(s.id, s.path.name) for s in discover(tmp_path)] == [
        ("hidden", ".hidden"), ("John_Smith", "John Smith"), ("John_Smith-2", "John_Smith.zip"), ("baseline-2", "baseline"),
        ("ok", "ok"),
    ]  # "baseline" is the batch's own (the untrained model); a hidden name gets a row too  # fmt: skip
    assert submission_id("../../etc") == "etc" and submission_id("a/b c") == "a_b_c"


def test_policy_is_typed_and_bounded():
    assert parse_policy("") == DEFAULT_POLICY
    assert parse_policy("max_new_tokens: 512\nretries: 0\n").max_new_tokens == 512
    with pytest.raises(UserError, match="unknown key 'max_new_token' \\(did you mean 'max_new_tokens'\\?\\); retries: expected an integer"):
        parse_policy("max_new_token: 5\nretries: two\n")
    with pytest.raises(UserError, match="out of bounds"):
        parse_policy("train_seconds: 0\n")
    assert parse_policy(policy_template()) == DEFAULT_POLICY  # the documented template is the defaults


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_grade_usage_errors_are_one_line(capsys, tmp_path, tiny_default):
    subs = tmp_path / "subs"
    subs.mkdir()
    base, test = tiny_default["base_model"], tiny_default["test"]
    cases = [
        (["grade", tmp_path / "nowhere", "--test", test, "--base-model", base, "--out", tmp_path / "o"], "not a folder"),
        (["grade", subs, "--test", tmp_path / "none.jsonl", "--base-model", base, "--out", tmp_path / "o"], "--test: "),
        (["grade", subs, "--test", test, "--base-model", tmp_path, "--out", tmp_path / "o"], "--base-model: "),
        (["grade", subs, "--test", test, "--base-model", base, "--out", tmp_path / "o", "--only", "zoe"], "--only: no submission named zoe"),
        (["status", tmp_path], "not a batch folder"),
    ]
    for argv, message in cases:
        code, out, err = run_cli(capsys, *argv)
        assert code == 2 and message in err and err.startswith("error: ") and err.count("\n") == 1, (argv, err)


def test_a_batch_folder_keeps_its_inputs(capsys, tmp_path, tiny_default):
    subs = tmp_path / "subs"
    subs.mkdir()
    base, test = tiny_default["base_model"], tiny_default["test"]
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "grade", subs, "--test", test, "--base-model", base, "--out", out, "--no-baseline")
    assert code == 0, err
    other = tmp_path / "other.jsonl"
    other.write_text(test.read_text().splitlines()[0] + "\n")
    code, _, err = run_cli(capsys, "grade", subs, "--test", other, "--base-model", base, "--out", out)
    assert code == 2 and "was started with another test sha256" in err


@pytest.mark.parametrize("packed", [False, True])
def test_a_submission_that_would_shadow_the_kit_is_refused_at_intake(tmp_path, packed):
    """tests/hostile/shadow_kit (its own grader/, start-up hooks, a .pth): refused before any of its code runs."""
    hostile = Path(__file__).resolve().parent / "hostile" / "shadow_kit"
    members = {p.relative_to(hostile).as_posix(): p.read_text() for p in hostile.rglob("*") if p.is_file()}
    source = zipped(tmp_path / "shadow.zip", members) if packed else hostile
    with pytest.raises(IntakeError) as caught:
        take(source, tmp_path)
    assert str(caught.value) == (  # the id first, as every intake error
        "x: shadowing: grader/: Python started in the submission folder would import it in place of the kit's own "
        "package 'grader'; rename or remove it (+3 more)"
    )
    assert list((tmp_path / "snap").iterdir()) == []  # no snapshot, nothing for a later stage to run
