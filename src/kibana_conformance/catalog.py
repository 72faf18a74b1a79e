"""The catalog: the operation schema files under ``schemas/``, loaded once and indexed.

Each file describes one documented operation (see ``schemas/README.md``). The catalog
exposes them as :class:`Operation` objects with compiled validators for every part.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry, Resource

from .paths import cache_folder
from .versions import not_accepted

SEED_DOCUMENT = "000_77863d4e6b7d5556.txt"
META_SCHEMA_FILE = "meta-schema.json"
API_VERSION = "2023-10-31"
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
# JSON Schema patterns are ECMA-262 regular expressions, and Kibana (JavaScript) is what the schemas
# describe: its whitespace is not Python's (Python's \s also matches \x1c-\x1f and \x85, not \ufeff).
ECMA_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
ECMA_CLASSES = {"\\s": f"[{ECMA_WHITESPACE}]", "\\S": f"[^{ECMA_WHITESPACE}]", "\\d": "[0-9]", "\\D": "[^0-9]"}


@functools.cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """A Python regex with ECMA-262 meanings for \\s, \\S, \\d and \\D (outside character classes)."""
    translated = re.sub(r"(?<!\\)\\[sSdD]", lambda m: ECMA_CLASSES[m.group(0)], pattern)
    return re.compile(translated)


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


class CatalogError(Exception):
    """A schema file is missing, unreadable or inconsistent, or an operation is unknown."""


@dataclass(frozen=True)
class Example:
    """One example the document gives for a request or a response."""

    operation_id: str
    kind: str  # "request" or "response"
    status: str | None
    content_type: str
    name: str
    summary: str
    value: Any
    lines: tuple[int, int] | None


@dataclass(frozen=True)
class KnownDivergence:
    """Where Kibana's behaviour differs from the document, as a schema decision records it (``divergence``),
    with the Kibana versions it is observed in (``since`` inclusive, ``until`` exclusive, either unknown),
    the evidence, and the date after which it is no longer accepted without a review (``expires``)."""

    operation: str
    decision: str
    summary: str
    evidence: tuple[dict[str, Any], ...]
    since: str | None = None
    until: str | None = None
    expires: dt.date | None = None

    def refusal(self, version: str | None, today: dt.date) -> str | None:
        """Why the divergence is not accepted for a target of ``version`` on ``today`` (None: it is)."""
        return not_accepted(version, self.since, self.until, self.expires, today)

    def as_dict(self) -> dict[str, Any]:
        """As results.json shows it."""
        return {
            "operation": self.operation,
            "decision": self.decision,
            "summary": self.summary,
            "since": self.since,
            "until": self.until,
            "expires": self.expires.isoformat() if self.expires else None,
            "evidence": list(self.evidence),
        }


def known_divergence(operation: str, decision: dict[str, Any]) -> KnownDivergence:
    """A decision with a ``divergence`` as a :class:`KnownDivergence`."""
    expires = decision.get("expires")
    try:
        day = dt.date.fromisoformat(expires) if expires else None
    except ValueError:
        raise CatalogError(f"{operation}: decision {decision.get('id')!r}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
    return KnownDivergence(
        operation, decision["id"], decision["divergence"], tuple(decision.get("evidence", [])), decision.get("since"), decision.get("until"), day
    )


@dataclass(frozen=True, eq=False)
class Operation:
    """One documented operation and the schemas of its parts."""

    raw: dict[str, Any]
    file: str
    registry: Registry = field(repr=False)

    @property
    def id(self) -> str:
        return self.raw["operation"]["id"]

    @property
    def method(self) -> str:
        return self.raw["operation"]["method"]

    @property
    def path(self) -> str:
        return self.raw["operation"]["path"]

    @property
    def area(self) -> str:
        return self.raw["operation"]["area"]

    @property
    def title(self) -> str:
        return self.raw["title"]

    @property
    def description(self) -> str:
        return self.raw["description"]

    @property
    def error_dialect(self) -> str:
        return self.raw["operation"].get("errorDialect", "kibana")

    @property
    def versioned(self) -> bool:
        """Served by Kibana's versioned router (which reads elastic-api-version); see the schema's ``operation.versioned``."""
        return bool(self.raw["operation"].get("versioned", {}).get("value", True))

    @property
    def technical_preview(self) -> bool:
        return self.raw["operation"]["technicalPreview"]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return self.raw["parameters"]

    @property
    def request_body(self) -> dict[str, Any] | None:
        return self.raw.get("requestBody")

    @functools.cached_property
    def request_fields(self) -> list[str]:
        """The documented top-level fields of the request body, of every media type (local refs and anyOf/oneOf/allOf followed)."""
        found: dict[str, None] = {}
        for media in ((self.request_body or {}).get("content") or {}).values():
            found.update(dict.fromkeys(self._properties(media.get("schema") or {}, 0)))
        return list(found)

    def _properties(self, schema: dict[str, Any], depth: int) -> list[str]:
        if depth > 8 or not isinstance(schema, dict):
            return []
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            node: Any = self.raw
            for part in ref[2:].split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            return self._properties(node, depth + 1)
        names = list(schema.get("properties") or {})
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(key) or []:
                names += self._properties(branch, depth + 1)
        return list(dict.fromkeys(names))

    @property
    def responses(self) -> dict[str, dict[str, Any]]:
        return self.raw["responses"]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    @functools.cached_property
    def path_pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{([A-Za-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")

    def parameters_in(self, location: str) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p["in"] == location]

    def parameter(self, location: str, name: str) -> dict[str, Any] | None:
        wanted = name.lower() if location == "header" else name
        for param in self.parameters_in(location):
            key = param["name"].lower() if location == "header" else param["name"]
            if key == wanted:
                return param
        return None

    def validator(self, schema: dict[str, Any], purpose: str = "document", divergences: frozenset[str] | None = None) -> Draft202012Validator:
        """A validator for a schema fragment of this file (refs resolve within the file, as transformed for ``purpose``;
        ``divergences``: for ``kibana``, the decisions whose recorded behaviour counts, None for all)."""
        registry = self.registry if purpose == "document" else self.purpose_registry(purpose, divergences)
        return Validator(schema, registry=registry, format_checker=FORMAT_CHECKER)

    @functools.cache
    def purpose_raw(self, purpose: str, divergences: frozenset[str] | None = None) -> dict[str, Any]:
        """The file as the suite uses it for ``purpose`` (see :mod:`kibana_conformance.provenance`)."""
        from .provenance import file_for

        return file_for(self.raw, purpose, divergences)

    @functools.cache
    def purpose_registry(self, purpose: str, divergences: frozenset[str] | None = None) -> Registry:
        return Registry().with_resource(self.raw["$id"], Resource.from_contents(self.purpose_raw(purpose, divergences)))

    @functools.cached_property
    def has_divergence(self) -> bool:
        from .provenance import has_divergence

        return has_divergence(self.raw)

    def decision(self, decision_id: str) -> dict[str, Any]:
        for decision in self.raw.get("decisions", []):
            if decision.get("id") == decision_id:
                return decision
        raise CatalogError(f"{self.file}: no decision {decision_id!r}")

    @functools.cached_property
    def known_divergences(self) -> tuple[KnownDivergence, ...]:
        """The decisions that record where Kibana's behaviour differs from the document."""
        return tuple(known_divergence(self.id, d) for d in self.raw.get("decisions", []) if "divergence" in d)

    def known_divergence(self, decision_id: str) -> KnownDivergence:
        for divergence in self.known_divergences:
            if divergence.decision == decision_id:
                return divergence
        raise CatalogError(f"{self.file}: no decision {decision_id!r} records a divergence")

    @functools.cache
    def def_validator(self, ref: str, purpose: str = "document", divergences: frozenset[str] | None = None) -> Draft202012Validator:
        return self.validator({"$ref": f"{self.raw['$id']}{ref}"}, purpose, divergences)

    def request_validator(self, content_type: str, purpose: str = "document") -> Draft202012Validator | None:
        media = (self.request_body or {}).get("content", {}).get(content_type)
        return self.def_validator(media["schema"]["$ref"], purpose) if media else None

    def response_validator(
        self, status: int | str, content_type: str = "application/json", purpose: str = "document", divergences: frozenset[str] | None = None
    ) -> Draft202012Validator | None:
        media = self.responses.get(str(status), {}).get("content", {}).get(content_type)
        return self.def_validator(media["schema"]["$ref"], purpose, divergences) if media else None

    def parameter_validator(self, param: dict[str, Any]) -> Draft202012Validator:
        return self._parameter_validator(param["in"], param["name"])

    @functools.cache
    def _parameter_validator(self, location: str, name: str) -> Draft202012Validator:
        param = self.parameter(location, name)
        assert param is not None
        return self.validator({"$schema": self.raw["$schema"], **param["schema"]})

    def examples(self) -> Iterator[Example]:
        body = self.request_body or {}
        for content_type, media in body.get("content", {}).items():
            yield from self._media_examples("request", None, content_type, media)
        for status, response in self.responses.items():
            for content_type, media in response.get("content", {}).items():
                yield from self._media_examples("response", status, content_type, media)

    def _media_examples(self, kind: str, status: str | None, content_type: str, media: dict[str, Any]) -> Iterator[Example]:
        for name, example in media.get("examples", {}).items():
            lines = tuple(example["lines"]) if "lines" in example else None
            yield Example(self.id, kind, status, content_type, name, example["summary"], example["value"], lines)


@dataclass(frozen=True)
class Catalog:
    """All operations, in a stable order (area, then path, then method)."""

    root: Path
    operations: tuple[Operation, ...]
    version: str

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations)

    def __len__(self) -> int:
        return len(self.operations)

    @functools.cached_property
    def _by_id(self) -> dict[str, Operation]:
        return {op.id: op for op in self.operations}

    @property
    def areas(self) -> list[str]:
        return sorted({op.area for op in self.operations})

    def get(self, operation_id: str) -> Operation:
        try:
            return self._by_id[operation_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id))
            raise CatalogError(f"unknown operation {operation_id!r}; known operations: {known}") from None

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for op in self.operations:
            if op.method == method.upper():
                found = op.path_pattern.match(path)
                if found:
                    return op, found.groupdict()
        return None

    def methods_for(self, path: str) -> list[str]:
        return sorted({op.method for op in self.operations if op.path_pattern.match(path)})


def default_root() -> Path:
    """The schemas shipped in the package, or the checkout's ``schemas/`` when run from source."""
    packaged = Path(str(resources.files("kibana_conformance"))) / "schemas"
    if (packaged / META_SCHEMA_FILE).is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "schemas"
    if (checkout / META_SCHEMA_FILE).is_file():
        return checkout
    raise CatalogError(f"no schemas found: neither {packaged} nor {checkout} holds {META_SCHEMA_FILE}")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def operation_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*.json"))


def _validated_marker(files: list[Path], meta_file: Path) -> Path | None:
    """Where to note that this exact content passed the meta-schema (checking it costs each process
    most of a second); None when there is no cache folder to use."""
    digest = hashlib.sha256()
    try:
        for path in (meta_file, *files):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        return None
    return cache_folder() / f"catalog-valid-{digest.hexdigest()}"


def _validate(raws: list[tuple[Path, Any]], meta_file: Path) -> None:
    marker = _validated_marker([path for path, _ in raws], meta_file)
    if marker is not None and marker.is_file():
        return
    meta = Draft202012Validator(read_json(meta_file))
    for path, raw in raws:
        error = jsonschema.exceptions.best_match(meta.iter_errors(raw))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(top)"
            raise CatalogError(f"{path}: {where}: {error.message}")
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # no cache: the next process checks again


@functools.cache
def load_catalog(root: Path | None = None) -> Catalog:
    """Load and index every operation file under ``root`` (default: the shipped schemas)."""
    root = root or default_root()
    files = operation_files(root)
    if not files:
        raise CatalogError(f"{root}: no operation schema files found")
    raws = [(path, read_json(path)) for path in files]
    _validate(raws, root / META_SCHEMA_FILE)
    registry = Registry().with_resources((raw["$id"], Resource.from_contents(raw)) for _, raw in raws)
    operations = [Operation(raw, str(path.relative_to(root)), registry) for path, raw in raws]
    seen: dict[str, str] = {}
    for op in operations:
        if op.id in seen:
            raise CatalogError(f"operation id {op.id!r} is used by both {seen[op.id]} and {op.file}")
        if op.file != f"{op.area}/{op.id}.json":
            raise CatalogError(f"{op.file}: expected at {op.area}/{op.id}.json")
        seen[op.id] = op.file
    operations.sort(key=lambda op: (op.area, op.path, op.method))
    digest = hashlib.sha256()
    for path, _ in raws:
        digest.update(path.read_bytes())
    return Catalog(root, tuple(operations), f"{SEED_DOCUMENT.removesuffix('.txt')}+{digest.hexdigest()[:12]}")
