"""Case settings: the owner filter, and the consistency of each configuration's custom fields."""

from __future__ import annotations

import json
from itertools import combinations
from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_success

OP = load_catalog().get("get-cases-configure")
PATH = "/api/cases/configure"
OWNERS = ("cases", "observability", "securitySolution")
FILTER_DOC = (
    "owner string | array[string]: A filter to limit the response to a specific set of applications. If this parameter is omitted, "
    "the response contains information about all the cases that the user has access to read. owner: Values are cases, observability, or securitySolution."
)
CUSTOM_FIELDS_DOC = (
    "customFields.key: A unique key for the custom field. defaultValue: If the type is text, the default value must be a string. "
    "If the type is toggle, the default value must be boolean. templates.key: A unique key for the template. "
    "caseFields.customFields.key: The unique key for the custom field; value: If the type is text, the default value must be a string. "
    "If the type is toggle, the default value must be boolean."
)
VALUE_TYPES = {"text": str, "toggle": bool}
FILTERS: list[str | list[str]] = [*OWNERS] + [list(pair) for pair in combinations(OWNERS, 2)]


def _configurations(kibana: Any, owner: str | list[str] | None = None) -> list[dict[str, Any]]:
    response = kibana.request("GET", PATH, params={"owner": owner} if owner is not None else None)
    expect_success(response, "Get case settings")
    expect_conforms(OP, response)
    return read.objects(read.body(response, list, documented=FILTER_DOC), where="the configurations", documented=FILTER_DOC)


def _key(configuration: dict[str, Any]) -> str:
    return str(configuration.get("id") or json.dumps(configuration, sort_keys=True))


def _label(owner: str | list[str]) -> str:
    return f"owner={owner}" if isinstance(owner, str) else "&".join(f"owner={o}" for o in owner)


@pytest.mark.requirement("CASES-CONFIGURE-OWNER-FILTER", category="scenarios", doc=FILTER_DOC, operation=OP.id)
@pytest.mark.parametrize("owner", FILTERS, ids=[_label(f) for f in FILTERS])
def test_every_configuration_belongs_to_a_filtered_owner(kibana, owner):
    allowed = {owner} if isinstance(owner, str) else set(owner)
    outside = [(c.get("id"), c.get("owner")) for c in _configurations(kibana, owner) if c.get("owner") not in allowed]
    expect(
        not outside,
        f"{_label(owner)} answered configurations of other owners",
        received=f"(id, owner): {outside}",
        documented=f"owners within {sorted(allowed)} ({FILTER_DOC})",
    )


@pytest.mark.requirement("CASES-CONFIGURE-NO-FILTER-SUPERSET", category="scenarios", doc=FILTER_DOC, operation=OP.id)
def test_no_filter_answers_every_filtered_configuration(kibana):
    everything = _configurations(kibana)
    keys = [_key(c) for c in everything]
    expect(len(set(keys)) == len(keys), "a configuration is listed twice", received=f"ids: {keys}", documented="each configuration once")
    by_key = dict(zip(keys, everything, strict=True))
    for owner in FILTERS:
        allowed = {owner} if isinstance(owner, str) else set(owner)
        filtered = {_key(c): c for c in _configurations(kibana, owner)}
        missing = sorted(set(filtered) - set(by_key))
        expect(
            not missing,
            f"{_label(owner)} answered configurations the unfiltered request does not",
            received=f"only with {_label(owner)}: {missing}",
            documented=f"no filter answers all of them ({FILTER_DOC})",
        )
        dropped = sorted(k for k, c in by_key.items() if c.get("owner") in allowed and k not in filtered)
        expect(
            not dropped,
            f"{_label(owner)} left out configurations of those owners",
            received=f"missing from the filtered answer: {dropped}",
            documented=f"every configuration of {sorted(allowed)}: a filter only removes other owners' configurations",
        )
        differing = sorted(k for k, c in filtered.items() if by_key[k] != c)
        expect(not differing, f"{_label(owner)} answered a configuration differently", received=f"ids: {differing}", documented="the same configuration with or without the filter")


def _repeated(values: list[Any]) -> list[Any]:
    values = [json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in values]
    return sorted({v for v in values if values.count(v) > 1}, key=str)


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _custom_field_problems(configuration: dict[str, Any]) -> list[str]:
    problems = []
    fields = _objects(configuration.get("customFields"))
    problems += [f"customFields key {k!r} is repeated" for k in _repeated([f.get("key") for f in fields])]
    types = {f.get("key"): f.get("type") for f in fields}
    for field in fields:
        expected = VALUE_TYPES.get(field.get("type"))
        if "defaultValue" in field and field["defaultValue"] is not None and expected and not isinstance(field["defaultValue"], expected):
            problems.append(f"custom field {field.get('key')!r} of type {field.get('type')} has defaultValue {field['defaultValue']!r}")
    templates = _objects(configuration.get("templates"))
    problems += [f"template key {k!r} is repeated" for k in _repeated([t.get("key") for t in templates])]
    for template in templates:
        case_fields = template.get("caseFields")
        values = _objects(case_fields.get("customFields") if isinstance(case_fields, dict) else None)
        problems += [f"template {template.get('key')!r} sets custom field {k!r} twice" for k in _repeated([v.get("key") for v in values])]
        for value in values:
            key, kind = value.get("key"), value.get("type")
            if key not in types:
                problems.append(f"template {template.get('key')!r} sets custom field {key!r}, which the configuration does not define")
            elif types[key] != kind:
                problems.append(f"template {template.get('key')!r} gives custom field {key!r} type {kind}, defined as {types[key]}")
            expected = VALUE_TYPES.get(kind)
            if value.get("value") is not None and expected and not isinstance(value["value"], expected):
                problems.append(f"template {template.get('key')!r} gives {kind} custom field {key!r} the value {value['value']!r}")
    return problems


@pytest.mark.requirement("CASES-CONFIGURE-CUSTOM-FIELDS", category="scenarios", doc=CUSTOM_FIELDS_DOC, operation=OP.id)
def test_custom_fields_are_unique_and_typed(kibana):
    problems = {_key(c): p for c in _configurations(kibana) if (p := _custom_field_problems(c))}
    expect(not problems, "a configuration's custom fields are inconsistent", received=problems, documented=CUSTOM_FIELDS_DOC)
