"""How a mock deployment is configured: the credentials it accepts, limits, and faults."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from ..authz import SEEDED_PRINCIPALS, privileges_of

DEFAULT_USERNAME = "elastic"
DEFAULT_PASSWORD = "changeme"
KIBANA_MAX_PAYLOAD = 1_048_576
UPLOAD_MAX_PAYLOAD = 26_214_400


def encode_api_key(key: str) -> str:
    """The ``Authorization: ApiKey`` value for a key given either encoded or as ``id:api_key``."""
    if ":" in key:
        return base64.b64encode(key.encode()).decode()
    return key


def decode_api_key(encoded: str) -> str | None:
    """``id:api_key`` for an encoded key, or None when it is not base64 of that shape."""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if ":" in decoded else None


@dataclass(frozen=True)
class MockUser:
    """A user of the mock holding exactly ``privileges`` (Kibana API privileges, the APM ones, the Cases read ones)."""

    username: str
    password: str
    privileges: frozenset[str]


def principal_user(name: str) -> MockUser:
    """The seeded user of a principal, with deterministic credentials (docs/mock-fixtures.md)."""
    username = "kct_" + name.replace(":", "_")
    return MockUser(username, f"{username}-changeme", privileges_of(name))


def seeded_users() -> tuple[MockUser, ...]:
    return tuple(principal_user(name) for name in SEEDED_PRINCIPALS)


@dataclass(frozen=True)
class MockConfig:
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    api_keys: tuple[str, ...] = ()
    max_body_bytes: int = KIBANA_MAX_PAYLOAD
    upload_max_bytes: int = UPLOAD_MAX_PAYLOAD
    faults: tuple[str, ...] = field(default=())
    # Users with limited privileges, besides the superuser above (who holds every privilege).
    users: tuple[MockUser, ...] = field(default_factory=seeded_users)

    @property
    def accepted_api_keys(self) -> frozenset[str]:
        return frozenset(encode_api_key(k) for k in self.api_keys)
