"""Fleet settings: an update applies what it is sent, keeps the rest and gets a new version.

The document has no read operation for the settings; a PUT with an empty body (every field
is optional) answers the current settings, so it serves as the read. Each test puts back the
flags it flipped, so a live deployment ends as it started.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite import read
from kibana_conformance.suite.expect import expect, expect_conforms, expect_envelope, expect_success

OP = load_catalog().get("put-fleet-settings")
PATH = "/api/fleet/settings"
# Two flags any deployment can flip and flip back without side effects; Kibana reads an
# absent one as false.
FLAGS = ("prerelease_integrations_enabled", "has_seen_add_data_notice")
EXAMPLES_DOC = (
    'Update settings. Request example: {"has_seen_add_data_notice": true, "prerelease_integrations_enabled": true, ...}; '
    'Response example (200): {"item": {"has_seen_add_data_notice": true, "id": "string", "prerelease_integrations_enabled": true, ..., "version": "string"}}'
)
VERSION_DOC = 'Update settings. Response example (200): {"item": {..., "version": "string"}}'
EXTRA_FIELD_DOC = (
    "Body: additional_yaml_config, delete_unenrolled_agents, has_seen_add_data_notice, kibana_ca_sha256, kibana_urls, "
    'prerelease_integrations_enabled. Response examples (400): {"error": "string", "errorType": "string", "message": "string", "statusCode": 42.0}'
)


def _update(kibana: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = kibana.request("PUT", PATH, json_body=body)
    expect_success(response, "Update settings")
    expect_conforms(OP, response)
    return read.item(response, documented=EXAMPLES_DOC)


def _flag(settings: dict[str, Any], name: str) -> bool:
    return bool(settings.get(name, False))


@contextmanager
def _restoring(kibana: Any, original: dict[str, Any]) -> Iterator[None]:
    try:
        yield
    finally:
        kibana.request("PUT", PATH, json_body={name: _flag(original, name) for name in FLAGS})


def _expect_reflects(item: dict[str, Any], sent: dict[str, Any], previous: dict[str, Any], label: str) -> None:
    for name, value in sent.items():
        expect(
            item.get(name) == value,
            f"{label}: the answered settings do not have the value sent",
            received=f"{name}: {item.get(name)!r}",
            documented=f"{name}: {value!r}, as sent ({EXAMPLES_DOC})",
        )
    kept = {k: v for k, v in previous.items() if k not in sent and k != "version"}
    changed = {k: item.get(k) for k, v in kept.items() if item.get(k) != v}
    expect(
        not changed,
        f"{label}: fields the body did not send changed",
        received=changed,
        documented=f"the values they had before: {({k: kept[k] for k in changed})} (an update changes only the fields it sends)",
    )


@pytest.mark.requirement(
    "FLEET-SETTINGS-UPDATE-ECHO",
    category="scenarios",
    doc=EXAMPLES_DOC,
    operation="put-fleet-settings",
)
def test_each_update_answers_what_was_sent_and_keeps_the_rest(kibana):
    before = _update(kibana, {})
    with _restoring(kibana, before):
        first_body = {FLAGS[0]: not _flag(before, FLAGS[0])}
        first = _update(kibana, first_body)
        _expect_reflects(first, first_body, before, "the first update")
        second_body = {FLAGS[1]: not _flag(before, FLAGS[1])}
        second = _update(kibana, second_body)
        _expect_reflects(second, second_body, first, "the second update")
        again = _update(kibana, {})
        _expect_reflects(again, {}, second, "an empty update after both")


@pytest.mark.requirement(
    "FLEET-SETTINGS-VERSION-CHANGES",
    category="scenarios",
    doc=VERSION_DOC,
    operation="put-fleet-settings",
)
def test_every_update_gets_a_new_version(kibana):
    before = _update(kibana, {})
    flag = _flag(before, FLAGS[0])
    with _restoring(kibana, before):
        flipped = _update(kibana, {FLAGS[0]: not flag})
        restored = _update(kibana, {FLAGS[0]: flag})
    versions = [before.get("version"), flipped.get("version"), restored.get("version")]
    expect(
        all(isinstance(v, str) and v for v in versions) and len(set(versions)) == len(versions),
        "an update of the settings did not change their version",
        received=f"versions {versions} (before, after flipping {FLAGS[0]}, after flipping it back)",
        documented=f"a new version after every update ({VERSION_DOC})",
    )


@pytest.mark.requirement(
    "FLEET-SETTINGS-EXTRA-FIELD-REFUSED",
    category="scenarios",
    doc=EXTRA_FIELD_DOC,
    operation="put-fleet-settings",
)
def test_an_undocumented_field_is_refused_and_changes_nothing(kibana, run_prefix):
    before = _update(kibana, {})
    flag = _flag(before, FLAGS[0])
    with _restoring(kibana, before):
        body = {FLAGS[0]: not flag, f"{run_prefix.replace('-', '_')}setting": True}
        response = kibana.request("PUT", PATH, json_body=body)
        expect_envelope(OP, response, 400)
        expect_conforms(OP, response)
        after = _update(kibana, {})
        expect(
            _flag(after, FLAGS[0]) == flag,
            "a refused settings update was applied",
            received=f"{FLAGS[0]}: {after.get(FLAGS[0])!r} after the refused update sent {not flag!r}",
            documented=f"{FLAGS[0]}: {flag!r}, unchanged (a 400 answer means the body was not accepted)",
        )
