"""create_app() and its lifespan. No import-time side effects: the node connects when the app starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from node.api.errors import install_error_handlers
from node.api.routes import credentials, events, governance, health, issuers, lifecycle, verify
from node.config import Settings, get_settings
from node.runtime import Node


def create_app(settings: Settings | None = None, node: Node | None = None) -> FastAPI:
    """The API app. Pass ``node`` to serve an already-opened node (tests, `credreg run`); else it opens one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.node = node or Node.open(settings or get_settings())
        owned = node is None  # opened here, so closed here
        batcher = None
        if app.state.node.settings.batcher_enabled:
            from node.services.batcher import Batcher

            batcher = Batcher(app.state.node)
            app.state.node.extras["batcher"] = batcher
            batcher.start()  # recovery and anchoring run in its thread: startup never waits for the chain
        from node.services.indexer import attach_indexer

        indexer = attach_indexer(app.state.node)  # the mirror: node.extras["chainview"]; lag for /readyz
        yield
        if indexer is not None:
            indexer.stop()
        if batcher is not None:
            batcher.stop()
            app.state.node.extras.pop("batcher", None)
        if owned:
            app.state.node.close()

    app = FastAPI(
        title="credreg",
        version="0.1.0",
        summary="A permissioned credential registry node: issue, anchor and verify education credentials.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(lifecycle.router)
    app.include_router(issuers.router)
    app.include_router(governance.router)
    app.include_router(credentials.router)
    app.include_router(events.router)
    app.include_router(verify.router)
    return app
