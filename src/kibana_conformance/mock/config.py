"""How a mock deployment is configured: the credentials it accepts, limits, and faults."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

import json
from pathlib import Path
from typing import Any

import yaml

from ..authz import PRIVILEGES, SEEDED_PRINCIPALS, privileges_of

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


class UsersFileError(ValueError):
    """A users file the mock cannot use (one line for the user)."""


def load_users(path: Path) -> tuple[MockUser, ...]:
    """Users from a JSON or YAML file: a list of ``{username, password, privileges: [...]}``, privileges
    being the names of ``kibana-conformance``'s principals (README, section Authorization)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsersFileError(f"--users: cannot read {path}: {exc.strerror or exc}") from None
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise UsersFileError(f"--users: {path} is not valid JSON or YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, list):
        raise UsersFileError(f"--users: {path} holds a list of {{username, password, privileges}}")
    users = []
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, dict) or set(entry) != {"username", "password", "privileges"}:
            raise UsersFileError(f"--users: entry {number} needs exactly username, password and privileges")
        username, password, privileges = entry["username"], entry["password"], entry["privileges"]
        if not (isinstance(username, str) and username and isinstance(password, str) and password):
            raise UsersFileError(f"--users: entry {number}: username and password are non-empty strings")
        if not isinstance(privileges, list) or not all(isinstance(p, str) for p in privileges):
            raise UsersFileError(f"--users: entry {number}: privileges is a list of names")
        unknown = sorted(set(privileges) - set(PRIVILEGES))
        if unknown:
            raise UsersFileError(f"--users: entry {number}: unknown privilege {unknown[0]!r}; privileges are {', '.join(PRIVILEGES)}")
        users.append(MockUser(username, password, frozenset(privileges)))
    return tuple(users)


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
