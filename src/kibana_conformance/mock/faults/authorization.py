"""Authorization faults: a route's required privileges read wrongly, skipped, or refused in the wrong words.

Each is a bug seen in route registrations: an ``anyRequired`` list written as ``allRequired`` (or the
reverse), a route registered without its ``security.authz`` block, an error mapper that turns a 403
into a 404 or a 401, a handler that asks Elasticsearch about the cluster privilege only.
"""

from __future__ import annotations

from typing import Any

from ...authz import APM_CLUSTER_PRIVILEGE, ROUTE_PRIVILEGES, forbidden_message
from ..errors import KibanaError, not_found
from ..pipeline import authorize
from . import fault, refusal_replaced

PACKAGES = "get-fleet-epm-packages"
REMOTE_STATUS = "get-fleet-remote-synced-integrations-outputid-remote-status"


def _refuse_unless(call: Any, allowed: bool) -> None:
    if call.privileges is None or allowed:
        return
    required = ROUTE_PRIVILEGES[call.op.id][1]
    path = call.path + (f"?{call.query_string}" if call.query_string else "")
    raise KibanaError(403, forbidden_message(call.method, path, [p for p in required if p not in call.privileges]))


@fault("fleet-authz-packages-any-read-as-all", "the packages route lists integrations-read, fleet-setup and fleet-all as allRequired: a caller holding one of them is refused", expected=["AUTHZ-FLEET-PACKAGES-ANY"], stage="authorize", operations=[PACKAGES])
def _any_as_all(call: Any, proceed: Any) -> None:
    _refuse_unless(call, call.privileges is not None and all(p in call.privileges for p in ROUTE_PRIVILEGES[PACKAGES][1]))


@fault("fleet-authz-remote-status-all-read-as-any", "the remote synced integrations status route lists fleet-settings-read and integrations-read as anyRequired: either one alone is served", expected=["AUTHZ-FLEET-REMOTE-STATUS-ALL"], stage="authorize", operations=[REMOTE_STATUS])
def _all_as_any(call: Any, proceed: Any) -> None:
    _refuse_unless(call, call.privileges is not None and any(p in call.privileges for p in ROUTE_PRIVILEGES[REMOTE_STATUS][1]))


@fault("fleet-authz-settings-update-unchecked", "PUT /api/fleet/settings is registered without its required privileges: any authenticated caller changes the settings", expected=["AUTHZ-FLEET-SETTINGS-ALL", "AUTHZ-401-NOT-403"], stage="authorize", operations=["put-fleet-settings"])
def _settings_unchecked(call: Any, proceed: Any) -> None:
    return None


@fault("security-authz-exception-items-403-as-404", "a missing lists-all is answered 404 Not Found (the route hides what the caller may not touch)", expected=["AUTHZ-LISTS-ALL", "AUTHZ-401-NOT-403"], stage="authorize", operations=["put-exception-lists-items"])
def _forbidden_as_not_found(call: Any, proceed: Any) -> None:
    refusal_replaced(proceed, 403, lambda error: not_found())


@fault("fleet-authz-outputs-403-as-401", "a missing Fleet output privilege is answered 401 Unauthorized, as if the credentials were wrong", expected=["AUTHZ-FLEET-OUTPUTS-ANY", "AUTHZ-401-NOT-403"], stage="authorize", operations=["get-fleet-outputs-outputid"])
def _forbidden_as_unauthorized(call: Any, proceed: Any) -> None:
    refusal_replaced(proceed, 403, lambda error: KibanaError(401, "Unauthorized", headers={"www-authenticate": 'Basic realm="kibana", ApiKey'}))


@fault("fleet-authz-agent-status-403-without-envelope", "the agent status route answers a missing privilege with a bare {message} body instead of Kibana's envelope", expected=["AUTHZ-FLEET-AGENTS-READ", "AUTHZ-401-NOT-403"], stage="authorize", operations=["get-fleet-agent-status-data"])
def _bare_forbidden(call: Any, proceed: Any) -> None:
    refusal_replaced(proceed, 403, lambda error: KibanaError(403, error.message, body={"message": error.message}))


@fault("security-authz-checked-before-authentication", "the exception item route checks privileges before authentication: a request without credentials is answered 403", expected=["AUTHZ-401-NOT-403"], stage="authenticate", operations=["put-exception-lists-items"])
def _authorize_first(call: Any, proceed: Any) -> None:
    if not call.headers.get("authorization", "").strip():
        call.privileges = frozenset()
        authorize(call)
    proceed()


@fault("apm-authz-granted-privileges-unchecked", "creating an agent key checks manage_own_api_key only, not the APM privileges the key grants", expected=["AUTHZ-APM-AGENT-KEYS"], stage="handle", operations=["post-apm-agent-keys"])
def _apm_cluster_only(call: Any, proceed: Any) -> Any:
    if call.privileges is not None and APM_CLUSTER_PRIVILEGE in call.privileges:
        call.privileges = None
    return proceed()


@fault("cases-authz-owner-filter-ignored", "case settings are answered for every owner once the caller may read one of them", expected=["AUTHZ-CASES-OWNERS"], stage="handle", operations=["get-cases-configure"])
def _owner_filter_ignored(call: Any, proceed: Any) -> Any:
    if call.privileges and any(p.endswith("cases-read") for p in call.privileges):
        call.privileges = None
    return proceed()
