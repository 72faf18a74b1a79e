"""Exception list items: ``single`` items live in their space, ``agnostic`` ones in every space.

Each item is a saved object whose ``_version`` is Elasticsearch's optimistic-concurrency token:
base64 of ``[seq_no, primary_term]``, with one seq_no sequence for the whole deployment.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from ..errors import KibanaError
from ..state import Backend, new_id

# Seeded ids are derived from the space so they stay stable across resets and differ per space.
ID_NAMESPACE = uuid.UUID("c4f1e0b2-59a3-4d8e-b6f7-0e2d7a9c1358")
PRIMARY_TERM = 1
SEEDED_SEQ_NO = 12  # seeds use versions up to here; updates continue the sequence
UPDATABLE_FIELDS = ("name", "description", "type")
# Kibana's zod schemas strip keys they do not know; each kind of entry keeps exactly these.
ENTRY_KEYS = {
    "match": ("type", "field", "value", "operator"),
    "match_any": ("type", "field", "value", "operator"),
    "wildcard": ("type", "field", "value", "operator"),
    "exists": ("type", "field", "operator"),
    "list": ("type", "field", "list", "operator"),
    "nested": ("type", "field", "entries"),
}
LIST_REFERENCE_KEYS = ("id", "type")
LIST_DEFAULTS = ("tags", "os_types")
# Kibana writes with a partial saved-object update, so these keep their value when omitted.
KEPT_WHEN_OMITTED = ("meta", "expire_time")


def encode_version(seq_no: int) -> str:
    return base64.b64encode(json.dumps([seq_no, PRIMARY_TERM], separators=(",", ":")).encode()).decode()


def _object_id(namespace: str, item_id: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{namespace}/{item_id}"))


def _item(namespace: str, namespace_type: str, seq_no: int, **fields: Any) -> dict[str, Any]:
    item_id = fields["item_id"]
    return {
        "id": _object_id(namespace, item_id),
        "tie_breaker_id": _object_id(namespace, f"tie-breaker/{item_id}"),
        "namespace_type": namespace_type,
        "_version": encode_version(seq_no),
        "created_by": "elastic",
        "updated_by": "elastic",
        **fields,
    }


def _seeded_items(space: str) -> list[dict[str, Any]]:
    return [
        _item(
            space,
            "single",
            3,
            item_id="simple_list_item",
            list_id="simple_list",
            name="Sample Exception List Item",
            description="This is a sample exception list item",
            type="simple",
            entries=[{"type": "match", "field": "host.name", "value": "rock01", "operator": "included"}],
            tags=["malware"],
            os_types=["linux"],
            comments=[],
            created_at="2025-01-07T21:12:25.512Z",
            updated_at="2025-01-07T21:12:25.512Z",
        ),
        _item(
            space,
            "single",
            5,
            item_id="nightly_backup_agent",
            list_id="simple_list",
            name="Nightly backup agent",
            description="Veeam backup jobs read every file share between 01:00 and 03:00.",
            type="simple",
            entries=[{"type": "match", "field": "process.name", "value": "VeeamAgent.exe", "operator": "included"}],
            tags=["backup", "it-ops"],
            os_types=["windows"],
            comments=[
                {
                    "id": _object_id(space, "comment/nightly_backup_agent/1"),
                    "comment": "Approved by the infrastructure team, see change CHG0041873.",
                    "created_at": "2025-01-08T09:41:07.301Z",
                    "created_by": "elastic",
                }
            ],
            meta={"ticket": "CHG0041873"},
            created_at="2025-01-08T09:41:07.301Z",
            updated_at="2025-01-08T09:41:07.301Z",
        ),
    ]


def _seeded_agnostic_items() -> list[dict[str, Any]]:
    """The Elastic Defend endpoint exception list is space-agnostic."""
    return [
        _item(
            "agnostic",
            "agnostic",
            8,
            item_id="trusted_software_updater",
            list_id="endpoint_list",
            name="Corporate software updater",
            description="Signed updater pushed by the desktop team to every workstation.",
            type="simple",
            entries=[
                {"type": "match", "field": "process.executable.caseless", "value": "c:\\program files\\acme\\updater\\acmeupdate.exe", "operator": "included"}
            ],
            tags=["policy:all"],
            os_types=["windows"],
            comments=[],
            created_at="2024-11-19T14:02:51.876Z",
            updated_at="2024-11-19T14:02:51.876Z",
        )
    ]


def stripped_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as Kibana's zod schema leaves it: only the keys of its kind, nested ones too."""
    kept = {key: entry[key] for key in ENTRY_KEYS[entry["type"]] if key in entry}
    if "list" in kept:
        kept["list"] = {key: kept["list"][key] for key in LIST_REFERENCE_KEYS if key in kept["list"]}
    if "entries" in kept:
        kept["entries"] = [stripped_entry(inner) for inner in kept["entries"]]
    return kept


def check_comments_append_only(comments: list[dict[str, Any]]) -> None:
    """Kibana refuses a comment with an id after one without (new comments go last), before any lookup.

    Its lists error helper writes the body it is given as ``message``: here a list of messages.
    """
    seen_new = False
    for comment in comments:
        if comment.get("id") is None:
            seen_new = True
        elif seen_new:
            raise KibanaError(400, body={"message": ['item "comments" are append only'], "status_code": 400})


class ExceptionListsBackend(Backend):
    area = "exception_lists"

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        return {"items": {item["id"]: item for item in _seeded_items(space)}}

    @classmethod
    def seed_shared(cls) -> dict[str, Any]:
        return {"seq_no": SEEDED_SEQ_NO, "items": {item["id"]: item for item in _seeded_agnostic_items()}}

    def _items(self, namespace_type: str) -> dict[str, dict[str, Any]]:
        return self.shared["items"] if namespace_type == "agnostic" else self.data["items"]

    def _find(self, request: dict[str, Any], namespace_type: str) -> dict[str, Any]:
        items = self._items(namespace_type)
        if request.get("id") is not None:
            found = items.get(request["id"])
            wanted = f'id: "{request["id"]}"'
        elif request.get("item_id") is not None:
            found = next((item for item in items.values() if item["item_id"] == request["item_id"]), None)
            wanted = f'item_id: "{request["item_id"]}"'
        else:
            # Kibana's handler answers this with a 404 in the Security Solution envelope, not a 400.
            raise KibanaError(404, body={"message": "either id or item_id need to be defined", "status_code": 404})
        if found is None:
            message = f"exception list item {wanted} does not exist"
            raise KibanaError(404, body={"message": message, "status_code": 404})
        return found

    def _next_version(self) -> str:
        self.shared["seq_no"] += 1
        return encode_version(self.shared["seq_no"])

    def _comments(self, requested: list[dict[str, Any]], existing: list[dict[str, Any]], user: str, now: str) -> list[dict[str, Any]]:
        """Kibana's rule: the stored comments stay as they are and the new ones (sent without an id) are appended
        with an id and authorship; a comment sent with an id changes nothing (lists utils, transformUpdateComments)."""
        added = [
            {"id": new_id(), "comment": request["comment"], "created_at": now, "created_by": user}
            for request in requested
            if not request.get("id")
        ]
        return [*existing, *added]

    def update_item(self, request: dict[str, Any], user: str) -> dict[str, Any]:
        check_comments_append_only(request.get("comments", []))
        namespace_type = request.get("namespace_type", "single")
        item = self._find(request, namespace_type)
        given = request.get("_version")
        if given is not None and given != item["_version"]:
            message = f"Conflict: version mismatch for id: {item['id']} provided: {given} found: {item['_version']}"
            raise KibanaError(409, body={"message": message, "status_code": 409})
        now = self.clock.now()
        # A new record rather than an in-place edit: the reply is serialized after the handler
        # lock is released, so a record handed out must never change afterwards.
        updated = {
            **item,
            **{name: request[name] for name in UPDATABLE_FIELDS},
            "entries": [stripped_entry(entry) for entry in request["entries"]],
            **{name: request.get(name, []) for name in LIST_DEFAULTS},
            **{name: request[name] for name in KEPT_WHEN_OMITTED if name in request},
            "comments": self._comments(request.get("comments", []), item["comments"], user, now),
            "_version": self._next_version(),
            "updated_at": now,
            "updated_by": user,
        }
        self._items(namespace_type)[item["id"]] = updated
        return updated
