"""The report's "Left on the target" section: what was restored, and what stays, with ids."""

from __future__ import annotations

import json
from pathlib import Path

from kibana_conformance.report.html import render

FIXTURE = Path(__file__).with_name("results_failing.json")


def _results(footprint: dict) -> dict:
    return {**json.loads(FIXTURE.read_text()), "footprint": footprint}


def test_created_resources_are_listed_with_their_ids_and_restorations_with_what_differs() -> None:
    page = render(
        _results(
            {
                "writes": [
                    {"kind": "created", "space": "default", "operation": "put-logstash-pipeline-id", "id": "kct-abc123-pipeline", "writes": 2, "what": "Logstash pipeline"},
                    {"kind": "created", "space": "kct-other", "operation": "post-security-ai-assistant-current-user-conversations", "id": "<b>x</b>", "writes": 1, "what": "AI Assistant conversation"},
                ],
                "restored": [
                    {"operation": "put-fleet-settings", "id": "fleet-default-settings", "restored": True, "detail": ""},
                    {"operation": "put-fleet-package-policies-packagepolicyid", "id": "p1", "restored": False, "detail": "answered 409", "left": ["description"]},
                ],
            }
        )
    )
    section = page[page.index('id="footprint"') :]
    assert "Left on the target" in section
    assert "1 created: Logstash pipeline" in section and "kct-abc123-pipeline" in section
    assert "(space kct-other)" in section and "&lt;b&gt;x&lt;/b&gt;" in section and "<b>x</b>" not in section
    assert "fleet-default-settings</code>: restored" in section
    assert "p1</code>: not fully restored" in section and "description" in section


def test_a_run_that_wrote_nothing_has_no_such_section() -> None:
    assert 'id="footprint"' not in render(_results({"writes": [], "restored": []}))
