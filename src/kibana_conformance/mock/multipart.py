"""Decoding ``multipart/form-data`` bodies into the shape their schema describes."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from ..catalog import Operation
from .call import UploadedFile
from .errors import bad_request
from .pipeline import parse_json


def _field_types(op: Operation) -> dict[str, set[str]]:
    media = op.request_body["content"]["multipart/form-data"] if op.request_body else {}
    schema = op.raw["$defs"][media["schema"]["$ref"].removeprefix("#/$defs/")] if media else {}
    types: dict[str, set[str]] = {}
    for name, prop in schema.get("properties", {}).items():
        declared = prop.get("type", "string")
        types[name] = {declared} if isinstance(declared, str) else set(declared)
        if prop.get("format") == "binary":
            types[name].add("binary")
    return types


def _decode_value(raw: str, types: set[str]) -> Any:
    if types & {"array", "object"} and raw.strip()[:1] in ("[", "{"):
        try:
            return parse_json(raw.encode())
        except ValueError:
            return raw
    return raw


def parse_multipart(body: bytes, content_type: str, op: Operation) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """The form's fields (JSON-decoded where the schema wants arrays or objects) and its files.

    Array fields may come as one JSON array or as repeated fields (``endpoint_ids[]=a``);
    a file may come as a file part or, as in the document's curl example, as a plain field.
    """
    if "boundary=" not in content_type:
        raise bad_request("Invalid multipart payload format: missing boundary")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise bad_request("Invalid multipart payload format")
    types = _field_types(op)
    fields: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        name = name.removesuffix("[]")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if "binary" in (types.get(name) or set()) or filename is not None or name == "file":
            files[name] = UploadedFile(filename or name, part.get_content_type(), data)
            fields[name] = filename or name
            continue
        text = data.decode("utf-8", errors="replace")
        expected = types.get(name, {"string"})
        value = _decode_value(text, expected)
        if "array" in expected and not isinstance(value, list):
            fields.setdefault(name, [])
            if isinstance(fields[name], list):
                fields[name].append(value)
            continue
        fields[name] = value
    return fields, files
