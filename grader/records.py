"""Saved records: one dataclass per JSON file, used by the code that writes it and the code that reads it.

``save`` writes a record atomically; ``load`` reads it back strictly: a missing required field, a
field the dataclass does not declare, or a value of the wrong type is a ``RecordError`` naming
the file and the field, never a silent default. Fields with a default are optional in the file
(a writer may leave out what is None). Nested dataclasses, ``list``, ``tuple``, ``dict[str, X]``,
``X | None`` and ``Any`` are understood; nothing else is needed for the kit's files.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from grader.atomic import write_json_atomic
from grader.errors import UserError

T = TypeVar("T")


class RecordError(UserError):
    """A saved file does not hold the record its reader expects (edited by hand, or from another kit version)."""


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe(kind: Any) -> str:
    return getattr(kind, "__name__", None) or str(kind).replace("typing.", "")


def _convert(kind: Any, value: Any, where: str) -> Any:
    """``value`` (parsed JSON) as ``kind``, or RecordError saying where and what."""
    if kind is Any:
        return value
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, where)
            except RecordError as exc:
                errors.append(str(exc))
        raise RecordError(errors[0] if len(errors) == 1 else f"{where}: expected {_describe(kind)}, got {value!r:.80}")
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise RecordError(f"{where}: expected an object, got {type(value).__name__}")
        return parse(kind, value, where)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise RecordError(f"{where}: expected a list, got {type(value).__name__}")
        (item,) = typing.get_args(kind)[:1] or (Any,)
        items = [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise RecordError(f"{where}: expected an object, got {type(value).__name__}")
        _, item = typing.get_args(kind) or (str, Any)
        return {str(k): _convert(item, v, f"{where}.{k}") for k, v in value.items()}
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind in (str, bool, dict, list):
        if isinstance(value, kind):
            return value
    else:
        raise TypeError(f"records cannot hold {kind!r}")
    raise RecordError(f"{where}: expected {_describe(kind)}, got {type(value).__name__} {value!r:.80}")


def parse(cls: type[T], data: dict, where: str) -> T:
    """A ``cls`` from a JSON object, strictly (see the module docstring)."""
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise RecordError(f"{where}: unknown field '{unknown[0]}'" + (f" (+{len(unknown) - 1} more)" if len(unknown) > 1 else ""))
    values = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise RecordError(f"{where}: missing field '{name}'")
            continue
        values[name] = _convert(hints[name], data[name], f"{where}: {name}" if ":" not in where else f"{where}.{name}")
    return cls(**values)


def to_json(record: Any) -> Any:
    """A record as plain JSON data (dataclasses become objects; tuples, lists).

    A dataclass with ``OMIT_NONE = True`` leaves out the optional fields (default None) that are None.
    """
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        omit = getattr(record, "OMIT_NONE", False)
        return {
            f.name: to_json(getattr(record, f.name))
            for f in dataclasses.fields(record)
            if not (omit and f.default is None and getattr(record, f.name) is None)
        }
    if isinstance(record, (list, tuple)):
        return [to_json(v) for v in record]
    if isinstance(record, dict):
        return {str(k): to_json(v) for k, v in record.items()}
    return record


def save(path: str | os.PathLike[str], record: Any) -> None:
    """The record as JSON, written atomically."""
    write_json_atomic(path, to_json(record))


def load(path: str | os.PathLike[str], cls: type[T]) -> T:
    """The record in ``path``; RecordError when it is missing, not JSON, or not a ``cls``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RecordError(f"{path}: unreadable ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise RecordError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return parse(cls, data, str(path))


def load_optional(path: str | os.PathLike[str], cls: type[T]) -> T | None:
    """``load``, or None when the file does not exist (a stage that has not run yet)."""
    return load(path, cls) if Path(path).exists() else None
