"""Security faults: exception items, AI Assistant conversations, endpoint upload, Osquery results,
entity store, prebuilt rule status and Privilege Monitoring health."""

from __future__ import annotations

from typing import Any

import uuid
from datetime import timedelta

from ..ai_assistant.models import AiAssistantBackend, profile_uid
from ..call import Reply
from ..errors import KibanaError
from ..exception_lists.models import ExceptionListsBackend
from ..osquery import models as osquery
from ..state import iso, new_id
from . import fault, reply_json, set_json

EXCEPTION = ["put-exception-lists-items"]
CONVERSATION = ["post-security-ai-assistant-current-user-conversations"]
UPLOAD = ["post-endpoint-action-upload"]
OSQUERY = ["get-osquery-live-queries-id-results-actionid"]
PREBUILT = ["get-detection-engine-rules-prepackaged-status"]


def _items(call: Any) -> dict[str, dict[str, Any]]:
    return ExceptionListsBackend.of(call)._items(call.body.get("namespace_type", "single"))


def _stored(call: Any) -> dict[str, Any] | None:
    """The item an update addresses, as stored before the update (None when there is none)."""
    try:
        return dict(ExceptionListsBackend.of(call)._find(call.body, call.body.get("namespace_type", "single")))
    except KibanaError:
        return None


def _patch_item(call: Any, reply: Any, changes: dict[str, Any]) -> Any:
    """Apply ``changes`` to the updated item, in the store and in the reply alike."""
    if reply.status != 200:
        return reply
    body = {**reply_json(reply), **changes}
    _items(call)[body["id"]] = body
    return set_json(reply, body)


@fault("security-exception-version-not-bumped", "an exception item update keeps the previous _version (the increment is forgotten)", expected=["SEC-EXCEPTION-STALE-VERSION-CONFLICT", "SEC-EXCEPTION-VERSION-CHANGES"], stage="handle", operations=EXCEPTION)
def _version_not_bumped(call, proceed):
    before = _stored(call)
    reply = proceed()
    return _patch_item(call, reply, {"_version": before["_version"]}) if before else reply


@fault("security-exception-version-unchecked-by-item-id", "the _version conflict check runs only for updates by id; updates by item_id never conflict", expected=["SEC-EXCEPTION-STALE-VERSION-CONFLICT"], stage="handle", operations=EXCEPTION)
def _version_unchecked(call, proceed):
    if call.body.get("id") is None:
        call.body = {k: v for k, v in call.body.items() if k != "_version"}
    return proceed()


@fault("security-exception-conflict-after-write", "the _version check runs after the write: an update refused with 409 is stored anyway", expected=["SEC-EXCEPTION-STALE-VERSION-CONFLICT"], stage="handle", operations=EXCEPTION)
def _conflict_after_write(call, proceed):
    try:
        return proceed()
    except KibanaError as error:
        if error.status == 409:
            call.body = {k: v for k, v in call.body.items() if k != "_version"}
            proceed()
        raise


@fault("security-exception-404-names-id", "the not-found message always says id, even when the item was looked up by item_id", expected=["SEC-EXCEPTION-UNKNOWN-404"], stage="handle", operations=EXCEPTION)
def _not_found_names_id(call, proceed):
    try:
        return proceed()
    except KibanaError as error:
        if error.status == 404:
            raise KibanaError(404, body={"message": error.body["message"].replace("item_id: ", "id: "), "status_code": 404}) from None
        raise


@fault("security-exception-updated-at-frozen", "an exception item update keeps the previous updated_at", expected=["SEC-EXCEPTION-TIMESTAMPS"], stage="handle", operations=EXCEPTION)
def _updated_at_frozen(call, proceed):
    before = _stored(call)
    reply = proceed()
    return _patch_item(call, reply, {"updated_at": before["updated_at"]}) if before else reply


@fault("security-exception-created-at-rewritten", "an exception item update is written as a create: created_at becomes the update's time", expected=["SEC-EXCEPTION-TIMESTAMPS"], stage="handle", operations=EXCEPTION)
def _created_at_rewritten(call, proceed):
    reply = proceed()
    return _patch_item(call, reply, {"created_at": reply_json(reply)["updated_at"]}) if reply.status == 200 else reply


@fault("security-exception-updated-by-profile-uid", "updated_by holds the user's profile uid instead of the username", expected=["SEC-EXCEPTION-UPDATED-BY"], stage="handle", operations=EXCEPTION)
def _updated_by_uid(call, proceed):
    return _patch_item(call, proceed(), {"updated_by": profile_uid(call.user or "")})


@fault("security-exception-lists-kept-when-omitted", "tags, os_types and comments left out of an update keep their stored values instead of the [] default", expected=["SEC-EXCEPTION-DEFAULTS"], stage="handle", operations=EXCEPTION)
def _lists_kept(call, proceed):
    before = _stored(call)
    if before:
        kept = {"tags": before["tags"], "os_types": before["os_types"], "comments": [{"id": c["id"], "comment": c["comment"]} for c in before["comments"]]}
        call.body = {**kept, **call.body}
    return proceed()


@fault("security-exception-os-types-not-updatable", "os_types is missing from the updatable fields: the stored value stays and is returned", expected=["SEC-EXCEPTION-DEFAULTS", "SEC-EXCEPTION-UPDATE-ECHO"], stage="handle", operations=EXCEPTION)
def _os_types_not_updatable(call, proceed):
    before = _stored(call)
    reply = proceed()
    return _patch_item(call, reply, {"os_types": before["os_types"]}) if before else reply


@fault("security-exception-comment-created-at-of-item", "a new comment gets the item's created_at instead of the time it was added", expected=["SEC-EXCEPTION-COMMENT-IDENTITY"], stage="handle", operations=EXCEPTION)
def _comment_created_at(call, proceed):
    before = _stored(call)
    reply = proceed()
    if not before or reply.status != 200:
        return reply
    known = {c["id"] for c in before["comments"]}
    comments = [c if c["id"] in known else {**c, "created_at": before["created_at"]} for c in reply_json(reply)["comments"]]
    return _patch_item(call, reply, {"comments": comments})


@fault("security-exception-comments-recreated", "every update re-creates all comments: known comments get a new id and created_at", expected=["SEC-EXCEPTION-COMMENT-IDENTITY"], stage="handle", operations=EXCEPTION)
def _comments_recreated(call, proceed):
    reply = proceed()
    if reply.status != 200:
        return reply
    item = reply_json(reply)
    return _patch_item(call, reply, {"comments": [{**c, "id": new_id(), "created_at": item["updated_at"]} for c in item["comments"]]})


@fault("security-exception-id-changes", "an update is a delete and a create: the item gets a new id every time", expected=["SEC-EXCEPTION-IDS-STABLE", "SEC-EXCEPTION-UPDATE-BY-ID"], stage="handle", operations=EXCEPTION)
def _id_changes(call, proceed):
    reply = proceed()
    if reply.status != 200:
        return reply
    item = reply_json(reply)
    _items(call).pop(item["id"])
    return _patch_item(call, reply, {"id": new_id()})


@fault("security-exception-id-looked-up-as-item-id", "an update by id looks the value up among the item_ids, so it never finds the item", expected=["SEC-EXCEPTION-IDS-STABLE", "SEC-EXCEPTION-UNKNOWN-404", "SEC-EXCEPTION-UPDATE-BY-ID"], stage="handle", operations=EXCEPTION)
def _id_as_item_id(call, proceed):
    if call.body.get("id") is not None and call.body.get("item_id") is None:
        call.body = {**{k: v for k, v in call.body.items() if k != "id"}, "item_id": call.body["id"]}
    return proceed()


def _patch_conversation(call: Any, reply: Any, change: Any) -> Any:
    if reply.status != 200:
        return reply
    conversation = reply_json(reply)
    change(conversation)
    AiAssistantBackend.of(call).data["conversations"][conversation["id"]] = conversation
    return set_json(reply, conversation)


@fault("security-conversation-category-ignored", "the request's category is not stored: every conversation is an assistant conversation", expected=["SEC-CONVERSATION-CATEGORY"], stage="handle", operations=CONVERSATION)
def _category_ignored(call, proceed):
    call.body = {k: v for k, v in call.body.items() if k != "category"}
    return proceed()


@fault("security-conversation-id-ignored", "a conversation id given in the request is ignored and a new one is generated", expected=["SEC-CONVERSATION-DUPLICATE-ID", "SEC-CONVERSATION-ID"], stage="handle", operations=CONVERSATION)
def _conversation_id_ignored(call, proceed):
    call.body = {k: v for k, v in call.body.items() if k != "id"}
    return proceed()


@fault("security-conversation-duplicate-overwrites", "a conversation with an existing id replaces it (an index where a create was meant)", expected=["SEC-CONVERSATION-DUPLICATE-ID"], stage="handle", operations=CONVERSATION)
def _duplicate_overwrites(call, proceed):
    AiAssistantBackend.of(call).data["conversations"].pop(call.body.get("id"), None)
    return proceed()


@fault("security-conversation-created-at-seconds", "createdAt is written from a seconds timestamp read as milliseconds (a date in January 1970)", expected=["SEC-CONVERSATION-TIMESTAMPS"], stage="handle", operations=CONVERSATION)
def _created_at_seconds(call, proceed):
    seconds = call.store.clock.now_ms() // 1000
    return _patch_conversation(call, proceed(), lambda c: c.update(createdAt=iso(seconds)))


@fault("security-conversation-message-times-replaced", "message timestamps are replaced with the server's time when the conversation is stored", expected=["SEC-CONVERSATION-ECHO", "SEC-CONVERSATION-ECHO-ALL"], stage="handle", operations=CONVERSATION)
def _message_times_replaced(call, proceed):
    return _patch_conversation(call, proceed(), lambda c: c.update(messages=[{**m, "timestamp": c["createdAt"]} for m in c.get("messages", [])]))


@fault("security-conversation-api-config-partial", "apiConfig is stored from a mapping that has no defaultSystemPromptId: the field is lost", expected=["SEC-CONVERSATION-ECHO-ALL"], stage="handle", operations=CONVERSATION)
def _api_config_partial(call, proceed):
    def drop(conversation):
        if isinstance(conversation.get("apiConfig"), dict):
            conversation["apiConfig"].pop("defaultSystemPromptId", None)

    return _patch_conversation(call, proceed(), drop)


@fault("security-conversation-users-empty", "the conversation's users are taken from the request, which has none, so the list is empty", expected=["SEC-CONVERSATION-USERS"], stage="handle", operations=CONVERSATION)
def _users_empty(call, proceed):
    return _patch_conversation(call, proceed(), lambda c: c.update(users=[]))


@fault("security-conversation-user-name-is-uid", "the conversation's user is named by the profile uid (the id copied into name)", expected=["SEC-CONVERSATION-USERS"], stage="handle", operations=CONVERSATION)
def _user_name_is_uid(call, proceed):
    return _patch_conversation(call, proceed(), lambda c: c.update(users=[{**u, "name": u.get("id")} for u in c["users"]]))


def _patch_action(reply: Any, change: Any) -> Any:
    if reply.status != 200:
        return reply
    body = reply_json(reply)
    change(body["data"])
    return set_json(reply, body)


@fault("security-upload-size-of-text", "file_size counts the characters of the file decoded as UTF-8, not its bytes", expected=["SEC-UPLOAD-FILE-DIGEST"], stage="handle", operations=UPLOAD)
def _size_of_text(call, proceed):
    size = len(call.files["file"].data.decode("utf-8", errors="replace"))
    return _patch_action(proceed(), lambda a: a["parameters"].update(file_size=size))


@fault("security-upload-crlf-normalised", "the uploaded file is read as text with CRLF turned into LF, so its size and sha256 describe other bytes", expected=["SEC-UPLOAD-FILE-DIGEST"], stage="handle", operations=UPLOAD)
def _crlf_normalised(call, proceed):
    call.files["file"].data = call.files["file"].data.replace(b"\r\n", b"\n")
    return proceed()


@fault("security-upload-file-name-is-field-name", "file_name is the form field's name (file), not the uploaded file's name", expected=["SEC-UPLOAD-FILE-DIGEST"], stage="handle", operations=UPLOAD)
def _file_name_is_field(call, proceed):
    return _patch_action(proceed(), lambda a: a["parameters"].update(file_name="file"))


@fault("security-upload-agents-are-host-names", "agents lists the endpoints' host names instead of their ids", expected=["SEC-UPLOAD-TARGETS"], stage="handle", operations=UPLOAD)
def _agents_host_names(call, proceed):
    return _patch_action(proceed(), lambda a: a.update(agents=[a["hosts"][i]["name"] for i in a["agents"]]))


@fault("security-upload-command-get-file", "the upload action is recorded with the command get-file (copied from the get-file handler)", expected=["SEC-UPLOAD-TARGETS"], stage="handle", operations=UPLOAD)
def _command_get_file(call, proceed):
    return _patch_action(proceed(), lambda a: a.update(command="get-file"))


@fault("security-upload-file-id-from-digest", "file_id is derived from the file's sha256, so uploads of the same bytes share one file id", expected=["SEC-UPLOAD-IDS-UNIQUE"], stage="handle", operations=UPLOAD)
def _file_id_from_digest(call, proceed):
    def content_addressed(action: dict[str, Any]) -> None:
        action["parameters"]["file_id"] = str(uuid.uuid5(uuid.NAMESPACE_OID, action["parameters"]["file_sha256"]))

    return _patch_action(proceed(), content_addressed)


@fault("security-upload-started-at-local-time", "startedAt is the server's local time (UTC-5) written with a Z suffix", expected=["SEC-UPLOAD-AUDIT"], stage="handle", operations=UPLOAD)
def _started_at_local(call, proceed):
    local = iso(call.store.clock.now_ms() - int(timedelta(hours=5).total_seconds() * 1000))
    return _patch_action(proceed(), lambda a: a.update(startedAt=local))


@fault("security-upload-created-by-system", "createdBy falls back to 'system': the route does not pass the authenticated user to the action", expected=["SEC-UPLOAD-AUDIT"], stage="handle", operations=UPLOAD)
def _created_by_system(call, proceed):
    return _patch_action(proceed(), lambda a: a.update(createdBy="system"))


@fault("security-upload-endpoint-ids-unchecked", "endpoint_ids is validated as any array of strings: an empty list or an empty id is accepted", expected=["ERR-ENVELOPE-400", "SEC-UPLOAD-ENDPOINT-IDS"], stage="validate", operations=UPLOAD)
def _endpoint_ids_unchecked(call, proceed):
    try:
        return proceed()
    except KibanaError:
        body = call.body if isinstance(call.body, dict) else {}
        validator = call.op.request_validator(call.content_type())
        ids = body.get("endpoint_ids")
        if isinstance(ids, list) and all(isinstance(i, str) for i in ids) and validator and not list(validator.iter_errors({**body, "endpoint_ids": ["x"]})):
            return None
        raise


@fault("security-upload-overwrite-defaults-true", "parameters.overwrite defaults to true when the request leaves it out", expected=["SEC-UPLOAD-OVERWRITE"], stage="handle", operations=UPLOAD)
def _overwrite_true(call, proceed):
    call.body = {**call.body, "parameters": {"overwrite": True, **call.body["parameters"]}}
    return proceed()


@fault("security-upload-overwrite-dropped", "parameters.overwrite is not passed on to the action: it is always false", expected=["SEC-UPLOAD-OVERWRITE"], stage="handle", operations=UPLOAD)
def _overwrite_dropped(call, proceed):
    call.body = {**call.body, "parameters": {}}
    return proceed()


@fault("security-upload-agent-type-dropped", "the multipart parser keeps only the documented Endpoint fields: agent_type is lost and every action is an endpoint action", expected=["SEC-UPLOAD-AGENT-TYPE"], stage="handle", operations=UPLOAD)
def _upload_agent_type_dropped(call, proceed):
    call.body = {k: v for k, v in call.body.items() if k != "agent_type"}
    return proceed()


@fault("security-osquery-page-zero-based", "page is read as zero-based, so page 1 returns the second page", expected=["SEC-OSQUERY-PAGE-SIZE", "SEC-OSQUERY-PAGE-SIZE-LARGE", "SEC-OSQUERY-PAGES-COVER-TOTAL"], stage="handle", operations=OSQUERY)
def _page_zero_based(call, proceed):
    call.query = {**call.query, "page": int(call.query.get("page") or 1) + 1}
    return proceed()


@fault("security-osquery-pages-overlap", "a page starts at (page - 1) * (pageSize - 1): consecutive pages share a row", expected=["SEC-OSQUERY-KUERY-FILTER", "SEC-OSQUERY-PAGE-SIZE", "SEC-OSQUERY-PAGES-COVER-TOTAL"], stage="handle", operations=OSQUERY)
def _pages_overlap(call, proceed):
    page, size = int(call.query.get("page") or 1), int(call.query.get("pageSize") or 20)
    call.query = {**call.query, "page": 1, "pageSize": 1_000_000}
    reply = proceed()
    if reply.status != 200:
        return reply
    body = reply_json(reply)
    start = (page - 1) * max(size - 1, 1)
    body["data"]["edges"] = body["data"]["edges"][start : start + size]
    return set_json(reply, body)


@fault("security-osquery-page-size-ignored", "pageSize is read from a page_size parameter, so every page holds the default 20 rows", expected=["SEC-OSQUERY-PAGE-SIZE", "SEC-OSQUERY-PAGE-SIZE-LARGE"], stage="handle", operations=OSQUERY)
def _page_size_ignored(call, proceed):
    call.query = {k: v for k, v in call.query.items() if k != "pageSize"}
    return proceed()


def _is_number(text: str) -> bool:
    """What Kibana's toNumberRt reads as a number (anything else is refused): only those are left to the route."""
    try:
        float(text)
    except ValueError:
        return False
    return True


@fault("security-osquery-page-not-validated", "a page that is not a number is read as the first page (200) instead of refused (400)", expected=["ERR-ENVELOPE-400"], stage="validate", operations=OSQUERY)
def _page_not_validated(call, proceed):
    page = call.raw_query.get("page")
    if not page or all(_is_number(value) for value in page):
        return proceed()
    del call.raw_query["page"]
    try:
        return proceed()
    finally:
        call.raw_query["page"] = page


@fault("security-osquery-page-size-clamped", "pageSize is clamped to 50, the table's largest page option, without saying so", expected=["SEC-OSQUERY-PAGE-SIZE-LARGE"], stage="handle", operations=OSQUERY)
def _page_size_clamped(call, proceed):
    call.query = {**call.query, "pageSize": min(int(call.query.get("pageSize") or 20), 50)}
    return proceed()


@fault("security-osquery-empty-kuery-applied", "an empty kuery is searched for as text instead of dropped, so it matches no row", expected=["SEC-OSQUERY-KUERY-EMPTY"], stage="handle", operations=OSQUERY)
def _empty_kuery_applied(call, proceed):
    if call.query.get("kuery") == "":
        call.query = {**call.query, "kuery": 'agent.name: ""'}
    return proceed()


@fault("security-osquery-total-is-page-length", "total counts the rows of the page instead of all matching rows", expected=["SEC-OSQUERY-KUERY-FILTER", "SEC-OSQUERY-PAGES-COVER-TOTAL", "SEC-OSQUERY-TOTAL-STABLE"], stage="handle", operations=OSQUERY)
def _total_is_page_length(call, proceed):
    reply = proceed()
    if reply.status != 200:
        return reply
    body = reply_json(reply)
    body["data"]["total"] = len(body["data"]["edges"])
    return set_json(reply, body)


@fault("security-osquery-sort-order-ignored", "sortOrder is ignored: results always come in descending order", expected=["SEC-OSQUERY-SORT-ORDER"], stage="handle", operations=OSQUERY)
def _sort_order_ignored(call, proceed):
    call.query = {k: v for k, v in call.query.items() if k != "sortOrder"}
    return proceed()


@fault("security-osquery-sort-within-page", "the sort is applied to each page after paging, not to the whole result set", expected=["SEC-OSQUERY-SORT-ORDER"], stage="handle", operations=OSQUERY)
def _sort_within_page(call, proceed):
    field, descending = call.query.get("sort") or "createdAt", call.query.get("sortOrder", "desc") == "desc"
    call.query = {**call.query, "sort": "_id", "sortOrder": "asc"}
    reply = proceed()
    if reply.status != 200:
        return reply
    body = reply_json(reply)
    body["data"]["edges"] = osquery._sorted(body["data"]["edges"], field, descending)
    return set_json(reply, body)


@fault("security-osquery-filter-after-paging", "the kuery filter is applied to the page after paging: total and paging count every row", expected=["SEC-OSQUERY-KUERY-FILTER"], stage="handle", operations=OSQUERY)
def _filter_after_paging(call, proceed):
    kuery = (call.query.get("kuery") or "").strip()
    call.query = {k: v for k, v in call.query.items() if k != "kuery"}
    reply = proceed()
    if reply.status != 200 or not kuery:
        return reply
    body = reply_json(reply)
    body["data"]["edges"] = osquery._matching(body["data"]["edges"], kuery)
    return set_json(reply, body)


def _patch_body(reply: Any, change: Any) -> Any:
    """A successful answer with ``change(body)`` applied to a copy of its JSON body (the store is untouched)."""
    if reply.status != 200:
        return reply
    body = reply_json(reply)
    change(body)
    return set_json(reply, body)


@fault("security-entity-store-count-off-by-one", "count is the index of the last engine, one less than the number of engines", expected=["SEC-ENTITY-STORE-COUNT"], stage="handle", operations=["get-entity-store-engines"])
def _count_off_by_one(call, proceed):
    return _patch_body(proceed(), lambda b: b.update(count=len(b["engines"]) - 1))


@fault("security-prebuilt-rules-outdated-counts-uninstalled", "rules_not_updated also counts prebuilt rules that are not installed", expected=["SEC-PREBUILT-STATUS-COUNTS"], stage="handle", operations=PREBUILT)
def _rules_outdated_uninstalled(call, proceed):
    return _patch_body(proceed(), lambda b: b.update(rules_not_updated=b["rules_not_updated"] + b["rules_not_installed"]))


@fault("security-prebuilt-timelines-outdated-counts-uninstalled", "timelines_not_updated also counts prebuilt Timelines that are not installed", expected=["SEC-PREBUILT-STATUS-COUNTS"], stage="handle", operations=PREBUILT)
def _timelines_outdated_uninstalled(call, proceed):
    return _patch_body(proceed(), lambda b: b.update(timelines_not_updated=b["timelines_not_updated"] + b["timelines_not_installed"]))


@fault("security-prebuilt-custom-count-negative", "rules_custom_installed is computed as installed minus available prebuilt rules, which goes negative", expected=["SEC-PREBUILT-STATUS-COUNTS"], stage="handle", operations=PREBUILT)
def _custom_count_negative(call, proceed):
    return _patch_body(proceed(), lambda b: b.update(rules_custom_installed=b["rules_installed"] - b["rules_not_installed"]))


@fault("security-privmon-health-ok-string", 'Privilege Monitoring health reports ok as the string "true"', expected=["SEC-PRIVMON-HEALTH-OK"], stage="handle", operations=["get-entity-analytics-monitoring-privileges-health"])
def _health_ok_string(call, proceed):
    return _patch_body(proceed(), lambda b: b.update(ok=str(b["ok"]).lower()))
