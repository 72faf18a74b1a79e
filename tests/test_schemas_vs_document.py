"""The schema files against the document, statement by statement.

For every operation, each named field bullet of its section, and every constraint sentence
("Values are ...", "Default value is ...", "Minimum length is ...", "Not more than ... elements",
"Additional properties are NOT allowed", ...), must be found in that operation's file. The
document is read when it is present next to the checkout (it is not shipped with the package).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kibana_conformance import provenance
from kibana_conformance.catalog import Operation, load_catalog

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_77863d4e6b7d5556.txt"
pytestmark = pytest.mark.skipif(not SEED.is_file(), reason="the seed document ../shared/seeds/000_77863d4e6b7d5556.txt is not next to this checkout")

ONE_TYPE = r"(?:string|number|integer|boolean|object|array)(?:\[[a-z()-]+\])?(?:\([a-z-]+\))?"
BULLET = re.compile(
    rf"^\s*• (?P<name>[A-Za-z_@][\w.@-]*) (?P<type>{ONE_TYPE}(?: \| {ONE_TYPE})*)(?P<required> Required)?(?: Deprecated| Technical preview| Discriminator)*\s*$"
)
VALUES = re.compile(r"^\s*Values? (?:are|is) (?P<rest>.+)$")
DEFAULT = re.compile(r"^\s*Default value is (?P<default>.+)\.\s*$")
LENGTHS = [
    (re.compile(r"Minimum length is (\d+)"), "minLength"),
    (re.compile(r"[Mm]aximum length is (\d+)"), "maxLength"),
    (re.compile(r"Not more than (\d+) elements"), "maxItems"),
    (re.compile(r"At least (\d+) element"), "minItems"),
    (re.compile(r"Minimum value is (\d+)"), "minimum"),
    (re.compile(r"Minimum length of each is (\d+)"), "minLength"),
    (re.compile(r"[Mm]aximum length of each is (\d+)"), "maxLength"),
]


def _section(op: Operation) -> list[str]:
    first, last = op.raw["operation"]["source"]["lines"]
    return SEED.read_text(encoding="utf-8").splitlines()[first - 1 : last]


def _walk(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


def _schemas(op: Operation) -> list[dict[str, Any]]:
    return _walk(op.raw["$defs"]) + _walk([p["schema"] for p in op.parameters])


def _split_values(text: str) -> list[str]:
    return [v.strip() for v in re.split(r", or |, | or ", text) if v.strip()]


def _default(text: str) -> str:
    return "[]" if text == "[] (empty)" else text


def _as_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (list, bool)) else str(value)


OPERATIONS = list(load_catalog())


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_named_field_is_in_the_schema(op: Operation) -> None:
    properties = {name for s in _schemas(op) for name in s.get("properties", {})} | {p["name"] for p in op.parameters}
    required = {name for s in _schemas(op) for name in s.get("required", [])} | {p["name"] for p in op.parameters if p["required"]}
    missing, not_required = [], []
    for line in _section(op):
        bullet = BULLET.match(line)
        if bullet is None:
            continue
        name = bullet.group("name")
        if name not in properties:
            missing.append(name)
        elif bullet.group("required") and name not in required:
            not_required.append(name)
    assert missing == [] and not_required == []


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_enum_and_default_is_in_the_schema(op: Operation) -> None:
    schemas = _schemas(op)
    enums = [sorted(map(str, s["enum"])) for s in schemas if "enum" in s] + [[str(s["const"])] for s in schemas if "const" in s]
    defaults = [_as_text(s["default"]) for s in schemas if "default" in s]
    problems = []
    for line in _section(op):
        values = VALUES.match(line)
        if values:
            stated, _, default = values.group("rest").partition(" Default value is ")
            stated_values = sorted(_split_values(stated.rstrip().removesuffix(".")))
            if stated_values not in enums:
                problems.append(f"enum {stated_values}")
            if default and _default(default.rstrip().removesuffix(".")) not in defaults:
                problems.append(f"default {default!r}")
        only_default = DEFAULT.match(line)
        if only_default and _default(only_default.group("default")) not in defaults:
            problems.append(f"default {only_default.group('default')!r}")
    assert problems == []


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_length_count_and_minimum_is_in_the_schema(op: Operation) -> None:
    text = json.dumps(op.raw["$defs"]) + json.dumps([p["schema"] for p in op.parameters])
    problems = []
    for line in _section(op):
        for pattern, keyword in LENGTHS:
            for number in pattern.findall(line):
                if f'"{keyword}": {number}' not in text:
                    problems.append(f"{keyword} {number} ({line.strip()})")
    assert problems == []


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_closed_objects_are_stated_or_decided(op: Operation) -> None:
    """An object is closed where the document says so, where Kibana's source does (provenance kibana), or where a decision says why."""
    stated = any("Additional properties are NOT allowed." in line for line in _section(op))
    closures = [c for c in provenance.constraints(op.raw) if c.keyword == "additionalProperties"]
    decided = any("additionalProperties" in d["decision"] for d in op.raw.get("decisions", []))
    unexplained = [c.pointer for c in closures if c.source == "example" and not decided]
    assert unexplained == []
    assert stated <= bool(closures)
