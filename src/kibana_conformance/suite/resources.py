"""Resources the suite addresses but cannot create through the documented operations.

Against the bundled mock, the entry point hands the suite the mock's seeded ids; against another
deployment, ``--resource NAME=VALUE`` names the target's own. A test whose resource is missing
is skipped, always with the same reason, through :meth:`Resources.skip_missing` (which
:class:`~kibana_conformance.suite.target.Target` calls on every 404 to a request that names one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class ResourceKind:
    name: str
    what: str  # what it is, for the skip reason
    how: str  # how to name one on a deployment


KINDS = (
    ResourceKind("outputId", "Fleet output", "the id of an Elasticsearch or Logstash output (Fleet > Settings > Outputs)"),
    ResourceKind("remoteOutputId", "remote Elasticsearch output", "the id of a remote Elasticsearch output with integration sync on"),
    ResourceKind("packagePolicyId", "package policy", "the id of a package policy that is not managed (Fleet > Agent policies > an integration)"),
    ResourceKind("managedPackagePolicyId", "managed package policy", "the id of a managed package policy, such as Fleet Server's"),
    ResourceKind("liveQueryId", "Osquery live query", "the id of a live query with results"),
    ResourceKind("liveQueryActionId", "Osquery live query action", "the action id of that live query"),
    ResourceKind("groupStream", "group stream", "the name of a group stream (Streams)"),
    ResourceKind("exceptionItemId", "exception list item", "the item_id of an exception list item in a single-space list"),
    ResourceKind("endpointId", "enrolled endpoint", "the agent id of an enrolled Elastic Defend endpoint"),
    ResourceKind("otherSpace", "second space", "the id of a space other than the one the run uses"),
)
BY_NAME = {kind.name: kind for kind in KINDS}
RESOURCE_NAMES = tuple(BY_NAME)
# Kibana's own ids, which exist on every deployment; the others have no default outside the bundled mock.
KIBANA_DEFAULTS = {"outputId": "fleet-default-output"}


class Resources:
    """The resources of a run: name to value, and the one skip reason when one is missing."""

    def __init__(self, values: Mapping[str, str]) -> None:
        unknown = set(values) - set(BY_NAME)
        if unknown:
            raise ValueError(f"unknown resource {sorted(unknown)[0]!r}; names are {', '.join(RESOURCE_NAMES)}")
        self._values = dict(values)
        # Resources a 2xx answer has shown to exist: a later 404 naming one of them is a wrong answer, not a missing resource.
        self._confirmed: set[str] = set()

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def __getitem__(self, name: str) -> str:
        """The value of a resource; a test that needs one the run was not given is skipped."""
        if name not in BY_NAME:
            raise KeyError(name)
        if name not in self._values:
            kind = BY_NAME[name]
            pytest.skip(f"needs a {kind.what}, and none was named: pass --resource {name}=VALUE ({kind.how})")
        return self._values[name]

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def as_dict(self) -> dict[str, str]:
        return dict(self._values)

    def missing_reason(self, name: str) -> str:
        kind = BY_NAME[name]
        return (
            f"{kind.what} {self._values.get(name)!r} ({name}) does not exist on the target; "
            f"name an existing one with --resource {name}=VALUE ({kind.how})"
        )

    def skip_missing(self, names: Iterable[str]) -> None:
        names = list(names)
        if names:
            pytest.skip(self.missing_reason(names[0]))

    def named_in(self, path: str) -> list[str]:
        """The resources whose value is a segment of ``path``."""
        segments = set(path.split("/"))
        return [name for name, value in self._values.items() if value in segments and name != "otherSpace"]

    def confirm(self, names: Iterable[str]) -> None:
        self._confirmed.update(names)

    def unconfirmed(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if name not in self._confirmed]
