"""The stage table (grader.batch.layout.STAGE_TABLE) is the one place a stage is described: every
name it gives elsewhere (limit key, interpreter key, outputs, failure status) must exist, and every
stage that runs as a process must have exactly the function grader.batch.stages registers for it."""

from __future__ import annotations

import dataclasses

from grader.batch import stages
from grader.batch.layout import FINAL, PROCESS_STAGES, STAGE_TABLE, SubmissionPaths
from grader.batch.policy import Policy


def test_every_process_stage_has_its_function_and_nothing_else_does():
    assert sorted(stages.WORK) == sorted(PROCESS_STAGES)
    assert all(callable(fn) for fn in stages.WORK.values())


def test_every_name_the_table_gives_exists_where_it_points():
    policy_keys = {f.name for f in dataclasses.fields(Policy)}
    path_names = {name for name, value in vars(SubmissionPaths).items() if isinstance(value, property)}
    for stage in STAGE_TABLE:
        assert stage.failed in FINAL, stage
        assert stage.limit is None or stage.limit in policy_keys, stage
        assert stage.python is None or stage.python in policy_keys, stage
        assert set(stage.outputs) <= path_names, (stage.name, set(stage.outputs) - path_names)
    assert len({s.name for s in STAGE_TABLE}) == len(STAGE_TABLE)


def test_policy_time_limits_follow_the_table():
    policy = Policy()
    for stage in STAGE_TABLE:
        if stage.limit is not None:
            assert policy.stage_seconds(stage.name) == getattr(policy, stage.limit)
