"""Status reads: entity store engines, prebuilt rule and Timeline counts, Privilege Monitoring health."""

from __future__ import annotations

from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_success, known_divergence, shows_kibana_behaviour

CATALOG = load_catalog()
ENGINES = CATALOG.get("get-entity-store-engines")
PREBUILT = CATALOG.get("get-detection-engine-rules-prepackaged-status")
HEALTH = CATALOG.get("get-entity-analytics-monitoring-privileges-health")
COUNT_DOC = "count integer / engines array[object] (the 200 response of GET /api/entity_store/engines)"
PREBUILT_DOC = (
    "rules_installed: The total number of installed prebuilt rules / rules_not_updated: The total number of outdated prebuilt rules / "
    "timelines_installed: The total number of installed prebuilt timelines / timelines_not_updated: The total number of outdated "
    "prebuilt timelines. Minimum value is 0."
)
COUNTS = ("rules_custom_installed", "rules_installed", "rules_not_installed", "rules_not_updated", "timelines_installed", "timelines_not_installed", "timelines_not_updated")
HEALTH_DOC = 'Health check on Privilege Monitoring: {"ok": true}'


def answer(kibana, op) -> dict[str, Any]:
    response = kibana.request("GET", op.path)
    expect_success(response, op.title)
    expect_conforms(op, response)
    return read.body(response, dict, documented=op.title)


@pytest.mark.requirement("SEC-ENTITY-STORE-COUNT", category="scenarios", doc=COUNT_DOC, operation=ENGINES.id)
def test_count_is_the_number_of_engines(kibana):
    body = answer(kibana, ENGINES)
    engines = body.get("engines")
    received = f"count {body.get('count')!r}, {len(engines) if isinstance(engines, list) else engines!r} engines"
    expect(isinstance(engines, list) and body.get("count") == len(engines), "count is not the number of engines listed", received=received, documented=COUNT_DOC)


@pytest.mark.requirement("SEC-PREBUILT-STATUS-COUNTS", category="scenarios", doc=PREBUILT_DOC, operation=PREBUILT.id)
def test_prebuilt_counts_are_consistent(kibana):
    body = answer(kibana, PREBUILT)
    counts = {k: body.get(k) for k in COUNTS}
    expect(
        all(type(v) is int and v >= 0 for v in counts.values()),
        "a prebuilt rule or Timeline count is not a non-negative integer",
        received=counts,
        documented=PREBUILT_DOC,
    )
    for kind in ("rules", "timelines"):
        outdated, installed = counts[f"{kind}_not_updated"], counts[f"{kind}_installed"]
        expect(
            outdated <= installed,
            f"more {kind} are outdated than installed",
            received=f"{kind}_not_updated {outdated}, {kind}_installed {installed}",
            documented=f"{PREBUILT_DOC} (only an installed prebuilt {kind[:-1]} can be outdated)",
        )


@pytest.mark.requirement("SEC-PRIVMON-HEALTH-OK", category="scenarios", doc=HEALTH_DOC, operation=HEALTH.id)
def test_health_ok_is_a_boolean(kibana):
    response = kibana.request("GET", HEALTH.path)
    expect_success(response, HEALTH.title)
    expect_conforms(HEALTH, response)
    body = read.body(response, dict, documented=HEALTH_DOC)
    if not isinstance(body.get("ok"), bool) and shows_kibana_behaviour(HEALTH, response):
        known_divergence(HEALTH, "privmon-health-response", response)  # Kibana answers {status, error?, users?}
        return
    expect(isinstance(body.get("ok"), bool), "ok is not a boolean", received=body, documented=HEALTH_DOC)
