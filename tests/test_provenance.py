"""Every constraint of every schema file says where it comes from, and the lossy spots are marked.

See schemas/README.md ("Provenance"). The transforms per purpose are checked on small schemas
written here, so that each rule is seen once on its own.
"""

from __future__ import annotations

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
