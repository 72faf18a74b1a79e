"""Endpoint response actions: the upload action, and the enrolled endpoints it can target."""

from __future__ import annotations

import hashlib
from typing import Any

from ..call import UploadedFile
from ..state import Backend, new_id

# The document's example endpoint first, so its curl command answers with its host name.
SEEDED_ENDPOINTS = {
    "ed518850-681a-4d60-bb98-e22640cae2a8": "Host-5i6cuc8kdv",
    "3f2b8c71-94d0-4e6a-b5c2-7a1d9e0f4c38": "WIN-DC01",
    "c0a84f12-6e3d-4b9a-8f57-1d2e3c4b5a69": "prod-web-01",
    "5d7e9f1a-2b3c-4d5e-8f6a-7b8c9d0e1f23": "MacBook-Pro-jsmith",
}


class EndpointBackend(Backend):
    area = "endpoint"

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        return {"endpoints": dict(SEEDED_ENDPOINTS), "actions": {}}

    def upload(self, request: dict[str, Any], file: UploadedFile, user: str) -> dict[str, Any]:
        """A pending upload action; the host picks the file up later, so nothing completes here."""
        endpoint_ids = request["endpoint_ids"]
        action = {
            "id": new_id(),
            "agents": endpoint_ids,
            # Kibana answers unknown endpoint ids with an empty host name rather than an error.
            "hosts": {endpoint_id: {"name": self.data["endpoints"].get(endpoint_id, "")} for endpoint_id in endpoint_ids},
            "agentType": request.get("agent_type", "endpoint"),
            "command": "upload",
            "status": "pending",
            "isCompleted": False,
            "wasSuccessful": False,
            "isExpired": False,
            "createdBy": user,
            "startedAt": self.clock.now(),
            "outputs": {},
            "agentState": {endpoint_id: {"isCompleted": False, "wasSuccessful": False} for endpoint_id in endpoint_ids},
            **({"comment": request["comment"]} if "comment" in request else {}),
            "parameters": {
                "file_id": new_id(),
                "file_name": file.filename,
                "file_size": len(file.data),
                "file_sha256": hashlib.sha256(file.data).hexdigest(),
                "overwrite": request["parameters"].get("overwrite", False),
            },
        }
        self.data["actions"][action["id"]] = action
        return action
