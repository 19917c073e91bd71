"""create_app() and its lifespan. No import-time side effects: the node connects when the app starts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from node.api.errors import install_error_handlers
from node.api.limits import BodySizeLimit
from node.api.routes import (
    certificates,
    credentials,
    events,
    governance,
    health,
    issuers,
    lifecycle,
    shares,
    verify,
    web,
)
from node.config import Settings, get_settings
from node.runtime import Node

if TYPE_CHECKING:
    from node.workers.batcher import Batcher
    from node.workers.batcher.process import BatcherProcess

log = logging.getLogger(__name__)

SERVE_RPC_URL_ENV = "CREDREG_SERVE_RPC_URL"
"""The JSON-RPC URL `credreg serve --workers N` hands its worker processes (as ``--rpc-url`` gives it to one): not
``CREDREG_RPC_URL``, which would also say the chain is not the devnet (whose development keys it may use)."""


def _batcher(node: Node) -> Batcher | BatcherProcess | None:
    """The batcher the settings ask for: a child process (default), a thread, or none."""
    settings = node.settings
    if not settings.batcher_enabled:
        return None
    from node.workers.batcher import Batcher
    from node.workers.batcher.process import BatcherProcess

    if settings.batcher_process:
        if node.rpc_url is not None:
            return BatcherProcess(settings, node.rpc_url)
        log.info("the node's chain is in-process (no RPC URL): the batcher runs as a thread")
    return Batcher(node)


async def _sweep_shares(node: Node, interval_s: float) -> None:
    """Delete the ciphertext of share links past their expiry, every CREDREG_SHARE_SWEEP_INTERVAL_S."""
    from node.services.sharing import SharingService

    service = SharingService(node.store, node.settings)
    while True:
        await asyncio.sleep(interval_s)
        try:
            purged = await asyncio.to_thread(service.sweep)
        except Exception:  # the database may be briefly unavailable: the next sweep tries again
            log.exception("sweeping expired share links failed; trying again in %s s", interval_s)
            continue
        if purged:
            log.info("share links: deleted the ciphertext of %d expired links", purged)


def create_app(settings: Settings | None = None, node: Node | None = None) -> FastAPI:
    """The API app. Pass ``node`` to serve an already-opened node (tests, `credreg run`); else it opens one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.node = node or Node.open(
            settings or get_settings(), rpc_url=os.environ.get(SERVE_RPC_URL_ENV) or None
        )
        owned = node is None  # opened here, so closed here
        switch_interval = sys.getswitchinterval()
        # A worker thread verifying a large body holds the interpreter lock for up to this long before the event loop
        # gets it back (Python's default, 5 ms, let a flood of maximal verify bodies triple other routes' latency).
        sys.setswitchinterval((settings or app.state.node.settings).gil_switch_interval_ms / 1000)
        batcher = _batcher(app.state.node)
        if batcher is not None:
            app.state.node.workers.batcher = batcher
            batcher.start()  # recovery and anchoring run in its thread or process: startup never waits for the chain
        from node.workers.indexer import attach_indexer

        indexer = attach_indexer(app.state.node)  # the mirror: node.workers.mirror; lag for /readyz
        sweeper = asyncio.create_task(
            _sweep_shares(app.state.node, (settings or app.state.node.settings).share_sweep_interval_s)
        )
        yield
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        if indexer is not None:
            indexer.stop()
        if batcher is not None:
            batcher.stop()
            app.state.node.workers.batcher = None
        if owned:
            app.state.node.close()
        sys.setswitchinterval(switch_interval)

    app = FastAPI(
        title="credreg",
        version="0.1.0",
        summary="A permissioned credential registry node: issue, anchor and verify education credentials.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are served offline by node/api/routes/web.py
        redoc_url=None,
    )
    install_error_handlers(app)
    app_settings = settings or (node.settings if node is not None else get_settings())
    app.add_middleware(BodySizeLimit, settings=app_settings)
    app.include_router(health.router)
    app.include_router(lifecycle.router)
    app.include_router(issuers.router)
    app.include_router(governance.router)
    app.include_router(credentials.router)
    app.include_router(certificates.router)
    app.include_router(events.router)
    app.include_router(verify.router)
    shares.install(app, app_settings)
    web.install(app)  # the verify and learner's pages, offline /docs and /redoc, CORS on the public routes
    return app
