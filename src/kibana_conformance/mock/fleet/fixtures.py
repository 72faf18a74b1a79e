"""The Fleet state a fresh deployment starts with: settings, outputs, agents, remote sync
status and package policies. The EPM package list lives in ``packages.py``.

Var objects are stored as Kibana stores them, ``{type, value}`` (``frozen`` where set);
``policy_inputs.py`` decides what each response format shows of them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

AGENT_POLICY_ID = "2a1c4e7b-3f8d-4c9a-b6e2-7d5f0a9c1e34"
FLEET_SERVER_POLICY_ID = "fleet-server-policy"
SYSTEM_POLICY_ID = "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"
NGINX_POLICY_ID = "8c6e2f4a-1b3d-4e5f-a7c9-0d2e4f6a8b1c"
FLEET_SERVER_PACKAGE_POLICY_ID = "5b0d6e3c-9f2a-4d71-8e4b-2a6c1f9d3e57"

# Elasticsearch sequence numbers already used by the seeded saved objects; new writes go above.
SEEDED_SEQ_NO = 40


def encode_version(seq_no: int, primary_term: int = 1) -> str:
    """A saved object's version: base64 of ``[seq_no, primary_term]`` (``WzEyLDFd`` is [12,1])."""
    return base64.b64encode(json.dumps([seq_no, primary_term], separators=(",", ":")).encode()).decode()


def _vars(spec: dict[str, tuple[str, Any]]) -> dict[str, dict[str, Any]]:
    """A var whose value is None was never set: Kibana stores it without a value."""
    return {name: {"type": kind} if value is None else {"type": kind, "value": value} for name, (kind, value) in spec.items()}


def _stream(input_type: str, kind: str, dataset: str, policy_id: str, spec: dict[str, tuple[str, Any]], enabled: bool = True) -> dict[str, Any]:
    return {
        "id": f"{input_type}-{dataset}-{policy_id}",
        "enabled": enabled,
        "data_stream": {"type": kind, "dataset": dataset},
        "vars": _vars(spec),
    }


def _input(template: str, input_type: str, streams: list[dict[str, Any]], spec: dict[str, tuple[str, Any]] | None = None, enabled: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {"type": input_type, "policy_template": template, "enabled": enabled, "streams": streams}
    if spec is not None:
        item["vars"] = _vars(spec)
    return item


def _system_inputs(pid: str) -> list[dict[str, Any]]:
    return [
        _input("system", "logfile", [
            _stream("logfile", "logs", "system.auth", pid, {
                "paths": ("text", ["/var/log/auth.log*", "/var/log/secure*"]),
                "preserve_original_event": ("bool", False),
                "tags": ("text", ["system-auth"]),
            }),
            _stream("logfile", "logs", "system.syslog", pid, {
                "paths": ("text", ["/var/log/messages*", "/var/log/syslog*", "/var/log/system*"]),
                "preserve_original_event": ("bool", False),
                "tags": ("text", []),
            }),
        ]),
        _input("system", "winlog", [
            _stream("winlog", "logs", "system.application", pid, {"ignore_older": ("text", "72h"), "preserve_original_event": ("bool", False)}),
            _stream("winlog", "logs", "system.security", pid, {"ignore_older": ("text", "72h"), "preserve_original_event": ("bool", False)}),
        ], enabled=False),
        _input("system", "system/metrics", [
            _stream("system/metrics", "metrics", "system.cpu", pid, {
                "period": ("text", "10s"),
                "cpu.metrics": ("text", ["percentages", "normalized_percentages"]),
            }),
            _stream("system/metrics", "metrics", "system.memory", pid, {"period": ("text", "10s")}),
        ], {"system.hostfs": ("text", "")}),
    ]


def _nginx_inputs(pid: str) -> list[dict[str, Any]]:
    return [
        _input("nginx", "logfile", [
            _stream("logfile", "logs", "nginx.access", pid, {
                "paths": ("text", ["/var/log/nginx/access.log*"]),
                "tags": ("text", ["nginx-access"]),
                "preserve_original_event": ("bool", False),
            }),
            _stream("logfile", "logs", "nginx.error", pid, {
                "paths": ("text", ["/var/log/nginx/error.log*"]),
                "tags": ("text", ["nginx-error"]),
                "preserve_original_event": ("bool", False),
            }),
        ]),
        _input("nginx", "nginx/metrics", [
            _stream("nginx/metrics", "metrics", "nginx.stubstatus", pid, {
                "period": ("text", "10s"),
                "server_status_path": ("text", "/nginx_status"),
            }),
        ], {"hosts": ("text", ["http://127.0.0.1:80"])}),
    ]


def _fleet_server_inputs() -> list[dict[str, Any]]:
    return [
        _input("fleet_server", "fleet-server", [], {
            "host": ("text", ["0.0.0.0"]),
            "port": ("integer", [8220]),
            "max_agents": ("integer", None),
            "custom": ("yaml", ""),
        })
    ]


def _package_policy(space: str, pid: str, name: str, package: dict[str, str], policy_id: str, inputs: list[dict[str, Any]], **rest: Any) -> dict[str, Any]:
    created = rest.pop("created_at")
    return {
        "id": pid,
        "version": rest.pop("version"),
        "name": name,
        "description": rest.pop("description", ""),
        "namespace": "default",
        "enabled": True,
        "is_managed": rest.pop("is_managed", False),
        "supports_agentless": False,
        "policy_id": policy_id,
        "policy_ids": [policy_id],
        "package": package,
        "inputs": inputs,
        "revision": rest.pop("revision", 1),
        "created_at": created,
        "created_by": "elastic",
        "updated_at": rest.pop("updated_at", created),
        "updated_by": "elastic",
        "spaceIds": [space],
    }


def package_policies(space: str) -> dict[str, dict[str, Any]]:
    policies = [
        _package_policy(
            space, SYSTEM_POLICY_ID, "system-1", {"name": "system", "title": "System", "version": "1.64.0"}, AGENT_POLICY_ID,
            _system_inputs(SYSTEM_POLICY_ID),
            description="Host logs and metrics for the Linux fleet",
            version=encode_version(31), revision=3,
            created_at="2025-01-14T09:12:31.482Z", updated_at="2025-02-03T16:40:07.915Z",
        ),
        _package_policy(
            space, NGINX_POLICY_ID, "nginx-web-frontends", {"name": "nginx", "title": "Nginx", "version": "1.24.0"}, AGENT_POLICY_ID,
            _nginx_inputs(NGINX_POLICY_ID),
            version=encode_version(33), created_at="2025-01-21T13:05:52.208Z",
        ),
        _package_policy(
            space, FLEET_SERVER_PACKAGE_POLICY_ID, "fleet_server-1", {"name": "fleet_server", "title": "Fleet Server", "version": "1.6.0"},
            FLEET_SERVER_POLICY_ID, _fleet_server_inputs(),
            is_managed=True, version=encode_version(14), created_at="2025-01-10T08:00:05.641Z",
        ),
    ]
    return {policy["id"]: policy for policy in policies}


def settings() -> dict[str, Any]:
    return {
        "id": "fleet-default-settings",
        "has_seen_add_data_notice": True,
        "prerelease_integrations_enabled": False,
        "delete_unenrolled_agents": {"enabled": False, "is_preconfigured": False},
        "secret_storage_requirements_met": True,
        "output_secret_storage_requirements_met": True,
        "use_space_awareness_migration_status": "success",
        "use_space_awareness_migration_started_at": "2025-01-10T08:00:03.117Z",
        "preconfigured_fields": [],
        "version": encode_version(12),
    }


def outputs() -> dict[str, dict[str, Any]]:
    # Kibana stores the fields a form left empty as null (the Fleet UI saves proxy_id: null) and
    # answers them so: models/output.ts types them null or string.
    common = {
        "is_default": False,
        "is_default_monitoring": False,
        "is_internal": False,
        "is_preconfigured": False,
        "config_yaml": "",
        "proxy_id": None,
        "ca_sha256": None,
        "ca_trusted_fingerprint": None,
    }
    items = [
        {
            **common,
            "id": "fleet-default-output",
            "name": "default",
            "type": "elasticsearch",
            "hosts": ["https://es01.prod.example.internal:9200"],
            "is_default": True,
            "is_default_monitoring": True,
            "ca_sha256": "7b3c5d2f9a1e8c4b6d0f2a7e9c1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b",
            "preset": "balanced",
        },
        {
            **common,
            "id": "remote-es-output",
            "name": "Remote cluster (disaster recovery)",
            "type": "remote_elasticsearch",
            "hosts": ["https://dr-cluster.es.eu-west-1.example.com:443"],
            "preset": "balanced",
            "kibana_url": "https://dr-cluster.kb.eu-west-1.example.com:443",
            "sync_integrations": True,
            "sync_uninstalled_integrations": False,
            "secrets": {"service_token": {"id": "Uv3qkZQBz7Xq1hN5d0aE"}, "kibana_api_key": {"id": "V_3qkZQBz7Xq1hN5d0bF"}},
        },
        {
            **common,
            "id": "remote-monitoring-output",
            "name": "Remote monitoring cluster",
            "type": "remote_elasticsearch",
            "hosts": ["https://monitoring.es.us-east-1.example.com:443"],
            "preset": "throughput",
            "sync_integrations": False,
            "secrets": {"service_token": {"id": "Wf4rkZQBz7Xq1hN5d1cG"}},
        },
        {
            **common,
            "id": "logstash-output",
            "name": "Logstash (on-prem)",
            "type": "logstash",
            "hosts": ["logstash01.example.internal:5044", "logstash02.example.internal:5044"],
            "ssl": {
                "certificate_authorities": ["-----BEGIN CERTIFICATE-----\nMIIDSjCCAjKgAwIBAgIVAJQLm8V2LcaCTHUcoIfO+KL63nG3MA0GCSqGSIb3DQEB\n-----END CERTIFICATE-----"],
                "certificate": "-----BEGIN CERTIFICATE-----\nMIIDQDCCAiigAwIBAgIUHeQn3ZSgWcGmVbSsP2y0nQPHCbcwDQYJKoZIhvcNAQEL\n-----END CERTIFICATE-----",
                "verification_mode": "full",
            },
            "secrets": {"ssl": {"key": {"id": "Xg5skZQBz7Xq1hN5d2dH"}}},
        },
    ]
    return {item["id"]: item for item in items}


def remote_sync_status() -> dict[str, dict[str, Any]]:
    """What the remote cluster of each syncing output reports, keyed by output id.

    Kibana's current response schema requires ``install_status`` ({main, remote?}) on each integration.
    """
    return {
        "remote-es-output": {
            "integrations": [
                {"id": "system", "package_name": "system", "package_version": "1.64.0", "sync_status": "completed", "updated_at": "2025-02-03T16:45:12.330Z", "install_status": {"main": "installed", "remote": "installed"}},
                {"id": "nginx", "package_name": "nginx", "package_version": "1.24.0", "sync_status": "synchronizing", "updated_at": "2025-02-04T09:01:44.102Z", "install_status": {"main": "installed", "remote": "installing"}},
                {
                    "id": "apm",
                    "package_name": "apm",
                    "package_version": "9.0.0",
                    "sync_status": "failed",
                    "updated_at": "2025-02-04T09:02:10.877Z",
                    "error": "Failed to install apm-9.0.0 on the remote cluster: package requires Kibana ^9.0.0, remote is 8.17.2",
                    "install_status": {"main": "installed", "remote": "install_failed"},
                },
            ],
            "custom_assets": {
                "component_template:logs-nginx.access@custom": {
                    "name": "logs-nginx.access@custom",
                    "type": "component_template",
                    "package_name": "nginx",
                    "package_version": "1.24.0",
                    "sync_status": "completed",
                },
                "ingest_pipeline:logs-system.syslog@custom": {
                    "name": "logs-system.syslog@custom",
                    "type": "ingest_pipeline",
                    "package_name": "system",
                    "package_version": "1.64.0",
                    "sync_status": "synchronizing",
                },
            },
        }
    }


def agents() -> dict[str, dict[str, Any]]:
    """Enrolled agents; ``has_data`` tells whether any of their data streams received documents."""
    return {
        "0b5f3c1e-8d2a-4f6b-9e7c-1a3d5f7b9c2e": {"hostname": "fleet-server-01", "policy_id": FLEET_SERVER_POLICY_ID, "has_data": True},
        "3e7a9c1b-5d2f-4a8e-b6c4-2f9d1e3a5c7b": {"hostname": "web-frontend-01", "policy_id": AGENT_POLICY_ID, "has_data": True},
        "6c2e8a4f-1b7d-4c3e-a9f5-4d6b8c0e2a1f": {"hostname": "web-frontend-02", "policy_id": AGENT_POLICY_ID, "has_data": True},
        "9d4b6f8a-2c1e-4e5d-8b3a-6f0c2e4a6b8d": {"hostname": "build-runner-07", "policy_id": AGENT_POLICY_ID, "has_data": False},
    }
