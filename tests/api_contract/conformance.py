"""Check one answer against what the OpenAPI document says its operation returns."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import requests


def _template_of(document: dict[str, Any], method: str, path: str) -> str:
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if method.lower() in item and re.match(pattern, path):
            return template
    raise AssertionError(f"{method} {path} is not in the document")


def check(document: dict[str, Any], response: requests.Response) -> None:
    """The status is documented for the operation, and the body matches its schema."""
    request = response.request
    assert request.method and request.path_url
    path = request.path_url.split("?")[0]
    template = _template_of(document, request.method, path)
    op = document["paths"][template][request.method.lower()]
    what = f"{request.method} {path} -> {response.status_code}: {response.text[:300]}"
    assert str(response.status_code) in op["responses"], what
    content = op["responses"][str(response.status_code)].get("content", {})
    media = response.headers.get("content-type", "").split(";")[0]
    assert media in content, what
    if media != "application/json":
        return
    schema = content[media]["schema"]
    # "#/components/..." references resolve against the root: carry the components.
    root = {"allOf": [schema], "components": document["components"]}
    validator = jsonschema.Draft202012Validator(root)
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, f"{what}\n" + "\n".join(e.message for e in errors[:5])
