"""HTTP translation for Fleet."""

from __future__ import annotations

from typing import Any

from ..call import Call, Reply
from . import policy_inputs
from .models import FleetBackend


def update_settings(call: Call) -> Reply:
    return Reply(200, {"item": FleetBackend.of(call).update_settings(call.body or {})})


def get_output(call: Call) -> Reply:
    return Reply(200, {"item": FleetBackend.of(call).get_output(call.path_params["outputId"])})


def get_remote_sync_status(call: Call) -> Reply:
    return Reply(200, FleetBackend.of(call).remote_sync_status(call.path_params["outputId"]))


def get_agent_data(call: Call) -> Reply:
    items = FleetBackend.of(call).agents_have_data(call.query["agentsIds"])
    return Reply(200, {"items": items, "dataPreview": []})


def list_packages(call: Call) -> Reply:
    # Kibana's route accepts category, prerelease, excludeInstallStatus and withPackagePoliciesCount
    # (rest_spec/epm.ts); the mock's packages are all GA, so only the category narrows the list.
    items = FleetBackend.of(call).list_packages()
    category = call.query.get("category")
    if category is not None:
        items = [item for item in items if category in item.get("categories", [])]
    return Reply(200, {"items": items})


def update_package_policy(call: Call) -> Reply:
    policy = FleetBackend.of(call).update_package_policy(call.path_params["packagePolicyId"], call.body or {}, call.user)
    return Reply(200, {"item": _formatted(policy, call.query.get("format", "legacy"))})


def _formatted(policy: dict[str, Any], response_format: str) -> dict[str, Any]:
    """`format=simplified` gives inputs as a map and vars as plain values (Kibana's
    packagePolicyToSimplifiedPackagePolicy); the legacy format gives the stored policy,
    var objects with their values."""
    if response_format == "simplified":
        policy["inputs"] = policy_inputs.simplified_inputs(policy["inputs"])
        if isinstance(policy.get("vars"), dict):
            policy["vars"] = policy_inputs.var_values(policy["vars"])
    return policy
