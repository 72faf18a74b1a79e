"""Spaces: what is written in one Kibana space is not seen, nor changed, from another."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_status, expect_success
from kibana_conformance.suite.profiles import exception_item_body

CATALOG = load_catalog()
CONVERSATIONS = CATALOG.get("post-security-ai-assistant-current-user-conversations")
EXCEPTIONS = CATALOG.get("put-exception-lists-items")
POLICIES = CATALOG.get("put-fleet-package-policies-packagepolicyid")
NAMESPACE_DOC = "namespace string Required: Kibana space"
SINGLE_DOC = "namespace_type: single: Only available in the Kibana space in which it is created."
SPACE_MISSING = (400, 404)


def spaces(kibana) -> tuple[str, str]:
    """The configured space (A) and the other one (B)."""
    here, other = kibana.settings.space or "default", kibana.resources["otherSpace"]
    if here == other:
        pytest.skip(f"the other space is the configured space ({here}); pass --resource otherSpace=ANOTHER_SPACE_ID")
    return here, other


def skip_if_space_missing(response: httpx.Response, space: str, what: str, option: str = "") -> None:
    if response.status_code in SPACE_MISSING:
        pytest.skip(
            f"{what} in space {space!r} answered {response.status_code}: create the space{' and the resource in it' if option else ''}, "
            f"or pass --resource otherSpace=SPACE_ID{f' --resource {option}' if option else ''}"
        )


def create_conversation(kibana, body: dict[str, Any], space: str | None = None) -> httpx.Response:
    return kibana.request("POST", CONVERSATIONS.path, json_body=body, space=space, expect_missing=space is not None)


@pytest.mark.requirement("SPACES-CONVERSATION-ID-PER-SPACE", category="scenarios", doc=NAMESPACE_DOC, operation=CONVERSATIONS.id)
def test_conversation_ids_are_per_space(kibana, run_prefix):
    here, other = spaces(kibana)
    given = f"{run_prefix}spaces-{uuid.uuid4().hex}"
    expect_success(create_conversation(kibana, {"id": given, "title": f"{run_prefix}in {here}"}), f"{NAMESPACE_DOC}: created in {here}")
    there = create_conversation(kibana, {"id": given, "title": f"{run_prefix}in {other}"}, space=other)
    if there.status_code != 409:
        skip_if_space_missing(there, other, "creating a conversation")
    expect_status(there, 200, f"{NAMESPACE_DOC}: the id {given} is taken in {here} only, so space {other} can create it")
    for space in (here, other):
        again = create_conversation(kibana, {"id": given, "title": f"{run_prefix}again"}, space=space)
        expect_status(again, 409, f"{NAMESPACE_DOC}: the id {given} already names a conversation in space {space}")


@pytest.mark.requirement("SPACES-CONVERSATION-NAMESPACE", category="scenarios", doc=NAMESPACE_DOC, operation=CONVERSATIONS.id)
def test_conversation_namespace_is_its_space(kibana, run_prefix):
    here, other = spaces(kibana)
    received = {}
    for space in (here, other):
        response = create_conversation(kibana, {"title": f"{run_prefix}namespace"}, space=space)
        skip_if_space_missing(response, space, "creating a conversation")
        expect_success(response, CONVERSATIONS.description)
        received[space] = read.body(response, dict, documented=NAMESPACE_DOC).get("namespace")
    expect(received == {here: here, other: other}, "a conversation's namespace is not the space it was created in", received=received, documented=NAMESPACE_DOC)


def update_item(kibana, run_prefix: str, space: str, **changes: Any) -> httpx.Response:
    body = exception_item_body(run_prefix, kibana.resources, **changes)
    return kibana.request("PUT", EXCEPTIONS.path, json_body=body, space=space, uses=("exceptionItemId",), expect_missing=True)


@pytest.mark.requirement("SPACES-EXCEPTION-VERSION-ISOLATED", category="scenarios", doc=SINGLE_DOC, operation=EXCEPTIONS.id)
def test_exception_item_versions_are_per_space(kibana, run_prefix):
    here, other = spaces(kibana)
    there = update_item(kibana, run_prefix, other)
    skip_if_space_missing(there, other, f"exception item {kibana.resources['exceptionItemId']}", "exceptionItemId=ITEM_ID")
    expect_success(there, EXCEPTIONS.description)
    version = read.member(read.body(there, dict, documented=SINGLE_DOC), "_version", str, where="the item", documented=SINGLE_DOC)
    for n in range(2):
        response = update_item(kibana, run_prefix, here, name=f"{run_prefix}space {here} {n}")
        if response.status_code == 404:
            kibana.resources.skip_missing(["exceptionItemId"])
        expect_success(response, EXCEPTIONS.description)
    again = update_item(kibana, run_prefix, other, _version=version)
    expect_success(again, f"{SINGLE_DOC} Updates in space {here} leave the item of space {other} at _version {version}")


def update_policy(kibana, space: str) -> httpx.Response:
    return kibana.request("PUT", f"/api/fleet/package_policies/{kibana.resources['packagePolicyId']}", json_body={}, space=space, expect_missing=True)


@pytest.mark.requirement("SPACES-PACKAGE-POLICY-REVISION-ISOLATED", category="scenarios", doc="Update a package policy by ID. (package policies belong to the space they were created in)", operation=POLICIES.id)
def test_package_policy_revisions_are_per_space(kibana):
    here, other = spaces(kibana)
    first = update_policy(kibana, other)
    skip_if_space_missing(first, other, f"package policy {kibana.resources['packagePolicyId']}", "packagePolicyId=ID")
    expect_success(first, POLICIES.description)
    response = update_policy(kibana, here)
    if response.status_code == 404:
        kibana.resources.skip_missing(["packagePolicyId"])
    expect_success(response, POLICIES.description)
    second = update_policy(kibana, other)
    expect_success(second, POLICIES.description)
    revision = "Update a package policy by ID. Responses: item: revision number Required"
    before = read.member(read.item(first, documented=revision), "revision", (int, float), where="item", documented=revision)
    after = read.member(read.item(second, documented=revision), "revision", (int, float), where="item", documented=revision)
    expect(
        after == before + 1,
        f"an update in space {here} changed the package policy's revision in space {other}",
        received=f"revision in {other}: {before}, then {after} after one update in {here} and one in {other}",
        documented="each update of a package policy adds one to its revision; the policy of another space is another policy",
    )
