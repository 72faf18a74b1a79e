"""Where each constraint of a schema file comes from, and the schemas derived from it per purpose.

Every constraint in ``schemas/`` (``type``, ``required``, ``enum``, ``additionalProperties: false``,
``minItems``...) has a provenance: the document's text (``doc``), one of its examples where the
rendering hides the attribute list or a field's name (``example``), or Kibana's own source
(``kibana``, through a decision that cites the repository path and commit). It is written in the
file as ``x-provenance`` (see ``schemas/README.md``) and inherited by the subschemas below.

The same file then serves several purposes (:data:`PURPOSES`):

- ``document``: the file as written (the mock validates requests with it, and the mock's own
  answers are held to it);
- ``response``: what a response is checked against: only what the document or Kibana states
  (an example's guess about a field hidden by the rendering is not held against a target);
- ``request-positive``: valid request data: inside a lossy spot the example-only parts are
  pinned to the document's examples, and objects with named fields get no invented ones;
- ``request-negative``: invalid request data breaks only what the document or Kibana states;
- ``kibana``: ``response`` with Kibana's recorded behaviour (``x-divergence``) where it differs
  from the document: a response that fails ``response`` but passes this is a known divergence.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .versions import version_key

SOURCES = ("doc", "example", "kibana")
STATED = frozenset({"doc", "kibana"})
PURPOSES = ("document", "response", "request-positive", "request-negative", "kibana")
REFERENCE = re.compile(r"^(doc|example|kibana)(?::([a-z0-9][a-z0-9-]*))?$")
LOSSY_KINDS = (
    "collapsed-attributes",  # a "Hide ... attributes" list with nothing under it
    "empty-attributes",  # a body or response heading with no attribute list at all
    "one-branch",  # "Any of:" / "One of:" rendering a single branch
    "unnamed-bullet",  # a bullet that starts with its description: the field name is lost
    "empty-parameters",  # a parameter list with no entries; the parameter shows only in curl or the path
    "get-with-body",  # a GET rendered with a request body
    "lost-status",  # a response bullet without its status code
    "no-responses",  # an operation with no response listed
    "truncated",  # the rendering ends before the section does
)
# Keywords that constrain an instance, each needing a provenance; ``type`` counts whether or
# not it admits null (a narrower type is a claim too).
VALUE_KEYWORDS = (
    "type", "required", "enum", "const", "minItems", "maxItems", "minLength", "maxLength", "pattern",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "format", "uniqueItems",
    "minProperties", "maxProperties", "dependentRequired",
)  # fmt: skip
FALSE_KEYWORDS = ("additionalProperties", "unevaluatedProperties", "items")
CONSTRAINT_KEYWORDS = (*VALUE_KEYWORDS, *FALSE_KEYWORDS, "oneOf", "not")
SINGLE_CHILDREN = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedProperties")
LIST_CHILDREN = ("prefixItems", "anyOf", "oneOf", "allOf")
MAP_CHILDREN = ("properties", "patternProperties", "dependentSchemas")
ANNOTATIONS = ("x-provenance", "x-lossy", "x-divergence", "x-pin", "x-valid")


class ProvenanceError(ValueError):
    """A schema file whose provenance cannot be used (an unknown decision, a missing citation)."""


@dataclass(frozen=True)
class Reference:
    """``doc``, ``example`` or ``kibana``, optionally naming the decision that explains it."""

    source: str
    decision: str | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        found = REFERENCE.match(text)
        if not found:
            raise ProvenanceError(f"{text!r} is not a provenance (doc, example or kibana, optionally ':decision-id')")
        return cls(found.group(1), found.group(2))

    def __str__(self) -> str:
        return self.source + (f":{self.decision}" if self.decision else "")


@dataclass(frozen=True)
class Context:
    """What a node inherits: the nearest ``*`` provenance above it, and the lossy spot it lies in."""

    inherited: Reference | None = None
    inherited_lossy: str | None = None  # the lossy spot in effect where ``inherited`` was declared
    lossy: str | None = None


@dataclass(frozen=True)
class Constraint:
    keyword: str
    pointer: str
    reference: Reference | None
    lossy: str | None
    inherited_across_lossy: bool

    @property
    def source(self) -> str | None:
        return self.reference.source if self.reference else None


def constraint_keywords(node: dict[str, Any]) -> list[str]:
    """The constraints a schema node states itself (not those of its subschemas)."""
    found = [k for k in VALUE_KEYWORDS if k in node and node[k] not in ([], False)]
    found += [k for k in FALSE_KEYWORDS if node.get(k) is False]
    found += [k for k in ("oneOf", "not") if k in node]
    return found


def children(node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(relative JSON pointer, subschema) of every direct subschema."""
    for key in SINGLE_CHILDREN:
        if isinstance(node.get(key), dict):
            yield key, node[key]
    for key in LIST_CHILDREN:
        for index, child in enumerate(node.get(key, ()) if isinstance(node.get(key), list) else ()):
            if isinstance(child, dict):
                yield f"{key}/{index}", child
    for key in MAP_CHILDREN:
        for name, child in (node.get(key) or {}).items() if isinstance(node.get(key), dict) else ():
            if isinstance(child, dict):
                yield f"{key}/{_escape(name)}", child


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def enter(node: dict[str, Any], context: Context) -> Context:
    """The context of ``node`` itself and of what lies below it."""
    lossy = node.get("x-lossy", context.lossy)
    default = (node.get("x-provenance") or {}).get("*")
    if default is not None:
        return Context(Reference.parse(default), lossy, lossy)
    return Context(context.inherited, context.inherited_lossy, lossy)


def reference_of(node: dict[str, Any], keyword: str, context: Context) -> tuple[Reference | None, bool]:
    """The provenance of one of ``node``'s constraints, and whether it is inherited into a lossy spot from outside it."""
    own = (node.get("x-provenance") or {}).get(keyword)
    if own is not None:
        return Reference.parse(own), False
    here = enter(node, context)
    across = here.inherited is not None and here.lossy is not None and here.inherited_lossy != here.lossy
    return here.inherited, across


def walk(node: Any, pointer: str, context: Context = Context()) -> Iterator[tuple[str, dict[str, Any], Context]]:
    """Every schema node under ``node`` (``$ref`` not followed), with the context it is read in."""
    if not isinstance(node, dict):
        return
    yield pointer, node, context
    inner = enter(node, context)
    for relative, child in children(node):
        yield from walk(child, f"{pointer}/{relative}", inner)


def roots(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The schema roots of a file: each ``$defs`` entry and each parameter's schema."""
    for name, schema in raw.get("$defs", {}).items():
        if isinstance(schema, dict):
            yield f"/$defs/{_escape(name)}", schema
    for index, param in enumerate(raw.get("parameters", [])):
        yield f"/parameters/{index}/schema", param["schema"]


def constraints(raw: dict[str, Any]) -> Iterator[Constraint]:
    for root_pointer, root in roots(raw):
        for pointer, node, context in walk(root, root_pointer):
            for keyword in constraint_keywords(node):
                reference, across = reference_of(node, keyword, context)
                yield Constraint(keyword, pointer, reference, enter(node, context).lossy, across)


def decisions_by_id(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in raw.get("decisions", []) if "id" in d}


def problems(raw: dict[str, Any]) -> list[str]:
    """Everything that keeps a reader from seeing why a constraint is there; empty when each has a source."""
    found: list[str] = []
    decisions = decisions_by_id(raw)

    def check_reference(where: str, text: str) -> None:
        try:
            reference = Reference.parse(text)
        except ProvenanceError as exc:
            found.append(f"{where}: {exc}")
            return
        if reference.decision is not None and reference.decision not in decisions:
            found.append(f"{where}: {reference} names no decision of this file")
        if reference.source == "kibana":
            decision = decisions.get(reference.decision or "")
            if decision is None:
                found.append(f"{where}: 'kibana' needs a decision that cites Kibana's source (kibana:<decision-id>)")
            elif not decision.get("evidence"):
                found.append(f"{where}: decision {reference.decision!r} cites no Kibana source (evidence)")

    lossy_used: set[str] = set()
    for root_pointer, root in roots(raw):
        for pointer, node, _ in walk(root, root_pointer):
            for keyword, text in (node.get("x-provenance") or {}).items():
                check_reference(f"{pointer} x-provenance {keyword}", text)
            if "x-lossy" in node:
                lossy_used.add(node["x-lossy"])
                decision = decisions.get(node["x-lossy"])
                if decision is None or "lossy" not in decision:
                    found.append(f"{pointer}: x-lossy {node['x-lossy']!r} names no decision with a 'lossy' record")
            if "x-pin" in node:
                check_reference(f"{pointer} x-pin", node["x-pin"])
            for key in ("x-divergence", "x-valid"):
                if key in node:
                    decision = decisions.get(node[key].get("decision", ""))
                    if decision is None or not decision.get("evidence"):
                        found.append(f"{pointer}: {key} needs a decision that cites Kibana's source")
                    elif key == "x-divergence" and "divergence" not in decision:
                        found.append(f"{pointer}: x-divergence names decision {node[key]['decision']!r}, which records no divergence (what differs)")
    versioned = raw.get("operation", {}).get("versioned")
    if versioned is not None:
        check_reference("/operation/versioned", versioned["provenance"])
    required = (raw.get("requestBody") or {}).get("kibanaRequired")
    if required is not None:
        check_reference("/requestBody/kibanaRequired", required["provenance"])
    for index, param in enumerate(raw.get("parameters", [])):
        where = f"/parameters/{index} ({param['name']})"
        if "provenance" in param:
            check_reference(where, param["provenance"])
        if "lossy" in param:
            lossy_used.add(param["lossy"])
            if "lossy" not in decisions.get(param["lossy"], {}):
                found.append(f"{where}: lossy {param['lossy']!r} names no decision with a 'lossy' record")
        if param["required"] and param["source"] not in ("document", "path-template") and "provenance" not in param:
            found.append(f"{where}: required, but not by the operation's parameter list: say where that comes from (provenance)")
    for constraint in constraints(raw):
        where = f"{constraint.pointer} {constraint.keyword}"
        if constraint.reference is None:
            found.append(f"{where}: no provenance (x-provenance on this node or '*' above it)")
        elif constraint.inherited_across_lossy and constraint.source == "doc":
            found.append(
                f"{where}: inside the lossy spot {constraint.lossy!r} the document shows nothing; "
                "'doc' inherited from outside it does not hold here (state example or kibana)"
            )
    for decision_id, decision in decisions.items():
        if decision.get("provenance") == "kibana" and not decision.get("evidence"):
            found.append(f"decision {decision_id!r}: provenance kibana without evidence")
        if "lossy" in decision and decision["lossy"]["kind"] in NODE_LOSSY_KINDS and decision_id not in lossy_used:
            found.append(f"decision {decision_id!r}: a lossy spot of kind {decision['lossy']['kind']} that marks no subschema (x-lossy)")
        found += divergence_problems(f"decision {decision_id!r}", decision)
    return found


RELEASE = re.compile(r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")  # a Kibana release as a divergence's since/until names it: 9.1 or 9.1.0


def divergence_problems(where: str, decision: dict[str, Any]) -> list[str]:
    """What keeps a known divergence (a decision with ``divergence``) from being judged: evidence,
    an ``expires`` date, and a ``since``/``until`` range of Kibana versions when either is given."""
    found = [f"{where}: {key} belongs to a known divergence, and this decision records none (divergence)" for key in ("since", "until", "expires") if key in decision and "divergence" not in decision]
    if "divergence" not in decision:
        return found
    if not decision.get("evidence"):
        found.append(f"{where}: a known divergence without evidence: cite where Kibana does it (repo, path, commit, facts)")
    versions = {}
    for key in ("since", "until"):
        if key in decision:
            value = decision[key]
            if isinstance(value, str) and RELEASE.match(value):
                versions[key] = version_key(value)
            else:
                found.append(f"{where}: {key} {value!r} is not a Kibana version (such as 9.1.0)")
    if "since" in versions and "until" in versions and versions["until"] <= versions["since"]:
        found.append(f"{where}: until {decision['until']} is not after since {decision['since']}: the range holds no version")
    expires = decision.get("expires")
    if expires is None:
        found.append(f"{where}: a known divergence without expires (YYYY-MM-DD): each one has a date by which it is reviewed")
    elif not _is_date(expires):
        found.append(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)")
    return found


def _is_date(value: Any) -> bool:
    try:
        return isinstance(value, str) and len(value) == 10 and dt.date.fromisoformat(value) is not None
    except ValueError:
        return False


# Lossy spots that hide part of a schema: the decision must mark the subtree it is about.
NODE_LOSSY_KINDS = ("collapsed-attributes", "empty-attributes", "one-branch")


# --- schemas per purpose -------------------------------------------------------------------


def _strip(node: dict[str, Any], context: Context, keep: frozenset[str]) -> dict[str, Any]:
    """``node`` without the constraints whose source is not in ``keep`` (recursively)."""
    inner = enter(node, context)
    drop = set()
    for keyword in constraint_keywords(node):
        reference, _ = reference_of(node, keyword, context)
        if reference is None or reference.source not in keep:
            drop.add(keyword)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ANNOTATIONS or (key in drop and key != "oneOf"):
            continue
        if key in SINGLE_CHILDREN and isinstance(value, dict):
            value = _strip(value, inner, keep)
        elif key in LIST_CHILDREN and isinstance(value, list):
            value = [_strip(child, inner, keep) if isinstance(child, dict) else child for child in value]
        elif key in MAP_CHILDREN and isinstance(value, dict):
            value = {name: _strip(child, inner, keep) if isinstance(child, dict) else child for name, child in value.items()}
        if key == "oneOf" and "oneOf" in drop:
            # The alternatives stay; only their exclusivity was a guess.
            if "anyOf" in node:
                out.setdefault("allOf", []).append({"anyOf": value})
                continue
            key = "anyOf"
        out[key] = value
    return out


def _clean(node: Any) -> Any:
    """The node without the provenance annotations (kept only in the ``document`` purpose)."""
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items() if k not in ANNOTATIONS}
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


def _diverge(node: Any, accepted: frozenset[str] | None = None) -> Any:
    """Kibana's recorded behaviour in place of the document's, where they differ (its constraints are Kibana's);
    only the divergences whose decisions are ``accepted`` (None: all), the document's shape elsewhere."""
    if isinstance(node, dict):
        if "x-divergence" in node and (accepted is None or node["x-divergence"]["decision"] in accepted):
            divergence = node["x-divergence"]
            replaced = copy.deepcopy(divergence["schema"])
            if isinstance(replaced, dict):
                replaced["x-provenance"] = {"*": f"kibana:{divergence['decision']}"}
            return replaced
        return {k: _diverge(v, accepted) for k, v in node.items()}
    if isinstance(node, list):
        return [_diverge(v, accepted) for v in node]
    return node


def _has_divergence(node: Any) -> bool:
    return "x-divergence" in json.dumps(node)


def _kibana_shape(spec: dict[str, Any]) -> Any:
    shape = copy.deepcopy(spec["schema"])
    if isinstance(shape, dict):
        shape["x-provenance"] = {"*": f"kibana:{spec['decision']}"}
    return shape


def reconcile(node: Any, purpose: str) -> Any:
    """Request data where Kibana and the document differ (``x-divergence``) or Kibana narrows valid data (``x-valid``).

    Valid data must be valid for both (``allOf``); invalid data must break both (``anyOf``), so that
    neither a target following the document nor Kibana itself is blamed for the other's rule.
    """
    if isinstance(node, list):
        return [reconcile(item, purpose) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: reconcile(v, purpose) for k, v in node.items() if k not in ("x-divergence", "x-valid")}
    if "x-divergence" in node:
        out = {"allOf" if purpose == "request-positive" else "anyOf": [out, _kibana_shape(node["x-divergence"])]}
    if purpose == "request-positive" and "x-valid" in node:
        out = {"allOf": [out, _kibana_shape(node["x-valid"])]}
    return out


def _loosen_object_unions(node: Any) -> Any:
    """For invalid data, a union of object shapes (say, the kinds of a content reference) stands as "an object":
    breaking one branch of it is no refusal the document states, and schemathesis cannot negate such unions."""
    if isinstance(node, list):
        return [_loosen_object_unions(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _loosen_object_unions(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        branches = out.get(key)
        if isinstance(branches, list) and len(branches) > 1 and all(isinstance(b, dict) and b.get("type") == "object" and "properties" in b for b in branches):
            del out[key]
            out.setdefault("type", "object")
    return out


def schema_for(root: dict[str, Any], purpose: str, divergences: frozenset[str] | None = None) -> dict[str, Any]:
    """One schema root (a ``$defs`` entry or a parameter schema) for one purpose, ``$ref`` untouched;
    ``divergences``: for ``kibana``, the decisions whose recorded behaviour counts (None: all)."""
    if purpose == "document":
        return copy.deepcopy(root)
    if purpose == "response":
        return _strip(root, Context(), STATED)
    if purpose == "request-negative":
        return _loosen_object_unions(_strip(reconcile(root, purpose), Context(), STATED))
    if purpose == "kibana":
        diverged = _diverge(root, divergences)
        return _strip(diverged, Context(), STATED) if isinstance(diverged, dict) else diverged
    if purpose == "request-positive":
        return _clean(reconcile(root, purpose))  # pinning needs the examples: see positive_request_schema
    raise ValueError(f"unknown purpose {purpose!r}; purposes are {', '.join(PURPOSES)}")


def file_for(raw: dict[str, Any], purpose: str, divergences: frozenset[str] | None = None) -> dict[str, Any]:
    """A copy of a whole schema file with every root transformed for ``purpose`` (see :func:`schema_for`)."""
    out = copy.deepcopy(raw)
    out["$defs"] = {name: schema_for(schema, purpose, divergences) if isinstance(schema, dict) else schema for name, schema in raw["$defs"].items()}
    for param, original in zip(out["parameters"], raw["parameters"], strict=True):
        param["schema"] = schema_for(original["schema"], purpose, divergences)
    return out


def has_divergence(raw: dict[str, Any]) -> bool:
    return any(_has_divergence(schema) for _, schema in roots(raw))


# --- valid request data pinned to the examples ---------------------------------------------------------


def _resolve(raw: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/$defs/"):
        raise ProvenanceError(f"only local #/$defs/ references are supported, got {ref!r}")
    return raw["$defs"][ref.removeprefix("#/$defs/")]


def _instances_below(relative: str, child: dict[str, Any], node: dict[str, Any], instances: list[Any]) -> list[Any]:
    """The example values at a child schema's place, given the values at its parent's."""
    key, _, rest = relative.partition("/")
    found: list[Any] = []
    for value in instances:
        if key == "properties" and isinstance(value, dict):
            name = rest.replace("~1", "/").replace("~0", "~")
            if name in value:
                found.append(value[name])
        elif key == "additionalProperties" and isinstance(value, dict):
            named = set(node.get("properties", {}))
            found.extend(v for k, v in value.items() if k not in named)
        elif key == "items" and isinstance(value, list):
            found.extend(value[len(node.get("prefixItems", [])) :])
        elif key == "prefixItems" and isinstance(value, list) and int(rest) < len(value):
            found.append(value[int(rest)])
        elif key in ("anyOf", "oneOf", "allOf"):
            found.append(value)
    return found


def _rests_on_example(node: dict[str, Any], context: Context) -> bool:
    """Whether one of the node's own constraints rests on an example alone."""
    for keyword in constraint_keywords(node):
        reference, _ = reference_of(node, keyword, context)
        if reference is None or reference.source == "example":
            return True
    return False


def _deref(node: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    return _resolve(raw, node["$ref"]) if "$ref" in node else node


def _distinct(values: list[Any]) -> list[Any]:
    seen, out = set(), []
    for value in values:
        key = json.dumps(value, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _positive(node: dict[str, Any], context: Context, instances: list[Any], raw: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    if depth > 64:
        raise ProvenanceError("schema references nest deeper than 64 levels (a cycle?)")
    if "$ref" in node:
        target = _resolve(raw, node["$ref"])
        merged = {k: v for k, v in node.items() if k != "$ref"}
        resolved = _positive(target, Context(), instances, raw, depth + 1)
        return {**resolved, **_clean(merged)} if merged else resolved
    here = enter(node, context)
    pin = "x-pin" in node or (here.lossy is not None and _rests_on_example(node, context))
    if pin and instances:
        return {"enum": _distinct(instances)}
    out = {k: v for k, v in node.items() if k not in ANNOTATIONS and k not in (*SINGLE_CHILDREN, *LIST_CHILDREN, *MAP_CHILDREN)}
    for relative, child in children(node):
        key, _, rest = relative.partition("/")
        below = _instances_below(relative, child, node, instances)
        transformed = _positive(child, here, below, raw, depth + 1)
        if key in SINGLE_CHILDREN:
            out[key] = transformed
        elif key in LIST_CHILDREN:
            out.setdefault(key, []).append(transformed)
        else:
            name = rest.replace("~1", "/").replace("~0", "~")
            optional = name not in node.get("required", [])
            child_lossy = enter(child, here).lossy
            if key == "properties" and optional and child_lossy is not None and not below and _rests_on_example(_deref(child, raw), Context() if "$ref" in child else here):
                transformed = False  # a hidden field no example shows: valid data does not invent it
            out.setdefault(key, {})[name] = transformed
    for key in (*SINGLE_CHILDREN, *LIST_CHILDREN, *MAP_CHILDREN):
        if key in node and key not in out:
            out[key] = _clean(node[key])
    if "properties" in node and "additionalProperties" not in node and "patternProperties" not in node:
        out["additionalProperties"] = False  # Kibana's validation refuses keys it does not know; valid data invents none
    return out


def positive_request_schema(raw: dict[str, Any], ref: str, examples: list[Any]) -> dict[str, Any]:
    """The request body schema ``ref`` for valid data: references inlined, example-only parts of lossy spots pinned to ``examples``."""
    reconciled = {**raw, "$defs": {name: reconcile(schema, "request-positive") for name, schema in raw.get("$defs", {}).items()}}
    return _positive({"$ref": ref}, Context(), list(examples), reconciled)


def body_required(raw: dict[str, Any], purpose: str) -> bool:
    """Whether a request needs a body: the document's ``required``, and Kibana's where it differs
    (``kibanaRequired``): valid data sends one if either needs it, invalid data leaves it out only if both do."""
    body = raw.get("requestBody") or {}
    document = bool(body.get("required"))
    kibana = body.get("kibanaRequired", {}).get("value", document)
    if purpose == "request-positive":
        return document or kibana
    if purpose == "request-negative":
        return document and kibana
    if purpose == "kibana":
        return kibana
    return document
