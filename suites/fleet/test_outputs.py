"""Fleet outputs by id, and the remote sync status of a remote Elasticsearch output."""

from __future__ import annotations

from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.contract import response_problems
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, expect_status, expect_success

CATALOG = load_catalog()
OUTPUT_OP = CATALOG.get("get-fleet-outputs-outputid")
STATUS_OP = CATALOG.get("get-fleet-remote-synced-integrations-outputid-remote-status")
OUTPUT_DOC = 'Get output by ID. Response examples (200): {"item": {..., "id": "string", ...}}'
NOT_FOUND_DOC = "Get output by ID. (an id that names no output is not found)"
STATUS_DOC = (
    'Get CCR Remote synced integrations status by outputId. Response examples (200): {"custom_assets": {"...": {..., "sync_status": "completed"}}, '
    '"integrations": [{"id": "string", "package_name": "string", ..., "sync_status": "completed", ...}]}'
)
STATUS_NOT_FOUND_DOC = (
    "Get CCR Remote synced integrations status by outputId. (Kibana: an id that names no output is answered 200 with no integrations "
    "and an error naming it)"
)
# Kibana's SyncStatus values; the document's example shows "completed".
SYNC_STATUSES = ("completed", "synchronizing", "failed", "warning")


def _get(kibana: Any, path: str, op: Any, documented: str) -> dict[str, Any]:
    response = kibana.request("GET", path)  # a missing resource skips the test (see Target.request)
    expect_success(response, op.description)
    expect_conforms(op, response)
    return read.body(response, dict, documented=documented)


@pytest.mark.requirement("FLEET-OUTPUT-BY-ID", category="scenarios", doc=OUTPUT_DOC, operation=OUTPUT_OP.id)
@pytest.mark.parametrize("name", ["outputId", "remoteOutputId"])
def test_the_output_answered_is_the_one_asked_for(kibana, resources, name):
    output_id = resources[name]
    body = _get(kibana, f"/api/fleet/outputs/{output_id}", OUTPUT_OP, OUTPUT_DOC)
    received = read.member(body, "item", dict, where="the answer", documented=OUTPUT_DOC).get("id")
    expect(
        received == output_id,
        "the output answered is not the one the path names",
        received=f"item.id: {received!r}",
        documented=f"item.id: {output_id!r} ({OUTPUT_DOC})",
    )


@pytest.mark.requirement("FLEET-OUTPUT-NOT-FOUND", category="scenarios", doc=NOT_FOUND_DOC, operation=OUTPUT_OP.id)
def test_an_unknown_output_is_not_found(kibana, resources, run_prefix):
    # Read a known output first, so an implementation that answers from a cache shows it.
    kibana.request("GET", f"/api/fleet/outputs/{resources['outputId']}")
    response = kibana.request("GET", f"/api/fleet/outputs/{run_prefix}missing-output", expect_missing=True)
    expect_envelope(OUTPUT_OP, response, 404)
    expect_conforms(OUTPUT_OP, response)


@pytest.mark.requirement("FLEET-REMOTE-STATUS-SYNC-STATUS", category="scenarios", doc=STATUS_DOC, operation=STATUS_OP.id)
def test_every_integration_has_one_sync_status(kibana, resources):
    output_id = resources["remoteOutputId"]
    body = _get(kibana, f"/api/fleet/remote_synced_integrations/{output_id}/remote_status", STATUS_OP, STATUS_DOC)
    integrations = read.objects(body.get("integrations") or [], where="integrations", documented=STATUS_DOC)
    assets = read.member(body, "custom_assets", dict, where="the answer", documented=STATUS_DOC, optional=True) or {}
    read.objects(list(assets.values()), where="custom_assets", documented=STATUS_DOC)
    unknown = [(i.get("package_name"), i.get("sync_status")) for i in integrations if i.get("sync_status") not in SYNC_STATUSES]
    unknown += [(key, a.get("sync_status")) for key, a in assets.items() if a.get("sync_status") not in SYNC_STATUSES]
    expect(
        not unknown,
        "a sync status is not one Kibana reports",
        received=f"(integration or asset, sync_status): {unknown}",
        documented=f"sync_status one of {', '.join(SYNC_STATUSES)} ({STATUS_DOC})",
    )
    names = [str(i.get("package_name") or i.get("id")) for i in integrations]
    repeated = sorted({n for n in names if names.count(n) > 1})
    expect(
        not repeated,
        "an integration has more than one status",
        received=f"repeated integrations: {repeated} in {names}",
        documented="one entry per synced integration",
    )


@pytest.mark.requirement("FLEET-REMOTE-STATUS-UNKNOWN-OUTPUT", category="scenarios", doc=STATUS_NOT_FOUND_DOC, operation=STATUS_OP.id)
def test_the_status_of_an_unknown_output_names_the_problem(kibana, run_prefix):
    """Kibana answers 200 with no integrations and an error naming the output (the schema's decision remote-status-unknown-output)."""
    missing = f"{run_prefix}missing-output"
    response = kibana.request("GET", f"/api/fleet/remote_synced_integrations/{missing}/remote_status", expect_missing=True)
    expect_status(response, 200, STATUS_NOT_FOUND_DOC)
    expect_conforms(STATUS_OP, response)
    body = read.body(response, dict, documented=STATUS_NOT_FOUND_DOC)
    error = body.get("error")
    expect(
        body.get("integrations") == [] and isinstance(error, str) and missing in error,
        "the status of an unknown output does not say that the output is unknown",
        received=body,
        documented=f'{STATUS_NOT_FOUND_DOC}: {{"integrations": [], "error": "No output found with id {missing}"}}',
    )


NOT_REMOTE_DOC = "Get CCR Remote synced integrations status by outputId. (400: the output is not a remote Elasticsearch output; only those sync integrations)"


@pytest.mark.requirement("FLEET-REMOTE-STATUS-NOT-REMOTE", category="scenarios", doc=NOT_REMOTE_DOC, operation=STATUS_OP.id)
def test_the_status_of_an_output_that_is_not_remote_is_refused(kibana, resources):
    output_id = resources["outputId"]
    answer = kibana.request("GET", f"/api/fleet/outputs/{output_id}")
    readable = answer.status_code == 200 and not response_problems(OUTPUT_OP, 200, answer.headers.get("content-type"), answer.content, "response")
    item = read.body(answer, dict, documented=OUTPUT_DOC).get("item") if readable else None
    if not isinstance(item, dict):
        # The output tests report a broken read; this one needs the output's type to know what to expect.
        pytest.skip(f"cannot tell whether output {output_id} is remote: reading it answered {answer.status_code} without an item; pass --resource outputId=ID")
    if item.get("type") == "remote_elasticsearch":
        pytest.skip(f"output {output_id} is a remote Elasticsearch output; pass --resource outputId=ID of another output")
    response = kibana.request("GET", f"/api/fleet/remote_synced_integrations/{output_id}/remote_status")
    expect_envelope(STATUS_OP, response, 400)
    expect_conforms(STATUS_OP, response)
