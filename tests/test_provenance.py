"""Every constraint of every schema file says where it comes from, and the lossy spots are marked.

See schemas/README.md ("Provenance"). The transforms per purpose are checked on small schemas
written here, so that each rule is seen once on its own.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kibana_conformance import provenance
from kibana_conformance.catalog import META_SCHEMA_FILE, Operation, load_catalog, read_json

CATALOG = load_catalog()
OPERATIONS = list(CATALOG)
# A decision that speaks of a hidden or missing part of the rendering is about a lossy spot.
LOSSY_WORDING = re.compile(
    r"collapsed|not rendered|renders no|no attributes|has no name|lost|no rendered|Any of|One of|one branch|"
    r"heading has no|lists no parameters|has no entries|only in the path|only the path|cut off|lists no response",
    re.IGNORECASE,
)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_constraint_has_a_provenance(op: Operation) -> None:
    assert provenance.problems(op.raw) == []


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_decisions_about_hidden_parts_carry_a_lossy_marker(op: Operation) -> None:
    unmarked = [d["subject"] for d in op.raw.get("decisions", []) if LOSSY_WORDING.search(d["subject"]) and "lossy" not in d]
    assert unmarked == []


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_lossy_spots_lie_in_the_operation_section(op: Operation) -> None:
    first, last = op.raw["operation"]["source"]["lines"]
    outside = [d["id"] for d in op.raw.get("decisions", []) if "lossy" in d and not first <= d["lossy"]["lines"][0] <= d["lossy"]["lines"][1] <= last]
    assert outside == []


def _file(defs: dict[str, Any], decisions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"$defs": defs, "parameters": [], "decisions": decisions or []}


EVIDENCE = [{"repo": "elastic/kibana", "path": "x/y.ts", "commit": "0" * 40, "facts": "f"}]


def test_a_constraint_without_provenance_is_reported() -> None:
    raw = _file({"body": {"type": "object", "properties": {"a": {"type": "string"}}}})
    assert provenance.problems(raw) == ["/$defs/body type: no provenance (x-provenance on this node or '*' above it)"] + [
        "/$defs/body/properties/a type: no provenance (x-provenance on this node or '*' above it)"
    ]


def test_provenance_is_inherited_and_overridden() -> None:
    raw = _file(
        {"body": {"x-provenance": {"*": "doc", "required": "example"}, "type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}}
    )
    assert provenance.problems(raw) == []
    sources = {(c.pointer, c.keyword): c.source for c in provenance.constraints(raw)}
    assert sources == {("/$defs/body", "type"): "doc", ("/$defs/body", "required"): "example", ("/$defs/body/properties/a", "type"): "doc"}


def test_kibana_needs_a_decision_with_evidence() -> None:
    raw = _file({"body": {"x-provenance": {"*": "kibana"}, "type": "object"}})
    assert any("needs a decision" in p for p in provenance.problems(raw))
    raw = _file({"body": {"x-provenance": {"*": "kibana:k"}, "type": "object"}}, [{"id": "k", "subject": "s", "decision": "d"}])
    assert any("cites no Kibana source" in p for p in provenance.problems(raw))
    raw["decisions"][0]["evidence"] = EVIDENCE
    assert provenance.problems(raw) == []


def test_doc_does_not_reach_into_a_lossy_spot() -> None:
    lossy = [{"id": "hidden", "subject": "s", "decision": "d", "lossy": {"kind": "collapsed-attributes", "lines": [1, 2]}}]
    raw = _file({"body": {"x-provenance": {"*": "doc"}, "type": "object", "properties": {"h": {"x-lossy": "hidden", "type": "object"}}}}, lossy)
    assert any("inside the lossy spot 'hidden'" in p for p in provenance.problems(raw))
    raw["$defs"]["body"]["properties"]["h"]["x-provenance"] = {"*": "example:hidden"}
    assert provenance.problems(raw) == []


def test_a_lossy_decision_must_mark_its_subtree() -> None:
    lossy = [{"id": "hidden", "subject": "s", "decision": "d", "lossy": {"kind": "collapsed-attributes", "lines": [1, 2]}}]
    raw = _file({"body": {"x-provenance": {"*": "doc"}, "type": "object"}}, lossy)
    assert any("marks no subschema" in p for p in provenance.problems(raw))


LOSSY_BODY = {
    "x-provenance": {"*": "doc"},
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "hidden": {
            "x-lossy": "hidden",
            "x-provenance": {"*": "example:hidden"},
            "type": "object",
            "additionalProperties": False,
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        },
        "unseen": {"x-lossy": "hidden", "x-provenance": {"*": "example:hidden"}, "type": "string"},
    },
}
LOSSY_DECISION = [{"id": "hidden", "subject": "s", "decision": "d", "lossy": {"kind": "collapsed-attributes", "lines": [1, 2]}}]


def test_responses_hold_only_what_is_stated() -> None:
    response = provenance.schema_for(LOSSY_BODY, "response")
    validator = Draft202012Validator(response)
    assert validator.is_valid({"name": "x", "hidden": {"a": None, "c": 1}, "unseen": None})  # hidden parts are open
    assert not validator.is_valid({"name": ""})  # what the document states still holds
    assert not validator.is_valid({})


def test_invalid_requests_break_only_what_is_stated() -> None:
    negative = provenance.schema_for(LOSSY_BODY, "request-negative")
    assert "additionalProperties" not in negative["properties"]["hidden"] and "type" not in negative["properties"]["hidden"]
    assert negative["properties"]["name"] == {"type": "string", "minLength": 1}


def test_valid_requests_are_pinned_to_the_examples_inside_lossy_spots() -> None:
    raw = _file({"body": LOSSY_BODY}, LOSSY_DECISION)
    assert provenance.problems(raw) == []
    positive = provenance.positive_request_schema(raw, "#/$defs/body", [{"name": "n", "hidden": {"a": "x", "b": 2}}])
    assert positive["properties"]["hidden"] == {"enum": [{"a": "x", "b": 2}]}
    assert positive["properties"]["unseen"] is False  # no example shows it: valid data does not invent it
    assert positive["properties"]["name"] == {"type": "string", "minLength": 1}
    assert positive["additionalProperties"] is False


def test_a_known_divergence_is_kibana_s_shape_in_the_kibana_purpose() -> None:
    body = {
        "x-provenance": {"*": "doc"},
        "type": "object",
        "required": ["ok"],
        "properties": {"ok": {"type": "boolean"}},
        "x-divergence": {"decision": "d", "schema": {"type": "object", "required": ["status"]}},
    }
    assert Draft202012Validator(provenance.schema_for(body, "response")).is_valid({"ok": True})
    kibana = Draft202012Validator(provenance.schema_for(body, "kibana"))
    assert kibana.is_valid({"status": "ok"}) and not kibana.is_valid({"ok": True})


@pytest.mark.parametrize(
    "annotation",
    [{"x-provenance": {"*": "docs"}}, {"x-provenance": {"requird": "doc"}}, {"x-lossy": "Not An Id"}, {"x-provenence": {"*": "doc"}}],
    ids=["unknown-source", "unknown-keyword", "bad-decision-id", "misspelt-annotation"],
)
def test_the_meta_schema_refuses_malformed_annotations(annotation: dict[str, Any]) -> None:
    meta = Draft202012Validator(read_json(CATALOG.root / META_SCHEMA_FILE))
    raw = dict(CATALOG.get("put-fleet-settings").raw)
    raw["$defs"] = {**raw["$defs"], "request": {**raw["$defs"]["request"], **annotation}}
    assert not meta.is_valid(raw)


DIVERGENCE = {
    "id": "d",
    "subject": "s",
    "decision": "d",
    "provenance": "kibana",
    "divergence": "Kibana answers otherwise.",
    "since": "9.0.0",
    "until": "9.2",
    "expires": "2027-12-02",
    "evidence": EVIDENCE,
}


def _divergent_file(decision: dict[str, Any]) -> dict[str, Any]:
    body = {"x-provenance": {"*": "doc"}, "type": "object", "x-divergence": {"decision": "d", "schema": {"type": "array"}}}
    return _file({"body": body}, [decision])


def test_a_well_formed_divergence_has_no_problem() -> None:
    assert provenance.problems(_divergent_file(DIVERGENCE)) == []
    without_range = {k: v for k, v in DIVERGENCE.items() if k not in ("since", "until")}
    assert provenance.problems(_divergent_file(without_range)) == []  # since and until are optional: absent when not known


def _without(*keys: str) -> dict[str, Any]:
    return {k: v for k, v in DIVERGENCE.items() if k not in keys}


# Each malformed divergence, and the message that refuses it (provenance.problems); the meta-schema refuses it too.
MALFORMED_DIVERGENCES = [
    pytest.param(_without("evidence") | {"provenance": "doc"}, "a known divergence without evidence", id="no-evidence"),
    pytest.param(_without("expires"), "a known divergence without expires (YYYY-MM-DD)", id="no-expires"),
    pytest.param(DIVERGENCE | {"expires": "2027-02-30"}, "expires '2027-02-30' is not a date (YYYY-MM-DD)", id="impossible-date"),
    pytest.param(DIVERGENCE | {"expires": "next year"}, "expires 'next year' is not a date (YYYY-MM-DD)", id="words-for-date"),
    pytest.param(DIVERGENCE | {"expires": "2027-12-2"}, "expires '2027-12-2' is not a date (YYYY-MM-DD)", id="short-date"),
    pytest.param(DIVERGENCE | {"since": "latest"}, "since 'latest' is not a Kibana version (such as 9.1.0)", id="since-word"),
    pytest.param(DIVERGENCE | {"since": "9"}, "since '9' is not a Kibana version (such as 9.1.0)", id="since-major-only"),
    pytest.param(DIVERGENCE | {"until": "v9.3.0"}, "until 'v9.3.0' is not a Kibana version (such as 9.1.0)", id="until-prefixed"),
    pytest.param(DIVERGENCE | {"until": 9.3}, "until 9.3 is not a Kibana version (such as 9.1.0)", id="until-number"),
    pytest.param(DIVERGENCE | {"since": "9.2.0", "until": "9.2"}, "until 9.2 is not after since 9.2.0: the range holds no version", id="empty-range"),
]


@pytest.mark.parametrize(("decision", "message"), MALFORMED_DIVERGENCES)
def test_a_malformed_divergence_is_refused_with_a_clear_message(decision: dict[str, Any], message: str) -> None:
    assert f"decision 'd': {message}" in "\n".join(provenance.problems(_divergent_file(decision)))


META = Draft202012Validator(read_json(CATALOG.root / META_SCHEMA_FILE))


@pytest.mark.parametrize(
    ("decision", "message"), [p for p in MALFORMED_DIVERGENCES if p.id not in ("impossible-date", "empty-range")]
)  # a pattern cannot tell 30 February or an empty range: provenance.problems does (above)
def test_the_meta_schema_refuses_a_malformed_divergence(decision: dict[str, Any], message: str) -> None:
    raw = copy.deepcopy(CATALOG.get("get-cases-configure").raw)
    index = next(i for i, d in enumerate(raw["decisions"]) if d.get("id") == "cases-connector")
    raw["decisions"][index] = decision | {"id": "cases-connector"}
    assert META.is_valid(copy.deepcopy(CATALOG.get("get-cases-configure").raw))
    assert not META.is_valid(raw)


def test_a_range_or_expiry_without_a_divergence_is_refused() -> None:
    decision = {"id": "d", "subject": "s", "decision": "d", "expires": "2027-12-02"}
    assert "decision 'd': expires belongs to a known divergence, and this decision records none (divergence)" in provenance.problems(_file({}, [decision]))


def test_every_shipped_divergence_carries_evidence_and_an_expiry() -> None:
    divergences = [d for op in OPERATIONS for d in op.known_divergences]
    assert len(divergences) == 12
    assert all(d.evidence and d.expires for d in divergences)
