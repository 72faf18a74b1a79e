"""The suite's one vocabulary for what a target did wrong: a :class:`Finding`.

A finding is a broken requirement, with the target's answer (*received*) and what the document
or Kibana states (*documented*); every finding is a schemathesis ``Failure``, so the property
tests and the scenarios report alike. Each kind has its own class, code and check name. What
is not a finding (a transport problem after retries, an exception in the suite's own code) is
an *error*: the suite could not judge.
"""

from __future__ import annotations

from typing import ClassVar

from schemathesis.core.failures import Failure, Severity


class Finding(Failure):
    """The target broke a stated requirement."""

    code: ClassVar[str] = "KC100"
    check: ClassVar[str] = "scenario"
    kind_title: ClassVar[str] = "Requirement not met"

    def __init__(self, summary: str, received: str, documented: str, *, operation: str | None = None) -> None:
        super().__init__(operation=operation, title=summary, message=f"Received: {received}\nDocumented: {documented}", severity=Severity.MEDIUM)
        self.summary = summary
        self.received = received
        self.documented = documented

    def __str__(self) -> str:
        return f"{self.summary}\nReceived: {self.received}\nDocumented: {self.documented}"

    @property
    def _unique_key(self) -> str:
        return f"{self.code} {self.title}"


class ConformanceFailure(Finding):
    """A scenario's expectation not met (a status, an echo, a revision...)."""


class MalformedResponse(ConformanceFailure):
    """An answer a test cannot read as documented: not JSON, the wrong JSON type, a missing member, a timestamp without a zone."""

    code = "KC101"
    kind_title = "Malformed response"


class ErrorEnvelopeFailure(Finding):
    code = "KC201"
    check = "kibana_error_envelope"
    kind_title = "Error body is not Kibana's error envelope"


class ApiVersionHeaderFailure(Finding):
    code = "KC202"
    check = "api_version_header"
    kind_title = "Successful response without the elastic-api-version header"


class JsonContentTypeFailure(Finding):
    code = "KC203"
    check = "json_content_type"
    kind_title = "JSON body not declared as JSON"


class UndocumentedMethodFailure(Finding):
    code = "KC204"
    check = "undocumented_method_rejected"
    kind_title = "Undocumented method not refused"


class ResponseSchemaFailure(Finding):
    code = "KC205"
    check = "documented_response_schema"
    kind_title = "Response does not match the documented schema"


class AuthorizationFailure(Finding):
    """A privilege the document states was not enforced (or the refusal was not Kibana's)."""

    code = "KC301"
    check = "authorization"
    kind_title = "Privilege not enforced as documented"


FINDING_CLASSES: tuple[type[Finding], ...] = (
    ConformanceFailure,
    MalformedResponse,
    ErrorEnvelopeFailure,
    ApiVersionHeaderFailure,
    JsonContentTypeFailure,
    UndocumentedMethodFailure,
    ResponseSchemaFailure,
    AuthorizationFailure,
)
