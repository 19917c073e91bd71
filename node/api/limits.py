"""A cap on request bodies, answered in the node's error shape before a huge upload is read into memory.

Without it a client could send a body of any size: FastAPI reads JSON bodies whole, and a multipart upload is
spooled in full before the route sees it. The cap (``CREDREG_MAX_REQUEST_BYTES``) sits above the largest legitimate
request (a 10,000-credential bulk, a 32 MiB CSV) and is checked from ``Content-Length`` at once, and byte by byte
for a body sent without one (chunked).
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.api.errors import ErrorBody
from node.errors import PayloadTooLargeError


class BodySizeLimit:
    """Pure ASGI middleware: 413 ``PayloadTooLargeError`` for a request body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        too_big = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, too_big
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
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
        except Exception:
            if not too_big or started:
                raise
        if too_big and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        n = self.max_bytes
        size = f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"
        error = PayloadTooLargeError(
            f"the request body is larger than this node accepts ({size}, CREDREG_MAX_REQUEST_BYTES): split it "
            "into smaller requests (at most 10,000 credentials per bulk)."
        )
        body = ErrorBody(error=type(error).__name__, detail=error.detail)
        response = JSONResponse(body.model_dump(), status_code=error.status_code, headers={"Connection": "close"})
        await response(scope, receive, send)
