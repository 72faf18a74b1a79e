"""Activates the kibana-conformance plugin for the suites in this folder."""

import pytest

from kibana_conformance.plugin import activate


def pytest_configure(config: pytest.Config) -> None:
    activate(config)
