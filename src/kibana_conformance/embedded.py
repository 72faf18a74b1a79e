"""The bundled mock as the default target: started by the entry points (the plugin, the CLI),
never by the suite kit, which only ever sees a base URL, credentials and resources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from . import fixture_ids
from .options import Settings

def embedded_settings(settings: Settings) -> Settings:
    """Without credentials of its own, a run against the bundled mock uses the mock's default user."""
    from .mock.config import DEFAULT_PASSWORD, DEFAULT_USERNAME

    if settings.api_key or settings.username:
        return settings
    return replace(settings, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, secrets=(DEFAULT_PASSWORD,))


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
