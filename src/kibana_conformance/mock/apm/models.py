"""APM agent keys: Elasticsearch API keys carrying APM application privileges."""

from __future__ import annotations

import base64
import secrets
import string
from typing import Any

from ..state import Backend

KEY_ALPHABET = string.ascii_letters + string.digits + "-_"


def _token(length: int) -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(length))


class ApmBackend(Backend):
    """Agent keys are Elasticsearch API keys: one set for the whole deployment, not per space."""

    area = "apm"

    @classmethod
    def seed_shared(cls) -> dict[str, Any]:
        return {"agent_keys": []}

    def create_agent_key(self, name: str, privileges: list[str], user: str | None) -> dict[str, str]:
        """A new key; the secret half is returned once and never stored (as in Elasticsearch)."""
        taken = {key["id"] for key in self.shared["agent_keys"]}
        key_id = _token(20)
        while key_id in taken:
            key_id = _token(20)
        api_key = _token(22)
        self.shared["agent_keys"].append(
            {
                "id": key_id,
                "name": name,
                "privileges": sorted(set(privileges)),
                "created_by": user,
                "created_at": self.clock.now(),
            }
        )
        encoded = base64.b64encode(f"{key_id}:{api_key}".encode()).decode()
        return {"id": key_id, "name": name, "api_key": api_key, "encoded": encoded}
