"""Group stream bugs: the shape of the answer, unknown names, and the optional closed body."""

from __future__ import annotations

from .. import pipeline
from ..call import Reply
from ..errors import KibanaError, bad_request
from . import fault, refusal_replaced, reply_json, set_json

GROUP = "get-streams-name-group"


@fault("streams-group-unwrapped", "the route answers the group object itself instead of {group: ...}", expected=["STREAMS-GROUP-EMPTY-BODY", "STREAMS-GROUP-NOT-A-GROUP", "STREAMS-GROUP-SETTINGS"], stage="handle", operations=[GROUP])
def group_unwrapped(call, proceed):
    reply = proceed()
    return set_json(reply, reply_json(reply)["group"])


@fault("streams-group-members-repeated", "a group's members are gathered from the definition and from the members' routing without de-duplication", expected=["STREAMS-GROUP-SETTINGS"], stage="handle", operations=[GROUP])
def members_repeated(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    members = body["group"].get("members", [])
    body["group"]["members"] = members + members[:1]
    return set_json(reply, body)


@fault("streams-group-cache-ignores-name", "group settings are cached per route, not per stream name: an unknown name answers the last group read", expected=["ERR-NOT-FOUND", "STREAMS-GROUP-NOT-FOUND"], stage="handle", operations=[GROUP])
def cache_ignores_name(call, proceed):
    # The buggy cache outlives the call, as a module-level one in a server would.
    memory = call.store.fault_memory
    try:
        reply = proceed()
    except KibanaError as error:
        if error.status != 404 or "streams-group-last" not in memory:
            raise
        return Reply(200, memory["streams-group-last"])
    memory["streams-group-last"] = reply.body
    return reply


@fault("streams-group-missing-as-not-group", "an unknown name takes the 'not a group stream' branch and answers 400 instead of 404", expected=["ERR-NOT-FOUND", "STREAMS-GROUP-NOT-FOUND"], stage="handle", operations=[GROUP])
def missing_as_not_group(call, proceed):
    try:
        return proceed()
    except KibanaError as error:
        if error.status == 404:
            raise bad_request("Stream is not a group stream") from None
        raise


@fault("streams-group-body-refused", "any JSON body on the GET is refused with 400, even the documented empty object", expected=["STREAMS-GROUP-EMPTY-BODY"], stage="validate", operations=[GROUP])
def body_refused(call, proceed):
    proceed()
    if call.has_body:
        raise bad_request("[request body]: a GET request takes no body")


@fault("streams-group-lookup-by-type", "the stream is looked up among group streams only, so a stream that is not a group answers 404 instead of 400", expected=["STREAMS-GROUP-NOT-A-GROUP"], stage="handle", operations=[GROUP])
def lookup_by_type(call, proceed):
    not_found = KibanaError(404, f"Stream definition for {call.path_params['name']} not found")
    return refusal_replaced(proceed, 400, lambda error: not_found, contains="not a group stream")
