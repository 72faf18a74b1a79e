"""Fleet outputs by id, and the remote sync status of a remote Elasticsearch output."""

from __future__ import annotations

from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.contract import response_problems
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, expect_success
from kibana_conformance.suite.resources import resource

CATALOG = load_catalog()
OUTPUT_OP = CATALOG.get("get-fleet-outputs-outputid")
STATUS_OP = CATALOG.get("get-fleet-remote-synced-integrations-outputid-remote-status")
OUTPUT_DOC = 'Get output by ID. Response examples (200): {"item": {..., "id": "string", ...}}'
NOT_FOUND_DOC = "Get output by ID. (an id that names no output is not found)"
STATUS_DOC = (
    'Get CCR Remote synced integrations status by outputId. Response examples (200): {"custom_assets": {"...": {..., "sync_status": "completed"}}, '
    '"integrations": [{"id": "string", "package_name": "string", ..., "sync_status": "completed", ...}]}'
)
STATUS_NOT_FOUND_DOC = "Get CCR Remote synced integrations status by outputId. (an id that names no output is not found)"
# Kibana's SyncStatus values; the document's example shows "completed".
SYNC_STATUSES = ("completed", "synchronizing", "failed")


def _get(kibana: Any, path: str, name: str, op: Any) -> Any:
    response = kibana.request("GET", path)
    if response.status_code == 404:
        pytest.skip(f"{path} does not exist on the target; pass --resource {name}=ID")
    expect_success(response, op.description)
    expect_conforms(op, response)
    return response.json()


@pytest.mark.requirement("FLEET-OUTPUT-BY-ID", category="scenarios", doc=OUTPUT_DOC, operation=OUTPUT_OP.id)
@pytest.mark.parametrize("name", ["outputId", "remoteOutputId"])
def test_the_output_answered_is_the_one_asked_for(kibana, name):
    output_id = resource(name)
    body = _get(kibana, f"/api/fleet/outputs/{output_id}", name, OUTPUT_OP)
    received = (body.get("item") or {}).get("id")
    expect(
        received == output_id,
        "the output answered is not the one the path names",
        received=f"item.id: {received!r}",
        documented=f"item.id: {output_id!r} ({OUTPUT_DOC})",
    )


@pytest.mark.requirement("FLEET-OUTPUT-NOT-FOUND", category="scenarios", doc=NOT_FOUND_DOC, operation=OUTPUT_OP.id)
def test_an_unknown_output_is_not_found(kibana, run_prefix):
    # Read a known output first, so an implementation that answers from a cache shows it.
    kibana.request("GET", f"/api/fleet/outputs/{resource('outputId')}")
    response = kibana.request("GET", f"/api/fleet/outputs/{run_prefix}missing-output")
    expect_envelope(OUTPUT_OP, response, 404)
    expect_conforms(OUTPUT_OP, response)


@pytest.mark.requirement("FLEET-REMOTE-STATUS-SYNC-STATUS", category="scenarios", doc=STATUS_DOC, operation=STATUS_OP.id)
def test_every_integration_has_one_sync_status(kibana):
    output_id = resource("remoteOutputId")
    body = _get(kibana, f"/api/fleet/remote_synced_integrations/{output_id}/remote_status", "remoteOutputId", STATUS_OP)
    integrations = body.get("integrations") or []
    assets = body.get("custom_assets") or {}
    unknown = [(i.get("package_name"), i.get("sync_status")) for i in integrations if i.get("sync_status") not in SYNC_STATUSES]
    unknown += [(key, a.get("sync_status")) for key, a in assets.items() if a.get("sync_status") not in SYNC_STATUSES]
    expect(
        not unknown,
        "a sync status is not one Kibana reports",
        received=f"(integration or asset, sync_status): {unknown}",
        documented=f"sync_status one of {', '.join(SYNC_STATUSES)} ({STATUS_DOC})",
    )
    names = [i.get("package_name") or i.get("id") for i in integrations]
    repeated = sorted({n for n in names if names.count(n) > 1}, key=str)
    expect(
        not repeated,
        "an integration has more than one status",
        received=f"repeated integrations: {repeated} in {names}",
        documented="one entry per synced integration",
    )


@pytest.mark.requirement("FLEET-REMOTE-STATUS-NOT-FOUND", category="scenarios", doc=STATUS_NOT_FOUND_DOC, operation=STATUS_OP.id)
def test_the_status_of_an_unknown_output_is_not_found(kibana, run_prefix):
    response = kibana.request("GET", f"/api/fleet/remote_synced_integrations/{run_prefix}missing-output/remote_status")
    expect_envelope(STATUS_OP, response, 404)
    expect_conforms(STATUS_OP, response)


NOT_REMOTE_DOC = "Get CCR Remote synced integrations status by outputId. (400: the output is not a remote Elasticsearch output; only those sync integrations)"


@pytest.mark.requirement("FLEET-REMOTE-STATUS-NOT-REMOTE", category="scenarios", doc=NOT_REMOTE_DOC, operation=STATUS_OP.id)
def test_the_status_of_an_output_that_is_not_remote_is_refused(kibana):
    output_id = resource("outputId")
    read = kibana.request("GET", f"/api/fleet/outputs/{output_id}")
    if read.status_code != 200 or response_problems(OUTPUT_OP, 200, read.headers.get("content-type"), read.content):
        # The output tests report a broken read; this one needs the output's type to know what to expect.
        pytest.skip(f"cannot tell whether output {output_id} is remote: reading it answered {read.status_code}; pass --resource outputId=ID")
    output = read.json().get("item") or {}
    if output.get("type") == "remote_elasticsearch":
        pytest.skip(f"output {output_id} is a remote Elasticsearch output; pass --resource outputId=ID of another output")
    response = kibana.request("GET", f"/api/fleet/remote_synced_integrations/{output_id}/remote_status")
    expect_envelope(STATUS_OP, response, 400)
    expect_conforms(STATUS_OP, response)
