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


def numeric_url(url: str) -> str:
    """127.0.0.1 written as one number: the same address, not a loopback literal for the settings."""
    return url.replace("127.0.0.1", "2130706433")


def test_remote_looking_target_is_refused_then_written_with_allow_writes(tmp_path: Path, kibana_mock: MockServer) -> None:
    with proxy_to(kibana_mock) as proxy:
        url = numeric_url(proxy.url)
        refused = run_cli(tmp_path / "refused", "--base-url", url, *CREDENTIALS, "--operation", "put-logstash-pipeline-id")
        assert refused.returncode == 2 and REFUSED in refused.output, refused.describe()
        assert proxy.seen == []
        allowed = run_cli(tmp_path / "allowed", "--base-url", url, *CREDENTIALS, "--allow-writes", "--operation", "put-logstash-pipeline-id", "--max-examples", "1")
    assert allowed.returncode == 0, allowed.describe()
    assert_readable(allowed)
    assert "at most 10 requests/s" in allowed.stdout  # the default rate off loopback
    assert any(s.method == "PUT" for s in proxy.seen)
    assert rate(proxy.seen) <= 10.5


def rate(seen: list[Seen]) -> float:
    times = sorted(s.at for s in seen)
    return (len(times) - 1) / (times[-1] - times[0])


def busiest_second(seen: list[Seen]) -> int:
    times = sorted(s.at for s in seen)
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def test_max_rps_caps_every_request(tmp_path: Path, kibana_mock: MockServer) -> None:
    """The suite's own requests and schemathesis' (with its checks' extra requests) share the limit."""
    with proxy_to(kibana_mock) as proxy:
        run = run_cli(tmp_path, "--base-url", proxy.url, *CREDENTIALS, *SLICE, "--max-rps", "5")
    assert run.returncode == 0, run.describe()
    assert len(proxy.seen) > 30
    assert rate(proxy.seen) <= 5.5, rate(proxy.seen)
    assert busiest_second(proxy.seen) <= 6, busiest_second(proxy.seen)  # no burst either
