"""check-traffic: the contract checks on recorded traffic, each violation blamed on the client or the server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kibana_conformance import exit_codes, har
from kibana_conformance.cli import main
from kibana_conformance.mock.server import MockServer
from kibana_conformance.redaction import Redactor
from kibana_conformance.transport import Wire

from .helpers import WITHOUT_COVERAGE

AUTH = ("authorization", "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==")  # the mock's default elastic:changeme


def _record(folder: Path) -> Path:
    """A write without kbn-xsrf and a valid read, sent to the clean mock and recorded as a run records them."""
    spill = har.spill_folder()
    spool = har.HarSpool(spill, Redactor(), "t")
    wire = Wire(timeout=5)
    wire.observers.append(spool.observe)
    with MockServer() as mock:
        wire.send("PUT", f"{mock.url}/api/logstash/pipeline/kct-traffic", headers=[AUTH, ("content-type", "application/json")], content=b'{"pipeline": "input {}"}')
        wire.send("GET", f"{mock.url}/api/cases/configure", headers=[AUTH])
        wire.send("GET", f"{mock.url}/api/not/documented", headers=[AUTH])
    wire.close()
    path = folder / "traffic.har"
    path.write_text("".join(har.render([spool.close()], "test", set(), {})))
    har.remove(spill)
    return path


def _findings(report_dir: Path) -> list[dict]:
    return json.loads((report_dir / "results.json").read_text())["traffic"]["findings"]


def test_a_write_without_kbn_xsrf_is_one_client_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _record(tmp_path)
    assert main(["check-traffic", str(path), "--report-dir", str(tmp_path / "r")]) == exit_codes.NOT_CONFORMANT
    findings = _findings(tmp_path / "r")
    assert [(f["party"], f["check"], f["entry"]) for f in findings] == [("client", "kbn-xsrf", 0)]
    traffic = json.loads((tmp_path / "r" / "results.json").read_text())["traffic"]
    assert (traffic["checked"], traffic["unchecked"]) == (2, 1)
    assert "1 client violations, 0 server violations" in capsys.readouterr().out
    html = (tmp_path / "r" / "index.html").read_text()
    assert "CLIENT broke the contract" in html and "kbn-xsrf" in html


def test_a_server_answer_off_the_contract_is_a_server_violation(tmp_path: Path) -> None:
    path = _record(tmp_path)
    data = json.loads(path.read_text())
    read = data["log"]["entries"][1]
    read["response"]["headers"] = [h for h in read["response"]["headers"] if h["name"].lower() != "elastic-api-version"]
    read["response"]["content"]["text"] = json.dumps("configured")  # a string where the document lists configurations
    path.write_text(json.dumps(data))
    assert main(["check-traffic", str(path), "--report-dir", str(tmp_path / "r")]) == exit_codes.NOT_CONFORMANT
    found = {(f["party"], f["check"]) for f in _findings(tmp_path / "r")}
    assert found == {("client", "kbn-xsrf"), ("server", "api-version-header"), ("server", "response-schema")}


def test_conformant_traffic_exits_0(tmp_path: Path) -> None:
    path = _record(tmp_path)
    data = json.loads(path.read_text())
    del data["log"]["entries"][0]
    path.write_text(json.dumps(data))
    assert main(["check-traffic", str(path), "--report-dir", str(tmp_path / "r")]) == exit_codes.CONFORMANT
    assert _findings(tmp_path / "r") == []


@pytest.mark.parametrize("content", ["not json", '{"log": {}}', '{"log": {"entries": [{"request": {}}]}}'], ids=["not-json", "no-entries", "bad-entry"])
def test_a_bad_file_is_one_line_and_exit_2(tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.har"
    path.write_text(content)
    assert main(["check-traffic", str(path), "--report-dir", str(tmp_path / "r")]) == exit_codes.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kibana-conformance: error:")
    assert not (tmp_path / "r" / "results.json").exists()


def test_a_run_against_the_clean_mock_records_no_server_violation(tmp_path: Path) -> None:
    """The suite's HAR holds the invalid requests it sends on purpose (client violations) and no server violation."""
    run = subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--max-examples", "3", "--area", "logstash,cases", "--har", "--report-dir", str(tmp_path / "run")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert main(["check-traffic", str(tmp_path / "run" / "exchanges.har"), "--report-dir", str(tmp_path / "r")]) == exit_codes.NOT_CONFORMANT
    results = json.loads((tmp_path / "r" / "results.json").read_text())["traffic"]
    assert results["checked"] > 50 and results["violations"]["server"] == 0
    assert {f["check"] for f in results["findings"]} >= {"kbn-xsrf", "request-body"}  # the negative tests' requests


def test_credentials_in_a_recorded_har_reach_no_report(tmp_path: Path) -> None:
    """A browser's HAR export keeps Authorization headers, cookies and secrets in URLs as sent: the reports do not."""
    path = _record(tmp_path)
    data = json.loads(path.read_text())
    for entry in data["log"]["entries"]:
        entry["request"]["headers"] = [h for h in entry["request"]["headers"] if h["name"].lower() != "authorization"]
        entry["request"]["headers"] += [{"name": "Authorization", "value": "Basic ZWxhc3RpYzpzM2NyZXQtcHc="}, {"name": "Cookie", "value": "sid=kct-cookie-secret"}]
        entry["request"]["url"] += "?apikey=kct-query-secret"
    path.write_text(json.dumps(data))
    main(["check-traffic", str(path), "--report-dir", str(tmp_path / "r")])
    written = "".join(p.read_text(errors="replace") for p in (tmp_path / "r").rglob("*") if p.is_file())
    for secret in ("ZWxhc3RpYzpzM2NyZXQtcHc=", "s3cret-pw", "kct-cookie-secret", "kct-query-secret"):
        assert secret not in written, secret
