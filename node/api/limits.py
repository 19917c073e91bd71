"""Caps on request bodies, one per route, answered in the node's error shape before a large body is read.

Without them a client could send a body of any size: FastAPI reads JSON bodies whole, and a multipart upload is
spooled in full before the route sees it. Each route's cap fits what it takes (:data:`ROUTE_CAPS`): a bundle to verify
is a few KB (``CREDREG_MAX_VERIFY_BYTES``), a batch of 1,000 a few MB (``CREDREG_MAX_VERIFY_BATCH_BYTES``), a bulk
issuance of 10,000 credentials or a 32 MiB CSV needs ``CREDREG_MAX_REQUEST_BYTES`` (also the ceiling of every cap),
and every other route takes a small JSON body (``CREDREG_MAX_OTHER_REQUEST_BYTES``). The cap is checked from
``Content-Length`` before anything is read, and byte by byte for a body sent without one (chunked).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.api.errors import error_response
from node.config import Settings
from node.errors import PayloadTooLargeError


@dataclass(frozen=True)
class Cap:
    """A body cap: the setting that holds it and what a refused client should do instead."""

    setting: str
    advice: str


BULK = Cap("max_request_bytes", "split it into smaller requests (at most 10,000 credentials per bulk).")
ROUTE_CAPS: dict[tuple[str, str], Cap] = {
    ("POST", "/v1/verify"): Cap(
        "max_verify_bytes",
        "a credential bundle is a few KB: send the holder's bundle file as it is, one per request "
        "(or up to 1,000 at once to POST /v1/verify/batch).",
    ),
    ("POST", "/v1/verify/batch"): Cap(
        "max_verify_batch_bytes",
        "send fewer bundles per request (at most 1,000, each the holder's bundle file as it is) in several batches.",
    ),
    ("POST", "/v1/credentials/bulk"): BULK,
    ("POST", "/v1/credentials/bulk/csv"): BULK,
}
"""The routes whose cap is not :data:`OTHER` (method, path)."""
OTHER = Cap(
    "max_other_request_bytes",
    "this route takes a small JSON body; send only the fields it documents (see /docs). Bulk issuance goes to "
    "POST /v1/credentials/bulk.",
)


@dataclass(frozen=True)
class _Limit:
    max_bytes: int
    variable: str
    advice: str


def _limit(settings: Settings, cap: Cap) -> _Limit:
    """The cap from its setting, within the node-wide ceiling CREDREG_MAX_REQUEST_BYTES."""
    own, ceiling = int(getattr(settings, cap.setting)), settings.max_request_bytes
    setting = cap.setting if own <= ceiling else "max_request_bytes"
    return _Limit(min(own, ceiling), f"CREDREG_{setting.upper()}", cap.advice)


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"


class BodySizeLimit:
    """Pure ASGI middleware: 413 ``PayloadTooLargeError`` for a request body over its route's cap."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.routes = {route: _limit(settings, cap) for route, cap in ROUTE_CAPS.items()}
        self.other = _limit(settings, OTHER)

    def limit_for(self, method: str, path: str) -> _Limit:
        return self.routes.get((method, path.rstrip("/") or "/"), self.other)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("method", "")), str(scope.get("path", "")))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit.max_bytes:
            await self._refuse(limit, scope, receive, send)
            return
        received = 0
        too_big = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, too_big
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    too_big = True
                    return {"type": "http.disconnect"}  # the app stops reading; we answer instead
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_big and not started:
                return  # the app's answer to a cut-off body is replaced by the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:  # a route reading the raw body saw the disconnect we made up
            if not too_big or started:
                raise
        if too_big and not started:
            await self._refuse(limit, scope, receive, send)

    async def _refuse(self, limit: _Limit, scope: Scope, receive: Receive, send: Send) -> None:
        route = f"{scope.get('method', '')} {str(scope.get('path', ''))[:100]}"
        error = PayloadTooLargeError(
            f"the request body is larger than {route} accepts ({_size(limit.max_bytes)}, {limit.variable}): "
            f"{limit.advice}"
        )
        response = error_response(error, headers={"Connection": "close"})
        await response(scope, receive, send)
