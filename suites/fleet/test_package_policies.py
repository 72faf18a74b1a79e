"""Package policy updates: revision, audit fields, echo of the body, response formats, 404.

The document has no read operation for package policies; a PUT with an empty body (every
field is optional) answers the current policy, so it serves as the read. Tests that change
the description put back the one they found.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, expect_success

OP = load_catalog().get("put-fleet-package-policies-packagepolicyid")
UPDATE_DOC = "Update a package policy by ID."
REVISION_DOC = "Update a package policy by ID. Responses: item: revision number Required"
VERSION_DOC = (
    "Update a package policy by ID. Body: version string; Responses: item: version string "
    "(an update that sends back the version the last update answered is accepted)"
)
TIMESTAMPS_DOC = "Update a package policy by ID. Responses: item: created_at string Required, updated_at string Required"
UPDATED_BY_DOC = "Update a package policy by ID. Responses: item: created_by string Required, updated_by string Required"
ECHO_DOC = (
    "Update a package policy by ID. Body: Package policy description; Responses: item: Package policy description, "
    "id string Required, name string Required (Package policy name (should be unique))"
)
FORMAT_DOC = (
    "format string: Values are simplified or legacy. Responses: item: inputs array[object] | object Required; "
    "Request example (simplified shape): inputs as a map of {enabled, streams, vars}"
)
AGENT_POLICY_DOC = (
    "policy_id string | null Deprecated: Agent policy ID where that package policy will be added; "
    "policy_ids array[string]: Agent policy IDs where that package policy will be added"
)
NOT_FOUND_DOC = "Update a package policy by ID. (an id that names no package policy is not found)"


def _path(policy_id: str) -> str:
    return f"/api/fleet/package_policies/{policy_id}"


def _update(kibana: Any, body: dict[str, Any], response_format: str | None = None, documented: str = UPDATE_DOC) -> dict[str, Any]:
    """An update of the run's package policy (a missing one skips the test: see Target.request)."""
    path = _path(kibana.resources["packagePolicyId"])
    response = kibana.request("PUT", path, json_body=body, params={"format": response_format} if response_format else None)
    expect_success(response, documented)
    expect_conforms(OP, response)
    return read.item(response, documented=documented)


@contextmanager
def _restoring_description(kibana: Any, original: dict[str, Any]) -> Iterator[None]:
    try:
        yield
    finally:
        # An update cannot remove a field: a policy that had no description gets an empty one.
        kibana.request("PUT", _path(kibana.resources["packagePolicyId"]), json_body={"description": original.get("description") or ""})


def _timestamp(item: dict[str, Any], name: str) -> datetime:
    return read.instant(item.get(name), where=name, documented=f"{name}: an ISO 8601 date-time ({TIMESTAMPS_DOC})")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _inputs_summary(inputs: Any) -> list[tuple[Any, ...]]:
    """What the legacy inputs are, without the values their format may render differently."""
    if not isinstance(inputs, list):
        return [("not an array", type(inputs).__name__)]
    return sorted(
        (
            str(_dict(i).get("type")),
            str(_dict(i).get("policy_template")),
            bool(_dict(i).get("enabled")),
            tuple(sorted(str(_dict(_dict(s).get("data_stream")).get("dataset")) for s in _dict(i).get("streams") or [] if isinstance(_dict(i).get("streams"), list))),
        )
        for i in inputs
    )


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-REVISION", category="scenarios", doc=REVISION_DOC, operation=OP.id)
def test_each_update_raises_the_revision_by_one(kibana, run_prefix):
    start = _update(kibana, {})
    with _restoring_description(kibana, start):
        first = _update(kibana, {"description": f"{run_prefix}revision one"})
        second = _update(kibana, {"description": f"{run_prefix}revision two"})
    revisions = [start.get("revision"), first.get("revision"), second.get("revision")]
    expect(
        all(isinstance(r, (int, float)) for r in revisions) and revisions[1] == revisions[0] + 1 and revisions[2] == revisions[1] + 1,
        "successive updates did not raise the revision by one each",
        received=f"revisions {revisions} (an empty update, then two description changes)",
        documented=f"{revisions[0]}, {revisions[0] + 1 if isinstance(revisions[0], (int, float)) else 'n+1'}, ... ({REVISION_DOC})",
    )


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-VERSION", category="scenarios", doc=VERSION_DOC, operation=OP.id)
def test_the_answered_version_is_the_current_one(kibana):
    versions = [_update(kibana, {}).get("version")]
    for _ in range(2):
        sent_back = f"sending back version {versions[-1]!r}, answered by the previous update: {VERSION_DOC}"
        versions.append(_update(kibana, {"version": versions[-1]}, documented=sent_back).get("version"))
    expect(
        all(isinstance(v, str) and v for v in versions) and len(set(versions)) == len(versions),
        "an update did not change the version",
        received=f"versions {versions}",
        documented=f"a new version after every update ({VERSION_DOC})",
    )


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-TIMESTAMPS", category="scenarios", doc=TIMESTAMPS_DOC, operation=OP.id)
def test_updated_at_moves_forward_and_created_at_stays(kibana, run_prefix):
    start = _update(kibana, {})
    with _restoring_description(kibana, start):
        first = _update(kibana, {"description": f"{run_prefix}timestamps one"})
        second = _update(kibana, {"description": f"{run_prefix}timestamps two"})
    items = (start, first, second)
    created = [(str(i.get("created_at")), str(i.get("created_by"))) for i in items]
    expect(
        len(set(created)) == 1,
        "an update changed when or by whom the package policy was created",
        received=f"(created_at, created_by): {created}",
        documented=f"the same creation time and creator after every update ({TIMESTAMPS_DOC})",
    )
    updated = [_timestamp(i, "updated_at") for i in items]
    expect(
        updated[0] < updated[1] < updated[2],
        "updated_at did not move forward with each update",
        received=f"updated_at: {[i.get('updated_at') for i in items]}",
        documented=f"a strictly later updated_at after each update ({TIMESTAMPS_DOC})",
    )
    expect(
        _timestamp(start, "created_at") <= updated[0],
        "the package policy was updated before it was created",
        received=f"created_at {start.get('created_at')}, updated_at {start.get('updated_at')}",
        documented="created_at <= updated_at",
    )


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-UPDATED-BY", category="scenarios", doc=UPDATED_BY_DOC, operation=OP.id)
def test_updated_by_names_the_caller(kibana, run_prefix):
    start = _update(kibana, {})
    with _restoring_description(kibana, start):
        first = _update(kibana, {"description": f"{run_prefix}updated by"})
        second = _update(kibana, {})
    names = [first.get("updated_by"), second.get("updated_by")]
    expect(
        all(isinstance(n, str) and n.strip() for n in names) and names[0] == names[1],
        "two updates by the same caller name different (or no) editors",
        received=f"updated_by: {names}",
        documented=f"the caller's name both times ({UPDATED_BY_DOC})",
    )
    settings = kibana.settings
    if settings.username and not settings.api_key:
        expect(
            names[0] == settings.username,
            "updated_by does not name the user who made the update",
            received=f"updated_by: {names[0]!r}",
            documented=f"updated_by: {settings.username!r}, the user the suite authenticates as ({UPDATED_BY_DOC})",
        )


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-UPDATE-ECHO", category="scenarios", doc=ECHO_DOC, operation=OP.id)
def test_the_update_answers_what_was_sent_and_keeps_the_rest(kibana, resources, run_prefix):
    start = _update(kibana, {})
    description = f"{run_prefix}echo {start.get('revision')}"
    with _restoring_description(kibana, start):
        updated = _update(kibana, {"description": description})
        kept = _update(kibana, {})
    policy_id = resources["packagePolicyId"]
    for label, item in (("the update", updated), ("the next empty update", kept)):
        expect(
            item.get("description") == description,
            f"{label} does not answer the description that was sent",
            received=f"description: {item.get('description')!r}",
            documented=f"description: {description!r} ({ECHO_DOC})",
        )
        expect(item.get("id") == policy_id, f"{label} answers another package policy", received=f"id: {item.get('id')!r}", documented=f"id: {policy_id!r}, the path's id")
        fields = ("name", "namespace", "enabled", "policy_id", "policy_ids", "package", "is_managed", "output_id", "supports_agentless")
        changed = {f: item.get(f) for f in fields if f in start and item.get(f) != start[f]}
        expect(
            not changed,
            f"{label} changed fields the body did not send",
            received=changed,
            documented=f"the values before the update: {({f: start[f] for f in changed})}",
        )
        expect(
            _inputs_summary(item.get("inputs")) == _inputs_summary(start.get("inputs")),
            f"{label} changed the inputs, which the body did not send",
            received=_inputs_summary(item.get("inputs")),
            documented=f"the inputs before the update: {_inputs_summary(start.get('inputs'))}",
        )


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-AGENT-POLICY-IDS", category="scenarios", doc=AGENT_POLICY_DOC, operation=OP.id)
def test_the_deprecated_policy_id_is_one_of_the_policy_ids(kibana):
    start = _update(kibana, {})
    policy_id, policy_ids = start.get("policy_id"), start.get("policy_ids")
    if policy_id is None or policy_ids != [policy_id]:
        pytest.skip("the package policy is not in exactly one agent policy; sending its policy_id again would move it")
    updated = _update(kibana, {"policy_id": policy_id})
    expect(
        updated.get("policy_id") == policy_id and updated.get("policy_ids") == [policy_id],
        "sending the agent policy the package policy is in changed its agent policies",
        received=f"policy_id {updated.get('policy_id')!r}, policy_ids {updated.get('policy_ids')!r}",
        documented=f"policy_id {policy_id!r}, policy_ids {[policy_id]!r} ({AGENT_POLICY_DOC})",
    )


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-FORMAT", category="scenarios", doc=FORMAT_DOC, operation=OP.id)
def test_format_chooses_the_shape_of_the_inputs(kibana):
    simplified = _update(kibana, {}, "simplified")
    legacy = _update(kibana, {}, "legacy")
    default = _update(kibana, {})
    shapes = {"simplified": simplified.get("inputs"), "legacy": legacy.get("inputs"), "none": default.get("inputs")}
    expect(
        isinstance(shapes["simplified"], dict) and isinstance(shapes["legacy"], list) and isinstance(shapes["none"], list),
        "the inputs do not have the shape the format asks for",
        received={k: type(v).__name__ for k, v in shapes.items()},
        documented=f"format=simplified: a map of inputs; legacy or no format: an array ({FORMAT_DOC})",
    )
    as_map = sorted((bool(_dict(v).get("enabled")), len(_dict(v).get("streams") or {})) for v in shapes["simplified"].values())
    as_list = sorted((bool(_dict(i).get("enabled")), len(_dict(i).get("streams") or [])) for i in shapes["legacy"])
    expect(
        as_map == as_list and _inputs_summary(shapes["none"]) == _inputs_summary(shapes["legacy"]),
        "the formats describe different inputs for the same package policy",
        received=f"simplified (enabled, streams): {as_map}; legacy: {as_list}; no format: {_inputs_summary(shapes['none'])}",
        documented="the same inputs in both shapes, one map entry per array element",
    )


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-NOT-FOUND", category="scenarios", doc=NOT_FOUND_DOC, operation=OP.id)
@pytest.mark.parametrize("response_format", [None, "simplified"])
def test_an_unknown_package_policy_is_not_found(kibana, run_prefix, response_format):
    unknown = f"{run_prefix}missing-package-policy"
    params = {"format": response_format} if response_format else None
    response = kibana.request("PUT", _path(unknown), json_body={"description": f"{run_prefix}nowhere"}, params=params, expect_missing=True)
    expect_envelope(OP, response, 404)
    expect_conforms(OP, response)
    again = kibana.request("PUT", _path(unknown), json_body={}, params=params, expect_missing=True)
    expect_envelope(OP, again, 404)


MANAGED_DOC = (
    "force boolean: Force package policy creation even if the package is not verified, or if the agent policy is managed. "
    "(Kibana refuses an update that says is_managed: true without force: the schema's decision managed-needs-force)"
)


@pytest.mark.requirement("FLEET-PACKAGE-POLICY-MANAGED-NEEDS-FORCE", category="scenarios", doc=MANAGED_DOC, operation=OP.id)
@pytest.mark.parametrize("force", [None, False], ids=["omitted", "false"])
def test_a_managed_package_policy_is_not_updated_without_force(kibana, resources, run_prefix, force):
    """Only refusals are sent to the managed policy, so a conformant target is left unchanged."""
    managed = resources["managedPackagePolicyId"]
    body: dict[str, Any] = {"description": f"{run_prefix}unforced update", "is_managed": True}
    if force is not None:
        body["force"] = force
    response = kibana.request("PUT", _path(managed), json_body=body)
    expect_envelope(OP, response, 400)
