"""sft_config.yaml schema: defaults, every kind of mistake named with its key, all reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.batch.policy import DEFAULT_POLICY, parse_policy, policy_template
from grader.submission.config import FIELDS, FORBIDDEN, config_template, parse_config, read_config
from tests.conftest import ROOT


def test_shipped_config_is_valid_and_matches_the_course_defaults():
    config, errors = read_config(ROOT / "sft_config.yaml")
    assert errors == []
    assert (config.learning_rate, config.num_train_epochs, config.per_device_train_batch_size) == (2e-5, 3.0, 4)
    assert (config.lr_scheduler_type, config.seed, config.gradient_checkpointing) == ("cosine", 42, True)
    assert config.max_length == 2048 and config.bf16 == "auto"


def test_shipped_config_documents_every_key():
    text = (ROOT / "sft_config.yaml").read_text()
    assert all(f"\n{key}:" in "\n" + text for key in FIELDS)


def test_shipped_config_is_the_declaration_comments_and_defaults():
    """sft_config.yaml is written from TrainConfig's one declaration: a key, default, bound or help
    changed in one place and not the other fails here (regenerate the file with config_template())."""
    assert (ROOT / "sft_config.yaml").read_text() == config_template()
    text = config_template()
    for key, item in FIELDS.items():
        line = next(line for line in text.splitlines() if line.startswith(f"{key}:"))
        assert read_config_text(line)[key] == item.default  # each documented value is the declared default
    assert "learning_rate: 2.0e-5" in text and "# peak learning rate; (0, 0.01]" in text
    assert "max_length: 2048" in text and "[1, 2048]" in text


def read_config_text(line: str) -> dict:
    import yaml

    value = yaml.safe_load(line.split(" #")[0])
    key = next(iter(value))
    return {key: float(value[key]) if FIELDS[key].type is float else value[key]}


def test_the_documented_policy_is_the_declaration():
    text = (ROOT / "docs" / "grading-a-class.md").read_text()
    assert "```yaml\n" + policy_template() + "```" in text
    assert parse_policy(policy_template()) == DEFAULT_POLICY


def test_empty_config_gives_defaults():
    config, errors = parse_config("")
    assert errors == [] and config.learning_rate == 2e-5 and config.train_file == "data/train.jsonl"


def test_unknown_key_is_named_with_a_suggestion():
    _, errors = parse_config("lerning_rate: 0.001\n")
    assert errors == [
        "sft_config.yaml: unknown key 'lerning_rate' (did you mean 'learning_rate'?); "
        "allowed keys: see the comments in sft_config.yaml"
    ]


@pytest.mark.parametrize("key", sorted(FORBIDDEN))
def test_forbidden_keys_say_why(key):
    _, errors = parse_config(f"{key}: x\n")
    assert errors == [f"sft_config.yaml: key '{key}' is not allowed: {FORBIDDEN[key]}"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("learning_rate: fast", "learning_rate: expected a number, got 'fast'"),
        ("learning_rate: 0", "learning_rate: 0.0 is out of bounds (allowed: > 0 and <= 0.01)"),
        ("learning_rate: 1", "learning_rate: 1.0 is out of bounds (allowed: > 0 and <= 0.01)"),
        ("learning_rate: .nan", "learning_rate: expected a finite number, got nan"),
        ("max_length: 2049", "max_length: 2049 is out of bounds (allowed: >= 1 and <= 2048)"),
        ("max_length: 100.5", "max_length: expected an integer, got 100.5"),
        ("per_device_train_batch_size: true", "per_device_train_batch_size: expected an integer, got True"),
        ("packing: 'yes'", "packing: expected true or false, got 'yes'"),
        ("lr_scheduler_type: cosine_annealing", "lr_scheduler_type: 'cosine_annealing' is not one of"),
        ("train_file: /etc/passwd", "train_file: '/etc/passwd' must be a path inside the submission folder"),
        ("val_file: ../secret/test.jsonl", "val_file: '../secret/test.jsonl' must be a path inside the submission folder"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(text, expected):
    config, errors = parse_config(text + "\n")
    assert len(errors) == 1 and expected in errors[0]
    key = text.split(":")[0]
    assert getattr(config, key) == FIELDS[key].default  # the bad value never reaches the config


def test_scientific_notation_and_bools_are_read_as_meant():
    config, errors = parse_config("learning_rate: 2e-5\nbf16: true\nnum_train_epochs: 1\n")
    assert errors == [] and config.learning_rate == 2e-5 and config.bf16 == "true"
    assert config.num_train_epochs == 1.0 and isinstance(config.num_train_epochs, float)


def test_every_problem_is_reported_at_once():
    _, errors = parse_config("output_dir: /tmp\nlearning_rate: -1\nfoo: 1\npacking: 3\n")
    assert len(errors) == 4


def test_python_tags_are_rejected_without_constructing_anything(tmp_path):
    marker = tmp_path / "pwned"
    _, errors = parse_config(f"seed: !!python/object/apply:os.system ['touch {marker}']\n")
    assert errors == ["sft_config.yaml (line 1): YAML tags (such as !!python/...) are not allowed; use plain values"]
    assert not marker.exists()


def test_alias_bomb_is_rejected_before_expanding():
    bomb = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    _, errors = parse_config(bomb)
    assert len(errors) == 1 and "YAML aliases (*name) are not allowed" in errors[0]


def test_megabytes_of_junk_are_refused_by_size(tmp_path: Path):
    path = tmp_path / "sft_config.yaml"
    path.write_bytes(b"x" * (10 << 20))
    _, errors = read_config(path)
    assert errors == [f"{path}: file is 10,485,760 bytes; a config holds a few keys (at most 64 KiB)"]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"\xff\xfe junk", "not valid UTF-8 (byte 0)"),
        (b"learning_rate: [1, 2", "invalid YAML"),
        (b"- a\n- b\n", "expected a mapping of key: value, got list"),
    ],
)
def test_unreadable_files_give_one_line(tmp_path, content, expected):
    path = tmp_path / "sft_config.yaml"
    path.write_bytes(content)
    _, errors = read_config(path)
    assert len(errors) == 1 and expected in errors[0] and "\n" not in errors[0]


def test_missing_config_file(tmp_path):
    _, errors = read_config(tmp_path / "nope.yaml")
    assert errors == [f"{tmp_path / 'nope.yaml'}: config file not found"]


def test_a_key_given_twice_is_an_error_naming_both_lines():
    """YAML keeps the last of two equal keys without a word; the kit says which lines and keeps neither silently."""
    config, errors = parse_config("learning_rate: 1.0e-5\nseed: 3\nlearning_rate: 2.0e-4\n")
    assert errors == ["sft_config.yaml (line 3): duplicate key 'learning_rate' (also on line 1); keep one"]
    assert config.learning_rate == FIELDS["learning_rate"].default  # neither value is trusted
    _, errors = parse_config("{seed: 1, seed: 2}\n")
    assert errors == ["sft_config.yaml (line 1): duplicate key 'seed' (also on line 1); keep one"]
    assert parse_config("seed: 3\nlearning_rate: 1.0e-5\n")[1] == []
    from grader.errors import UserError

    with pytest.raises(UserError, match=r"^grading.yaml \(line 2\): duplicate key 'max_new_tokens' \(also on line 1\)"):
        parse_policy("max_new_tokens: 512\nmax_new_tokens: 2048\n")


def test_a_config_linked_out_of_the_submission_is_read_by_no_one(tmp_path):
    """check and sft.py's early base-model lookup read the config through one function: neither follows a link out."""
    from grader.submission.config import read_submission_config
    from grader.training.train import configured_base_model

    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("model_name_or_path: /somewhere/else\n")
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "sft_config.yaml").symlink_to(outside)
    _, problems = read_submission_config(submission)
    assert problems == [f"{submission / 'sft_config.yaml'}: a symbolic link to {str(outside)!r}, outside the submission folder"]
    assert configured_base_model(submission, None, None) is None
    assert configured_base_model(submission, outside, None) == "/somewhere/else"  # a config named on the command line is read
