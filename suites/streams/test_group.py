"""Group stream settings: the group of the stream asked for, and the optional closed body."""

from __future__ import annotations

from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, expect_success, known_divergence

OP = load_catalog().get("get-streams-name-group")
GROUP_DOC = "Fetches the group settings of a group stream definition"
NOT_FOUND_DOC = "Fetches the group settings of a group stream definition (a name that names no stream is not found)"
BODY_DOC = "Body: object object. Additional properties are NOT allowed."


def _path(name: str) -> str:
    return f"/api/streams/{name}/_group"


def _group(kibana: Any, **kwargs: Any) -> dict[str, Any]:
    """The run's group stream settings (a missing stream skips the test: see Target.request)."""
    response = kibana.request("GET", _path(kibana.resources["groupStream"]), **kwargs)
    expect_success(response, GROUP_DOC)
    expect_conforms(OP, response)
    return read.body(response, dict, documented=GROUP_DOC)


@pytest.mark.requirement("STREAMS-GROUP-SETTINGS", category="scenarios", doc=GROUP_DOC, operation=OP.id)
def test_the_group_stream_answers_its_group_settings(kibana):
    name = kibana.resources["groupStream"]
    body = _group(kibana)
    group = body.get("group")
    expect(
        isinstance(group, dict),
        "the answer does not hold the stream's group settings",
        received=body,
        documented=f'{{"group": {{...}}}}: {GROUP_DOC}',
    )
    members = group.get("members", []) if isinstance(group, dict) else []
    expect(
        isinstance(members, list) and all(isinstance(m, str) and m for m in members) and len(set(members)) == len(members) and name not in members,
        "the group's members are not a list of other streams, each named once",
        received=f"members of {name}: {members}",
        documented="a group gathers other streams: distinct stream names, not the group itself",
    )
    again = _group(kibana)
    expect(again == body, "reading the group settings twice gave different answers", received=again, documented=f"the same settings: {body}")


@pytest.mark.requirement("STREAMS-GROUP-NOT-FOUND", category="scenarios", doc=NOT_FOUND_DOC, operation=OP.id)
def test_an_unknown_stream_is_not_found(kibana, run_prefix):
    # Read the group first, so an answer served from a cache of the last read shows.
    kibana.request("GET", _path(kibana.resources["groupStream"]))
    response = kibana.request("GET", _path(f"{run_prefix}missing-stream"), expect_missing=True)
    expect_envelope(OP, response, 404)
    expect_conforms(OP, response)


@pytest.mark.requirement("STREAMS-GROUP-EMPTY-BODY", category="scenarios", doc=BODY_DOC, operation=OP.id)
def test_the_optional_empty_body_is_accepted(kibana):
    without = _group(kibana)
    with_body = _group(kibana, json_body={})
    expect(
        with_body == without,
        "an empty body changed the answer",
        received=with_body,
        documented=f"the same answer as without a body: {without} ({BODY_DOC})",
    )


@pytest.mark.requirement("STREAMS-GROUP-BODY-CLOSED", category="scenarios", doc=BODY_DOC, operation=OP.id)
@pytest.mark.parametrize("body", [{"name": "other"}, {"group": {}}], ids=["name", "group"])
def test_a_body_with_a_property_is_refused(kibana, body):
    response = kibana.request("GET", _path(kibana.resources["groupStream"]), json_body=body)
    if response.status_code == 200 and read.body(response, dict, documented=GROUP_DOC) == _group(kibana):
        known_divergence(OP, "get-body-ignored", response)  # Kibana never reads the body of a GET
        return
    expect_envelope(OP, response, 400)
    expect_conforms(OP, response)


NOT_A_GROUP_DOC = "Fetches the group settings of a group stream definition (a stream that is not a group has none: 400)"


@pytest.mark.requirement("STREAMS-GROUP-NOT-A-GROUP", category="scenarios", doc=NOT_A_GROUP_DOC, operation=OP.id)
def test_a_member_that_is_not_a_group_is_refused(kibana):
    group = _group(kibana).get("group")
    members = [m for m in (group.get("members") or [] if isinstance(group, dict) else []) if isinstance(m, str) and m]
    if not members:
        pytest.skip(f"group {kibana.resources['groupStream']} has no members to ask about")
    response = kibana.request("GET", _path(members[0]), expect_missing=True)
    if response.status_code == 200:
        # The member is a group itself: then its answer is a group's.
        expect_conforms(OP, response)
        answer = read.body(response, dict, documented=NOT_A_GROUP_DOC)
        expect(isinstance(answer.get("group"), dict), "a member answered 200 without group settings", received=answer, documented=NOT_A_GROUP_DOC)
        return
    expect_envelope(OP, response, 400)
