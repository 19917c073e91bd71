"""The one error body every error response carries: ``{"error": ClassName, "detail": ...}``."""

from __future__ import annotations

from node.api.schemas.base import ApiSchema


class ErrorBody(ApiSchema):
    """What every error response carries."""

    error: str
    detail: str | list[dict[str, str]]


__all__ = ["ErrorBody"]
