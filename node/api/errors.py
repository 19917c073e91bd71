"""One handler renders every RegistryError as ``{"error": ClassName, "detail": ...}`` with the class's status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from node.api.schemas.errors import ErrorBody as ErrorBody  # the wire model, re-exported
from node.credentials.hashing import escape_token
from node.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    RegistryError,
    TooManyRequestsError,
    UnauthorizedError,
    ValidationFailedError,
)


def error_response(exc: RegistryError, headers: dict[str, str] | None = None) -> JSONResponse:
    """``{"error": ClassName, "detail": ...}`` with the class's status."""
    body = ErrorBody(error=type(exc).__name__, detail=exc.detail)
    extra = {"WWW-Authenticate": "Bearer", **(headers or {})} if exc.status_code == 401 else headers
    return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=extra)


async def registry_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistryError)
    if isinstance(exc, TooManyRequestsError):
        return error_response(exc, {"Retry-After": str(exc.retry_after_s)})
    return error_response(exc)


# --- Starlette's and FastAPI's own HTTP errors (no such route, wrong method, an unreadable body) ------------------

_HTTP_ERRORS: dict[int, type[RegistryError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: ValidationFailedError,
}


def _http_detail(request: Request, exc: HTTPException) -> str:
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        return f"there is no {where} on this node: the API's routes are listed at /docs."
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("allow") or (exc.headers or {}).get("Allow")
        methods = f"it takes {allowed}" if allowed else "see /docs for the methods it takes"
        return f"{request.url.path} does not take {request.method}: {methods}."
    if exc.status_code == 400:
        return (
            f"the request body of {where} cannot be read (e.g. a multipart upload that is not valid multipart): "
            "send it again, well-formed."
        )
    return f"{where}: {exc.detail}"


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Errors raised by Starlette or FastAPI themselves, rendered in the node's shape like every other error."""
    assert isinstance(exc, HTTPException)
    kind = _HTTP_ERRORS.get(exc.status_code)
    if kind is None:
        body = ErrorBody(error="HTTPError", detail=f"{request.method} {request.url.path}: {exc.detail}")
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=exc.headers)
    return error_response(kind(_http_detail(request, exc)), headers=dict(exc.headers or {}))


# --- request validation errors, without echoing input ------------------------------------------------------------
# FastAPI's default 422 body repeats every offending input value, which may be personal data (a learner's ID
# number); these are reported as where + which rule only, in the node's {"error", "detail"} shape.


def _where(loc: Sequence[Any]) -> str:
    """Where a request problem is: ``item 3 /credentialSubject``, ``/validUntil``, ``query parameter limit``."""
    if not loc:
        return "the request"
    source, rest = str(loc[0]), list(loc[1:])
    if source != "body":
        return f"{source} parameter {'.'.join(str(p) for p in rest)}"
    if len(rest) >= 2 and rest[0] == "credentials" and isinstance(rest[1], int):
        tail = "".join("/" + escape_token(str(p)) for p in rest[2:])
        return f"item {rest[1]}" + (f" {tail}" if tail else "")
    return "".join("/" + escape_token(str(p)) for p in rest) or "the body"


def request_problems(errors: Sequence[Any]) -> str:
    """The detail for a request that failed parsing: pointer, pydantic's message and rule; never the input."""
    parts: list[str] = []
    for error in errors:
        if not isinstance(error, dict):
            continue
        kind = str(error.get("type", "invalid"))
        if kind == "json_invalid":
            reason = str(error.get("ctx", {}).get("error", "")).strip()
            parts.append(f"the body is not valid JSON{f' ({reason})' if reason else ''} (rule: json_invalid)")
            continue
        parts.append(f"{_where(error.get('loc', ()))}: {error.get('msg', 'is not valid')} (rule: {kind})")
    count = len(parts)
    return (
        f"The request is not valid ({count} problem{'' if count == 1 else 's'}): {'; '.join(parts)}. "
        "Correct it and send it again."
    )


async def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return await registry_error_handler(request, ValidationFailedError(request_problems(exc.errors())))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RegistryError, registry_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    _document_validation_errors(app)


def _document_validation_errors(app: FastAPI) -> None:
    """Make the OpenAPI document say what a 422 really carries: ErrorBody, not FastAPI's default shape."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = generate()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ErrorBody", ErrorBody.model_json_schema())
        for item in spec.get("paths", {}).values():
            for operation in item.values():
                response: dict[str, Any] = operation.get("responses", {}).get("422") or {}
                content = response.get("content", {}).get("application/json", {})
                if content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                    content["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
                    response["description"] = "The request is not valid: `detail` names where and which rule."
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
