"""GET /api/detection_engine/rules/prepackaged/_status: prebuilt rule and Timeline counts per space."""

from __future__ import annotations

import httpx

from ..helpers import assert_conforms

OP = "get-detection-engine-rules-prepackaged-status"
URL = "/api/detection_engine/rules/prepackaged/_status"
COUNTS = {
    "rules_custom_installed",
    "rules_installed",
    "rules_not_installed",
    "rules_not_updated",
    "timelines_installed",
    "timelines_not_installed",
    "timelines_not_updated",
}


def test_status_has_seven_consistent_counts(api: httpx.Client) -> None:
    response = api.get(URL)
    assert response.status_code == 200
    assert_conforms(OP, response)
    status = response.json()
    assert set(status) == COUNTS
    assert all(isinstance(v, int) and v >= 0 for v in status.values())
    # Only installed prebuilt items can be outdated.
    assert status["rules_not_updated"] <= status["rules_installed"]
    assert status["timelines_not_updated"] <= status["timelines_installed"]


def test_seed_is_a_space_where_nothing_prebuilt_is_installed_yet(api: httpx.Client) -> None:
    status = api.get(URL).json()
    assert status["rules_installed"] == 0
    assert status["rules_not_installed"] > 0
    assert status["timelines_not_installed"] > 0


def test_unauthenticated_is_401(anonymous: httpx.Client) -> None:
    response = anonymous.get(URL)
    assert response.status_code == 401
    assert_conforms(OP, response)


def test_status_is_per_space(api: httpx.Client) -> None:
    response = api.get(f"/s/secops{URL}")
    assert response.status_code == 200
    assert_conforms(OP, response)
    state = api.get("/_mock/state").json()
    counts = state["spaces"]["secops"]["detection_engine"]["prepackaged_status"]
    installed = {**counts, "rules_installed": 1234, "rules_not_installed": 0, "rules_not_updated": 17}
    state["spaces"]["secops"]["detection_engine"]["prepackaged_status"] = installed
    api.put("/_mock/state", json=state).raise_for_status()
    assert api.get(f"/s/secops{URL}").json() == installed
    assert api.get(URL).json()["rules_installed"] == 0
