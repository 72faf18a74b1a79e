"""Fixtures for the project's own tests: a mock deployment on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kibana_conformance.mock import MockConfig, MockServer

from .helpers import API_KEY_ID_AND_SECRET, PASSWORD, USERNAME

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def mock_server() -> Iterator[MockServer]:
    with MockServer(MockConfig(api_keys=(API_KEY_ID_AND_SECRET,))) as server:
        yield server


@pytest.fixture
def api(mock_server: MockServer) -> Iterator[httpx.Client]:
    """A client authenticated as the default user, sending kbn-xsrf, against a freshly reset mock."""
    with httpx.Client(base_url=mock_server.url, auth=(USERNAME, PASSWORD), headers={"kbn-xsrf": "true"}, timeout=10) as client:
        client.post("/_mock/reset").raise_for_status()
        yield client


@pytest.fixture
def anonymous(mock_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock_server.url, headers={"kbn-xsrf": "true"}, timeout=10) as client:
        yield client


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow(seconds): an end-to-end test that runs the suite, with roughly how long it takes on 2 quiet cores;"
        " the longest start first, so that the pytest-xdist workers end together",
    )
    # pytest-xdist's loadgroup hands out the groups with the most tests first, whatever the order below: the
    # hostile run's group (33 tests, half its time waiting out timeouts) then started beside small runs, and the
    # zoo (one test, two processes) after them. In collection order the zoo starts at once beside the hostile run.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest first: pytest-xdist hands out tests in collection order, and the zoo, collected last,
    would otherwise start when the other worker is nearly done and run on alone for two minutes.

    Tests that share one costly run (a module fixture) carry an xdist_group: under `pytest -n` (loadgroup,
    which the plugin picks) one worker runs them one after the other, and the run happens once; without
    the group each worker, and each return to the module after another module's test, ran it again.
    pytest-xdist names the group in the node id through an attribute pytest >= 9.2 no longer reads (and
    only when the worker itself was told loadgroup); the plugin's helper writes the id."""
    from kibana_conformance.plugin import _set_nodeid

    def seconds(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return float(marker.kwargs.get("seconds", 1)) if marker is not None else 0.0

    items.sort(key=seconds, reverse=True)  # stable: the others keep their order
    if not hasattr(config, "workerinput"):
        return
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if marker is not None and "@" not in item.nodeid:
            _set_nodeid(item, f"{item.nodeid}@{marker.args[0]}")
