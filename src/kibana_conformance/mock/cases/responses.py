"""HTTP translation for case settings."""

from __future__ import annotations

from ...authz import CASES_READ_OWNERS
from ..call import Call, Reply
from ..errors import KibanaError
from .models import CasesBackend

# Kibana's Cases authorization refuses a caller who may read no owner at all, and otherwise answers the
# configurations of the owners it may read (x-pack/platform/plugins/shared/cases/server/authorization).
NO_OWNER = "Unauthorized to access case configurations of any owner"


def get_configuration(call: Call) -> Reply:
    owner = call.query.get("owner")
    owners = [owner] if isinstance(owner, str) else owner
    configurations = CasesBackend.of(call).configurations(owners)
    readable = readable_owners(call)
    if readable is None:
        return Reply(200, configurations)
    if not readable:
        raise KibanaError(403, NO_OWNER)
    return Reply(200, [c for c in configurations if c["owner"] in readable])


def readable_owners(call: Call) -> frozenset[str] | None:
    """The owners whose cases the caller may read; None for a superuser."""
    if call.privileges is None:
        return None
    return frozenset(owner for privilege, owner in CASES_READ_OWNERS.items() if privilege in call.privileges)
