"""Who may call what: the privileges the document names, the principals that hold them, and each
route's required privileges. Shared by the option parser, the suite and the mock (neither imports
the other).

A principal is named by the privileges it holds, joined with ``+`` (``fleet-settings-read+integrations-read``),
or ``none`` for an authenticated caller without any Kibana privilege.
"""

from __future__ import annotations

from dataclasses import dataclass

# Kibana API privileges of Fleet and Security Solution lists, as the document names them.
FLEET_PRIVILEGES = (
    "fleet-agents-read",
    "integrations-read",
    "fleet-setup",
    "fleet-all",
    "fleet-settings-read",
    "fleet-agent-policies-read",
    "fleet-settings-all",
)
LISTS_PRIVILEGES = ("lists-all",)
# The Elasticsearch cluster privilege and the APM application privileges an agent key may carry.
APM_CLUSTER_PRIVILEGE = "manage_own_api_key"
APM_APPLICATION_PRIVILEGES = ("event:write", "config_agent:read")
# Read privileges of the Cases feature per section of Kibana's feature privileges, and the owner each reads.
CASES_READ_OWNERS = {
    "cases-read": "cases",  # Management (Stack Management > Cases)
    "observability-cases-read": "observability",
    "security-cases-read": "securitySolution",
}
PRIVILEGES = (*FLEET_PRIVILEGES, *LISTS_PRIVILEGES, APM_CLUSTER_PRIVILEGE, *APM_APPLICATION_PRIVILEGES, *CASES_READ_OWNERS)
NONE = "none"

# Route required privileges, as the document states them: ("all", ...) needs every one, ("any", ...) one of them.
ROUTE_PRIVILEGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "get-fleet-agent-status-data": ("all", ("fleet-agents-read",)),
    "get-fleet-epm-packages": ("any", ("integrations-read", "fleet-setup", "fleet-all")),
    "get-fleet-outputs-outputid": ("any", ("fleet-settings-read", "fleet-agent-policies-read")),
    "get-fleet-remote-synced-integrations-outputid-remote-status": ("all", ("fleet-settings-read", "integrations-read")),
    "put-fleet-settings": ("all", ("fleet-settings-all",)),
    "put-exception-lists-items": ("all", ("lists-all",)),
}
# The operations whose authorization the document states (the route checks above, plus APM and Cases in their handlers).
AUTHORIZED_OPERATIONS = (*ROUTE_PRIVILEGES, "post-apm-agent-keys", "get-cases-configure")


# The principals the suite's authorization tests use (each privilege alone, the pairs an AND and
# an APM key need, and none): the bundled mock seeds one user for each.
SEEDED_PRINCIPALS = (
    *PRIVILEGES,
    "integrations-read+fleet-settings-read",
    "manage_own_api_key+event:write",
    NONE,
)


class PrincipalError(ValueError):
    """A principal name or credential that cannot be used (one line)."""


def privileges_of(name: str) -> frozenset[str]:
    """The privileges a principal of this name holds; raises PrincipalError for an unknown privilege."""
    if name == NONE:
        return frozenset()
    parts = [part.strip() for part in name.split("+")]
    unknown = [part for part in parts if part not in PRIVILEGES]
    if unknown or not parts:
        raise PrincipalError(f"unknown privilege {unknown[0] if unknown else name!r} in principal {name!r}; names are {NONE}, or privileges joined with '+': {', '.join(PRIVILEGES)}")
    return frozenset(parts)


def canonical(name: str) -> str:
    """The principal's name with its privileges in the order of PRIVILEGES (``b+a`` and ``a+b`` are one principal)."""
    held = privileges_of(name)
    return "+".join(p for p in PRIVILEGES if p in held) if held else NONE


def route_allows(operation_id: str, held: frozenset[str] | None) -> bool:
    """Whether a caller holding ``held`` (None: a superuser) passes the route's required privileges."""
    rule = ROUTE_PRIVILEGES.get(operation_id)
    if rule is None or held is None:
        return True
    kind, required = rule
    return all(p in held for p in required) if kind == "all" else any(p in held for p in required)


def forbidden_message(method: str, path_and_query: str, missing: list[str]) -> str:
    """Kibana's 403 message for a route whose required privileges are not held: the missing ones, in
    the order the route lists them, joined with ',' (x-pack/platform/plugins/shared/security/server/
    authorization/api_authorization.ts, elastic/kibana@9e98c9d426b3d3e6f4e1bdeea72275c9d1b94cca)."""
    return f"API [{method.upper()} {path_and_query}] is unauthorized for user, this action is granted by the Kibana privileges [{','.join(missing)}]"


def missing_privileges(operation_id: str, held: frozenset[str]) -> list[str]:
    kind, required = ROUTE_PRIVILEGES[operation_id]
    return [p for p in required if p not in held]


SCHEMES = ("ApiKey", "basic")


@dataclass(frozen=True)
class Principal:
    """Credentials of one named principal: an API key, or a user name and password."""

    name: str
    api_key: str | None = None
    username: str | None = None
    password: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.api_key, self.password) if s)

    def as_tuple(self) -> tuple[str, str | None, str | None, str | None]:
        return (self.name, self.api_key, self.username, self.password)


def parse_principal(text: str) -> Principal:
    """``NAME=ApiKey:KEY`` or ``NAME=basic:USER:PASSWORD``."""
    usage = "expected NAME=ApiKey:KEY or NAME=basic:USER:PASSWORD"
    name, sep, credentials = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise PrincipalError(f"{usage}, got a value without a name and '='")
    name = canonical(name)
    scheme, sep, rest = credentials.partition(":")
    if scheme.strip().lower() == "apikey" and sep and rest.strip():
        return Principal(name, api_key=rest.strip())
    if scheme.strip().lower() == "basic" and sep:
        user, sep, password = rest.partition(":")
        if sep and user.strip() and password:
            return Principal(name, username=user.strip(), password=password)
    raise PrincipalError(f"{usage} for principal {name!r}")

