"""HTTP translation for APM agent keys."""

from __future__ import annotations

import json

from ...authz import APM_CLUSTER_PRIVILEGE
from ..call import Call, Reply
from ..errors import KibanaError
from .models import ApmBackend


def create_agent_key(call: Call) -> Reply:
    check_agent_key_privileges(call)
    key = ApmBackend.of(call).create_agent_key(call.body["name"], call.body["privileges"], call.user)
    return Reply(200, {"agentKey": key})


def check_agent_key_privileges(call: Call) -> None:
    """The caller needs manage_own_api_key and every APM privilege it grants; Kibana's message lists the
    missing ones (x-pack/solutions/observability/plugins/apm/server/routes/agent_keys/create_agent_key.ts,
    elastic/kibana@012f5d9816b732c149d5896e6a758922d72454a3)."""
    if call.privileges is None:
        return
    missing = [p for p in dict.fromkeys(call.body["privileges"]) if p not in call.privileges]
    missing_cluster = [] if APM_CLUSTER_PRIVILEGE in call.privileges else [APM_CLUSTER_PRIVILEGE]
    if not missing and not missing_cluster:
        return
    cluster = f" and following cluster privileges - {', '.join(missing_cluster)} privilege(s)" if missing_cluster else ""
    message = (
        f"{call.user} is missing the following requested privilege(s): {', '.join(missing)}{cluster}."
        "    You might try with the superuser, or add the missing APM application privileges to the role of the authenticated user, eg.:\n"
        "    PUT /_security/role/my_role\n    {\n      ...\n      \"applications\": [{\n        \"application\": \"apm\",\n"
        f"        \"privileges\": {json.dumps(missing, separators=(',', ':'))},\n        \"resources\": [*]\n      }}],\n      ...\n    }}"
    )
    raise KibanaError(403, message)
