"""Assemble the catalog into one OpenAPI 3.1 document (the input of schemathesis)."""

from __future__ import annotations

import copy
import functools
from typing import Any

from . import __version__
from .catalog import API_VERSION, Catalog, Operation, load_catalog
from .provenance import body_required, positive_request_schema, schema_for

PLATFORM_ERROR_STATUS = "4XX"
SECURITY_SCHEMES = {
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`ApiKey <base64 of id:api_key>`, as Kibana accepts it.",
    },
    "basicAuth": {"type": "http", "scheme": "basic", "description": "A Kibana user name and password."},
}
KIBANA_ENVELOPE = {
    "type": "object",
    "required": ["statusCode", "error", "message"],
    "properties": {
        "statusCode": {"type": "integer"},
        "error": {"type": "string"},
        "message": {"type": "string"},
    },
}
FLEET_ENVELOPE = {
    "type": "object",
    "required": ["statusCode", "error", "message"],
    "properties": {
        "statusCode": {"type": "number"},
        "error": {"type": "string"},
        "errorType": {"type": "string"},
        "message": {"type": "string"},
    },
}
SIEM_ENVELOPE = {
    "type": "object",
    "required": ["message", "status_code"],
    "properties": {"message": {"type": "string"}, "status_code": {"type": "integer"}},
}
PLATFORM_ERROR_SCHEMAS = {
    "kibana": KIBANA_ENVELOPE,
    "fleet": FLEET_ENVELOPE,
    "security-solution": {"anyOf": [KIBANA_ENVELOPE, SIEM_ENVELOPE]},
}


# The documents the suite assembles: as written, and the two the property tests generate from.
DOCUMENT_PURPOSES = ("document", "positive", "negative")
REQUEST_PURPOSE = {"document": "document", "positive": "request-positive", "negative": "request-negative"}
RESPONSE_PURPOSE = {"document": "document", "positive": "response", "negative": "response"}


def component_name(op: Operation, def_name: str, namespace: str = "") -> str:
    return f"{op.id}.{namespace}{def_name}"


def _rewrite_refs(node: Any, op: Operation, namespace: str = "") -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = f"#/components/schemas/{component_name(op, value.removeprefix('#/$defs/'), namespace)}"
            else:
                out[key] = _rewrite_refs(value, op, namespace)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, op, namespace) for item in node]
    return node


def _media(media: dict[str, Any], op: Operation, namespace: str = "", schema: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": schema if schema is not None else _rewrite_refs(media["schema"], op, namespace)}
    if "encoding" in media:
        out["encoding"] = copy.deepcopy(media["encoding"])
    if "examples" in media:
        out["examples"] = {
            name: {
                "summary": example["summary"],
                "value": copy.deepcopy(example["value"]),
                **({"x-document-lines": example["lines"]} if "lines" in example else {}),
            }
            for name, example in media["examples"].items()
        }
    return out


def _parameter(param: dict[str, Any], op: Operation, purpose: str = "document") -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in param.items() if k not in ("source", "provenance", "lossy")}
    out["schema"] = _rewrite_refs(schema_for(param["schema"], REQUEST_PURPOSE[purpose]), op)
    out["x-source"] = param["source"]
    # Where `required` comes from, and the lossy spot the parameter comes from (schemas/README.md).
    for key in ("provenance", "lossy"):
        if key in param:
            out[f"x-{key}"] = param[key]
    if param["in"] == "header" and param["required"] and "default" in param["schema"]:
        # "Required" with a "Default value": an absent header takes the default, as Kibana's
        # versioned router does, so a request without it is valid.
        out["required"] = False
        out["x-document-required"] = True
        if purpose == "negative" and param["name"].lower() == "elastic-api-version":
            # An empty elastic-api-version is no version at all for Kibana: its versioned router reads
            # the header with a truthiness test and serves the default version (readVersion in
            # src/core/packages/http/router-server-internal/src/versioned_router/route_version_utils.ts,
            # elastic/kibana@8137d1cdb0b7fa60624f5ecf6ea9fc21cbdebae4). Invalid data never sends it.
            out["schema"] = {"anyOf": [out["schema"], {"const": ""}]}
    return out


def _request_schema(op: Operation, media: dict[str, Any], purpose: str) -> Any:
    if purpose != "positive":
        return None  # the reference, into this purpose's components
    examples = [example["value"] for example in media.get("examples", {}).values()]
    return positive_request_schema(op.raw, media["schema"]["$ref"], examples)


def _operation(op: Operation, purpose: str = "document") -> dict[str, Any]:
    response_namespace = "" if purpose == "document" else "response."
    out: dict[str, Any] = {
        "operationId": op.id,
        "summary": op.title,
        "description": op.description,
        "tags": [op.area],
        "parameters": [_parameter(p, op, purpose) for p in op.parameters],
        "responses": {},
        "x-kibana-area": op.area,
        "x-error-dialect": op.error_dialect,
        "x-document-lines": op.raw["operation"]["source"]["lines"],
    }
    if op.technical_preview:
        out["x-technical-preview"] = True
    if op.request_body:
        out["requestBody"] = {
            "required": body_required(op.raw, REQUEST_PURPOSE[purpose]),
            "content": {ct: _media(m, op, schema=_request_schema(op, m, purpose)) for ct, m in op.request_body["content"].items()},
        }
    for status, response in op.responses.items():
        entry: dict[str, Any] = {"description": response["description"]}
        if "content" in response:
            entry["content"] = {ct: _media(m, op, response_namespace) for ct, m in response["content"].items()}
        out["responses"][status] = entry
    out["responses"][PLATFORM_ERROR_STATUS] = {
        "description": "Kibana's error envelope for this area: the platform answers authentication, "
        "header and validation failures with it, whether or not the operation lists the status.",
        "content": {"application/json": {"schema": copy.deepcopy(PLATFORM_ERROR_SCHEMAS[op.error_dialect])}},
        "x-source": "kibana",
    }
    return out


def assemble(catalog: Catalog, purpose: str = "document") -> dict[str, Any]:
    """One OpenAPI 3.1 document with every operation, its parameters, bodies and responses.

    ``document``: the schema files as written (provenance annotations included). ``positive`` and
    ``negative``: what the property tests generate valid and invalid requests from, with the
    responses as they are checked (see :mod:`kibana_conformance.provenance`).
    """
    if purpose not in DOCUMENT_PURPOSES:
        raise ValueError(f"unknown document purpose {purpose!r}; purposes are {', '.join(DOCUMENT_PURPOSES)}")
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for op in catalog:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, purpose)
        request_raw = op.raw if purpose == "document" else op.purpose_raw(REQUEST_PURPOSE[purpose])
        for def_name, schema in request_raw["$defs"].items():
            schemas[component_name(op, def_name)] = _rewrite_refs(schema, op)
        if purpose != "document":
            for def_name, schema in op.purpose_raw(RESPONSE_PURPOSE[purpose])["$defs"].items():
                schemas[component_name(op, def_name, "response.")] = _rewrite_refs(schema, op, "response.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kibana API: the documented subset under conformance test",
            "version": catalog.version,
            "description": f"Assembled by kibana-conformance {__version__} from schemas/ "
            f"(API version {API_VERSION}).",
        },
        "servers": [{"url": "http://localhost:5601"}],
        "security": [{"apiKeyAuth": []}, {"basicAuth": []}],
        "tags": [{"name": area} for area in catalog.areas],
        "paths": paths,
        "components": {"securitySchemes": copy.deepcopy(SECURITY_SCHEMES), "schemas": schemas},
    }


@functools.cache
def default_document(purpose: str = "document") -> dict[str, Any]:
    """The assembled document for the shipped schemas, built once per process; do not mutate it."""
    return assemble(load_catalog(), purpose)
