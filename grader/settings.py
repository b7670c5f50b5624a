"""Settings declared once: a dataclass field carries its type, default, bounds and help.

``sft_config.yaml`` (``TrainConfig``), ``grading.yaml`` (``Policy``) and ``KIT_SPEED`` (``Speed``)
are dataclasses whose fields are made with :func:`setting`. Everything else reads that one
declaration: parsing with every problem reported at once (unknown key with a did-you-mean,
wrong type, out of bounds), the documented YAML files, and the pages that show a config.

Dataclass metadata rather than pydantic: the errors are ours, one line per key in the words the
course uses; YAML 1.1's quirks (``2e-5`` is a string) are handled in one place; and the fixed
code does not depend on a library that arrives only through deepspeed.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import textwrap
import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

import yaml

_KEY = "setting"


@dataclass(frozen=True)
class Spec:
    """What a field allows beyond its type: bounds (``low_open``: strictly above ``low``) or choices."""

    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[Any, ...] | None = None
    group: str = ""  # documented files leave a blank line where the group changes


@dataclass(frozen=True)
class Declared:
    """One declared field: its name, type (bool, int, float or str), default and spec; ``optional``: None allowed."""

    name: str
    type: type
    default: Any
    spec: Spec
    optional: bool = False  # declared as ``str | None``: null (or an empty value) in YAML means the default behaviour

    @property
    def help(self) -> str:
        return self.spec.help

    def allowed(self) -> str:
        """The allowed values as the documented files write them: ``[1, 256]``, ``(0, 0.01]``, ``a, b, c``."""
        spec = self.spec
        if spec.choices is not None:
            return ", ".join(map(str, spec.choices))
        if self.type is bool:
            return "true or false"
        if spec.low is None:
            return ""
        high = "" if spec.high is None else number(spec.high)
        return f"{'(' if spec.low_open else '['}{number(spec.low)}, {high}]"


def number(value: float) -> str:
    """A bound as people write it: 0.01, 256, 1000000 (not 1e+06)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def setting(default: Any, help: str, *, low: float | None = None, high: float | None = None, low_open: bool = False,
            choices: tuple[Any, ...] | None = None, group: str = "") -> Any:  # fmt: skip
    """A dataclass field that declares a setting (use as ``name: int = setting(4, "...", low=1, high=256)``)."""
    spec = Spec(help, low, high, low_open, choices, group)
    return dataclasses.field(default=default, metadata={_KEY: spec})


@lru_cache(maxsize=None)
def declared(cls: type) -> dict[str, Declared]:
    """``{name: Declared}`` of a settings dataclass, in declaration order."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        if _KEY in f.metadata:
            kind = hints[f.name]
            options = [k for k in typing.get_args(kind) if k is not type(None)]
            optional = len(options) == 1 and len(typing.get_args(kind)) == 2  # X | None
            out[f.name] = Declared(f.name, options[0] if optional else kind, f.default, f.metadata[_KEY], optional)
    return out


def check_value(key: str, value: Any, item: Declared) -> tuple[Any, str | None]:
    """What YAML gave, coerced into the declared type, or a one-line problem naming the key."""
    kind, spec = item.type, item.spec
    if value is None and item.optional:
        return None, None
    if kind is bool:
        if not isinstance(value, bool):
            return None, f"{key}: expected true or false, got {value!r}"
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"{key}: expected an integer, got {value!r}"
    elif kind is float:
        if isinstance(value, str):  # YAML 1.1 reads 2e-5 as a string; accept plain numeric text
            try:
                value = float(value)
            except ValueError:
                return None, f"{key}: expected a number, got {value!r}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"{key}: expected a number, got {value!r}"
        value = float(value)
        if not math.isfinite(value):
            return None, f"{key}: expected a finite number, got {value!r}"
    elif kind is str:
        if isinstance(value, bool) and spec.choices is not None and "true" in spec.choices:
            value = "true" if value else "false"  # `bf16: true` means the choice "true"
        if not isinstance(value, str) or not value.strip():
            return None, f"{key}: expected a non-empty string, got {value!r}"
    if spec.choices is not None and value not in spec.choices:
        return None, f"{key}: {value!r} is not one of {', '.join(map(str, spec.choices))}"
    if spec.low is not None:
        below = value < spec.low or (spec.low_open and value == spec.low)
        if below or (spec.high is not None and value > spec.high):
            op = ">" if spec.low_open else ">="
            high = "" if spec.high is None else f" and <= {number(spec.high)}"
            return None, f"{key}: {value!r} is out of bounds (allowed: {op} {number(spec.low)}{high})"
    return value, None


def from_mapping(cls: type, raw: Mapping[Any, Any], *, forbidden: Mapping[str, str] | None = None,
                 unknown_hint: str = "", extra: Callable[[str, Any], str | None] | None = None) -> tuple[Any, list[str]]:  # fmt: skip
    """An instance of ``cls`` from ``raw`` (defaults where a value is bad) and every problem found, in file order.

    ``extra(key, value)``: a rule beyond type and bounds (e.g. a path must stay inside a folder).
    """
    items = declared(cls)
    values: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in raw.items():
        if not isinstance(key, str):
            errors.append(f"key {key!r} must be a string")
        elif forbidden and key in forbidden:
            errors.append(f"key '{key}' is not allowed: {forbidden[key]}")
        elif key not in items:
            close = difflib.get_close_matches(key, items, n=1)
            errors.append(f"unknown key '{key}'" + (f" (did you mean '{close[0]}'?)" if close else "") + unknown_hint)
        else:
            checked, problem = check_value(key, value, items[key])
            if problem is None and extra is not None:
                problem = extra(key, checked)
            if problem:
                errors.append(problem)
            else:
                values[key] = checked
    return cls(**values), errors


_BOOLS = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False}


def parse_assignments(cls: type, text: str) -> tuple[dict[str, Any], list[str]]:
    """``key=value,key=value`` (an environment variable's text) checked against ``cls``'s declaration.

    Returns the values that passed (typed) and a problem per item that did not.
    """
    items = declared(cls)
    values: dict[str, Any] = {}
    errors: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, raw = part.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or key not in items:
            errors.append(f"'{part}' is not key=value with a key among {', '.join(items)}")
            continue
        kind = items[key].type
        value: Any = raw
        if kind is bool:
            if raw.lower() not in _BOOLS:
                errors.append(f"{key}={raw!r}: expected 0 or 1")
                continue
            value = _BOOLS[raw.lower()]
        elif kind is int:
            try:
                value = int(raw)
            except ValueError:
                errors.append(f"{key}={raw!r}: expected an integer")
                continue
        elif kind is str:
            value = raw.lower()
        checked, problem = check_value(key, value, items[key])
        if problem:
            errors.append(f"{key}={problem.removeprefix(f'{key}: ')}")  # attention='x' is not one of ...
        else:
            values[key] = checked
    return values, errors


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A key given twice in one mapping: YAML would silently keep the last value."""


class NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases or duplicate keys: an alias bomb cannot expand, no tag builds
    objects, and a key given twice is an error rather than a silent "the last one wins"."""

    name = "this file"

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, f"YAML aliases (*name) are not allowed in {self.name}", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                    seen.setdefault(key, key_node.start_mark.line)
                except TypeError:  # an unhashable key: the constructor below says so
                    continue
                if first is not None:
                    raise DuplicateKeyError(
                        None, None, f"duplicate key {key!r} (also on line {first + 1}); keep one", key_node.start_mark
                    )  # fmt: skip
        return super().construct_mapping(node, deep)


def _load(text: str, name: str) -> Any:
    loader = NoAliasLoader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(text: str, name: str = "this file") -> tuple[Any, str | None]:
    """(the parsed document, None) or (None, a one-line problem with its line number); ``name`` for messages."""
    try:
        return (_load(text, name) if text.strip() else None), None
    except DuplicateKeyError as exc:
        return None, f"(line {exc.problem_mark.line + 1}): {exc.problem}"
    except yaml.constructor.ConstructorError as exc:
        where = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        return None, f"{where.strip()}: YAML tags (such as !!python/...) are not allowed; use plain values".lstrip(": ")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"(line {mark.line + 1}): " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, f"{where}invalid YAML: {problem}"


def yaml_value(value: Any) -> str:
    """A default as YAML 1.1 reads it back with the same type (``2.0e-5``, not ``2e-05``, which is a string)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            return f"{float(mantissa):.1f}e{int(exponent)}" if "." not in mantissa else f"{mantissa}e{int(exponent)}"
        return text
    return str(value)


def yaml_template(cls: type, header: str, width: int = 100, column: int = 34) -> str:
    """A documented YAML file with every declared key at its default: ``key: value   # help; allowed``."""
    items = list(declared(cls).values())
    heads = {item.name: f"{item.name}: {yaml_value(item.default)}" for item in items}
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    group = None
    for item in items:
        if group is not None and item.spec.group != group:
            lines.append("")
        group = item.spec.group
        allowed = ("" if item.type is bool else item.allowed()).replace(", ", ",\u00a0")  # a bound stays on one line
        comment = f"{item.help}: {allowed}" if item.spec.choices else f"{item.help}; {allowed}" if allowed else item.help
        if item.spec.choices:
            comment = comment.replace(",\u00a0", ", ")  # a list of choices may wrap between its words
        wrapped = [part.replace("\u00a0", " ") for part in textwrap.wrap(comment, max(30, width - column - 2),
                                                                           break_on_hyphens=False)]  # paths stay whole
        head = heads[item.name].ljust(column - 1) if len(heads[item.name]) < column - 1 else heads[item.name] + " "
        lines.append(f"{head} # {wrapped[0]}")
        lines += [f"{'':<{column - 1}} # {rest}" for rest in wrapped[1:]]
    return "\n".join(lines) + "\n"
