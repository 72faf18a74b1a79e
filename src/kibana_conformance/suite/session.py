"""One conformance run: the settings, the target (maybe the bundled mock), the run id and seed.

The controller process creates it (starting the mock when no base URL is given and checking
that the target answers); pytest-xdist workers receive the same values through ``workerinput``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from .. import exit_codes
from ..catalog import load_catalog
from .settings import Settings
from .target import Redactor, Target, TargetFailure


class TargetUnavailable(Exception):
    """The target cannot be reached or rejects the credentials: the run stops at once."""

    exit_code = exit_codes.TARGET_UNAVAILABLE


@dataclass
class SuiteSession:
    settings: Settings
    base_url: str
    run_id: str
    seed: int
    embedded: bool = False
    kibana_version: str | None = None
    rate: float | None = None
    mock: Any = field(default=None, repr=False)
    _target: Target | None = field(default=None, repr=False)
    _schema: Any = field(default=None, repr=False)

    @property
    def prefix(self) -> str:
        """Names of everything this run creates start with it, so they can be told apart."""
        return f"kct-{self.run_id}-"

    @property
    def target(self) -> Target:
        if self._target is None:
            self._target = Target(self.settings, self.base_url)
        return self._target

    def schema(self) -> Any:
        if self._schema is None:
            from .properties import build_schema

            self._schema = build_schema(self.settings, self.base_url + self.target.space_prefix, self.seed, self.rate)
        return self._schema

    def describe_target(self) -> str:
        kind = "the bundled mock" if self.embedded else "target"
        version = f", Kibana {self.kibana_version}" if self.kibana_version else ""
        space = f", space {self.settings.space}" if self.settings.space else ""
        mode = ", read-only" if self.settings.read_only else ""
        rate = f", at most {self.settings.rate_limit:g} requests/s" if self.settings.rate_limit else ""
        return f"{kind} {Redactor(self.settings.secrets).text(self.base_url)}{version}{space}{mode}{rate}"

    def close(self) -> None:
        if self._target is not None:
            self._target.close()
        if self.mock is not None:
            self.mock.stop()
            self.mock = None


def new_run_id() -> str:
    return secrets.token_hex(3)


def new_seed() -> int:
    return secrets.randbelow(2**31)


def embedded_settings(settings: Settings) -> Settings:
    """Without credentials of its own, a run against the bundled mock uses the mock's default user."""
    from ..mock.config import DEFAULT_PASSWORD, DEFAULT_USERNAME

    if settings.api_key or settings.username:
        return settings
    return replace(settings, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, secrets=(DEFAULT_PASSWORD,))


def start_embedded_mock(settings: Settings, faults: tuple[str, ...] = ()) -> tuple[Any, Settings]:
    """The bundled mock on a free loopback port, accepting the configured credentials."""
    from ..mock import MockConfig, MockServer
    from ..mock.faults import resolve_faults

    resolve_faults(faults)
    settings = embedded_settings(settings)
    if settings.api_key:
        config = MockConfig(api_keys=(settings.api_key,), faults=faults)
    else:
        config = MockConfig(username=settings.username or "", password=settings.password or "", faults=faults)
    return MockServer(config).start(), settings


def preflight(session: SuiteSession) -> None:
    """Check once that the target answers and accepts the credentials; learn its version."""
    target = session.target
    shown = session.describe_target()
    try:
        response = target.request("GET", "/api/status")
        if response.status_code == 404:
            probe = next(op for op in load_catalog() if op.method == "GET" and "{" not in op.path)
            response = target.request("GET", probe.path)
    except TargetFailure as exc:
        raise TargetUnavailable(f"{shown}: {exc.received}") from None
    if response.status_code == 401:
        kind = {"api-key": "the API key", "basic": "the user name and password"}.get(session.settings.credentials_kind, "no credentials")
        raise TargetUnavailable(f"{shown} rejected {kind} (401); check --api-key or --username/--password")
    if 300 <= response.status_code < 400:
        location = response.headers.get("location", "?")
        if str(response.request.url.join(location)) == str(response.request.url):
            raise TargetUnavailable(f"{shown} redirects {response.request.url.path} to itself (a redirect loop); it is not serving")
        raise TargetUnavailable(f"{shown} redirects to {location!r}; give the final URL as --base-url")
    if response.status_code >= 500:
        raise TargetUnavailable(f"{shown} answers {response.status_code} to a status request; it is not serving")
    content_type = response.headers.get("content-type", "")
    if response.status_code < 300 and "json" not in content_type.lower():
        page = "html" in content_type.lower() or response.content.lstrip()[:1] == b"<"
        what = "an HTML page" if page else f"a {content_type or 'body without a content type'}"
        raise TargetUnavailable(
            f"{shown} answers {response.request.method} {response.request.url.path} with {what} ({response.status_code}), "
            "not Kibana's JSON: is a login page or a proxy in the way? give Kibana's own URL as --base-url"
        )
    try:
        body = response.json()
        session.kibana_version = body.get("version", {}).get("number") if isinstance(body, dict) else None
    except ValueError:
        session.kibana_version = None


