"""Spaces faults: state that leaks from one Kibana space into another."""

from __future__ import annotations

from ..ai_assistant.models import AiAssistantBackend, conversation_conflict
from ..state import DEFAULT_SPACE
from . import fault, reply_json, set_json

CONVERSATIONS = ["post-security-ai-assistant-current-user-conversations"]


@fault(
    "spaces-conversation-ids-global",
    "the duplicate-id check searches the conversations of every space (an index pattern over all spaces)",
    expected=["SPACES-CONVERSATION-ID-PER-SPACE"], stage="handle",
    operations=CONVERSATIONS,
)
def _conversation_ids_global(call, proceed):
    given = call.body.get("id")
    for space in list(call.store.spaces):
        if given and given in call.store.backend(AiAssistantBackend.area, space).data["conversations"]:
            raise conversation_conflict(given)
    return proceed()


@fault(
    "spaces-conversation-namespace-default",
    "a conversation's namespace is the default space's id, whatever space it was created in",
    expected=["SPACES-CONVERSATION-NAMESPACE"], stage="handle",
    operations=CONVERSATIONS,
)
def _namespace_default(call, proceed):
    reply = proceed()
    if reply.status != 200:
        return reply
    conversation = {**reply_json(reply), "namespace": DEFAULT_SPACE}
    AiAssistantBackend.of(call).data["conversations"][conversation["id"]] = conversation
    return set_json(reply, conversation)


@fault(
    "spaces-exception-items-unscoped",
    "exception item updates use an unscoped client: a single item is updated in the default space whatever the request's space",
    expected=["SPACES-EXCEPTION-VERSION-ISOLATED"], stage="handle",
    operations=["put-exception-lists-items"],
)
def _exception_items_unscoped(call, proceed):
    call.space = DEFAULT_SPACE
    return proceed()


@fault(
    "spaces-package-policies-unscoped",
    "package policy updates use an unscoped saved-objects client: every space updates the default space's policy",
    expected=["SPACES-PACKAGE-POLICY-REVISION-ISOLATED"], stage="handle",
    operations=["put-fleet-package-policies-packagepolicyid"],
)
def _package_policies_unscoped(call, proceed):
    call.space = DEFAULT_SPACE
    return proceed()
