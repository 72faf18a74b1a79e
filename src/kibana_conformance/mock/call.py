"""What a handler receives (one API call) and what it returns (a reply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..catalog import Operation

if TYPE_CHECKING:
    from .state import Store


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One API call, after authentication and with its parts parsed and validated."""

    op: Operation
    method: str
    space: str
    path_params: dict[str, str]
    raw_query: dict[str, list[str]]
    headers: dict[str, str]
    raw_body: bytes
    store: Store
    user: str | None = None
    privileges: frozenset[str] | None = None  # what the caller holds; None for a superuser
    path: str = ""  # the API path as sent, without a space prefix (Kibana's 403 messages name it)
    query_string: str = ""
    api_version: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    versioned: bool = True
    content_type: str = "application/json; charset=utf-8"
