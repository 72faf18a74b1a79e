"""What the suite knows about each operation, in one place: one :class:`OperationProfile` each.

A profile says how to build a valid request (for tests that vary one thing: a header, the
credentials), which path parameters the property tests keep on existing resources, which names
carry the run prefix, what a successful call leaves on the target and how it is identified,
whether the run restores it, and why a schema-valid request may still meet a documented 400.
``tests/test_profiles.py`` checks that there is exactly one profile per catalog operation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

import httpx

from ..catalog import Operation, load_catalog
from .resources import Resources
from .target import Target

LOGSTASH_PIPELINE = "input { stdin {} } output { stdout {} }"
PIPELINE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ApiRequest:
    op: Operation
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    json_body: Any = None
    multipart: dict[str, Any] | None = None
    uses: tuple[str, ...] = ()

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
        kwargs.setdefault("uses", self.uses)
        return target.request(self.op.method, self.path, params=self.query or None, **kwargs)

    def with_body(self, body: Any) -> ApiRequest:
        return replace(self, json_body=body)


Builder = Callable[[Operation, str, Resources], ApiRequest]


@dataclass(frozen=True)
class OperationProfile:
    id: str
    build: Builder
    pinned: Mapping[str, str] = field(default_factory=dict)  # path parameter -> resource name
    prefixed_path: tuple[str, ...] = ()  # path parameters the run names (with its prefix)
    prefixed_body: tuple[str, ...] = ()  # body fields the run names (with its prefix)
    # Body fields whose value must name an existing resource (field -> resource name): valid generated data sends the run's.
    pinned_body_lists: Mapping[str, str] = field(default_factory=dict)
    creates: str | None = None  # what a successful call leaves on the target
    modifies: str | None = None  # what a successful call changes on the target
    created_id: Callable[[Mapping[str, str], Any], str | None] | None = None
    restored: bool = False  # read before the run and written back after it
    single: bool = False  # one object for the whole deployment (Fleet settings): no id, no space
    unverifiable: tuple[str, ...] = ()  # fields no documented response shows the content of
    semantic_400: str | None = None  # why a schema-valid request may meet a documented 400
    no_negative_data: str | None = None  # why generated invalid data is not sent

    def valid_request(self, prefix: str, resources: Resources) -> ApiRequest:
        return self.build(load_catalog().get(self.id), prefix, resources)

    def pinned_values(self, resources: Resources) -> dict[str, str]:
        """The pinned path parameters whose resource the run names (the others stay generated)."""
        return {param: value for param, name in self.pinned.items() if (value := resources.get(name)) is not None}

    def prefix_path_parameter(self, name: str, value: Any, prefix: str) -> Any:
        """A run-named path parameter with the prefix (once), where the id stays one the document allows."""
        if name in self.prefixed_path and isinstance(value, str) and PIPELINE_ID.match(value) and not value.startswith(prefix):
            return prefix + value
        return value

    def pin_body(self, body: Any, resources: Resources) -> Any:
        """Valid data addresses the run's resources in the body fields that name them (an enrolled endpoint)."""
        if isinstance(body, dict):
            for name, resource_name in self.pinned_body_lists.items():
                value = resources.get(resource_name)
                if name in body and value is not None:
                    body[name] = [value]
        return body

    def prefix_body(self, body: Any, prefix: str) -> Any:
        if isinstance(body, dict):
            for name in self.prefixed_body:
                if isinstance(body.get(name), str) and not body[name].startswith(prefix):
                    body[name] = prefix + body[name]
        return body


def exception_item_body(prefix: str, resources: Resources, **changes: Any) -> dict[str, Any]:
    body = {
        "item_id": resources["exceptionItemId"],
        "name": f"{prefix}exception item",
        "description": "Updated by kibana-conformance",
        "type": "simple",
        "namespace_type": "single",
        "entries": [{"type": "match", "field": "host.name", "value": "rock01", "operator": "included"}],
    }
    body.update(changes)
    return body


def _plain(op: Operation, prefix: str, resources: Resources) -> ApiRequest:
    return ApiRequest(op, op.path)


def _dict(body: Any) -> dict[str, Any]:
    return body if isinstance(body, dict) else {}


PROFILES: dict[str, OperationProfile] = {
    p.id: p
    for p in (
        OperationProfile(
            "post-apm-agent-keys",
            lambda op, prefix, r: ApiRequest(op, op.path, json_body={"name": f"{prefix}agent-key", "privileges": ["event:write"]}),
            prefixed_body=("name",),
            creates="APM agent key (an Elasticsearch API key: invalidate it with the security API)",
            created_id=lambda params, body: _dict(_dict(body).get("agentKey")).get("id"),
        ),
        OperationProfile("get-cases-configure", _plain),
        OperationProfile(
            "get-fleet-agent-status-data",
            lambda op, prefix, r: ApiRequest(op, op.path, query={"agentsIds": [f"{prefix}agent"]}),
        ),
        OperationProfile("get-fleet-epm-packages", _plain),
        OperationProfile(
            "get-fleet-outputs-outputid",
            lambda op, prefix, r: ApiRequest(op, f"/api/fleet/outputs/{r['outputId']}", uses=("outputId",)),
            pinned={"outputId": "outputId"},
        ),
        OperationProfile(
            "get-fleet-remote-synced-integrations-outputid-remote-status",
            lambda op, prefix, r: ApiRequest(op, f"/api/fleet/remote_synced_integrations/{r['remoteOutputId']}/remote_status", uses=("remoteOutputId",)),
            pinned={"outputId": "remoteOutputId"},
            semantic_400="the output must be a remote Elasticsearch output with integration sync, which no schema can say",
        ),
        OperationProfile(
            "put-fleet-package-policies-packagepolicyid",
            lambda op, prefix, r: ApiRequest(op, f"/api/fleet/package_policies/{r['packagePolicyId']}", json_body={}, uses=("packagePolicyId",)),
            pinned={"packagePolicyId": "packagePolicyId"},
            modifies="package policy",
            restored=True,
            unverifiable=("inputs", "vars"),
            semantic_400="the package and its variables must exist in the registry, which no schema can say",
        ),
        OperationProfile(
            "put-fleet-settings",
            lambda op, prefix, r: ApiRequest(op, op.path, json_body={}),
            modifies="Fleet settings",
            restored=True,
            single=True,
        ),
        OperationProfile(
            "put-logstash-pipeline-id",
            lambda op, prefix, r: ApiRequest(op, f"/api/logstash/pipeline/{prefix}pipeline", json_body={"pipeline": LOGSTASH_PIPELINE}),
            prefixed_path=("id",),
            creates="Logstash pipeline",
            created_id=lambda params, body: unquote(params.get("id", "")) or None,
        ),
        OperationProfile("get-detection-engine-rules-prepackaged-status", _plain),
        OperationProfile(
            "post-endpoint-action-upload",
            lambda op, prefix, r: ApiRequest(
                op,
                op.path,
                # Array fields as one JSON text, as Kibana's config-schema reads them (the schema's decision upload-array-fields).
                multipart={"file": (f"{prefix}upload.txt", b"kibana-conformance upload\n", "text/plain"), "endpoint_ids": json.dumps([r["endpointId"]]), "parameters": "{}"},
                uses=("endpointId",),
            ),
            creates="endpoint upload action",
            created_id=lambda params, body: _dict(_dict(body).get("data")).get("id"),
            pinned_body_lists={"endpoint_ids": "endpointId"},
            semantic_400="the endpoints must be enrolled on the deployment, which no schema can say",
            no_negative_data="a form field cannot tell a one-element array from a string: the 'string instead of array' case is sent exactly like a valid one (the upload scenarios check rejection)",
        ),
        OperationProfile("get-entity-analytics-monitoring-privileges-health", _plain),
        OperationProfile("get-entity-store-engines", _plain),
        OperationProfile(
            "put-exception-lists-items",
            lambda op, prefix, r: ApiRequest(op, op.path, json_body=exception_item_body(prefix, r), uses=("exceptionItemId",)),
            modifies="exception list item (no documented operation reads it back)",
            semantic_400="an item is addressed by id or item_id, one of which must be given, which the schema does not say",
        ),
        OperationProfile(
            "get-osquery-live-queries-id-results-actionid",
            lambda op, prefix, r: ApiRequest(op, f"/api/osquery/live_queries/{r['liveQueryId']}/results/{r['liveQueryActionId']}", uses=("liveQueryId", "liveQueryActionId")),
            pinned={"id": "liveQueryId", "actionId": "liveQueryActionId"},
        ),
        OperationProfile(
            "post-security-ai-assistant-current-user-conversations",
            lambda op, prefix, r: ApiRequest(op, op.path, json_body={"title": f"{prefix}conversation"}),
            prefixed_body=("id",),
            creates="AI Assistant conversation",
            created_id=lambda params, body: _dict(body).get("id"),
        ),
        OperationProfile(
            "get-streams-name-group",
            lambda op, prefix, r: ApiRequest(op, f"/api/streams/{r['groupStream']}/_group", uses=("groupStream",)),
            pinned={"name": "groupStream"},
            semantic_400="the stream must be a group stream, which no schema can say",
        ),
    )
}


def profile(operation_id: str) -> OperationProfile:
    return PROFILES[operation_id]


def valid_request(operation_id: str, prefix: str, resources: Resources) -> ApiRequest:
    """A request the document says the target accepts, touching only the run's own or known resources."""
    return PROFILES[operation_id].valid_request(prefix, resources)


def pinned_path_parameters(resources: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Path parameters the property tests keep on existing resources, so valid cases reach the handler."""
    return {
        op_id: {param: resources[name] for param, name in profile.pinned.items() if name in resources}
        for op_id, profile in PROFILES.items()
        if profile.pinned
    }
