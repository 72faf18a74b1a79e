"""The validation proxy: traffic forwarded unchanged, each exchange judged as check-traffic judges it,
each violation blamed on the client or the server, reports written on SIGTERM, no credential in them."""

from __future__ import annotations

import base64
import gzip
import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from kibana_conformance import exit_codes
from kibana_conformance.cli import main
from kibana_conformance.mock import MockConfig, MockServer
from kibana_conformance.proxy import Proxy

AUTH = ("elastic", "changeme")
XSRF = {"kbn-xsrf": "true"}
READ = "/api/cases/configure"
WRITE = "/api/logstash/pipeline/kct-proxy"
PIPELINE = {"pipeline": "input { stdin {} }"}


@contextmanager
def proxied(upstream: str, report_dir: Path) -> Iterator[tuple[Proxy, dict[str, Any]]]:
    """The proxy in a thread in front of ``upstream``; on leaving, it is stopped and ``outcome`` holds what it wrote."""
    proxy = Proxy(upstream, "127.0.0.1", 0, report_dir, timeout=10).start()
    outcome: dict[str, Any] = {}
    try:
        yield proxy, outcome
    finally:
        report, results, problems = proxy.finish()
        outcome.update(report=report, results=results, problems=problems)


def _traffic(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "results.json").read_text())["traffic"]


def _findings(report_dir: Path) -> list[tuple[str, str, int]]:
    return [(f["party"], f["check"], f["entry"]) for f in _traffic(report_dir)["findings"]]


def _raw(url: str, request: bytes) -> bytes:
    """The whole answer to one raw HTTP/1.1 request, as the bytes came (the connection closes after it)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request.replace(b"HOST", f"{host}:{port}".encode()))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _without_date(answer: bytes) -> bytes:
    return b"\r\n".join(line for line in answer.split(b"\r\n") if not line.lower().startswith(b"date:"))


def test_a_write_without_kbn_xsrf_is_one_client_violation_and_check_traffic_agrees(tmp_path: Path) -> None:
    with MockServer() as mock, proxied(mock.url, tmp_path / "proxy") as (proxy, outcome):
        with httpx.Client(base_url=proxy.url, auth=AUTH, timeout=10) as client:
            assert client.put(WRITE, json=PIPELINE).status_code == 400  # Kibana's refusal, relayed
            assert client.get(READ).status_code == 200
    assert outcome["problems"] == []
    assert outcome["results"]["verdict"] == "not conformant"
    assert _findings(tmp_path / "proxy") == [("client", "kbn-xsrf", 0)]
    for name in ("index.html", "results.json", "junit.xml", "exchanges.har"):
        assert (tmp_path / "proxy" / name).is_file(), name
    assert 'failures="1"' in (tmp_path / "proxy" / "junit.xml").read_text()
    assert main(["check-traffic", str(tmp_path / "proxy" / "exchanges.har"), "--report-dir", str(tmp_path / "offline")]) == exit_codes.NOT_CONFORMANT
    assert _traffic(tmp_path / "offline")["findings"] == _traffic(tmp_path / "proxy")["findings"]


def test_the_client_gets_the_upstreams_bytes(tmp_path: Path) -> None:
    requests = [
        b"GET " + READ.encode() + b" HTTP/1.1\r\nHost: HOST\r\nAuthorization: Basic ZWxhc3RpYzpjaGFuZ2VtZQ==\r\nConnection: close\r\n\r\n",
        b"HEAD " + READ.encode() + b" HTTP/1.1\r\nHost: HOST\r\nAuthorization: Basic ZWxhc3RpYzpjaGFuZ2VtZQ==\r\nConnection: close\r\n\r\n",
        b"PUT " + WRITE.encode() + b" HTTP/1.1\r\nHost: HOST\r\nAuthorization: Basic ZWxhc3RpYzpjaGFuZ2VtZQ==\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",  # no kbn-xsrf: Kibana's 400
        b"GET /api/not/documented HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\n\r\n",  # 401
    ]
    with MockServer() as mock, proxied(mock.url, tmp_path / "r") as (proxy, _):
        for request in requests:
            direct, through = _raw(mock.url, request), _raw(proxy.url, request)
            assert _without_date(through) == _without_date(direct)
            assert through.startswith(b"HTTP/1.1 ")


def test_bodies_past_the_kept_limit_and_chunked_bodies_go_through_whole(tmp_path: Path) -> None:
    big = {"pipeline": "input { stdin {} }", "description": "x" * 200, "settings": {"queue.type": "memory"}, "pad": "y" * 100_000}
    with MockServer() as mock, proxied(mock.url, tmp_path / "r") as (proxy, _):
        with httpx.Client(base_url=proxy.url, auth=AUTH, headers=XSRF, timeout=10) as client:
            answer = client.put(WRITE, json=big)
            direct = httpx.put(mock.url + WRITE, json=big, auth=AUTH, headers=XSRF, timeout=10)
            assert (answer.status_code, answer.content) == (direct.status_code, direct.content)
            chunked = client.put(WRITE + "-chunked", content=iter([json.dumps(PIPELINE)[:10].encode(), json.dumps(PIPELINE)[10:].encode()]), headers={"content-type": "application/json"})
            assert chunked.status_code == 204
            status = client.get("/api/detection_engine/rules/prepackaged/_status")  # the same connection, kept alive
            assert status.status_code == 200
    entries = json.loads((tmp_path / "r" / "exchanges.har").read_text())["log"]["entries"]
    first = entries[0]
    assert first["_truncated"] is True and first["request"]["bodySize"] == len(answer.request.content) > 64 * 1024
    assert len(first["request"]["postData"]["text"]) == 64 * 1024
    assert entries[1]["request"]["bodySize"] == len(json.dumps(PIPELINE))
    assert [e["response"]["status"] for e in entries] == [direct.status_code, 204, 200]


def test_a_server_fault_is_blamed_on_the_server(tmp_path: Path) -> None:
    with MockServer(MockConfig(faults=("platform-required-field-dropped",))) as mock, proxied(mock.url, tmp_path / "r") as (proxy, outcome):
        assert httpx.get(proxy.url + "/api/detection_engine/rules/prepackaged/_status", auth=AUTH, timeout=10).status_code == 200
    assert outcome["results"]["verdict"] == "not conformant"
    assert _findings(tmp_path / "r") == [("server", "response-schema", 0)]
    assert "timelines_not_updated" in _traffic(tmp_path / "r")["findings"][0]["received"]


def test_an_unknown_path_passes_through_unchecked(tmp_path: Path) -> None:
    with MockServer() as mock, proxied(mock.url, tmp_path / "r") as (proxy, outcome):
        assert httpx.get(proxy.url + "/api/status", auth=AUTH, timeout=10).status_code == 200
        assert httpx.get(proxy.url + READ, auth=AUTH, timeout=10).status_code == 200
    traffic = _traffic(tmp_path / "r")
    assert (traffic["entries"], traffic["checked"], traffic["unchecked"], traffic["findings"]) == (2, 1, 1, [])
    assert outcome["results"]["verdict"] == "conformant"


def test_an_upstream_that_is_down_is_a_502_and_a_transport_problem(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with proxied(down, tmp_path / "r") as (proxy, outcome):
        answer = httpx.get(proxy.url + READ, auth=AUTH, timeout=10)
    assert answer.status_code == 502
    assert answer.json()["statusCode"] == 502 and "the connection was refused" in answer.json()["message"]
    traffic = _traffic(tmp_path / "r")
    assert (traffic["without_answer"], traffic["violations"], traffic["findings"]) == (1, {"client": 0, "server": 0}, [])
    assert outcome["results"]["verdict"] == "incomplete"
    assert [t["outcome"] for t in outcome["results"]["tests"]] == ["error"]
    entry = json.loads((tmp_path / "r" / "exchanges.har").read_text())["log"]["entries"][0]
    assert entry["response"]["status"] == 0 and "refused" in entry["_error"]


BIG = json.dumps([{"id": f"kct-{i}", "owner": "cases", "pad": "x" * 100} for i in range(2000)]).encode()


class _Upstream(BaseHTTPRequestHandler):
    """An upstream that compresses its answers, as Kibana does for a client that accepts gzip, or
    streams a large one in chunks (x-big)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        big = bool(self.headers.get("x-big"))
        body = BIG if big else gzip.compress(json.dumps("not the configurations").encode() if self.headers.get("x-bad") else b"[]")
        self.send_response(200)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("elastic-api-version", "2023-10-31")
        self.send_header(*(("transfer-encoding", "chunked") if big else ("content-encoding", "gzip")))
        if not big:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if not big:
            self.wfile.write(body)
            return
        for start in range(0, len(body), 10_000):
            piece = body[start : start + 10_000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_compressed_and_large_streamed_answers(tmp_path: Path) -> None:
    """A gzip answer goes to the client compressed and is judged decoded; one past the kept limit goes whole and is not judged."""
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    try:
        with proxied(f"http://127.0.0.1:{upstream.server_address[1]}", tmp_path / "r") as (proxy, _):
            with httpx.Client(base_url=proxy.url, auth=AUTH, timeout=10) as client:
                assert client.get(READ).json() == []
                assert client.get(READ, headers={"x-bad": "1"}).status_code == 200
                big = client.get(READ, headers={"x-big": "1"})
                assert (big.content, big.headers["transfer-encoding"]) == (BIG, "chunked")
    finally:
        upstream.shutdown()
        upstream.server_close()
    findings = _traffic(tmp_path / "r")["findings"]
    assert [(f["party"], f["check"], f["entry"]) for f in findings] == [("server", "response-schema", 1)]
    entry = json.loads((tmp_path / "r" / "exchanges.har").read_text())["log"]["entries"][2]
    assert entry["_truncated"] is True and entry["response"]["content"]["size"] == len(BIG)


def test_no_credential_reaches_a_report(tmp_path: Path) -> None:
    password, key = "kct-proxy-Pw-s3cret", "kct-proxy-id:kct-proxy-Key-s3cret"
    encoded = base64.b64encode(key.encode()).decode()
    with MockServer(MockConfig(password=password, api_keys=(key,))) as mock, proxied(mock.url, tmp_path / "r") as (proxy, _):
        assert httpx.put(proxy.url + WRITE, json=PIPELINE, auth=("elastic", password), timeout=10).status_code == 400
        assert httpx.get(proxy.url + READ, headers={"authorization": f"ApiKey {encoded}", "cookie": "sid=kct-cookie-s3cret"}, timeout=10).status_code == 200
        assert httpx.get(proxy.url + READ + "?apikey=kct-query-s3cret", headers={"authorization": "Token kct-token-s3cret"}, timeout=10).status_code == 401
    written = "".join(p.read_text(errors="replace") for p in (tmp_path / "r").rglob("*") if p.is_file())
    assert "kbn-xsrf" in written and "auth-scheme" in written  # the reports are there, and name the violations
    basic = base64.b64encode(f"elastic:{password}".encode()).decode()
    for secret in (password, basic, encoded, "kct-proxy-Key-s3cret", "kct-cookie-s3cret", "kct-query-s3cret", "kct-token-s3cret"):
        assert secret not in written, secret


def _start(*args: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "kibana_conformance.cli", "proxy", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline() if proc.stdout else ""


def test_sigterm_writes_the_reports_and_one_summary_line(tmp_path: Path) -> None:
    with MockServer() as mock:
        proc, line = _start("--upstream", mock.url, "--port", "0", "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
        try:
            assert line.startswith("proxy listening on http://127.0.0.1:") and line.rstrip().endswith(f"-> {mock.url}")
            url = line.split()[3]
            httpx.put(url + WRITE, json=PIPELINE, auth=AUTH, timeout=10)
            httpx.get(url + READ, auth=AUTH, timeout=10)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == exit_codes.NOT_CONFORMANT, err
    assert err == ""
    assert out.count("\n") == 1 and out.startswith("kibana-conformance: CONTRACT BROKEN: 2 exchanges, 2 checked") and "1 client violations" in out
    assert {p.name for p in (tmp_path / "r").iterdir()} >= {"index.html", "results.json", "junit.xml", "exchanges.har"}
    assert not list((tmp_path / "r").glob(".exchanges-*"))  # the spill file is gone


@pytest.mark.parametrize("upstream", ["ftp://kibana:5601", "kibana:5601", "http://", "http://u:p@kibana:5601", "http://kibana:99999"])
def test_a_bad_upstream_is_one_line_and_exit_2(tmp_path: Path, upstream: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["proxy", "--upstream", upstream, "--port", "0", "--report-dir", str(tmp_path / "r")]) == exit_codes.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kibana-conformance: error: --upstream:")


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["proxy", "--upstream", "http://127.0.0.1:5601", "--port", str(port), "--report-dir", str(tmp_path / "r")]) == exit_codes.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err


def _readme_example() -> str:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Validating a client through the proxy") :]
    return next(block for block in section.split("```sh\n")[1:] if "exit $STATUS" in block).split("```")[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(("fix", "code", "verdict"), [(False, exit_codes.NOT_CONFORMANT, "CONTRACT BROKEN"), (True, exit_codes.CONFORMANT, "CONFORMANT")], ids=["broken", "fixed"])
def test_the_readme_example_fails_ci_when_the_client_breaks_the_contract(tmp_path: Path, fix: bool, code: int, verdict: str) -> None:
    script = _readme_example().replace("5601", str(_free_port())).replace("5602", str(_free_port()))
    if fix:
        script = script.replace("-X PUT", "-X PUT -H 'kbn-xsrf: true'")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stdout.startswith(f"kibana-conformance: {verdict}: 2 exchanges, 2 checked, 0 unchecked")
    findings = _traffic(tmp_path / "reports" / "client")["findings"]
    assert [(f["party"], f["check"]) for f in findings] == ([] if fix else [("client", "kbn-xsrf")])
