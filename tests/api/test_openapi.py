"""The OpenAPI document is complete: every route has a summary, typed responses with examples, documented errors."""

from __future__ import annotations

from typing import Any

from node.main import create_app

SPEC: dict[str, Any] = create_app().openapi()
SCHEMAS: dict[str, Any] = SPEC.get("components", {}).get("schemas", {})
NON_JSON = {"/metrics", "/v1/credentials/{credential_id}/certificate.pdf"}  # Prometheus text; a PDF


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return dict(SCHEMAS[ref.rsplit("/", 1)[-1]])
    items = schema.get("items")
    if isinstance(items, dict) and "$ref" in items:
        return _resolve(items)
    return schema


def _has_example(schema: dict[str, Any], depth: int = 0) -> bool:
    schema = _resolve(schema)
    if "example" in schema or "examples" in schema:
        return True
    if depth > 3:
        return False
    props = schema.get("properties", {})
    return any("example" in p or "examples" in p or _has_example(p, depth + 1) for p in props.values())


def test_every_operation_has_a_summary_and_a_typed_success_response() -> None:
    problems = []
    for path, method, op in _operations():
        if not op.get("summary"):
            problems.append(f"{method.upper()} {path}: no summary")
        success = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        if not success:
            problems.append(f"{method.upper()} {path}: no 2xx response")
            continue
        if path in NON_JSON:
            continue
        for code, response in success.items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if not schema or schema == {}:
                problems.append(f"{method.upper()} {path} {code}: untyped response")
            elif not _has_example(schema):
                problems.append(f"{method.upper()} {path} {code}: response model has no example")
    assert not problems, "\n".join(problems)


def test_every_request_body_has_an_example() -> None:
    problems = []
    for path, method, op in _operations():
        body = op.get("requestBody")
        if not body:
            continue
        for media, content in body.get("content", {}).items():
            if media == "application/json" and not (
                "example" in content or "examples" in content or _has_example(content.get("schema", {}))
            ):
                problems.append(f"{method.upper()} {path}: request body has no example")
    assert not problems, "\n".join(problems)


def test_errors_are_documented_with_the_error_body() -> None:
    """Writes document 401/403 (auth) and every documented error uses {"error", "detail"}."""
    problems = []
    for path, method, op in _operations():
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")) and code != "422":
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                resolved = _resolve(schema)
                if "error" not in resolved.get("properties", {}) and "ready" not in resolved.get("properties", {}):
                    problems.append(f"{method.upper()} {path} {code}: error not documented with ErrorBody")
        if method != "get" and op.get("security") is not None:
            for code in ("401", "403"):
                if code not in op["responses"]:
                    problems.append(f"{method.upper()} {path}: {code} not documented")
    assert not problems, "\n".join(problems)


def test_validation_errors_are_documented_as_the_error_body_they_are() -> None:
    assert "HTTPValidationError" not in str(SPEC)
    op = SPEC["paths"]["/v1/events"]["get"]
    assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
