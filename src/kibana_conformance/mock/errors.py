"""Kibana's error bodies, as the mock answers them."""

from __future__ import annotations

from typing import Any

from ..contract import BOOM_PHRASES


def reason_phrase(status: int) -> str:
    return BOOM_PHRASES.get(status, "Error")


class KibanaError(Exception):
    """An error answer: Kibana's ``{statusCode, error, message}`` envelope, or a variant of it.

    ``body`` replaces the envelope entirely (for documented variants such as
    ``{message, status_code}``); ``extra`` adds members to it (Fleet's ``errorType``).
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        extra: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        versioned: bool = False,
    ) -> None:
        super().__init__(message or reason_phrase(status))
        self.status = status
        self.message = message or reason_phrase(status)
        self.extra = extra or {}
        self._body = body
        self.headers = headers or {}
        self.versioned = versioned

    @property
    def body(self) -> dict[str, Any]:
        if self._body is not None:
            return self._body
        return {"statusCode": self.status, "error": reason_phrase(self.status), "message": self.message, **self.extra}


def not_found(message: str = "Not Found", **kwargs: Any) -> KibanaError:
    return KibanaError(404, message, **kwargs)


def bad_request(message: str, **kwargs: Any) -> KibanaError:
    return KibanaError(400, message, **kwargs)
