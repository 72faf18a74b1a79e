"""Package policy inputs in Kibana's two shapes.

Stored inputs are always in the legacy shape: an array of inputs, each with an array of
streams, and var objects ``{type, value, frozen?}``. The simplified shape keys inputs
``<policy_template>-<type>`` and streams by data stream dataset, and gives vars as plain
values. The document closes legacy var objects to ``{frozen, type}``, so a legacy
response cannot carry the values, and a legacy request cannot send them: the values of
the vars a legacy request names are kept from the stored policy.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import KibanaError

VAR_FIELDS = ("frozen", "type")


def _invalid(message: str) -> KibanaError:
    return KibanaError(400, message, extra={"errorType": "PackagePolicyValidationError"})


def input_key(item: dict[str, Any]) -> str:
    """Kibana's generateInputId: the simplified shape's key for an input."""
    template = item.get("policy_template")
    return f"{template}-{item['type']}" if template else item["type"]


def _dataset(stream: dict[str, Any]) -> str | None:
    return (stream.get("data_stream") or {}).get("dataset")


def keep_values(sent: dict[str, Any] | None, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    if sent is None:
        return None
    stored = stored or {}
    kept = {}
    for name, var in sent.items():
        previous = stored.get(name)
        kept[name] = {**var, "value": previous["value"]} if isinstance(previous, dict) and "value" in previous else dict(var)
    return kept


def _with_kept_values(sent: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(sent)
    for field in ("vars", "config"):
        if field in sent:
            merged[field] = keep_values(sent[field], stored.get(field))
    return merged


def from_legacy(sent_inputs: list[dict[str, Any]], stored_inputs: list[dict[str, Any]], policy_id: str) -> list[dict[str, Any]]:
    """The inputs a legacy request sends, with stream ids assigned as Kibana does."""
    stored_by_key = {input_key(item): item for item in stored_inputs}
    inputs = []
    for sent in sent_inputs:
        stored = stored_by_key.get(input_key(sent), {})
        stored_streams = {_dataset(s): s for s in stored.get("streams", [])}
        item = _with_kept_values(sent, stored)
        streams = []
        for sent_stream in sent.get("streams", []):
            stream = _with_kept_values(sent_stream, stored_streams.get(_dataset(sent_stream), {}))
            if _dataset(stream):
                stream["id"] = f"{item['type']}-{_dataset(stream)}-{policy_id}"
            streams.append(stream)
        item["streams"] = streams
        inputs.append(item)
    return inputs


def _assign(values: dict[str, Any] | None, owner: dict[str, Any], context: str) -> None:
    for name, value in (values or {}).items():
        var = (owner.get("vars") or {}).get(name)
        if var is None:
            raise _invalid(f"Variable {context}:{name} not found")
        var["value"] = value


def from_simplified(sent_inputs: dict[str, dict[str, Any]], stored_inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply a simplified request to the stored inputs.

    Kibana rebuilds the inputs from the package's defaults; the mock has no package
    manifests, so inputs and streams the request does not name keep their stored state.
    As in Kibana, a named input or stream is enabled unless it says ``enabled: false``.
    """
    inputs = copy.deepcopy(stored_inputs)
    by_key = {input_key(item): item for item in inputs}
    for key, sent in sent_inputs.items():
        item = by_key.get(key)
        if item is None:
            raise _invalid(f"Input not found: {key}")
        item["enabled"] = sent.get("enabled") is not False
        _assign(sent.get("vars"), item, key)
        streams = {_dataset(s): s for s in item.get("streams", [])}
        for dataset, sent_stream in (sent.get("streams") or {}).items():
            stream = streams.get(dataset)
            if stream is None:
                raise _invalid(f"Stream not found {key}: {dataset}")
            stream["enabled"] = sent_stream.get("enabled") is not False
            _assign(sent_stream.get("vars"), stream, f"{key} {dataset}")
    return inputs


def closed_vars(variables: dict[str, Any]) -> dict[str, Any]:
    return {name: {k: v for k, v in var.items() if k in VAR_FIELDS} for name, var in variables.items()}


def _legacy_view(item: dict[str, Any]) -> dict[str, Any]:
    view = dict(item)
    for field in ("vars", "config"):
        if isinstance(item.get(field), dict):
            view[field] = closed_vars(item[field])
    return view


def legacy_inputs(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**_legacy_view(item), "streams": [_legacy_view(s) for s in item.get("streams", [])]} for item in inputs]


def var_values(variables: dict[str, Any]) -> dict[str, Any]:
    """Kibana's formatVars: each var's value (unset vars are left out, as undefined is in JSON)."""
    values = {}
    for name, var in variables.items():
        if "value" not in var:
            continue
        value = var["value"]
        # Kibana keeps the dataset var in an internal {dataset, ...} form.
        values[name] = value["dataset"] if name == "data_stream.dataset" and isinstance(value, dict) and "dataset" in value else value
    return values


def _simplified_entry(owner: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"enabled": owner["enabled"]}
    if isinstance(owner.get("vars"), dict):
        entry["vars"] = var_values(owner["vars"])
    return entry


def simplified_inputs(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        input_key(item): {
            **_simplified_entry(item),
            "streams": {_dataset(s) or s.get("id", ""): _simplified_entry(s) for s in item.get("streams", [])},
        }
        for item in inputs
    }
