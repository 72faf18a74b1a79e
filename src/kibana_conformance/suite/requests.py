"""A valid request for every operation, for tests that vary one thing (a header, the credentials).

Names the suite creates carry the run prefix; existing resources come from ``resources``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from ..catalog import Operation, load_catalog
from .resources import resource
from .target import Target

LOGSTASH_PIPELINE = "input { stdin {} } output { stdout {} }"


@dataclass(frozen=True)
class ApiRequest:
    op: Operation
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    json_body: Any = None
    multipart: dict[str, Any] | None = None

    @property
    def has_json_body(self) -> bool:
        return self.json_body is not None

    def send(self, target: Target, **kwargs: Any) -> httpx.Response:
        """Send it; ``kwargs`` go to :meth:`Target.request` (auth, xsrf, headers, space...)."""
        if self.multipart is not None:
            data = {k: v for k, v in self.multipart.items() if k != "file"}
            kwargs.setdefault("files", {"file": self.multipart["file"]})
            kwargs.setdefault("data", data)
        elif self.json_body is not None:
            kwargs.setdefault("json_body", self.json_body)
        return target.request(self.op.method, self.path, params=self.query or None, **kwargs)

    def with_body(self, body: Any) -> ApiRequest:
        return replace(self, json_body=body)


def valid_request(operation_id: str, prefix: str) -> ApiRequest:
    """A request the document says the target accepts, touching only the run's own or known resources."""
    op = load_catalog().get(operation_id)
    builders = {
        "post-apm-agent-keys": lambda: ApiRequest(op, op.path, json_body={"name": f"{prefix}agent-key", "privileges": ["event:write"]}),
        "get-cases-configure": lambda: ApiRequest(op, op.path),
        "get-fleet-agent-status-data": lambda: ApiRequest(op, op.path, query={"agentsIds": [f"{prefix}agent"]}),
        "get-fleet-epm-packages": lambda: ApiRequest(op, op.path),
        "get-fleet-outputs-outputid": lambda: ApiRequest(op, f"/api/fleet/outputs/{resource('outputId')}"),
        "get-fleet-remote-synced-integrations-outputid-remote-status": lambda: ApiRequest(
            op, f"/api/fleet/remote_synced_integrations/{resource('remoteOutputId')}/remote_status"
        ),
        "put-fleet-package-policies-packagepolicyid": lambda: ApiRequest(
            op, f"/api/fleet/package_policies/{resource('packagePolicyId')}", json_body={}
        ),
        "put-fleet-settings": lambda: ApiRequest(op, op.path, json_body={}),
        "put-logstash-pipeline-id": lambda: ApiRequest(
            op, f"/api/logstash/pipeline/{prefix}pipeline", json_body={"pipeline": LOGSTASH_PIPELINE}
        ),
        "get-detection-engine-rules-prepackaged-status": lambda: ApiRequest(op, op.path),
        "post-endpoint-action-upload": lambda: ApiRequest(
            op,
            op.path,
            multipart={
                "file": (f"{prefix}upload.txt", b"kibana-conformance upload\n", "text/plain"),
                "endpoint_ids": [resource("endpointId")],
                "parameters": "{}",
            },
        ),
        "get-entity-analytics-monitoring-privileges-health": lambda: ApiRequest(op, op.path),
        "get-entity-store-engines": lambda: ApiRequest(op, op.path),
        "put-exception-lists-items": lambda: ApiRequest(op, op.path, json_body=exception_item_body(prefix)),
        "get-osquery-live-queries-id-results-actionid": lambda: ApiRequest(
            op, f"/api/osquery/live_queries/{resource('liveQueryId')}/results/{resource('liveQueryActionId')}"
        ),
        "post-security-ai-assistant-current-user-conversations": lambda: ApiRequest(
            op, op.path, json_body={"title": f"{prefix}conversation"}
        ),
        "get-streams-name-group": lambda: ApiRequest(op, f"/api/streams/{resource('groupStream')}/_group"),
    }
    return builders[operation_id]()


def exception_item_body(prefix: str, **changes: Any) -> dict[str, Any]:
    body = {
        "item_id": resource("exceptionItemId"),
        "name": f"{prefix}exception item",
        "description": "Updated by kibana-conformance",
        "type": "simple",
        "namespace_type": "single",
        "entries": [{"type": "match", "field": "host.name", "value": "rock01", "operator": "included"}],
    }
    body.update(changes)
    return body
