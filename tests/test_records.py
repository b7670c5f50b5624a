"""Saved records are read back strictly: a missing, unknown or mistyped field names the file and the field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from grader import records
from grader.records import RecordError


@dataclass(frozen=True)
class Inner:
    n: int
    share: float


@dataclass
class Outer:
    name: str
    groups: dict[str, Inner]
    history: list[dict]
    seconds: float | None = None
    tags: tuple[str, ...] = field(default=())


def test_a_record_round_trips_through_its_file(tmp_path):
    record = Outer("x", {"a": Inner(3, 0.5)}, [{"step": 1, "loss": 2.0}], 1.5, ("t",))
    records.save(tmp_path / "r.json", record)
    assert records.load(tmp_path / "r.json", Outer) == record
    assert json.loads((tmp_path / "r.json").read_text())["groups"] == {"a": {"n": 3, "share": 0.5}}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"groups": {}, "history": []}, "missing field 'name'"),
        ({"name": "x", "groups": {}, "history": [], "accuracy": 1}, "unknown field 'accuracy'"),
        ({"name": "x", "groups": {"a": {"n": "3", "share": 0.5}}, "history": []}, "groups.a.n: expected int"),
        ({"name": "x", "groups": {"a": {"n": 3}}, "history": []}, "groups.a: missing field 'share'"),
        ({"name": "x", "groups": {}, "history": [], "seconds": "fast"}, "seconds: expected float, got str"),
        ({"name": 5, "groups": {}, "history": []}, "name: expected str"),
    ],
)
def test_what_does_not_fit_is_an_error_naming_file_and_field(tmp_path, data, message):
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data))
    with pytest.raises(RecordError) as caught:
        records.load(path, Outer)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_optional_fields_may_be_left_out_and_ints_count_as_floats(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"name": "x", "groups": {"a": {"n": 1, "share": 1}}, "history": []}))
    loaded = records.load(path, Outer)
    assert loaded.seconds is None and loaded.tags == () and loaded.groups["a"].share == 1.0


def test_a_missing_or_torn_file_is_one_line(tmp_path):
    with pytest.raises(RecordError, match="not found"):
        records.load(tmp_path / "nope.json", Outer)
    assert records.load_optional(tmp_path / "nope.json", Outer) is None
    (tmp_path / "torn.json").write_text('{"name": ')
    with pytest.raises(RecordError, match="unreadable"):
        records.load(tmp_path / "torn.json", Outer)


def test_sweep_removes_only_unfinished_writes(tmp_path):
    """A write killed between its temp file and the rename leaves `.<name>.<random>.tmp`; a resumed grade sweeps it."""
    from grader.atomic import sweep, write_text_atomic

    write_text_atomic(tmp_path / "state.json", "{}")
    (tmp_path / ".state.json.k1ll3d.tmp").write_text('{"half')
    (tmp_path / ".lock").write_text("")
    (tmp_path / "notes.tmp").write_text("the student's")
    assert sweep(tmp_path) == [tmp_path / ".state.json.k1ll3d.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "notes.tmp", "state.json"]
