"""Fleet bugs: settings, package policies, outputs and their remote status, agent data, EPM."""

from __future__ import annotations

import copy
from typing import Any

from ...catalog import load_catalog
from .. import pipeline
from ..call import Reply
from ..errors import KibanaError
from ..fleet.models import FleetBackend, fleet_error
from . import fault, refusal_replaced, reply_json, set_json

SETTINGS = "put-fleet-settings"
POLICY = "put-fleet-package-policies-packagepolicyid"
OUTPUT = "get-fleet-outputs-outputid"
REMOTE_STATUS = "get-fleet-remote-synced-integrations-outputid-remote-status"
AGENT_DATA = "get-fleet-agent-status-data"
PACKAGES = "get-fleet-epm-packages"


def _settings_fields() -> set[str]:
    return set(load_catalog().get(SETTINGS).raw["$defs"]["request"]["properties"])


def _stored_policy(call: Any) -> dict[str, Any] | None:
    return FleetBackend.of(call).data["package_policies"].get(call.path_params["packagePolicyId"])


def _patch_policy(call: Any, reply: Any, **fields: Any) -> Any:
    """Apply the same change to the stored policy and to the answered item."""
    if reply.status != 200:
        return reply
    _stored_policy(call).update(copy.deepcopy(fields))
    body = reply_json(reply)
    body["item"].update(fields)
    return set_json(reply, body)


def _internal_error() -> KibanaError:
    return KibanaError(500, "An internal server error occurred.")


# --- settings ---------------------------------------------------------------------------


@fault("fleet-settings-answers-before-update", "the settings update answers the settings read before saving, not the saved ones", expected=["FLEET-SETTINGS-UPDATE-ECHO"], stage="handle", operations=[SETTINGS])
def settings_answer_before_update(call, proceed):
    before = copy.deepcopy(FleetBackend.of(call).shared["settings"])
    reply = proceed()
    body = reply_json(reply)
    body["item"] = {**before, "version": body["item"]["version"]}
    return set_json(reply, body)


@fault("fleet-settings-replaced-not-merged", "a settings update overwrites the stored settings with the body, dropping every field it does not send", expected=["FLEET-SETTINGS-UPDATE-ECHO"], stage="handle", operations=[SETTINGS])
def settings_replaced(call, proceed):
    reply = proceed()
    backend = FleetBackend.of(call)
    stored = backend.shared["settings"]
    backend.shared["settings"] = {"id": stored["id"], **copy.deepcopy(call.body or {}), "version": stored["version"]}
    return set_json(reply, {"item": copy.deepcopy(backend.shared["settings"])})


@fault("fleet-settings-version-not-bumped", "a settings update saves the fields but keeps the version it read (the write result's version is not taken)", expected=["FLEET-SETTINGS-VERSION-CHANGES"], stage="handle", operations=[SETTINGS])
def settings_version_kept(call, proceed):
    version = FleetBackend.of(call).shared["settings"]["version"]
    reply = proceed()
    FleetBackend.of(call).shared["settings"]["version"] = version
    body = reply_json(reply)
    body["item"]["version"] = version
    return set_json(reply, body)


@fault("fleet-settings-unknown-fields-stripped", "unknown fields of a settings body are dropped silently (unknowns: ignore) instead of refused", expected=["FLEET-SETTINGS-EXTRA-FIELD-REFUSED"], stage="validate", operations=[SETTINGS])
def settings_unknown_stripped(call, proceed):
    try:
        proceed()
    except KibanaError:
        if not isinstance(call.body, dict):
            raise
        call.body = {k: v for k, v in call.body.items() if k in _settings_fields()}
        pipeline.validate_body(call)


@fault("fleet-settings-saved-before-validation", "the known fields of a settings body are saved before the body is validated, so a refused update still changes the settings", expected=["FLEET-SETTINGS-EXTRA-FIELD-REFUSED"], stage="validate", operations=[SETTINGS])
def settings_saved_before_validation(call, proceed):
    try:
        proceed()
    except KibanaError:
        if isinstance(call.body, dict):
            FleetBackend.of(call).update_settings({k: v for k, v in call.body.items() if k in _settings_fields()})
        raise


# --- package policies -------------------------------------------------------------------


@fault("fleet-package-policy-revision-kept-without-inputs", "the revision is bumped only when inputs or vars change; updates of other fields keep it", expected=["FLEET-PACKAGE-POLICY-REVISION"], stage="handle", operations=[POLICY])
def revision_kept(call, proceed):
    stored = _stored_policy(call)
    revision = stored["revision"] if stored else None
    reply = proceed()
    if revision is None or {"inputs", "vars"} & set(call.body or {}):
        return reply
    return _patch_policy(call, reply, revision=revision)


@fault("fleet-package-policy-revision-bumped-twice", "the revision is incremented by the update and again by the agent policy bump it triggers", expected=["FLEET-PACKAGE-POLICY-REVISION"], stage="handle", operations=[POLICY])
def revision_twice(call, proceed):
    reply = proceed()
    return _patch_policy(call, reply, revision=reply_json(reply)["item"]["revision"] + 1) if reply.status == 200 else reply


@fault("fleet-package-policy-updated-at-frozen", "updated_at is copied from the stored policy with the other audit fields, so it never moves", expected=["FLEET-PACKAGE-POLICY-TIMESTAMPS"], stage="handle", operations=[POLICY])
def updated_at_frozen(call, proceed):
    stored = _stored_policy(call)
    updated_at = stored["updated_at"] if stored else None
    reply = proceed()
    return _patch_policy(call, reply, updated_at=updated_at) if updated_at else reply


@fault("fleet-package-policy-created-at-rewritten", "an update sets created_at to the update time, as a create would", expected=["FLEET-PACKAGE-POLICY-TIMESTAMPS"], stage="handle", operations=[POLICY])
def created_at_rewritten(call, proceed):
    reply = proceed()
    return _patch_policy(call, reply, created_at=reply_json(reply)["item"]["updated_at"]) if reply.status == 200 else reply


@fault("fleet-package-policy-updated-by-system", "the route does not pass the authenticated user to the service, so updated_by falls back to 'system'", expected=["FLEET-PACKAGE-POLICY-UPDATED-BY"], stage="handle", operations=[POLICY])
def updated_by_system(call, proceed):
    return _patch_policy(call, proceed(), updated_by="system")


@fault("fleet-package-policy-description-ignored", "description is missing from the fields an update copies, so a sent description is dropped", expected=["FLEET-PACKAGE-POLICY-UPDATE-ECHO"], stage="handle", operations=[POLICY])
def description_ignored(call, proceed):
    if isinstance(call.body, dict):
        call.body = {k: v for k, v in call.body.items() if k != "description"}
    return proceed()


@fault("fleet-package-policy-omitted-description-cleared", "an update without description stores an empty one (description: body.description ?? '')", expected=["FLEET-PACKAGE-POLICY-UPDATE-ECHO"], stage="handle", operations=[POLICY])
def omitted_description_cleared(call, proceed):
    reply = proceed()
    return reply if "description" in (call.body or {}) else _patch_policy(call, reply, description="")


@fault("fleet-package-policy-version-stale", "the update answers the saved-object version it read, not the one the write produced", expected=["FLEET-PACKAGE-POLICY-VERSION"], stage="handle", operations=[POLICY])
def version_stale(call, proceed):
    stored = _stored_policy(call)
    version = stored.get("version") if stored else None
    reply = proceed()
    if version is None:
        return reply
    body = reply_json(reply)
    body["item"]["version"] = version
    return set_json(reply, body)


@fault("fleet-package-policy-policy-ids-not-synced", "an update with the deprecated policy_id and no policy_ids stores policy_ids as [] (policy_ids: body.policy_ids ?? [])", expected=["FLEET-PACKAGE-POLICY-AGENT-POLICY-IDS"], stage="handle", operations=[POLICY])
def policy_ids_not_synced(call, proceed):
    reply = proceed()
    body = call.body or {}
    return _patch_policy(call, reply, policy_ids=[]) if "policy_id" in body and "policy_ids" not in body else reply


@fault("fleet-package-policy-format-ignored", "the format query parameter is not passed to the serializer: inputs are always the legacy array", expected=["FLEET-PACKAGE-POLICY-FORMAT"], stage="handle", operations=[POLICY])
def format_ignored(call, proceed):
    call.query.pop("format", None)
    return proceed()


@fault("fleet-package-policy-default-format-simplified", "without format the response uses the simplified shape (the legacy default is applied only when format is set)", expected=["FLEET-PACKAGE-POLICY-FORMAT"], stage="handle", operations=[POLICY])
def default_simplified(call, proceed):
    call.query.setdefault("format", "simplified")
    return proceed()


@fault("fleet-package-policy-unknown-id-upserted", "an update of an unknown id creates the package policy (an upsert) instead of answering 404", expected=["ERR-NOT-FOUND", "FLEET-PACKAGE-POLICY-NOT-FOUND"], stage="handle", operations=[POLICY])
def unknown_upserted(call, proceed):
    policies = FleetBackend.of(call).data["package_policies"]
    policy_id = call.path_params["packagePolicyId"]
    if policy_id not in policies and policies:
        template = copy.deepcopy(next(iter(policies.values())))
        policies[policy_id] = {**template, "id": policy_id, "name": policy_id, "revision": 0}
    return proceed()


@fault("fleet-package-policy-not-found-unmapped", "the saved-object not-found error of an update is not mapped to 404: an unknown id answers 500", expected=["ERR-NOT-FOUND", "FLEET-PACKAGE-POLICY-NOT-FOUND"], stage="handle", operations=[POLICY])
def policy_not_found_unmapped(call, proceed):
    return _not_found_as_500(proceed)


# --- outputs and remote status ----------------------------------------------------------


@fault("fleet-output-lookup-ignores-id", "the output lookup drops its id filter and answers the default output for any id", expected=["ERR-NOT-FOUND", "FLEET-OUTPUT-BY-ID", "FLEET-OUTPUT-NOT-FOUND"], stage="handle", operations=[OUTPUT])
def output_ignores_id(call, proceed):
    outputs = FleetBackend.of(call).shared["outputs"]
    default = next((o for o in outputs.values() if o.get("is_default")), None)
    if default is None:
        return proceed()
    return set_json(Reply(200), {"item": copy.deepcopy(default)})


@fault("fleet-output-not-found-unmapped", "an unknown output id answers 500: the saved-object not-found error is rethrown as is", expected=["ERR-NOT-FOUND", "FLEET-OUTPUT-NOT-FOUND"], stage="handle", operations=[OUTPUT])
def output_not_found_unmapped(call, proceed):
    return _not_found_as_500(proceed)


def _not_found_as_500(proceed):
    """What an error mapper that does not know the not-found error does: a 500."""
    return refusal_replaced(proceed, 404, lambda error: _internal_error())


@fault("fleet-remote-status-raw-state", "sync_status passes the remote cluster's raw state through in upper case ('COMPLETED') instead of Kibana's values", expected=["FLEET-REMOTE-STATUS-SYNC-STATUS"], stage="handle", operations=[REMOTE_STATUS])
def remote_raw_state(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    for integration in body.get("integrations", []):
        integration["sync_status"] = str(integration.get("sync_status", "")).upper()
    return set_json(reply, body)


@fault("fleet-remote-status-integrations-duplicated", "integrations are listed from the installed packages and again from the remote status, without merging by package", expected=["FLEET-REMOTE-STATUS-SYNC-STATUS"], stage="handle", operations=[REMOTE_STATUS])
def remote_duplicated(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    integrations = body.get("integrations", [])
    body["integrations"] = integrations + [{**i, "sync_status": "synchronizing"} for i in integrations[:1]]
    return set_json(reply, body)


@fault("fleet-remote-status-unknown-output-empty", "an unknown output id answers an empty status without the error that names the output", expected=["FLEET-REMOTE-STATUS-UNKNOWN-OUTPUT"], stage="handle", operations=[REMOTE_STATUS])
def remote_unknown_empty(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    if reply.status == 200 and isinstance(body, dict) and "error" in body and not body.get("integrations"):
        return set_json(reply, {"integrations": [], "custom_assets": {}})
    return reply


# --- agent data -------------------------------------------------------------------------


@fault("fleet-agent-data-known-agents-only", "only agents found in the agents index get an entry; unknown requested ids are left out", expected=["FLEET-AGENT-DATA-PER-AGENT"], stage="handle", operations=[AGENT_DATA])
def agent_data_known_only(call, proceed):
    agents = FleetBackend.of(call).shared["agents"]
    reply = proceed()
    body = reply_json(reply)
    body["items"] = [{k: v for k, v in item.items() if k in agents} for item in body["items"]]
    body["items"] = [item for item in body["items"] if item]
    return set_json(reply, body)


@fault("fleet-agent-data-first-id-only", "agentsIds is read as a single value: only the first requested id is answered", expected=["FLEET-AGENT-DATA-PER-AGENT"], stage="handle", operations=[AGENT_DATA])
def agent_data_first_only(call, proceed):
    call.query["agentsIds"] = call.query.get("agentsIds", [])[:1]
    return proceed()


@fault("fleet-agent-data-unknown-has-data", "an agent missing from the search is reported with data: true (the flag is computed as 'not false')", expected=["FLEET-AGENT-DATA-PER-AGENT"], stage="handle", operations=[AGENT_DATA])
def agent_data_unknown_true(call, proceed):
    agents = FleetBackend.of(call).shared["agents"]
    reply = proceed()
    body = reply_json(reply)
    for item in body["items"]:
        for agent_id, value in item.items():
            value["data"] = agents.get(agent_id, {}).get("has_data") is not False
    return set_json(reply, body)


@fault("fleet-agent-data-ids-optional", "a missing agentsIds is read as an empty list: 200 with no items instead of 400", expected=["ERR-ENVELOPE-400", "FLEET-AGENT-DATA-IDS-REQUIRED"], stage="validate", operations=[AGENT_DATA])
def agent_data_ids_optional(call, proceed):
    if "agentsIds" in call.raw_query:
        return proceed()
    call.raw_query["agentsIds"] = ["placeholder"]
    try:
        proceed()
    finally:
        del call.raw_query["agentsIds"]
    call.query["agentsIds"] = []


# --- EPM packages -----------------------------------------------------------------------


@fault("fleet-epm-installed-listed-twice", "installed packages are listed from the registry and again from their installation objects, without merging by name", expected=["FLEET-EPM-PACKAGES-UNIQUE"], stage="handle", operations=[PACKAGES])
def epm_listed_twice(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    body["items"] += [copy.deepcopy(item) for item in body["items"] if "installationInfo" in item]
    return set_json(reply, body)


@fault("fleet-epm-installed-without-title", "installed packages are serialised from their installation object, which has no title", expected=["FLEET-EPM-INSTALLATION-OF-PACKAGE", "FLEET-EPM-PACKAGES-UNIQUE"], stage="handle", operations=[PACKAGES])
def epm_without_title(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    for item in body["items"]:
        if "installationInfo" in item:
            item.pop("title", None)
    return set_json(reply, body)


@fault("fleet-epm-installation-info-misaligned", "installationInfo is attached by position in a separately sorted list, so installed packages carry each other's installation", expected=["FLEET-EPM-INSTALLATION-OF-PACKAGE"], stage="handle", operations=[PACKAGES])
def epm_misaligned(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    installed = [item for item in body["items"] if "installationInfo" in item]
    infos = [item["installationInfo"] for item in installed]
    for item, info in zip(installed, infos[1:] + infos[:1], strict=True):
        item["installationInfo"] = info
    return set_json(reply, body)


@fault("fleet-remote-status-lookup-by-type", "the output is looked up among remote Elasticsearch outputs only, so any other output answers 404 instead of 400", expected=["FLEET-REMOTE-STATUS-NOT-REMOTE"], stage="handle", operations=["get-fleet-remote-synced-integrations-outputid-remote-status"])
def remote_status_lookup_by_type(call, proceed):
    not_found = fleet_error(404, f"Output {call.path_params['outputId']} not found", "OutputNotFoundError")
    return refusal_replaced(proceed, 400, lambda error: not_found, contains="not a remote elasticsearch output")
