"""Package policy inputs in Kibana's two shapes.

Stored inputs are always in the legacy shape: an array of inputs, each with an array of
streams, and var objects ``{type, value, frozen?}``. The simplified shape keys inputs
``<policy_template>-<type>`` and streams by data stream dataset, and gives vars as plain
values. As in Kibana, a legacy request's inputs and vars replace the stored ones as sent
(values included), and a legacy response gives them as stored.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import KibanaError

def _invalid(message: str) -> KibanaError:
    return KibanaError(400, message, extra={"errorType": "PackagePolicyValidationError"})


def input_key(item: dict[str, Any]) -> str:
    """Kibana's generateInputId: the simplified shape's key for an input."""
    template = item.get("policy_template")
    return f"{template}-{item['type']}" if template else item["type"]


def _dataset(stream: dict[str, Any]) -> str | None:
    return (stream.get("data_stream") or {}).get("dataset")


def _plain_value(value: Any) -> bool:
    """A value the simplified shape can give a var: Kibana's SimplifiedVarsSchema (null, boolean, string, number,
    a list of strings or of numbers, or a secret reference)."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return True
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value) or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    return (
        isinstance(value, dict)
        and set(value) == {"id", "isSecretRef"}
        and isinstance(value["id"], str)
        and isinstance(value["isSecretRef"], bool)
    )


def check_var_values(vars_: Any, context: str) -> None:
    """A package variable's value is one the package's var types allow; the mock, which has no package
    manifests, refuses values no var type takes (Kibana validates them against the package)."""
    for name, var in (vars_ or {}).items() if isinstance(vars_, dict) else ():
        if not isinstance(var, dict) or not _plain_value(var.get("value")):
            raise _invalid(f"Invalid value for variable {context}:{name}")


def check_legacy_vars(body: dict[str, Any]) -> None:
    check_var_values(body.get("vars"), "")
    for item in body.get("inputs") or [] if isinstance(body.get("inputs"), list) else []:
        check_var_values(item.get("vars"), str(item.get("type")))
        for stream in item.get("streams") or []:
            check_var_values(stream.get("vars"), str(_dataset(stream)))


def from_legacy(sent_inputs: list[dict[str, Any]], policy_id: str) -> list[dict[str, Any]]:
    """The inputs a legacy request sends, as sent, with stream ids assigned as Kibana does."""
    inputs = []
    for sent in sent_inputs:
        item = copy.deepcopy(sent)
        streams = []
        for stream in item.get("streams", []):
            if _dataset(stream):
                stream["id"] = f"{item['type']}-{_dataset(stream)}-{policy_id}"
            streams.append(stream)
        item["streams"] = streams
        inputs.append(item)
    return inputs


def _assign(values: dict[str, Any] | None, owner: dict[str, Any], context: str) -> None:
    for name, value in (values or {}).items():
        var = (owner.get("vars") or {}).get(name)
        if not isinstance(var, dict):
            raise _invalid(f"Variable {context}:{name} not found")
        var["value"] = value


def assign_policy_vars(values: dict[str, Any], stored_vars: dict[str, Any] | None) -> dict[str, Any]:
    """A simplified request's top-level vars: plain values set on the package policy's vars."""
    owner = {"vars": copy.deepcopy(stored_vars or {})}
    _assign(values, owner, "")
    return owner["vars"]


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


def var_values(variables: dict[str, Any]) -> dict[str, Any]:
    """Kibana's formatVars: each var's value (unset vars are left out, as undefined is in JSON)."""
    values = {}
    for name, var in variables.items():
        if not isinstance(var, dict) or "value" not in var:
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
