"""Which files of a submission would shadow the kit, the standard library or an installed package."""

from __future__ import annotations

import pytest

from grader.submission.shadowing import find_shadowing
from tests.conftest import ROOT


@pytest.mark.parametrize(
    "files, shadowed",
    [
        (["grader/__init__.py"], "grader/: Python started in the submission folder would import it in place of the kit's own package 'grader'"),
        (["grader/README.txt"], "grader/: "),  # any entry named like the kit, package or not
        (["grader.py"], "grader.py: "),
        (["json.py"], "json.py: Python started in the submission folder would import it in place of the standard library's 'json'"),
        (["os.pyc"], "os.pyc: "),  # sourceless modules import too
        (["yaml/__init__.py"], "yaml/: Python started in the submission folder would import it in place of the installed package 'yaml' (PyYAML)"),
        (["torch.cpython-311-x86_64-linux-gnu.so"], "torch.cpython-311-x86_64-linux-gnu.so: "),
        (["sitecustomize.py"], "sitecustomize.py: Python imports 'sitecustomize' at start-up from any folder on its path"),
        (["usercustomize/__init__.py"], "usercustomize/: "),
        (["evil.pth"], "evil.pth: a path configuration file"),
    ],
)
def test_shadowing_files_are_named_with_what_they_shadow(tmp_path, files, shadowed):
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (found,) = find_shadowing(tmp_path)
    assert found.startswith(shadowed) and found.endswith("; rename or remove it")


def test_helpers_data_and_the_kits_own_clone_are_fine(tmp_path):
    for name in ("sft_utils.py", "my_helpers.py", "data/train.jsonl", "test/notes.txt", "json/data.json", "sft_config.yaml", ".hidden.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert find_shadowing(tmp_path) == []  # folders without __init__.py do not shadow a package
    assert find_shadowing(ROOT) == []  # a student's clone of the kit: its grader/ is the kit itself
