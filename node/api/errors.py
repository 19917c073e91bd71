"""One handler renders every RegistryError as ``{"error": ClassName, "detail": ...}`` with the class's status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from node.errors import RegistryError


class ErrorBody(BaseModel):
    """What every error response carries."""

    error: str
    detail: str | list[dict[str, str]]


async def registry_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistryError)
    body = ErrorBody(error=type(exc).__name__, detail=exc.detail)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RegistryError, registry_error_handler)
