"""Fleet: settings, outputs, EPM packages, agents and package policies.

Settings, outputs (and the remote sync status reported for an output), the EPM package
list and the agents are one set for the whole deployment (``shared``); package policies
belong to a space (``data``), as with Kibana's space-aware Fleet.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from typing import Any

from ..errors import KibanaError
from ..state import Backend
from . import fixtures, packages, policy_inputs

# What a PUT body may change; `force` and `version` steer the update and are not stored.
UPDATABLE_FIELDS = (
    "additional_datastreams_permissions",
    "description",
    "enabled",
    "is_managed",
    "name",
    "namespace",
    "output_id",
    "overrides",
    "package",
    "policy_id",
    "policy_ids",
    "supports_agentless",
    "vars",
)
PACKAGE_POLICY_TYPE = "ingest-package-policies"


def fleet_error(status: int, message: str, error_type: str) -> KibanaError:
    return KibanaError(status, message, extra={"errorType": error_type})


def _deep_merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """Elasticsearch's partial update: objects merge key by key, anything else is replaced."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _decode_version(version: str) -> list[int] | None:
    try:
        decoded = json.loads(base64.b64decode(version, validate=True))
    except (binascii.Error, ValueError):
        return None
    if isinstance(decoded, list) and len(decoded) == 2 and all(type(n) is int for n in decoded):
        return decoded
    return None


class FleetBackend(Backend):
    area = "fleet"

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        return {"package_policies": fixtures.package_policies(space)}

    @classmethod
    def seed_shared(cls) -> dict[str, Any]:
        return {
            "seq_no": fixtures.SEEDED_SEQ_NO,
            "settings": fixtures.settings(),
            "outputs": fixtures.outputs(),
            "remote_sync_status": fixtures.remote_sync_status(),
            "packages": packages.packages(),
            "agents": fixtures.agents(),
        }

    def _next_version(self) -> str:
        """Every write gets the next sequence number of the (deployment-wide) Fleet index."""
        self.shared["seq_no"] += 1
        return fixtures.encode_version(self.shared["seq_no"])

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """A partial update: fields the body leaves out keep their stored value."""
        settings = self.shared.setdefault("settings", fixtures.settings())
        _deep_merge(settings, changes)
        settings["version"] = self._next_version()
        return copy.deepcopy(settings)

    def get_output(self, output_id: str) -> dict[str, Any]:
        output = self.shared["outputs"].get(output_id)
        if output is None:
            raise fleet_error(404, f"Output {output_id} not found", "OutputNotFoundError")
        return copy.deepcopy(output)

    def remote_sync_status(self, output_id: str) -> dict[str, Any]:
        if output_id not in self.shared["outputs"]:
            # Kibana catches the unknown output and answers 200 (get_remote_status.ts).
            return {"integrations": [], "error": f"No output found with id {output_id}"}
        output = self.get_output(output_id)
        if output.get("type") != "remote_elasticsearch":
            raise fleet_error(400, f"Output {output_id} is not a remote elasticsearch output", "FleetError")
        if not output.get("sync_integrations"):
            raise fleet_error(400, "Synced integrations not enabled", "FleetError")
        # A syncing output whose remote cluster has not reported yet has nothing synced.
        status = self.shared["remote_sync_status"].get(output_id, {"integrations": [], "custom_assets": {}})
        return copy.deepcopy(status)

    def agents_have_data(self, agent_ids: list[str]) -> list[dict[str, dict[str, bool]]]:
        """One entry per requested id, in order; an unknown agent has sent no data."""
        agents = self.shared["agents"]
        return [{agent_id: {"data": bool(agents.get(agent_id, {}).get("has_data"))}} for agent_id in agent_ids]

    def list_packages(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.shared["packages"])

    def update_package_policy(self, policy_id: str, body: dict[str, Any], user: str | None) -> dict[str, Any]:
        """Kibana's update: the body's fields replace the stored ones, the rest is kept.

        A body with simplified inputs (a map) sets the values of the inputs, streams and
        top-level vars it names; any other body replaces inputs and vars as sent (Kibana's
        updatePackagePolicyHandler).
        """
        policies = self.data["package_policies"]
        stored = policies.get(policy_id)
        if stored is None:
            raise fleet_error(404, f"Package policy {policy_id} not found", "PackagePolicyNotFoundError")
        updated = copy.deepcopy(stored)
        simplified = isinstance(body.get("inputs"), dict)
        if not simplified:
            policy_inputs.check_legacy_vars(body)
        for field in UPDATABLE_FIELDS:
            if field in body and not (simplified and field == "vars"):
                updated[field] = copy.deepcopy(body[field])
        if simplified:
            updated["inputs"] = policy_inputs.from_simplified(body["inputs"], stored["inputs"])
            if isinstance(body.get("vars"), dict):
                updated["vars"] = policy_inputs.assign_policy_vars(body["vars"], stored.get("vars"))
        elif isinstance(body.get("inputs"), list):
            updated["inputs"] = policy_inputs.from_legacy(body["inputs"], policy_id)
        _sync_agent_policy_ids(updated, body)
        updated["name"] = updated["name"].strip()
        # Kibana checks the flag the update sends, not the stored one (package_policy.ts update()).
        if body.get("is_managed") and not body.get("force"):
            raise fleet_error(
                400,
                f"Cannot update package policy {policy_id} in Fleet because the package policy is managed by an external orchestration "
                "solution, such as Elastic Cloud, Kubernetes, etc. Please make changes using your orchestration solution.",
                "PackagePolicyRestrictionRelatedError",
            )
        if any(other["name"] == updated["name"] for other_id, other in policies.items() if other_id != policy_id):
            raise fleet_error(
                409,
                f"An integration policy with the name {updated['name']} already exists. Please rename it or choose a different name.",
                "PackagePolicyNameExistsError",
            )
        if "version" in body:
            self._check_version(policy_id, body["version"], stored.get("version"))
        updated.update(
            revision=stored["revision"] + 1,
            updated_at=self.clock.now(),
            updated_by=user,
            version=self._next_version(),
        )
        policies[policy_id] = updated
        return copy.deepcopy(updated)

    @staticmethod
    def _check_version(policy_id: str, sent: str, current: str | None) -> None:
        """Optimistic concurrency, as the saved objects client does it."""
        decoded = _decode_version(sent)
        if decoded is None:
            raise KibanaError(400, f"Invalid version [{sent}]: Bad Request")
        if current is not None and decoded != _decode_version(current):
            raise KibanaError(409, f"Saved object [{PACKAGE_POLICY_TYPE}/{policy_id}] conflict")


def _sync_agent_policy_ids(policy: dict[str, Any], body: dict[str, Any]) -> None:
    """`policy_id` is the deprecated single form of `policy_ids`: a body that sends one sets both."""
    if "policy_ids" in body and "policy_id" not in body:
        policy["policy_id"] = body["policy_ids"][0] if body["policy_ids"] else None
    elif "policy_id" in body and "policy_ids" not in body:
        policy["policy_ids"] = [body["policy_id"]] if body["policy_id"] else []
