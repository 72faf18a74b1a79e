"""The bundled mock as the default target: started by the entry points (the plugin, the CLI),
never by the suite kit, which only ever sees a base URL, credentials and resources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from . import fixture_ids
from .authz import SEEDED_PRINCIPALS, Principal
from .options import Settings

def embedded_settings(settings: Settings) -> Settings:
    """Without credentials of its own, a run against the bundled mock uses the mock's default user; the
    principals it was not given are the mock's seeded users (one per privilege, docs/mock-fixtures.md)."""
    from .mock.config import DEFAULT_PASSWORD, DEFAULT_USERNAME

    settings = _with_seeded_principals(settings)
    if settings.api_key or settings.username:
        return settings
    return replace(settings, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, secrets=(*settings.secrets, DEFAULT_PASSWORD))


def _with_seeded_principals(settings: Settings) -> Settings:
    from .mock.config import principal_user

    given = {p.name for p in settings.principals}
    seeded = []
    for name in SEEDED_PRINCIPALS:
        if name not in given:
            user = principal_user(name)
            seeded.append(Principal(name, username=user.username, password=user.password))
    return replace(settings, principals=(*settings.principals, *seeded), secrets=(*settings.secrets, *(p.password for p in seeded if p.password)))


def start_mock(settings: Settings) -> tuple[str, Settings, Callable[[], None], Callable[[], dict[str, Any]]]:
    """The bundled mock on a free loopback port, accepting the configured credentials: (URL, settings,
    stop, stats); ``stats()`` is what its /_mock/stats answers (selftest reads the faults that broke)."""
    from .mock import MockConfig, MockServer
    from .mock.faults import resolve_faults

    resolve_faults(settings.mock_faults)
    settings = embedded_settings(settings)
    if settings.api_key:
        config = MockConfig(api_keys=(settings.api_key,), faults=settings.mock_faults)
    else:
        config = MockConfig(username=settings.username or "", password=settings.password or "", faults=settings.mock_faults)
    server = MockServer(config).start()
    return server.url, settings, server.stop, server.app.stats


def default_resources(embedded: bool) -> dict[str, str]:
    """The resources a run uses when the user names none: the mock's seeded ones, or Kibana's own defaults."""
    from .suite.resources import KIBANA_DEFAULTS

    return dict(fixture_ids.RESOURCES) if embedded else dict(KIBANA_DEFAULTS)
