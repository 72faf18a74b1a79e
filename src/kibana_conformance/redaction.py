"""The one redaction point: every artifact of a run (terminal, results.json, HTML, JUnit, Allure,
HAR, logs) passes through a :class:`Redactor` before it is written.

It removes the configured credentials in every encoding they can take on the way out (as given,
Base64 alone and as ``user:password``, the ``id:key`` halves of an API key, percent-encoded,
JSON- and HTML-escaped), credential-like query parameters of every URL (``?token=``, ``&password=``),
``Authorization``-like header values, and the secrets a target issues during the run (an APM agent key), which the
suite registers with :meth:`Redactor.add` as soon as it sees them.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import struct
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key", "es-secondary-authorization"})
# Fields whose value a target issues as a secret (a new API key, a token), whatever its value.
SECRET_FIELDS = ("api_key", "encoded", "password", "secret", "token", "access_token", "refresh_token", "service_token")
MIN_SECRET_LENGTH = 3
# "Authorization: Bearer X" keeps its scheme and loses X (the scheme alone is no secret).
_AUTH_VALUE = re.compile(r"(?i)\b(authorization\s*[:=]\s*[\"']?(?:(?:Basic|ApiKey|Bearer)\s+)?|Basic\s+|ApiKey\s+|Bearer\s+)([A-Za-z0-9+/=._:~-]{6,})")
_USERINFO = re.compile(r"(?i)(https?://)[^/@\s\"'<>]+@")
# Query parameters that carry credentials (the rest of a query is what a reproduction needs).
_SECRET_NAME = r"[\w.-]*(?:pass|token|secret|auth|key|sig|session|credential)[\w.-]*"
_SECRET_QUERY = re.compile(r"(?i)([?&;]" + _SECRET_NAME + r"=)[^&#;\s\"'<>]*")
_SECRET_PARAMETER = re.compile(r"(?i)" + _SECRET_NAME)
_SECRET_FIELD = re.compile(r'(?i)((?:\\?")(?:' + "|".join(SECRET_FIELDS) + r')(?:\\?")\s*:\s*)(\\?")(?:[^"\\]|\\.)*?(\\?")')
# Where a match of each pattern can start, as (lower-case word, offsets before it): every match of
# _AUTH_VALUE starts at one of its words, of _SECRET_FIELD one or two characters before one (the quote,
# maybe escaped), of _USERINFO at "http", of _SECRET_QUERY at a delimiter (and it holds one of the
# words). Only there are the patterns tried (see _sub_at and _folded).
_AUTH_STARTS = (("authorization", (0,)), ("basic", (0,)), ("apikey", (0,)), ("bearer", (0,)))
_FIELD_STARTS = tuple((name, (1, 2)) for name in SECRET_FIELDS)
_USERINFO_STARTS = (("http", (0,)),)
_QUERY_STARTS = (("?", (0,)), ("&", (0,)), (";", (0,)))
_QUERY_WORDS = ("pass", "token", "secret", "auth", "key", "sig", "session", "credential")
# The characters besides an ASCII letter's two cases that a pattern's letters match without case, and
# that lower() does not turn into that letter: İ (lower() makes it two characters), ı and ſ.
_FOLDED_APART = ("\u0131", "\u017f")
# The known-secret search: a secret form at least SAMPLED_MIN bytes long that is in a text holds one of
# the text's GRAM-byte blocks that start at a multiple of GRAM; every GRAM-byte piece of every form (at
# each offset) is kept with the forms it is part of, so one pass over the text's blocks (struct and a set
# intersection, in C) names the few forms that can be in it. Shorter forms are looked for one by one.
GRAM = 10
SAMPLED_MIN = 2 * GRAM - 1
_BLOCKS = struct.Struct(f"{GRAM}s")


def _encodings(secret: str) -> set[str]:
    """The forms a secret can take in an artifact."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1], html.escape(secret)}
    forms.add(base64.b64encode(secret.encode()).decode())
    forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    forms.add(base64.urlsafe_b64encode(secret.encode()).decode())
    return forms


class Redactor:
    """Replaces secrets by ``[REDACTED]`` in text; thread-safe, and secrets can be added while it is in use."""

    def __init__(self, secrets: Iterable[str] = (), *, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._lock = threading.Lock()
        self._forms: list[str] = []
        self._known: set[str] = set()
        # Replaced, never changed in place (text() reads them without the lock): the forms each piece of a
        # long form is part of, and the short forms.
        self._owners: dict[tuple[bytes], tuple[str, ...]] = {}
        self._short: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)
        for user, password in pairs:
            self.add_pair(user, password)

    @property
    def count(self) -> int:
        """How many secrets were added (cheap: to tell whether :attr:`secrets` changed)."""
        return len(self._known)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What was added (to hand to another process's redactor)."""
        with self._lock:
            return tuple(sorted(self._known))

    def add(self, secret: str | None) -> None:
        """A secret, with its encodings; an API key given as ``id:key`` or encoded also adds its halves."""
        if not secret or len(secret) < MIN_SECRET_LENGTH or secret in self._known:  # a known one: nothing to do (traffic repeats them)
            return
        forms = _encodings(secret)
        plain = _decoded_api_key(secret) or secret
        if ":" in plain:
            # id:api_key (or user:password): the whole, and the secret half alone (an id is not secret).
            forms |= _encodings(plain) | _encodings(plain.split(":", 1)[1])
        forms = {f for f in forms if len(f) >= MIN_SECRET_LENGTH}
        with self._lock:
            self._known.add(secret)
            new = forms - set(self._forms)
            if not new:
                return
            self._forms = sorted({*self._forms, *new}, key=len, reverse=True)
            owners = dict(self._owners)
            for form in new:
                data = form.encode("utf-8", "surrogatepass")
                if len(data) < SAMPLED_MIN:
                    self._short = (*self._short, form)
                    continue
                for piece in {(data[i : i + GRAM],) for i in range(len(data) - GRAM + 1)}:
                    owners[piece] = (*owners.get(piece, ()), form)
            self._owners = owners

    def add_pair(self, user: str, password: str) -> None:
        """Basic credentials: the password, and ``user:password`` as the header carries it."""
        self.add(password)
        if password:
            self.add(f"{user}:{password}")

    def learn_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        """The secrets a recorded exchange carries (traffic the suite did not send, such as a browser's HAR):
        the credentials of Authorization-like headers and every cookie's value."""
        for name, value in headers:
            lowered = str(name).lower()
            if lowered not in SECRET_HEADERS or not value:
                continue
            value = str(value)
            if lowered in ("cookie", "set-cookie"):
                for part in value.split(";"):
                    self.add(part.partition("=")[2].strip())
                continue
            scheme, _, credentials = value.strip().partition(" ")
            self.add(credentials.strip() or scheme)
            decoded = _basic_credentials(credentials.strip()) if scheme.lower() == "basic" else None
            if decoded:
                self.add_pair(*decoded)

    def text(self, text: str) -> str:
        if not text:
            return text
        with self._lock:
            owners, short = self._owners, self._short
        for _ in range(2):  # once more after a replacement: a form may straddle what it left
            replaced = False
            for form in _candidates(text, owners, short):
                if form in text:
                    text, replaced = text.replace(form, REDACTED), True
            if not replaced:
                break
        lower = _folded(text)
        text, lower = _sub_at(_AUTH_VALUE, text, lower, _AUTH_STARTS, lambda m: m.group(1) + REDACTED)
        text, lower = _sub_at(_SECRET_FIELD, text, lower, _FIELD_STARTS, lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(3)}")
        if "@" in text:
            text, lower = _sub_at(_USERINFO, text, lower, _USERINFO_STARTS, lambda m: m.group(1) + REDACTED + "@")
        if "=" in text and (lower is None or any(word in lower for word in _QUERY_WORDS)):
            text, lower = _sub_at(_SECRET_QUERY, text, lower, _QUERY_STARTS, lambda m: m.group(1) + REDACTED)
        return text

    def headers(self, headers: Any) -> dict[str, str]:
        items = headers.multi_items() if hasattr(headers, "multi_items") else dict(headers).items()
        return {k: (REDACTED if k.lower() in SECRET_HEADERS else self.text(str(v))) for k, v in items}

    def data(self, value: Any) -> Any:
        """A JSON-like value with every string redacted (keys too)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


def _candidates(text: str, owners: dict[tuple[bytes], tuple[str, ...]], short: tuple[str, ...]) -> list[str]:
    """The secret forms that may be in ``text``, longest first: every one that is, and a few more."""
    found = {form for form in short if form in text}
    if owners:
        data = memoryview(text.encode("utf-8", "surrogatepass"))
        for piece in set(filter(owners.__contains__, _BLOCKS.iter_unpack(data[: len(data) - len(data) % GRAM]))):
            found.update(owners[piece])
    return sorted(found, key=len, reverse=True)


def _folded(text: str) -> str | None:
    """The text in lower case, position for position, when a word of the patterns matches it without case
    exactly where the lower-case word is in it; None otherwise (then the patterns search everywhere)."""
    lower = text.lower()
    if len(lower) != len(text) or (not text.isascii() and any(c in text for c in _FOLDED_APART)):
        return None
    return lower


def _sub_at(pattern: re.Pattern[str], text: str, lower: str | None, starts: tuple[tuple[str, tuple[int, ...]], ...], replace: Any) -> tuple[str, str | None]:
    """``pattern.sub(replace, text)`` and the result in lower case (:func:`_folded`), trying the pattern only
    ``back`` characters before each of the ``starts`` words in ``lower`` (None: everywhere)."""
    if lower is None:
        text = pattern.sub(replace, text)
        return text, _folded(text)
    positions = set()
    for word, backs in starts:
        found = lower.find(word)
        while found >= 0:
            positions.update(found - back for back in backs if found >= back)
            found = lower.find(word, found + 1)
    if not positions:
        return text, lower
    parts, end = [], 0
    for position in sorted(positions):
        if position < end:
            continue
        match = pattern.match(text, position)
        if match is not None and match.end() > position:
            parts += [text[end:position], replace(match)]
            end = match.end()
    if not parts:
        return text, lower
    text = "".join(parts) + text[end:]
    return text, _folded(text)


def redact_query(text: str) -> str:
    """The values of credential-like query parameters in every URL of ``text`` replaced (no secret needs to be known)."""
    return _SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


def is_secret_parameter(name: str) -> bool:
    """A query parameter whose value is a credential (``token``, ``apikey``, ``password``...), as in a URL's redaction."""
    return _SECRET_PARAMETER.fullmatch(name) is not None


def _basic_credentials(token: str) -> tuple[str, str] | None:
    try:
        user, sep, password = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (user, password) if sep else None


def _decoded_api_key(text: str) -> str | None:
    """``id:key`` for a Base64-encoded API key, None when it is not one."""
    try:
        decoded = base64.b64decode(text, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded if ":" in decoded and decoded.isprintable() else None


ISSUED_SCAN_LIMIT = 1_000_000


def issued_secrets(content: bytes, content_type: str) -> list[str]:
    """The values of secret-named fields in a JSON answer (a new API key, a token): the target issued them."""
    if "json" not in content_type.lower() or not content or len(content) > ISSUED_SCAN_LIMIT:
        return []
    try:
        body = json.loads(content)
    except ValueError:
        return []
    found: list[str] = []
    pending = [body]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and str(key).lower() in SECRET_FIELDS and len(value) >= MIN_SECRET_LENGTH:
                    found.append(value)
                elif isinstance(value, (dict, list)):
                    pending.append(value)
        elif isinstance(node, list):
            pending.extend(v for v in node if isinstance(v, (dict, list)))
    return found
