"""Resources the suite addresses but cannot create through the documented operations.

The defaults are the bundled mock's seeded fixtures (and Kibana's own default Fleet output);
against another deployment, ``--resource NAME=VALUE`` points the suite at its resources.
A test whose resource is missing on the target is skipped with that reason.
"""

from __future__ import annotations

DEFAULT_RESOURCES = {
    "outputId": "fleet-default-output",
    "remoteOutputId": "remote-es-output",
    "packagePolicyId": "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10",
    "managedPackagePolicyId": "5b0d6e3c-9f2a-4d71-8e4b-2a6c1f9d3e57",
    "liveQueryId": "3c42c847-eb30-4452-80e0-728584042334",
    "liveQueryActionId": "609c4c66-ba3d-43fa-afdd-53e244577aa0",
    "groupStream": "web-services",
    "exceptionItemId": "simple_list_item",
    "endpointId": "ed518850-681a-4d60-bb98-e22640cae2a8",
    "otherSpace": "kct-other",
}
RESOURCE_NAMES = tuple(DEFAULT_RESOURCES)

_overrides: dict[str, str] = {}


def set_overrides(values: dict[str, str]) -> None:
    _overrides.clear()
    _overrides.update(values)


def resource(name: str) -> str:
    return _overrides.get(name, DEFAULT_RESOURCES[name])


def parse_resource(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not value:
        raise ValueError(f"--resource: expected NAME=VALUE, got {text!r}")
    if name not in DEFAULT_RESOURCES:
        raise ValueError(f"--resource: unknown name {name!r}; names are {', '.join(RESOURCE_NAMES)}")
    return name, value


def pinned_path_parameters() -> dict[str, dict[str, str]]:
    """Path parameters the property tests keep on existing resources, so valid cases reach the handler."""
    return {
        "get-fleet-outputs-outputid": {"outputId": resource("outputId")},
        "get-fleet-remote-synced-integrations-outputid-remote-status": {"outputId": resource("remoteOutputId")},
        "put-fleet-package-policies-packagepolicyid": {"packagePolicyId": resource("packagePolicyId")},
        "get-osquery-live-queries-id-results-actionid": {"id": resource("liveQueryId"), "actionId": resource("liveQueryActionId")},
        "get-streams-name-group": {"name": resource("groupStream")},
    }
