"""Concurrent writers: no lost update, no repeated or skipped revision or version.

32 threads, each with its own client (its own connection), start together on a barrier.
Concurrent exception item writers are covered in test_exception_lists.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from kibana_conformance.mock import MockServer

from ..helpers import PASSWORD, USERNAME

WRITERS = 32
UPDATES_EACH = 4
POLICY = "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"  # the seeded system-1 package policy
POLICY_URL = f"/api/fleet/package_policies/{POLICY}"
CONVERSATIONS = "/api/security_ai_assistant/current_user/conversations"

T = TypeVar("T")


def together(mock_server: MockServer, work: Callable[[httpx.Client, int], T]) -> list[T]:
    """``work(client, n)`` for n in 0..WRITERS-1, each in its own thread with its own client,
    released at the same moment so that the requests overlap."""
    barrier = threading.Barrier(WRITERS)

    def run(n: int) -> T:
        with httpx.Client(base_url=mock_server.url, auth=(USERNAME, PASSWORD), headers={"kbn-xsrf": "true"}, timeout=30) as client:
            barrier.wait(timeout=30)
            return work(client, n)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        return list(pool.map(run, range(WRITERS)))


def stored_policy(api: httpx.Client) -> dict[str, Any]:
    return api.get("/_mock/state").json()["spaces"]["default"]["fleet"]["package_policies"][POLICY]


def test_package_policy_revisions_are_contiguous_and_none_is_lost(api: httpx.Client, mock_server: MockServer) -> None:
    initial = stored_policy(api)["revision"]

    def update(client: httpx.Client, n: int) -> list[tuple[int, str]]:
        answers = []
        for i in range(UPDATES_EACH):
            response = client.put(POLICY_URL, json={"description": f"writer {n} update {i}"})
            assert response.status_code == 200, response.text
            item = response.json()["item"]
            answers.append((item["revision"], item["description"]))
        return answers

    answers = dict(answer for per_writer in together(mock_server, update) for answer in per_writer)
    assert len(answers) == WRITERS * UPDATES_EACH, "a revision was handed out twice"
    assert sorted(answers) == list(range(initial + 1, initial + 1 + len(answers)))
    final = stored_policy(api)
    assert final["revision"] == initial + len(answers)
    assert final["description"] == answers[final["revision"]], "the stored policy is not the last write's"


def test_package_policy_version_lets_exactly_one_of_the_concurrent_writers_win(api: httpx.Client, mock_server: MockServer) -> None:
    before = stored_policy(api)

    def update(client: httpx.Client, n: int) -> int:
        return client.put(POLICY_URL, json={"description": f"writer {n}", "version": before["version"]}).status_code

    statuses = together(mock_server, update)
    assert sorted(statuses) == [200] + [409] * (WRITERS - 1)
    assert stored_policy(api)["revision"] == before["revision"] + 1


def test_fleet_settings_versions_are_all_distinct(api: httpx.Client, mock_server: MockServer) -> None:
    def update(client: httpx.Client, n: int) -> str:
        response = client.put("/api/fleet/settings", json={"prerelease_integrations_enabled": n % 2 == 0})
        assert response.status_code == 200, response.text
        return response.json()["item"]["version"]

    versions = together(mock_server, update)
    assert len(set(versions)) == WRITERS
    assert api.get("/_mock/state").json()["shared"]["fleet"]["settings"]["version"] in versions


def test_conversations_created_concurrently_all_exist(api: httpx.Client, mock_server: MockServer) -> None:
    def create(client: httpx.Client, n: int) -> str:
        response = client.post(CONVERSATIONS, json={"id": f"kct-concurrent-{n}", "title": f"Conversation {n}"})
        assert response.status_code == 200, response.text
        return response.json()["id"]

    ids = together(mock_server, create)
    assert sorted(ids) == sorted(f"kct-concurrent-{n}" for n in range(WRITERS))
    stored = api.get("/_mock/state").json()["spaces"]["default"]["ai_assistant"]["conversations"]
    assert set(ids) <= set(stored)
    for n, conversation_id in enumerate(ids):
        assert stored[conversation_id]["title"] == f"Conversation {n}"
        again = api.post(CONVERSATIONS, json={"id": conversation_id, "title": "second"})
        assert again.status_code == 409, again.text
        assert again.json() == {"message": f'conversation id: "{conversation_id}" already exists', "status_code": 409}


def test_concurrent_creates_of_one_id_make_one_conversation(api: httpx.Client, mock_server: MockServer) -> None:
    def create(client: httpx.Client, n: int) -> int:
        return client.post(CONVERSATIONS, json={"id": "kct-contested", "title": f"Conversation {n}"}).status_code

    assert sorted(together(mock_server, create)) == [200] + [409] * (WRITERS - 1)
