"""The redactor's fast paths (the sampled search for known secrets, the patterns tried only where a
match can start) redact exactly what searching for every form everywhere does."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kibana_conformance import redaction
from kibana_conformance.redaction import REDACTED, Redactor

# Words the patterns look for (in every case), characters that match ASCII letters without case (the long
# s, the dotless i, the dotted capital I, the Kelvin sign), quotes, escapes and URL pieces.
PIECES = [
    "Basic ", "basic  ", "BASIC ", "ApiKey ", "apikey\t", "Bearer ", "bEaReR ", "Authorization: ", "authorization=", "AUTHORIZATION:'",
    '"password": "', '\\"token\\": \\"', '"API_KEY" : "', '"access_token":"', '"secret": "', '"encoded":"', "\\", '"', "'",
    "https://", "HTTP://", "user:pw@", "@", "?", "&", ";", "=", "?api_key=", "&sig=", ";session=", "x", "0", " ", "\n",
    "baſic ", "authorızation:", "apiKey ", "ApI\u212aey ", "\u212aey", "authorİzation=", "İ", "é", "日本", "\U0001f600",
    "&quot;", "&amp;token=", ";sig=", "?x.y-key=",
]
SECRET_ALPHABET = st.text(alphabet="abcdefgh0123456789+/=_-:.%!é日", min_size=3, max_size=40)


def plain(redactor: Redactor, text: str) -> str:
    """The redactor without its fast paths: every form searched, every pattern run over everything."""
    for form in redactor._forms:
        if form in text:
            text = text.replace(form, REDACTED)
    text = redaction._AUTH_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    text = redaction._SECRET_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(3)}", text)
    text = redaction._USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)
    return redaction._SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


@st.composite
def texts_with_secrets(draw: st.DrawFn) -> tuple[list[str], str]:
    secrets = draw(st.lists(SECRET_ALPHABET, min_size=0, max_size=4))
    redactor = Redactor(secrets)
    forms = redactor._forms or ["none"]
    parts = draw(st.lists(st.one_of(st.sampled_from(PIECES), st.sampled_from(forms), st.text(max_size=12)), max_size=40))
    return secrets, "".join(parts)


@settings(max_examples=1000, deadline=None)
@given(texts_with_secrets())
def test_the_fast_paths_redact_what_the_plain_search_does(case: tuple[list[str], str]) -> None:
    secrets, text = case
    redactor = Redactor(secrets)
    assert redactor.text(text) == plain(redactor, text)


@settings(max_examples=200, deadline=None)
@given(SECRET_ALPHABET, st.integers(0, 40), st.text(max_size=30), st.text(max_size=30))
def test_a_secret_at_any_offset_is_found(secret: str, offset: int, before: str, after: str) -> None:
    """The sampled search looks at blocks that start at multiples of 8 bytes: a secret is found wherever it starts."""
    redactor = Redactor([secret])
    text = "x" * offset + before + secret + after
    assert secret not in redactor.text(text)
    assert secret not in redactor.text(json.dumps({"a": text}))


def test_secrets_added_while_in_use_are_found_and_forms_shared_by_two_secrets_kept() -> None:
    redactor = Redactor(["kct-first-secret-value"])
    assert redactor.text("a kct-first-secret-value b") == f"a {REDACTED} b"
    redactor.add("kct-second-secret-value")
    redactor.add("kct-first-secret-value")  # again: nothing changes
    assert redactor.text("kct-second-secret-value|kct-first-secret-value") == f"{REDACTED}|{REDACTED}"
    assert redactor.text("no secret at all, but Basic abcdefgh") == f"no secret at all, but Basic {REDACTED}"


def test_a_secret_that_redaction_itself_writes_ends() -> None:
    """A recorded header learnt as a secret can be "[REDACTED]" itself (or a piece of it): the text still comes back."""
    redactor = Redactor(["[REDACTED]", "ACT"])
    assert redactor.text("Basic [REDACTED] and ACT").count("ACT") <= 4


def test_a_short_text_of_long_bytes_is_searched() -> None:
    """13 characters, 15 bytes: long enough in bytes for the sampled search."""
    assert Redactor(["000000000000日"]).text("000000000000日") == REDACTED


def test_letters_that_match_without_case_outside_ascii_are_searched_everywhere() -> None:
    """The patterns match "baſic" and "authorızation" as "basic" and "authorization" (re's case folding);
    lower() does not find them there, so such a text is searched everywhere."""
    redactor = Redactor()
    for text in ("x baſic abcdefgh", "authorızation: abcdefgh", "ApI\u212aey abcdefgh", "\u0130 Basic abcdefgh", "日本 Bearer abcdefgh"):
        assert redactor.text(text) == plain(redactor, text) and "abcdefgh" not in redactor.text(text), text
