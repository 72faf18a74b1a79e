"""TLS: a certificate the system does not trust is refused, unless --ca-cert names its CA or --insecure."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from kibana_conformance.mock import MockServer

from .conftest import CREDENTIALS, SLICE, assert_readable, assert_stopped_by_preflight, proxy_to, run_cli
from .servers import Proxy

trustme = pytest.importorskip("trustme")


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    """A certificate authority of the test's own, that nothing else trusts."""
    return trustme.CA()


@pytest.fixture
def tls_target(kibana_mock: MockServer, authority: trustme.CA) -> Iterator[Proxy]:
    """The mock behind HTTPS on loopback, with a certificate for 127.0.0.1 signed by ``authority``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with proxy_to(kibana_mock, tls=context) as proxy:
        yield proxy


@pytest.fixture
def ca_file(tmp_path: Path, authority: trustme.CA) -> Path:
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return path


def test_untrusted_certificate_is_refused_with_both_ways_out(tmp_path: Path, tls_target: Proxy) -> None:
    run = run_cli(tmp_path, "--base-url", tls_target.url, *CREDENTIALS, *SLICE)
    line = assert_stopped_by_preflight(run, "its TLS certificate is not trusted")
    assert "--ca-cert" in line and "--insecure" in line, line
    assert tls_target.seen == []  # the handshake failed: no request was sent, no credentials


def test_ca_cert_makes_it_trusted(tmp_path: Path, tls_target: Proxy, ca_file: Path) -> None:
    run = run_cli(tmp_path, "--base-url", tls_target.url, *CREDENTIALS, *SLICE, "--ca-cert", str(ca_file))
    assert run.returncode == 0, run.describe()
    assert_readable(run)
    assert run.results is not None and run.results["verdict"] == "conformant"
    assert len(tls_target.seen) > 10  # the suite's client and schemathesis' both went through TLS


def test_insecure_skips_verification(tmp_path: Path, tls_target: Proxy) -> None:
    run = run_cli(tmp_path, "--base-url", tls_target.url, *CREDENTIALS, *SLICE, "--insecure")
    assert run.returncode == 0, run.describe()
    assert_readable(run)
    assert run.results is not None and run.results["verdict"] == "conformant"
    assert "InsecureRequestWarning" not in run.output  # asked for: no warning per request
