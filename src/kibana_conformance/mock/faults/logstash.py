"""Logstash pipeline bugs: the answer of a PUT, replacing, and the checks on id and body."""

from __future__ import annotations

import re

from .. import pipeline
from ..call import Reply
from ..errors import KibanaError
from ..logstash.models import LogstashBackend
from . import fault, set_json

PUT = "put-logstash-pipeline-id"


@fault("logstash-put-answers-pipeline", "a pipeline PUT answers 200 with the stored pipeline document instead of 204 No Content", expected=["LOGSTASH-PIPELINE-CREATE-REPLACE", "LOGSTASH-PIPELINE-ID-CHARACTERS", "LOGSTASH-PIPELINE-SETTINGS"], stage="handle", operations=[PUT])
def put_answers_pipeline(call, proceed):
    proceed()
    stored = LogstashBackend.of(call).shared["pipelines"][call.path_params["id"]]
    return set_json(Reply(200), stored)


@fault("logstash-replace-refused", "a PUT on an existing pipeline id answers 409: the document is indexed with op_type=create, so it cannot be replaced", expected=["LOGSTASH-PIPELINE-CREATE-REPLACE"], stage="handle", operations=[PUT])
def replace_refused(call, proceed):
    pipeline_id = call.path_params["id"]
    if pipeline_id in LogstashBackend.of(call).shared["pipelines"]:
        raise KibanaError(409, f"[{pipeline_id}]: version conflict, document already exists")
    return proceed()


def _validate_id_as(call, proceed, checked: str) -> None:
    """Run the validation with ``checked`` in place of the path id, then put the real id back."""
    pipeline_id = call.path_params["id"]
    call.path_params["id"] = checked
    try:
        proceed()
    finally:
        call.path_params["id"] = pipeline_id


@fault("logstash-id-dots-allowed", "the pipeline id is checked after dots are replaced by underscores (a slug), so ids with dots are stored", expected=["LOGSTASH-PIPELINE-ID-CHARACTERS"], stage="validate", operations=[PUT])
def id_dots_allowed(call, proceed):
    _validate_id_as(call, proceed, call.path_params["id"].replace(".", "_"))


@fault("logstash-id-unicode-letters", "the pipeline id check uses str.isalnum(), which lets non-ASCII letters such as 'é' through", expected=["LOGSTASH-PIPELINE-ID-CHARACTERS"], stage="validate", operations=[PUT])
def id_unicode_letters(call, proceed):
    pipeline_id = call.path_params["id"]
    if pipeline_id and all(c.isalnum() or c in "-_" for c in pipeline_id):
        _validate_id_as(call, proceed, re.sub(r"[^A-Za-z0-9_-]", "x", pipeline_id))
    else:
        proceed()


@fault("logstash-definition-defaulted", "a body without a pipeline definition gets an empty one instead of being refused", expected=["LOGSTASH-PIPELINE-DEFINITION-REQUIRED"], stage="validate", operations=[PUT])
def definition_defaulted(call, proceed):
    try:
        proceed()
    except KibanaError:
        if not (isinstance(call.body, dict) and "pipeline" not in call.body):
            raise
        call.body["pipeline"] = ""
        pipeline.validate_parameters(call)
        pipeline.validate_body(call)


@fault("logstash-settings-whitelist-stale", "settings are checked against an old whitelist without pipeline.ecs_compatibility, which is refused", expected=["LOGSTASH-PIPELINE-SETTINGS"], stage="validate", operations=[PUT])
def settings_whitelist_stale(call, proceed):
    proceed()
    settings = call.body.get("settings") if isinstance(call.body, dict) else None
    if isinstance(settings, dict) and "pipeline.ecs_compatibility" in settings:
        raise KibanaError(400, "[request body.settings.pipeline.ecs_compatibility]: definition for this key is missing")
