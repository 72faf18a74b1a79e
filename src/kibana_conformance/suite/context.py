"""One conformance run, as every part of the suite sees it: created once per process by the
plugin and kept in ``config.stash`` (never in a module global).

It holds the settings, the target and the client that reaches it, the run id, prefix and seed,
the resources, what the run observes (coverage, footprint, known divergences), the issued
secrets to redact, and the schemathesis schemas of the property tests (built on first use).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..catalog import load_catalog
from ..options import Settings
from ..redaction import Redactor, issued_secrets
from ..transport import Exchange, Wire
from .footprint import Footprint, Restorer
from .observed import Coverage, Divergences
from .resources import Resources
from .target import Target


def new_run_id() -> str:
    return secrets.token_hex(3)


def new_seed() -> int:
    return secrets.randbelow(2**31)


@dataclass
class RunContext:
    settings: Settings
    base_url: str
    run_id: str
    seed: int
    resources: Resources
    redactor: Redactor
    embedded: bool = False
    kibana_version: str | None = None
    workers: int = 1  # pytest-xdist processes sharing the rate limit
    wire: Wire = field(init=False)
    target: Target = field(init=False)
    coverage: Coverage = field(init=False)
    footprint: Footprint = field(init=False)
    divergences: Divergences = field(init=False)
    restorer: Restorer | None = None
    gate: Any = None
    notes: list[str] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)
    mock_stats: Callable[[], dict[str, Any]] | None = None  # the bundled mock's /_mock/stats, when it is the target
    _schemas: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        rate = self.settings.rate_limit
        self.wire = Wire(timeout=self.settings.timeout, verify=self.settings.verify, rate=rate / self.workers if rate else None)
        self.divergences = Divergences(lambda: self.kibana_version)
        self.target = Target(self.settings, self.base_url, self.wire, self.resources, self.divergences)
        catalog = load_catalog()
        self.coverage = Coverage(catalog)
        self.footprint = Footprint(catalog)
        self.wire.observers += [self._learn_issued_secrets, self.coverage.observe, self.footprint.observe]

    def _learn_issued_secrets(self, exchange: Exchange) -> None:
        """A secret the target issues (a new API key) is redacted like the run's own credentials, from the moment it is seen."""
        content_type = next((v for k, v in exchange.response_headers if k.lower() == "content-type"), "")
        for secret in issued_secrets(exchange.response_body, content_type):
            self.redactor.add(secret)

    @property
    def prefix(self) -> str:
        """Names of everything this run creates start with it, so they can be told apart."""
        return f"kct-{self.run_id}-"

    @property
    def rate(self) -> float | None:
        return self.wire.limiter.interval ** -1 if self.wire.limiter else None

    def schema(self, purpose: str) -> Any:
        """The schemathesis schema of the property tests for ``purpose`` (positive or negative), built once."""
        if purpose not in self._schemas:
            from .properties import build_schema

            self._schemas[purpose] = build_schema(self, purpose)
        return self._schemas[purpose]

    def describe_target(self) -> str:
        kind = "the bundled mock" if self.embedded else "target"
        version = f", Kibana {self.kibana_version}" if self.kibana_version else ""
        space = f", space {self.settings.space}" if self.settings.space else ""
        mode = ", read-only" if self.settings.read_only else ""
        rate = f", at most {self.settings.rate_limit:g} requests/s" if self.settings.rate_limit else ""
        return f"{kind} {self.redactor.text(self.base_url)}{version}{space}{mode}{rate}"

    def close(self) -> None:
        self.wire.close()
        while self.closers:
            self.closers.pop()()


def new_context(
    settings: Settings, base_url: str, resources: dict[str, str], *, embedded: bool, seed: int | None = None, run_id: str | None = None, workers: int = 1
) -> RunContext:
    """A run's context; the user's ``--resource`` values override ``resources`` (the defaults)."""
    pairs = [(settings.username, settings.password)] if settings.username and settings.password else []
    pairs += [(p.username, p.password) for p in settings.principals if p.username and p.password]
    return RunContext(
        settings=settings,
        base_url=base_url,
        run_id=run_id or new_run_id(),
        seed=seed if seed is not None else (settings.seed if settings.seed is not None else new_seed()),
        resources=Resources({**resources, **dict(settings.resources)}),
        redactor=Redactor(settings.secrets, pairs=pairs),
        embedded=embedded,
        workers=workers,
    )
