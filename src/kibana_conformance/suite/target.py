"""The deployment under test, as the scenario tests see it: URLs, credentials, requests."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

import httpx
import pytest

from ..options import Settings
from ..transport import Wire
from .resources import Resources


def encode_api_key(key: str) -> str:
    """The header value for a key given encoded (as Kibana returns it) or as ``id:api_key``."""
    return base64.b64encode(key.encode()).decode() if ":" in key else key


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def principal_missing_reason(name: str) -> str:
    return (
        f"needs the principal {name!r}, and none was given: pass --principal {name}=ApiKey:KEY "
        "(or =basic:USER:PASSWORD) with credentials holding exactly those privileges (README, section Authorization)"
    )


class Target:
    """The deployment under test, reached through ``/s/{space}`` when a space is set."""

    def __init__(self, settings: Settings, base_url: str, wire: Wire, resources: Resources, divergences: Any = None) -> None:
        self.settings = settings
        # Where expect_conforms notes a known divergence a response shows (the run's observations).
        self.divergences = divergences
        self.base_url = base_url.rstrip("/")
        self.space_prefix = f"/s/{settings.space}" if settings.space else ""
        self.wire = wire
        self.resources = resources

    @property
    def auth_header(self) -> dict[str, str]:
        settings = self.settings
        if settings.api_key:
            return {"Authorization": f"ApiKey {encode_api_key(settings.api_key)}"}
        if settings.username:
            return {"Authorization": basic_header(settings.username, settings.password or "")}
        return {}

    def principal_header(self, name: str) -> dict[str, str]:
        """The credentials of the principal ``name``; a test that needs one the run was not given is skipped."""
        principal = self.settings.principal(name)
        if principal is None:
            pytest.skip(principal_missing_reason(name))
        if principal.api_key:
            return {"Authorization": f"ApiKey {encode_api_key(principal.api_key)}"}
        return {"Authorization": basic_header(principal.username or "", principal.password or "")}

    def wrong_auth_header(self, kind: str | None = None) -> dict[str, str]:
        """Wrong credentials of the given kind ("basic", "apikey", or "apikey-clear": id:key not Base64-encoded; default: the configured kind)."""
        kind = kind or ("apikey" if self.settings.api_key else "basic")
        if kind == "apikey-clear":
            return {"Authorization": "ApiKey kct-wrong-id:kct-wrong-key"}
        if kind == "apikey":
            return {"Authorization": "ApiKey " + base64.b64encode(b"kct-wrong-id:kct-wrong-key").decode()}
        return {"Authorization": basic_header(self.settings.username or "elastic", "kct-wrong-password")}

    def credential_labels(self) -> dict[str, str]:
        """The Authorization values this run sends, by whose they are (the HAR names them, replay chooses by the name):
        the run's own credentials, each principal's and the wrong ones the auth tests send."""
        labels = {self.wrong_auth_header(kind)["Authorization"]: f"wrong {kind}" for kind in ("basic", "apikey", "apikey-clear")}
        for principal in self.settings.principals:
            labels[self.principal_header(principal.name)["Authorization"]] = f"principal {principal.name}"
        if "Authorization" in self.auth_header:
            labels[self.auth_header["Authorization"]] = "run"
        return labels

    def api_url(self, path: str) -> str:
        return f"{self.base_url}{self.space_prefix}{path}"

    def space_url(self, space: str, path: str) -> str:
        return f"{self.base_url}/s/{space}{path}" if space != "default" else f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: str = "valid",
        xsrf: bool = True,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        space: str | None = None,
        params: Any = None,
        files: Any = None,
        data: Any = None,
        uses: Iterable[str] = (),
        expect_missing: bool = False,
    ) -> httpx.Response:
        """Send a request to an API path; ``auth`` is "valid", "none", "wrong" (optionally "wrong-KIND", see :meth:`wrong_auth_header`),
        or "as:NAME" for the credentials of the principal NAME (see :meth:`principal_header`).

        A 404 to a request that names one of the run's resources (in its path, or in ``uses``)
        skips the test with the one reason for a missing resource, unless ``expect_missing`` or
        an earlier success showed the resource exists.
        A transport problem raises :class:`~kibana_conformance.transport.TransportError`.
        """
        sent: dict[str, str] = {}
        if auth == "valid":
            sent.update(self.auth_header)
        elif auth.startswith("as:"):
            sent.update(self.principal_header(auth[3:]))
        elif auth.startswith("wrong"):
            sent.update(self.wrong_auth_header(auth.partition("-")[2] or None))
        if xsrf:
            sent["kbn-xsrf"] = "kibana-conformance"
        if json_body is not None:
            content = json.dumps(json_body)
            sent["content-type"] = "application/json"
        sent.update(headers or {})
        url = self.space_url(space, path) if space else self.api_url(path)
        request = httpx.Request(method, url, params=params, headers=sent, content=content, files=files, data=data)
        response = self.wire.send(request.method, str(request.url), headers=request.headers.multi_items(), content=request.read())
        response.request = request
        response.extensions["kct_divergences"] = self.divergences
        named = [*uses, *self.resources.named_in(request.url.path)]
        if 200 <= response.status_code < 300 and space is None:
            self.resources.confirm(named)
        elif response.status_code == 404 and not expect_missing:
            # A resource seen to exist is not missing: its 404 is the answer under test.
            self.resources.skip_missing(self.resources.unconfirmed(named))
        return response
