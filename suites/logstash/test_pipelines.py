"""Centrally managed Logstash pipelines: create, replace, and the identifiers Kibana accepts.

The document has no operation to read, list or delete a pipeline, so what a PUT stored
cannot be read back: these tests check only what each PUT answers. The pipelines they
create stay on the target, named with the run prefix.
"""

from __future__ import annotations

from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, expect_status

OP = load_catalog().get("put-logstash-pipeline-id")
PUT_DOC = "Create a centrally-managed Logstash pipeline or update a pipeline. Responses: Indicates a successful call (204, no content)"
ID_DOC = "id string Required: An identifier for the pipeline. Only alphanumeric characters, hyphens, and underscores are supported."
PIPELINE_DOC = "pipeline string Required: A definition for the pipeline."
# The document's request example.
EXAMPLE = {"pipeline": "input { stdin {} } output { stdout {} }", "settings": {"queue.type": "persisted"}}


def _put(kibana: Any, pipeline_id: str, body: dict[str, Any]) -> Any:
    return kibana.request("PUT", f"/api/logstash/pipeline/{pipeline_id}", json_body=body)


def _expect_no_content(response: Any, label: str) -> None:
    expect_status(response, 204, f"{label}: {PUT_DOC}")
    expect_conforms(OP, response)
    expect(
        not response.content,
        f"{label} answered 204 with a body",
        received=response.content[:200].decode(errors="replace"),
        documented="204 No Content: an empty body",
    )


@pytest.mark.requirement("LOGSTASH-PIPELINE-CREATE-REPLACE", category="scenarios", doc=PUT_DOC, operation=OP.id)
def test_create_then_replace_answers_no_content(kibana, run_prefix):
    """Create a pipeline, replace it, replace it again with the same body: 204 each time.

    The created pipeline cannot be read back through the documented operations, so the test
    checks the answers only (it never reads the mock's state).
    """
    pipeline_id = f"{run_prefix}pipeline-lifecycle"
    _expect_no_content(_put(kibana, pipeline_id, EXAMPLE), "creating the pipeline")
    replacement = {
        "pipeline": "input { beats { port => 5044 } } output { stdout {} }",
        "description": f"{run_prefix}replaced",
        "settings": {"pipeline.workers": 1, "queue.type": "memory"},
    }
    _expect_no_content(_put(kibana, pipeline_id, replacement), "replacing the pipeline")
    _expect_no_content(_put(kibana, pipeline_id, replacement), "replacing it again with the same body")
    _expect_no_content(_put(kibana, pipeline_id, {"pipeline": EXAMPLE["pipeline"]}), "replacing it with only a definition")


@pytest.mark.requirement("LOGSTASH-PIPELINE-ID-CHARACTERS", category="scenarios", doc=ID_DOC, operation=OP.id)
def test_an_id_of_every_supported_character_is_accepted(kibana, run_prefix):
    """An id made of letters of both cases, digits, hyphens and underscores is created (204)."""
    pipeline_id = f"{run_prefix}Pipeline_ID-09azAZ"
    _expect_no_content(_put(kibana, pipeline_id, EXAMPLE), f"creating pipeline {pipeline_id}")


@pytest.mark.requirement("LOGSTASH-PIPELINE-ID-CHARACTERS", category="scenarios", doc=ID_DOC, operation=OP.id)
@pytest.mark.parametrize("suffix", ["pipe.line", "pipe line", "pipe@line", "pipé", "pipe:line"], ids=["dot", "space", "at", "accent", "colon"])
def test_an_id_with_other_characters_is_refused(kibana, run_prefix, suffix):
    """An id with any other character is refused with 400 (nothing is created)."""
    response = _put(kibana, f"{run_prefix}{suffix}", EXAMPLE)
    expect_envelope(OP, response, 400)
    expect_conforms(OP, response)


@pytest.mark.requirement("LOGSTASH-PIPELINE-DEFINITION-REQUIRED", category="scenarios", doc=PIPELINE_DOC, operation=OP.id)
@pytest.mark.parametrize("body", [{"description": "no definition"}, {"settings": {"queue.type": "memory"}}], ids=["description-only", "settings-only"])
def test_a_body_without_a_definition_is_refused(kibana, run_prefix, body):
    response = _put(kibana, f"{run_prefix}pipeline-without-definition", body)
    expect_envelope(OP, response, 400)
    expect_conforms(OP, response)


SETTINGS_DOC = (
    "settings object: Supported settings, represented as object keys, include the following: pipeline.workers, pipeline.batch.size, "
    "pipeline.batch.delay, pipeline.ecs_compatibility, pipeline.ordered, queue.type, queue.max_bytes, queue.checkpoint.writes"
)
# Each documented setting with a value Logstash accepts, and queue.max_events: the list says "include", so it is not closed.
SETTINGS = {
    "pipeline.workers": 2,
    "pipeline.batch.size": 125,
    "pipeline.batch.delay": 50,
    "pipeline.ecs_compatibility": "v8",
    "pipeline.ordered": "auto",
    "queue.type": "persisted",
    "queue.max_bytes": "1gb",
    "queue.checkpoint.writes": 1024,
    "queue.max_events": 0,
}


@pytest.mark.requirement("LOGSTASH-PIPELINE-SETTINGS", category="scenarios", doc=SETTINGS_DOC, operation=OP.id)
def test_every_supported_setting_is_accepted(kibana, run_prefix):
    body = {"pipeline": EXAMPLE["pipeline"], "settings": SETTINGS}
    _expect_no_content(_put(kibana, f"{run_prefix}pipeline-settings", body), "creating a pipeline with every supported setting")
