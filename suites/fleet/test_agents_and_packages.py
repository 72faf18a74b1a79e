"""Incoming agent data per requested agent, and the EPM package list."""

from __future__ import annotations

from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, expect_success

CATALOG = load_catalog()
AGENT_DATA_OP = CATALOG.get("get-fleet-agent-status-data")
PACKAGES_OP = CATALOG.get("get-fleet-epm-packages")
AGENT_DATA_PATH = "/api/fleet/agent_status/data"
AGENT_DATA_DOC = (
    "Get incoming agent data: curl '.../api/fleet/agent_status/data?agentsIds=string'; "
    'items array[object] Required: * object Additional properties; Response examples (200): {"items": [{"additionalProperty1": {"data": true}, ...}]}'
)
AGENT_DATA_REQUIRED_DOC = (
    "Get incoming agent data: curl '.../api/fleet/agent_status/data?agentsIds=string'; "
    'Response examples (400): {"error": "string", "errorType": "string", "message": "string", "statusCode": 42.0}'
)
PACKAGES_DOC = 'Get packages. Response examples (200): {"items": [{..., "id": "string", ..., "name": "string", ..., "title": "string", ..., "version": "string"}]}'
INSTALLATION_DOC = 'Get packages. Response examples (200): {"items": [{..., "installationInfo": {..., "name": "string", ...}, ..., "name": "string", ...}]}'


def _agent_data(kibana: Any, agent_ids: list[str]) -> list[dict[str, Any]]:
    response = kibana.request("GET", AGENT_DATA_PATH, params={"agentsIds": agent_ids})
    expect_success(response, "Get incoming agent data")
    expect_conforms(AGENT_DATA_OP, response)
    return read.listed(response, "items", documented=AGENT_DATA_DOC)


@pytest.mark.requirement("FLEET-AGENT-DATA-PER-AGENT", category="scenarios", doc=AGENT_DATA_DOC, operation=AGENT_DATA_OP.id)
@pytest.mark.parametrize("count", [1, 3])
def test_there_is_one_answer_per_requested_agent(kibana, run_prefix, count):
    requested = [f"{run_prefix}agent-{n}" for n in range(count)]
    items = _agent_data(kibana, requested)
    answered = [key for item in items for key in item]
    expect(
        sorted(answered) == sorted(requested),
        "the answer does not have exactly one entry per requested agent",
        received=f"agents answered: {answered}",
        documented=f"the agents requested, once each: {requested} ({AGENT_DATA_DOC})",
    )
    values = {key: value for item in items for key, value in item.items()}
    not_boolean = {k: v for k, v in values.items() if not isinstance(v, dict) or not isinstance(v.get("data"), bool)}
    expect(not_boolean == {}, "an agent's entry has no boolean data flag", received=not_boolean, documented='{"data": true} or {"data": false} per agent')
    # The requested ids are made up for this run: no agent has them, so none has sent data.
    with_data = sorted(k for k, v in values.items() if v["data"] is True)
    expect(
        not with_data,
        "agents that do not exist are reported as having sent data",
        received=f"data: true for {with_data}",
        documented="data: false for an agent id that names no agent (it has sent nothing)",
    )


@pytest.mark.requirement("FLEET-AGENT-DATA-IDS-REQUIRED", category="scenarios", doc=AGENT_DATA_REQUIRED_DOC, operation=AGENT_DATA_OP.id)
def test_the_agent_ids_are_required(kibana):
    response = kibana.request("GET", AGENT_DATA_PATH)
    expect_envelope(AGENT_DATA_OP, response, 400)
    expect_conforms(AGENT_DATA_OP, response)


def _packages(kibana: Any) -> list[dict[str, Any]]:
    response = kibana.request("GET", "/api/fleet/epm/packages")
    expect_success(response, "Get packages")
    expect_conforms(PACKAGES_OP, response)
    return read.listed(response, "items", documented=PACKAGES_DOC)


@pytest.mark.requirement("FLEET-EPM-PACKAGES-UNIQUE", category="scenarios", doc=PACKAGES_DOC, operation=PACKAGES_OP.id)
def test_each_package_is_listed_once_with_its_identity(kibana):
    items = _packages(kibana)
    for key in ("name", "id"):
        values = [str(item[key]) for item in items if key in item]
        repeated = sorted({v for v in values if values.count(v) > 1})
        expect(not repeated, f"packages are listed more than once (by {key})", received=f"repeated {key}s: {repeated}", documented=f"one item per package ({PACKAGES_DOC})")
    incomplete = [
        {k: item.get(k) for k in ("name", "version", "title")}
        for item in items
        if not all(isinstance(item.get(k), str) and item[k].strip() for k in ("name", "version", "title"))
    ]
    expect(
        not incomplete,
        "a package is listed without its name, version or title",
        received=incomplete[:5],
        documented=f"name, version and title strings for every package ({PACKAGES_DOC})",
    )


@pytest.mark.requirement("FLEET-EPM-INSTALLATION-OF-PACKAGE", category="scenarios", doc=INSTALLATION_DOC, operation=PACKAGES_OP.id)
def test_the_installation_info_is_the_package_own(kibana):
    items = _packages(kibana)
    mismatched = [
        (item.get("name"), item["installationInfo"].get("name"))
        for item in items
        if isinstance(item.get("installationInfo"), dict) and "name" in item["installationInfo"] and item["installationInfo"]["name"] != item.get("name")
    ]
    expect(
        not mismatched,
        "a package carries the installation of another package",
        received=f"(name, installationInfo.name): {mismatched}",
        documented=f"installationInfo.name equal to the package's name ({INSTALLATION_DOC})",
    )
