"""The EPM package list: what the package registry offers, merged with what is installed.

As in Kibana, ``version`` is the registry's latest version and ``installationInfo.version``
the installed one (nginx has an upgrade available).
"""

from __future__ import annotations

from typing import Any

REGISTRY = "https://epr.elastic.co"
VERIFICATION_KEY_ID = "d27d666cd88e42b4"


def _installation(name: str, version: str, created_at: str, kibana: list[tuple[str, str]], es: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "epm-packages",
        "name": name,
        "version": version,
        "created_at": created_at,
        "updated_at": created_at,
        "namespaces": [],
        "install_status": "installed",
        "install_source": "registry",
        "install_format_schema_version": "1.3.0",
        "installed_kibana_space_id": "default",
        "installed_kibana": [{"id": kid, "type": kind} for kid, kind in kibana],
        "installed_es": [{"id": eid, "type": kind} for eid, kind in es],
        "additional_spaces_installed_kibana": {},
        "experimental_data_stream_features": [],
        "latest_install_failed_attempts": [],
        "verification_status": "verified",
        "verification_key_id": VERIFICATION_KEY_ID,
    }


def _package(name: str, title: str, version: str, description: str, categories: list[str], **rest: Any) -> dict[str, Any]:
    installation = rest.pop("installation", None)
    item = {
        "id": name,
        "name": name,
        "title": title,
        "version": version,
        "latestVersion": version,
        "release": "ga",
        "description": description,
        "type": "integration",
        "download": f"/epr/{name}/{name}-{version}.zip",
        "path": f"/package/{name}/{version}",
        "signature_path": f"/epr/{name}/{name}-{version}.zip.sig",
        "format_version": "3.3.0",
        "icons": [{"src": f"/img/logo_{name}.svg", "path": f"/package/{name}/{version}/img/logo_{name}.svg", "title": f"{title} logo", "size": "32x32", "type": "image/svg+xml"}],
        "categories": categories,
        "conditions": {"kibana": {"version": rest.pop("kibana", "^8.17.0 || ^9.0.0")}, "elastic": {"subscription": rest.pop("subscription", "basic")}},
        "owner": {"github": rest.pop("github", "elastic/obs-infraobs-integrations"), "type": "elastic"},
        "source": {"license": "Elastic-2.0"},
        "policy_templates": rest.pop("policy_templates", []),
        "data_streams": rest.pop("data_streams", []),
        "status": "installed" if installation else "not_installed",
        **rest,
    }
    if installation:
        item["installationInfo"] = installation
    return item


def _data_streams(name: str, kinds: dict[str, str]) -> list[dict[str, Any]]:
    return [{"type": kind, "dataset": f"{name}.{dataset}", "title": f"{name} {dataset}", "release": "ga"} for dataset, kind in kinds.items()]


def packages() -> list[dict[str, Any]]:
    return [
        _package(
            "apm", "Elastic APM", "9.0.0", "Monitor, detect, and diagnose complex application performance issues.",
            ["elastic_stack", "monitoring"],
            kibana="^9.0.0", github="elastic/obs-ds-intake-services",
            policy_templates=[{"name": "apmserver", "title": "Elastic APM Integration", "description": "Elastic APM Integration"}],
            installation=_installation(
                "apm", "9.0.0", "2025-01-10T08:00:41.903Z",
                [],
                [("traces-apm", "index_template"), ("traces-apm-9.0.0", "ingest_pipeline"), ("metrics-apm.app@package", "component_template")],
            ),
        ),
        _package(
            "elastic_agent", "Elastic Agent", "2.1.0", "Collect logs and metrics from Elastic Agents.",
            ["elastic_stack"],
            github="elastic/elastic-agent",
            data_streams=_data_streams("elastic_agent", {"filebeat": "metrics", "metricbeat": "metrics", "fleet_server": "metrics"}),
            installation=_installation(
                "elastic_agent", "2.1.0", "2025-01-10T08:00:22.518Z",
                [("elastic_agent-a148dc70-6b3c-11ed-98de-67bdecd21824", "dashboard")],
                [("metrics-elastic_agent.filebeat", "index_template"), ("metrics-elastic_agent.filebeat@package", "component_template")],
            ),
        ),
        _package(
            "endpoint", "Elastic Defend", "9.0.0", "Protect your hosts and cloud workloads with threat prevention, detection, and deep security data visibility.",
            ["security", "edr_xdr"],
            kibana="^9.0.0", subscription="basic", github="elastic/security-defend-workflows",
            policy_templates=[{"name": "endpoint", "title": "Elastic Defend", "description": "Interact with the endpoint."}],
        ),
        _package(
            "fleet_server", "Fleet Server", "1.6.0", "Centrally manage Elastic Agents with the Fleet Server integration.",
            ["elastic_stack"],
            github="elastic/fleet-server",
            policy_templates=[{"name": "fleet_server", "title": "Fleet Server", "description": "Fleet Server setup"}],
            installation=_installation(
                "fleet_server", "1.6.0", "2025-01-10T08:00:04.770Z",
                [],
                [("logs-fleet_server.output_health", "index_template"), ("logs-fleet_server.output_health@package", "component_template")],
            ),
        ),
        _package(
            "nginx", "Nginx", "1.25.1", "Collect logs and metrics from Nginx HTTP servers with Elastic Agent.",
            ["web", "observability"],
            policy_templates=[{"name": "nginx", "title": "Nginx logs and metrics", "description": "Collect logs and metrics from Nginx instances"}],
            data_streams=_data_streams("nginx", {"access": "logs", "error": "logs", "stubstatus": "metrics"}),
            installation=_installation(
                "nginx", "1.24.0", "2025-01-21T13:05:49.664Z",
                [("nginx-023d2930-f1a5-11e7-a9ef-93c69af7b129", "dashboard"), ("nginx-046212a0-a2a1-11e7-928f-5dbe6f6f5519", "dashboard")],
                [("logs-nginx.access", "index_template"), ("logs-nginx.access-1.24.0", "ingest_pipeline"), ("logs-nginx.error", "index_template")],
            ),
        ),
        _package(
            "system", "System", "1.64.0", "Collect system logs and metrics from your servers with Elastic Agent.",
            ["observability", "security", "os_system"],
            github="elastic/elastic-agent-data-plane",
            policy_templates=[{"name": "system", "title": "System logs and metrics", "description": "Collect logs and metrics from System instances"}],
            data_streams=_data_streams("system", {"auth": "logs", "syslog": "logs", "cpu": "metrics", "memory": "metrics"}),
            installation=_installation(
                "system", "1.64.0", "2025-01-10T08:00:11.236Z",
                [("system-01c54730-fee6-11e9-8405-516218e3d268", "dashboard"), ("system-Metrics-system-overview", "dashboard")],
                [("logs-system.auth", "index_template"), ("logs-system.auth-1.64.0", "ingest_pipeline"), ("metrics-system.cpu", "index_template")],
            ),
        ),
    ]
