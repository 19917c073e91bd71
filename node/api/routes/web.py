"""The web pages (the employer's verify page, the learner's page), the offline API docs, and CORS for public routes.

- ``/`` and ``/verify``: the verify page; ``/wallet``: the learner's page (disclosure happens in the browser). Both are
  static files in ``node/web/`` (HTML, CSS, ES modules) served with a Content-Security-Policy that allows nothing but
  this node.
- ``/web/vendor/…``: swagger-ui and redoc, served from their pinned npm packages in ``node_modules`` (never a CDN), so
  ``/docs`` and ``/redoc`` work on an offline machine.
- ``GET /v1/disclosure-policies``: each credential type's disclosure policy (which fields a holder may hide, the
  labels of its main claims), read-only, for the learner's page and any other holder's tool.
- :class:`PublicCors`: CORS answers for the public, read-only routes only (verify, status, the type catalogue, the
  policies, health), so a page on another origin can verify; write routes never get CORS headers.

:func:`install` registers all of it on an app (one line in ``create_app``; the app is made with ``docs_url=None``
and ``redoc_url=None``).
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from node.api.deps import NodeDep
from node.api.schemas.disclosure import DisclosurePoliciesOut, DisclosurePolicyOut
from node.credentials.disclosure import policy_for
from node.credentials.types import known_types

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"
"""The static pages: node/web/."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""The pages load nothing from anywhere but this node (and inline scripts are not allowed either)."""

PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

VENDOR: dict[str, tuple[str, frozenset[str]]] = {
    "swagger-ui": (
        "swagger-ui-dist",
        frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "oauth2-redirect.html"}),
    ),
    "redoc": ("redoc/bundles", frozenset({"redoc.standalone.js"})),
    "qrcode-generator": ("qrcode-generator/dist", frozenset({"qrcode.mjs"})),
    "pdfjs": ("pdfjs-dist/build", frozenset({"pdf.min.mjs", "pdf.worker.min.mjs"})),
}
"""Assets served from pinned npm packages: URL folder → (folder under node_modules, the files served)."""

PUBLIC_PATHS = re.compile(
    r"^/(?:v1/verify(?:/batch)?|v1/status/[^/]+|v1/shares/[^/]+|v1/credential-types|v1/disclosure-policies|healthz)$"
)
"""Routes a page on another origin may call (read-only, no credentials): verify, status, opening a share link, the
catalogues, health."""

_ASSET = re.compile(r"^[a-z0-9][a-z0-9._-]*\.(?:css|js|svg|png|ico)$")
_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

router = APIRouter()


# --- the pages --------------------------------------------------------------------------------------------------


def _page(name: str) -> FileResponse:
    return FileResponse(WEB_DIR / name, media_type="text/html", headers=PAGE_HEADERS)


@router.get("/", include_in_schema=False)
@router.get("/verify", include_in_schema=False)
def verify_page() -> FileResponse:
    return _page("verify.html")


@router.get("/wallet", include_in_schema=False)
def wallet_page() -> FileResponse:
    return _page("wallet.html")


@router.get("/web/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    path = WEB_DIR / name
    if not _ASSET.fullmatch(name) or not path.is_file():
        raise HTTPException(404, f"no such page asset: {name}")
    return FileResponse(path, media_type=_TYPES.get(path.suffix, "application/octet-stream"), headers=PAGE_HEADERS)


@router.get("/web/vendor/{package}/{name}", include_in_schema=False)
def vendor_asset(package: str, name: str, node: NodeDep) -> FileResponse:
    folder, files = VENDOR.get(package, ("", frozenset()))
    path = node.settings.node_modules_dir / folder / name
    if name not in files or not path.is_file():
        raise HTTPException(404, f"no such asset: {package}/{name} (the npm packages are installed by `make setup`)")
    media = _TYPES.get(path.suffix, "text/html" if path.suffix == ".html" else "application/octet-stream")
    return FileResponse(path, media_type=media, headers={"Cache-Control": "max-age=3600"})


# --- the API documentation, offline -----------------------------------------------------------------------------

DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)
"""swagger-ui and redoc need inline scripts and styles; still nothing from outside the node (redoc's sidebar links a
logo on a CDN: the policy keeps the browser from fetching it)."""


def _docs(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


@router.get("/docs", include_in_schema=False)
def swagger_ui() -> HTMLResponse:
    return _docs(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="credreg API",
            swagger_js_url="/web/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/web/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/web/vendor/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )
    )


@router.get("/docs/oauth2-redirect", include_in_schema=False)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", include_in_schema=False)
def redoc() -> HTMLResponse:
    return _docs(
        get_redoc_html(
            openapi_url="/openapi.json",
            title="credreg API",
            redoc_js_url="/web/vendor/redoc/redoc.standalone.js",
            redoc_favicon_url="/web/vendor/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
    )


# --- disclosure policies ----------------------------------------------------------------------------------------


@router.get(
    "/v1/disclosure-policies",
    tags=["verification"],
    summary="What a holder may hide, per credential type",
)
def disclosure_policies() -> DisclosurePoliciesOut:
    """Public and read-only: each type's disclosure policy (as in `node/credentials/schemas/disclosure/`), which the
    learner's page uses to offer only the fields a verifier accepts hidden."""
    return DisclosurePoliciesOut(policies=[DisclosurePolicyOut.of(t, policy_for(t)) for t in known_types()])


# --- CORS for the public routes only ----------------------------------------------------------------------------


class PublicCors:
    """Starlette's CORS middleware, applied to :data:`PUBLIC_PATHS` only; any other route answers as if CORS did not
    exist (no ``Access-Control-Allow-Origin``, preflights not granted), so a page elsewhere cannot call it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and PUBLIC_PATHS.fullmatch(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """The pages, the offline docs, the disclosure policies and public CORS on ``app``."""
    app.include_router(router)
    app.add_middleware(PublicCors)
