"""Invalid variants of a valid instance, derived from the constraints its schema states.

Each mutation breaks exactly one stated constraint (a required field dropped, a value
outside an enum, an empty string where a minimum length is stated, an extra property
where none are allowed, a wrong type), so the schema must reject the result.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# One value of each JSON type, used to break a "type" constraint.
VALUES_BY_TYPE: dict[str, Any] = {
    "integer": 12345,
    "string": "a-string",
    "boolean": True,
    "array": ["an", "array"],
    "object": {"an": "object"},
    "null": None,
}


@dataclass(frozen=True)
class Mutation:
    pointer: str
    constraint: str
    instance: Any

    def __str__(self) -> str:
        return f"{self.constraint} at {self.pointer or '/'}"


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema and len(schema) <= 2:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        schema = document["$defs"][ref.removeprefix("#/$defs/")]
    return schema


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else list(declared)


def _wrong_type_value(schema: dict[str, Any]) -> Any | None:
    allowed = set(_types(schema))
    if not allowed:
        return None
    if "number" in allowed:
        allowed.add("integer")
    for name, value in VALUES_BY_TYPE.items():
        if name not in allowed:
            return value
    return None


def _set(root: Any, path: list[Any], value: Any) -> Any:
    if not path:
        return value
    clone = copy.deepcopy(root)
    target = clone
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return clone


def _delete(root: Any, path: list[Any]) -> Any:
    clone = copy.deepcopy(root)
    target = clone
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return clone


def mutations(schema: dict[str, Any], document: dict[str, Any], instance: Any) -> Iterator[Mutation]:
    """Every single-constraint violation reachable through ``properties`` and ``items``."""
    yield from _walk(schema, document, instance, instance, [])


def _pointer(path: list[Any]) -> str:
    return "".join(f"/{p}" for p in path)


def _walk(schema: Any, document: dict[str, Any], root: Any, value: Any, path: list[Any]) -> Iterator[Mutation]:
    if not isinstance(schema, dict):
        return
    schema = resolve(schema, document)
    if any(key in schema for key in ("anyOf", "oneOf")):
        # A value that breaks one branch may satisfy another; only the whole union is checked.
        return
    pointer = _pointer(path)
    wrong = _wrong_type_value(schema)
    if wrong is not None:
        yield Mutation(pointer, f"type {schema['type']}", _set(root, path, wrong))
    if "enum" in schema and isinstance(value, str):
        yield Mutation(pointer, "enum", _set(root, path, "value-outside-the-enum"))
    if isinstance(value, str) and schema.get("minLength", 0) >= 1:
        yield Mutation(pointer, "minLength", _set(root, path, ""))
    if isinstance(value, str) and schema.get("pattern") == "\\S":
        yield Mutation(pointer, "not only whitespace", _set(root, path, "   "))
    if isinstance(value, str) and "maxLength" in schema:
        yield Mutation(pointer, "maxLength", _set(root, path, "x" * (schema["maxLength"] + 1)))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "minimum" in schema:
        yield Mutation(pointer, "minimum", _set(root, path, schema["minimum"] - 1))
    if isinstance(value, list):
        yield from _walk_array(schema, document, root, value, path)
    if isinstance(value, dict):
        yield from _walk_object(schema, document, root, value, path)


def _walk_array(schema: dict[str, Any], document: dict[str, Any], root: Any, value: list[Any], path: list[Any]) -> Iterator[Mutation]:
    pointer = _pointer(path)
    if schema.get("minItems", 0) >= 1:
        yield Mutation(pointer, "minItems", _set(root, path, []))
    if "maxItems" in schema and value:
        yield Mutation(pointer, "maxItems", _set(root, path, [value[0]] * (schema["maxItems"] + 1)))
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            yield from _walk(items, document, root, item, [*path, index])


def _walk_object(schema: dict[str, Any], document: dict[str, Any], root: Any, value: dict[str, Any], path: list[Any]) -> Iterator[Mutation]:
    pointer = _pointer(path)
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name in value:
            yield Mutation(f"{pointer}/{name}", "required", _delete(root, [*path, name]))
    if schema.get("additionalProperties") is False and "patternProperties" not in schema:
        extra = _set(root, [*path, "kct_undocumented_property"], "extra")
        yield Mutation(pointer, "additionalProperties false", extra)
    for name, sub in properties.items():
        if name in value:
            yield from _walk(sub, document, root, value[name], [*path, name])
        else:
            wrong = _wrong_type_value(resolve(sub, document)) if isinstance(sub, dict) else None
            if wrong is not None:
                yield Mutation(f"{pointer}/{name}", "type (absent in example)", _set(root, [*path, name], wrong))
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        for name in sorted(value.keys() - properties.keys()):
            yield from _walk(additional, document, root, value[name], [*path, name])


def minimal_instance(schema: Any, document: dict[str, Any]) -> Any:
    """The smallest instance that satisfies the constraints a schema states (for parts without examples)."""
    schema = resolve(schema, document) if isinstance(schema, dict) else {}
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return minimal_instance(schema[key][0], document)
    if "enum" in schema:
        return schema["enum"][0]
    kind = (_types(schema) or ["object"])[0]
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: minimal_instance(properties.get(name, {}), document) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal_instance(schema.get("items", {}), document) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2024-01-01T00:00:00.000Z"
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    return {"boolean": False, "null": None}[kind]
