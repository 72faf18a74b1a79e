"""Exception list items: updates by id or item_id, spaces, comments and optimistic concurrency."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from kibana_conformance.contract import envelope_problems

from ..helpers import PASSWORD, USERNAME, assert_conforms, operation

OP = "put-exception-lists-items"
ITEMS = "/api/exception_lists/items"
DOCUMENT_REQUEST = {
    "name": "Updated name",
    "tags": [],
    "type": "simple",
    "entries": [{"type": "match", "field": "host.name", "value": "rock01", "operator": "included"}],
    "item_id": "simple_list_item",
    "comments": [],
    "description": "Updated description",
    "namespace_type": "single",
}
MINIMAL = {"name": "Renamed", "description": "Minimal update", "type": "simple", "entries": DOCUMENT_REQUEST["entries"]}
KEPT = ("id", "item_id", "list_id", "created_at", "created_by", "tie_breaker_id", "namespace_type")


def update(api: httpx.Client, body: dict[str, Any], space: str | None = None) -> httpx.Response:
    response = api.put((f"/s/{space}" if space else "") + ITEMS, json=body)
    assert_conforms(OP, response)
    return response


def stored(api: httpx.Client, item_id: str, space: str | None = "default") -> dict[str, Any]:
    """An item as the mock holds it; space None reads the space-agnostic items."""
    if space is not None:
        api.put(f"/s/{space}{ITEMS}", json={**MINIMAL, "item_id": "no-such-item"})  # seeds the space
    state = api.get("/_mock/state").json()
    items = state["shared"]["exception_lists"]["items"] if space is None else state["spaces"][space]["exception_lists"]["items"]
    return next(item for item in items.values() if item["item_id"] == item_id)


def seq_no(version: str) -> int:
    seq, term = json.loads(base64.b64decode(version))
    assert term == 1
    return int(seq)


def test_document_request_updates_the_seeded_item(api: httpx.Client) -> None:
    before = stored(api, "simple_list_item")
    response = update(api, DOCUMENT_REQUEST)
    assert response.status_code == 200
    body = response.json()
    for name in KEPT:
        assert body[name] == before[name], name
    assert body["list_id"] == "simple_list"
    assert (body["name"], body["description"]) == ("Updated name", "Updated description")
    assert body["entries"] == DOCUMENT_REQUEST["entries"]
    assert body["tags"] == [] and body["os_types"] == [] and body["comments"] == []
    assert body["updated_by"] == USERNAME
    assert body["updated_at"] > before["updated_at"]
    assert seq_no(body["_version"]) > seq_no(before["_version"])
    assert stored(api, "simple_list_item") == body


def test_update_by_id(api: httpx.Client) -> None:
    item = stored(api, "nightly_backup_agent")
    body = update(api, {**MINIMAL, "id": item["id"], "comments": item["comments"]}).json()
    assert body["id"] == item["id"] and body["item_id"] == "nightly_backup_agent"
    assert body["name"] == "Renamed"


def test_id_or_item_id_is_required(api: httpx.Client) -> None:
    # Kibana's handler answers a 404 in the Security Solution envelope, not a validation 400.
    response = update(api, MINIMAL)
    assert response.status_code == 404
    assert response.json() == {"message": "either id or item_id need to be defined", "status_code": 404}


def test_comments_are_append_only(api: httpx.Client) -> None:
    item = stored(api, "nightly_backup_agent")
    comments = [{"comment": "A new note"}, *item["comments"]]
    response = update(api, {**MINIMAL, "item_id": "nightly_backup_agent", "comments": comments})
    assert response.status_code == 400
    # The lists error helper writes the list of messages it is given as the message.
    assert response.json() == {"message": ['item "comments" are append only'], "status_code": 400}
    assert envelope_problems(operation(OP), 400, response.json()) == []
    assert stored(api, "nightly_backup_agent")["name"] == item["name"]
    # Checked before the item is looked up.
    assert update(api, {**MINIMAL, "comments": comments}).status_code == 400


def test_every_kind_of_entry_is_accepted_and_stripped_to_its_keys(api: httpx.Client) -> None:
    entries = [
        {"type": "match_any", "field": "host.name", "value": ["a", "b"], "operator": "excluded", "list": {"id": "x"}},
        {"type": "exists", "field": "user.name", "operator": "included", "value": "dropped"},
        {"type": "list", "field": "source.ip", "list": {"id": "blocked-ips", "type": "ip", "name": "dropped"}, "operator": "included"},
        {"type": "wildcard", "field": "file.path", "value": "C:\\temp\\*", "operator": "included"},
        {"type": "nested", "field": "file.Ext.code_signature", "operator": "dropped", "entries": [{"type": "exists", "field": "trusted", "operator": "included", "value": "x"}]},
    ]
    body = update(api, {**DOCUMENT_REQUEST, "entries": entries}).json()
    assert body["entries"] == [
        {"type": "match_any", "field": "host.name", "value": ["a", "b"], "operator": "excluded"},
        {"type": "exists", "field": "user.name", "operator": "included"},
        {"type": "list", "field": "source.ip", "list": {"id": "blocked-ips", "type": "ip"}, "operator": "included"},
        {"type": "wildcard", "field": "file.path", "value": "C:\\temp\\*", "operator": "included"},
        {"type": "nested", "field": "file.Ext.code_signature", "entries": [{"type": "exists", "field": "trusted", "operator": "included"}]},
    ]


def test_entries_of_no_known_kind_are_refused(api: httpx.Client) -> None:
    for entry in (
        {"type": "exists", "field": "user.name"},
        {"type": "match_any", "field": "host.name", "value": [], "operator": "included"},
        {"type": "nested", "field": "file", "entries": [{"type": "list", "field": "f", "list": {"id": "l", "type": "ip"}, "operator": "included"}]},
        {"type": "regex", "field": "host.name", "value": "x", "operator": "included"},
    ):
        assert update(api, {**DOCUMENT_REQUEST, "entries": [entry]}).status_code == 400, entry


def test_schema_violation_is_a_400(api: httpx.Client) -> None:
    response = update(api, {**DOCUMENT_REQUEST, "item_id": 5})
    assert response.status_code == 400
    assert response.json()["message"] == "[request body]: item_id: Expected string, received number"


def test_unknown_item_id_is_404(api: httpx.Client) -> None:
    response = update(api, {**MINIMAL, "item_id": "foo"})
    assert response.status_code == 404
    assert response.json() == {"message": 'exception list item item_id: "foo" does not exist', "status_code": 404}


def test_unknown_id_is_404(api: httpx.Client) -> None:
    response = update(api, {**MINIMAL, "id": "0f0e5b6a-0000-4000-8000-000000000000"})
    assert response.status_code == 404
    assert response.json() == {"message": 'exception list item id: "0f0e5b6a-0000-4000-8000-000000000000" does not exist', "status_code": 404}


def test_matching_version_updates_and_stale_version_conflicts(api: httpx.Client) -> None:
    current = stored(api, "simple_list_item")
    fresh = update(api, {**DOCUMENT_REQUEST, "_version": current["_version"]})
    assert fresh.status_code == 200
    stale = update(api, {**DOCUMENT_REQUEST, "name": "Lost update", "_version": current["_version"]})
    assert stale.status_code == 409
    found = fresh.json()["_version"]
    message = f"Conflict: version mismatch for id: {current['id']} provided: {current['_version']} found: {found}"
    assert stale.json() == {"message": message, "status_code": 409}
    assert stored(api, "simple_list_item")["name"] == "Updated name"


def test_versions_follow_one_deployment_wide_sequence(api: httpx.Client) -> None:
    versions = [update(api, DOCUMENT_REQUEST, space=space).json()["_version"] for space in (None, "team-a", None, "team-b")]
    assert [seq_no(v) for v in versions] == sorted({seq_no(v) for v in versions})


def test_omitted_lists_default_to_empty_and_meta_and_expire_time_are_kept(api: httpx.Client) -> None:
    before = stored(api, "nightly_backup_agent")
    assert before["tags"] and before["os_types"] and before["meta"]
    body = update(api, {**MINIMAL, "item_id": "nightly_backup_agent"}).json()
    # Kibana's update route: tags ?? [], os_types default [], the stored comments kept (utils transformUpdateComments).
    assert body["tags"] == [] and body["os_types"] == [] and body["comments"] == before["comments"]
    assert body["meta"] == before["meta"]
    assert "expire_time" not in body
    given = {"meta": {"ticket": "CHG0050000"}, "expire_time": "2030-01-01T00:00:00.000Z", "tags": ["backup"], "os_types": ["windows", "linux"]}
    body = update(api, {**MINIMAL, "item_id": "nightly_backup_agent", **given}).json()
    assert {name: body[name] for name in given} == given


def test_comments_new_ones_get_authorship_and_existing_ones_keep_theirs(api: httpx.Client) -> None:
    existing = stored(api, "nightly_backup_agent")["comments"][0]
    body = update(
        api,
        {**MINIMAL, "item_id": "nightly_backup_agent", "comments": [{"id": existing["id"], "comment": existing["comment"]}, {"comment": "Re-approved for 2025."}]},
    ).json()
    kept, added = body["comments"]
    assert kept == existing
    assert added["comment"] == "Re-approved for 2025."
    assert added["id"] and added["id"] != existing["id"]
    assert added["created_by"] == USERNAME and added["created_at"] == body["updated_at"]
    # A comment sent with an id changes nothing, and one left out stays: Kibana appends, never edits or drops.
    edited = update(api, {**MINIMAL, "item_id": "nightly_backup_agent", "comments": [{"id": existing["id"], "comment": "Scope narrowed to FS01."}], "_version": body["_version"]}).json()
    assert edited["comments"] == [kept, added]


def test_unknown_entry_keys_are_stripped(api: httpx.Client) -> None:
    entry = {**DOCUMENT_REQUEST["entries"][0], "list": {"id": "ignored"}}
    assert update(api, {**DOCUMENT_REQUEST, "entries": [entry]}).json()["entries"] == DOCUMENT_REQUEST["entries"]


def test_agnostic_items_are_shared_by_every_space(api: httpx.Client) -> None:
    request = {**MINIMAL, "item_id": "trusted_software_updater", "namespace_type": "agnostic"}
    first = update(api, {**request, "name": "Updater v2"}, space="team-a")
    assert first.status_code == 200
    assert first.json()["namespace_type"] == "agnostic" and first.json()["list_id"] == "endpoint_list"
    second = update(api, {**request, "_version": first.json()["_version"]})
    assert second.status_code == 200
    assert stored(api, "trusted_software_updater", space=None)["_version"] == second.json()["_version"]


def test_namespace_type_says_where_to_look(api: httpx.Client) -> None:
    assert update(api, {**MINIMAL, "item_id": "trusted_software_updater"}).status_code == 404
    assert update(api, {**MINIMAL, "item_id": "simple_list_item", "namespace_type": "agnostic"}).status_code == 404


def test_single_items_are_per_space(api: httpx.Client) -> None:
    seeded_version = stored(api, "simple_list_item")["_version"]
    assert update(api, {**DOCUMENT_REQUEST, "name": "Team A only"}, space="team-a").status_code == 200
    assert stored(api, "simple_list_item")["name"] == "Sample Exception List Item"
    assert update(api, {**DOCUMENT_REQUEST, "_version": seeded_version}).status_code == 200
    assert stored(api, "simple_list_item", space="team-a")["name"] == "Team A only"
    team_b = stored(api, "simple_list_item", space="team-b")
    assert team_b["id"] != stored(api, "simple_list_item")["id"]


def test_concurrent_writers_each_get_a_version_and_one_write_wins(api: httpx.Client, mock_server: Any) -> None:
    before = stored(api, "simple_list_item")

    def write(n: int) -> dict[str, Any]:
        with httpx.Client(base_url=mock_server.url, auth=(USERNAME, PASSWORD), headers={"kbn-xsrf": "true"}, timeout=30) as client:
            response = client.put(ITEMS, json={**DOCUMENT_REQUEST, "name": f"Writer {n}", "tags": [f"writer-{n}"]})
            assert response.status_code == 200, response.text
            return response.json()

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(write, range(32)))
    versions = {result["_version"] for result in results}
    assert len(versions) == 32
    assert min(seq_no(v) for v in versions) > seq_no(before["_version"])
    assert len({result["updated_at"] for result in results}) == 32
    final = stored(api, "simple_list_item")
    assert final in results
    assert final["_version"] == max(versions, key=seq_no)
    for result in results:
        n = int(result["name"].removeprefix("Writer "))
        assert result["tags"] == [f"writer-{n}"]
