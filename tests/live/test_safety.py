"""Live safety: --read-only sends nothing but GET/HEAD, a remote target needs --allow-writes, --max-rps holds."""

from __future__ import annotations

import bisect
from pathlib import Path

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.mock import MockServer

from .conftest import CREDENTIALS, SLICE, assert_readable, proxy_to, run_cli
from .servers import Seen

WRITES = {op.id for op in load_catalog() if op.is_write}
REFUSED = "is not on this machine and the suite writes to it"


@pytest.mark.slow(seconds=12)
def test_read_only_sends_only_get_and_head(tmp_path: Path, kibana_mock: MockServer) -> None:
    """The whole suite, through a recording proxy: nothing but GET and HEAD reaches the target."""
    with proxy_to(kibana_mock) as proxy:
        run = run_cli(tmp_path, "--base-url", proxy.url, *CREDENTIALS, "--read-only", "--max-examples", "3")
    assert run.returncode == 0, run.describe()
    assert_readable(run)
    methods = {seen.method for seen in proxy.seen}
    assert methods <= {"GET", "HEAD"}, {m: [s.path for s in proxy.seen if s.method == m][:5] for m in methods - {"GET", "HEAD"}}
    assert len(proxy.seen) > 100
    assert run.results is not None
    writers = [t for t in run.tests() if WRITES & set(t["operations"])]
    assert writers and all(t["outcome"] == "skipped" and t["skip_reason"].startswith("--read-only") for t in writers), [
        (t["nodeid"], t["outcome"], t["skip_reason"]) for t in writers if t["outcome"] != "skipped" or not t["skip_reason"].startswith("--read-only")
    ]
    assert run.results["footprint"]["writes"] == [] and run.results["footprint"]["restored"] == []
    assert ", read-only" in run.stdout  # the header says so


# A target that is not on loopback. The settings decide from the host as written in the URL:
# "localhost", ::1 and 127.x are loopback; a name, or 127.0.0.1 spelled as the number
# 2130706433, are not (and 2130706433 still reaches this machine, so a run can happen).
REMOTE_NAME = "http://kct-remote.invalid:5601"


def test_remote_target_without_allow_writes_stops_at_once(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--base-url", REMOTE_NAME, *CREDENTIALS)
    assert run.returncode == 2, run.describe()
    assert_readable(run)
    lines = [line for line in run.output.splitlines() if REFUSED in line]
    assert len(lines) == 1 and "--allow-writes" in lines[0] and "--read-only" in lines[0], run.describe()
    assert "its host name does not resolve" not in run.output  # stopped before any network


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--allow-writes"], {}), (["--read-only"], {}), ([], {"KIBANA_CONFORMANCE_ALLOW_WRITES": "1"})],
    ids=["--allow-writes", "--read-only", "KIBANA_CONFORMANCE_ALLOW_WRITES=1"],
)
def test_remote_target_with_consent_goes_on(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    run = run_cli(tmp_path, "--base-url", REMOTE_NAME, *CREDENTIALS, *args, env=env)
    # Past the gate, on to the network: the preflight then finds the name does not resolve.
    assert run.returncode == 3, run.describe()
    assert REFUSED not in run.output
    assert "its host name does not resolve (DNS)" in run.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("2130706433", True),  # 127.0.0.1 written as one number: still this machine
        ("[::1]", True),
        ("127.evil.example", False),  # looks like loopback, resolves nowhere
        ("kct-remote.invalid", False),
        ("192.0.2.1", False),
    ],
)
def test_the_gate_resolves_the_host_instead_of_reading_it(host: str, loopback: bool) -> None:
    """Writes need --allow-writes unless every address of the host is a loopback address (no text match on '127.')."""
    from kibana_conformance.options import build_settings

    settings = build_settings({"base_url": f"http://{host}:5601"})
    assert settings.on_loopback is loopback
    assert settings.rate_limit == (None if loopback else 10.0)  # the default rate off loopback


def test_a_name_that_looks_like_loopback_is_refused_without_allow_writes(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--base-url", "http://127.evil.example:5601", *CREDENTIALS)
    assert run.returncode == 2 and REFUSED in run.output, run.describe()


def rate(seen: list[Seen]) -> float:
    times = sorted(s.at for s in seen)
    return (len(times) - 1) / (times[-1] - times[0])


def busiest_second(seen: list[Seen]) -> int:
    times = sorted(s.at for s in seen)
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def test_max_rps_caps_every_request(tmp_path: Path, kibana_mock: MockServer) -> None:
    """The suite's own requests and schemathesis' (with its checks' extra requests) share the limit.

    20 per second is a real cap: the same slice runs at well over 100 requests per second without one."""
    with proxy_to(kibana_mock) as proxy:
        run = run_cli(tmp_path, "--base-url", proxy.url, *CREDENTIALS, *SLICE, "--max-rps", "20")
    assert run.returncode == 0, run.describe()
    assert len(proxy.seen) > 30
    assert rate(proxy.seen) <= 21, rate(proxy.seen)
    assert busiest_second(proxy.seen) <= 21, busiest_second(proxy.seen)  # no burst either
