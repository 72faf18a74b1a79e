"""Request validation with the operation schemas, answered in Kibana's own words.

Kibana validates most routes with ``@kbn/config-schema`` (messages such as
``[request body.name]: expected value of type [string] but got [number]``) and the
Security Solution routes with zod (``[request body]: item_id: Expected string, received number``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from jsonschema import ValidationError

from ..catalog import Operation
from .errors import KibanaError

INTEGER = re.compile(r"^[+-]?\d+$")
LOCATION_LABELS = {"body": "request body", "query": "request query", "path": "request params", "header": "request headers"}


def js_type(value: Any) -> str:
    """The type name Kibana's messages use for a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "Array"
    return "Object"


def _expected_type(schema: Any) -> str:
    declared = schema.get("type", "object") if isinstance(schema, dict) else "object"
    names = [declared] if isinstance(declared, str) else declared
    names = ["number" if n == "integer" else n for n in names if n != "null"] or ["null"]
    return " | ".join(names)


def _path(error: ValidationError, extra: Iterable[Any] = ()) -> list[str]:
    return [str(p) for p in (*error.absolute_path, *extra)]


def _missing_properties(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [name for name in error.validator_value if name not in instance]


def _extra_properties(error: ValidationError) -> list[str]:
    allowed = set(error.schema.get("properties", {}))
    instance = error.instance if isinstance(error.instance, dict) else {}
    return sorted(k for k in instance if k not in allowed)


def _config_schema_messages(error: ValidationError, label: str) -> list[str]:
    def at(*extra: Any) -> str:
        return ".".join([label, *_path(error, extra)])

    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        properties = error.schema.get("properties", {})
        return [f"[{at(n)}]: expected value of type [{_expected_type(properties.get(n, {}))}] but got [undefined]" for n in _missing_properties(error)]
    if kind == "additionalProperties":
        return [f"[{at(n)}]: definition for this key is missing" for n in _extra_properties(error)]
    if kind == "type":
        return [f"[{at()}]: expected value of type [{_expected_type(error.schema)}] but got [{js_type(instance)}]"]
    if kind in ("enum", "const"):
        options = value if kind == "enum" else [value]
        if len(options) == 1:
            return [f"[{at()}]: expected value to equal [{options[0]}]"]
        lines = [f"- [{at(i)}]: expected value to equal [{option}]" for i, option in enumerate(options)]
        return [f"[{at()}]: types that failed validation:\n" + "\n".join(lines)]
    if kind == "minLength":
        return [f"[{at()}]: value has length [{len(instance)}] but it must have a minimum length of [{value}]."]
    if kind == "maxLength":
        return [f"[{at()}]: value has length [{len(instance)}] but it must have a maximum length of [{value}]."]
    if kind == "minItems":
        return [f"[{at()}]: array size is [{len(instance)}], but cannot be smaller than [{value}]"]
    if kind == "maxItems":
        return [f"[{at()}]: array size is [{len(instance)}], but cannot be greater than [{value}]"]
    if kind == "minimum":
        return [f"[{at()}]: Value must be equal to or greater than [{value}]."]
    if kind == "pattern":
        return [f"[{at()}]: value [{instance}] does not match the pattern [{value}]"]
    if kind == "format":
        return [f"[{at()}]: value [{instance}] is not a valid {value}"]
    if kind in ("anyOf", "oneOf"):
        return [f"[{at()}]: types that failed validation: the value matches none of the documented shapes"]
    return [f"[{at()}]: {error.message}"]


def _zod_messages(error: ValidationError) -> list[str]:
    def at(*extra: Any) -> str:
        return ".".join(_path(error, extra))

    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        return [f"{at(n)}: Required" for n in _missing_properties(error)]
    if kind == "additionalProperties":
        keys = ", ".join(f"'{k}'" for k in _extra_properties(error))
        return [f"{at() or 'body'}: Unrecognized key(s) in object: {keys}"]
    if kind == "type":
        return [f"{at()}: Expected {_expected_type(error.schema).lower()}, received {js_type(instance).lower()}"]
    if kind in ("enum", "const"):
        options = value if kind == "enum" else [value]
        expected = " | ".join(f"'{o}'" for o in options)
        return [f"{at()}: Invalid enum value. Expected {expected}, received '{instance}'"]
    if kind == "minLength":
        return [f"{at()}: String must contain at least {value} character(s)"]
    if kind == "maxLength":
        return [f"{at()}: String must contain at most {value} character(s)"]
    if kind == "minItems":
        return [f"{at()}: Array must contain at least {value} element(s)"]
    if kind == "maxItems":
        return [f"{at()}: Array must contain at most {value} element(s)"]
    if kind == "minimum":
        return [f"{at()}: Number must be greater than or equal to {value}"]
    if kind == "pattern":
        return [f"{at()}: No empty strings allowed"] if value == "\\S" else [f"{at()}: Invalid"]
    if kind == "format":
        return [f"{at()}: Invalid {'datetime' if value == 'date-time' else value}"]
    if kind in ("anyOf", "oneOf"):
        return [f"{at()}: Invalid input"]
    return [f"{at()}: {error.message}"]


def describe_errors(errors: list[ValidationError], location: str, dialect: str) -> str:
    """One Kibana-style message for the validation errors of one request part."""
    errors = sorted(errors, key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)), e.validator))
    label = LOCATION_LABELS[location]
    if dialect == "security-solution":
        # dict.fromkeys: jsonschema reports one error per missing property, each naming them all.
        messages = list(dict.fromkeys(m for e in errors for m in _zod_messages(e)))
        return f"[{label}]: " + ", ".join(messages)
    messages = [m for e in errors for m in _config_schema_messages(e, label)]
    return messages[0] if messages else f"[{label}]: invalid value"


def validation_error(op: Operation, errors: list[ValidationError], location: str, extra: dict[str, Any]) -> KibanaError:
    return KibanaError(400, describe_errors(errors, location, op.error_dialect), extra=extra, versioned=True)


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if declared is None:
        found: set[str] = set()
        for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
            found |= _types(branch)
        return found
    return {declared} if isinstance(declared, str) else set(declared)


def _coerce_scalar(raw: str, types: set[str]) -> Any:
    if "null" in types and raw == "null":
        return None
    if "integer" in types and "number" not in types:
        # Digits only: "2.0" is not an integer parameter (it is how a one-element array [2.0] reads).
        return int(raw) if INTEGER.match(raw) else raw
    if "number" in types:
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if INTEGER.match(raw) else number
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    return raw


def coerce_query_value(values: list[str], schema: dict[str, Any]) -> Any:
    """Turn the raw strings of one query parameter into what its schema describes."""
    types = _types(schema)
    if "array" in types and (len(values) > 1 or not types - {"array"}):
        items = schema.get("items")
        if items is None:
            items = next((b.get("items", {}) for b in schema.get("anyOf", []) if "array" in _types(b)), {})
        return [_coerce_scalar(v, _types(items)) for v in values]
    if len(values) > 1:
        return values
    return _coerce_scalar(values[0], types)
