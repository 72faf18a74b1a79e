"""No credential reaches a report, a log or a failure message, in any encoding the suite uses."""

from __future__ import annotations

import base64
from urllib.parse import quote
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kibana_conformance.redaction import Redactor

from .helpers import WITHOUT_COVERAGE

API_KEY = "kct-leak-id:kct-leak-Secret-Value-42"
PASSWORD = "kct-leak-P4ssw0rd!"


def _forms(secret: str) -> list[str]:
    forms = [secret, base64.b64encode(secret.encode()).decode(), base64.b64encode(f"elastic:{secret}".encode()).decode()]
    if ":" in secret:
        forms.append(secret.split(":", 1)[1])
    return forms


def _run(tmp_path: Path, *credentials: str) -> str:
    """A failing run (a fault in the mock) over three areas; returns everything it printed."""
    result = subprocess.run(
        [
            sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, *credentials,
            "--max-examples", "5", "--area", "apm,logstash,fleet",
            "--mock-fault", "logstash-put-answers-pipeline", "--mock-fault", "apm-encoded-uses-name",
            "--report-dir", str(tmp_path / "reports"),
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout + result.stderr


# A key the target creates (APM agent keys) is a live secret too, whatever its value.
ISSUED_SECRET = re.compile(rb'(?:"|&quot;|&#34;)(?:api_key|encoded)(?:"|&quot;|&#34;)\s*:\s*(?:"|&quot;|&#34;)(?!\[REDACTED\])[^"&]+')


def _assert_nowhere(tmp_path: Path, printed: str, secret: str) -> None:
    files = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert len(files) > 10  # junit.xml, results.json, index.html and allure results were written
    issued = [str(p) for p in files if ISSUED_SECRET.search(p.read_bytes())]
    assert issued == [], f"an issued API key is kept in {issued}"
    for form in _forms(secret):
        assert form not in printed, f"{form!r} printed"
        leaking = [str(p) for p in files if form.encode() in p.read_bytes()]
        assert leaking == [], f"{form!r} found in {leaking}"


@pytest.mark.parametrize(
    ("credentials", "secret"),
    [(["--api-key", API_KEY], API_KEY), (["--username", "elastic", "--password", PASSWORD], PASSWORD)],
    ids=["api-key", "basic"],
)
@pytest.mark.slow(seconds=9)
def test_known_secrets_appear_in_no_report_and_no_output(tmp_path: Path, credentials: list[str], secret: str) -> None:
    printed = _run(tmp_path, *credentials)
    _assert_nowhere(tmp_path, printed, secret)


def test_redactor_removes_credentials_from_headers_urls_and_text() -> None:
    redactor = Redactor((PASSWORD, API_KEY))
    token = base64.b64encode(f"elastic:{PASSWORD}".encode()).decode()
    text = redactor.text(f"Authorization: Basic {token} https://elastic:{PASSWORD}@kibana.example/x {API_KEY}")
    for form in _forms(PASSWORD) + _forms(API_KEY):
        assert form not in text
    assert redactor.headers({"Authorization": "ApiKey abc", "kbn-xsrf": "true"}) == {"Authorization": "[REDACTED]", "kbn-xsrf": "true"}


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("AUTHORIZATION: Basic ZWxhc3RpYzpzM2NyM3Q=", "ZWxhc3RpYzpzM2NyM3Q="),
        ("authorization=BEARER abcdefghij", "abcdefghij"),
        ("Authorization: Bearer abcdefghij", "abcdefghij"),
        ("header ApIkEy c2VjcmV0LWtleTp2YWx1ZQ==", "c2VjcmV0LWtleTp2YWx1ZQ=="),
        ('{"API_KEY": "issued-value-1"}', "issued-value-1"),
        ('{\\"Password\\": \\"escaped-value-2\\"}', "escaped-value-2"),
        ('{"paſſword": "long-s-value"}', "long-s-value"),
        ("see HTTPS://someone:hunter22@kibana.example/x", "hunter22"),
        ("GET /api/x?a=1&Access_Token=tok-value-3", "tok-value-3"),
    ],
)
def test_each_pattern_redacts_whatever_the_case(text: str, leaked: str) -> None:
    """Each pattern runs only where its words occur; the check that skips it must see every case the pattern does."""
    assert leaked not in Redactor().text(text)


def test_a_secret_inside_a_longer_known_form_is_still_found() -> None:
    """Only the forms that contain no other form are probed for; every form is still replaced."""
    redactor = Redactor(("pw-short",))
    redactor.add_pair("user", "pw-short")
    pair = base64.b64encode(b"user:pw-short").decode()
    for text in (f"x {pair} y", "x pw-short y", f"{quote('user:pw-short', safe='')}"):
        cleaned = redactor.text(text)
        assert "pw-short" not in cleaned and pair not in cleaned and "user%3Apw-short" not in cleaned, cleaned
