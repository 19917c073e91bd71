"""Share links: create (the learner's page), open (the verify page, public), see the opens and revoke (the holder).

The node stores ciphertext only; see node/services/sharing.py for what it keeps and for how long.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response, status

from node.api.deps import NodeDep
from node.api.jsonbody import StrictJsonRoute
from node.api.responses import Responses, documented
from node.api.schemas.shares import (
    ShareCreate,
    ShareCreated,
    ShareOpened,
    ShareStatusOut,
    b64url_decode,
    b64url_encode,
)
from node.config import Settings
from node.services.sharing import RateLimiter, SharingService

router = APIRouter(prefix="/v1", tags=["share links"], route_class=StrictJsonRoute)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def get_sharing_service(request: Request, node: NodeDep) -> SharingService:
    """The service, with the app's one rate limiter (made by :func:`install`, so it counts across requests)."""
    limiter: RateLimiter = request.app.state.share_limiter
    return SharingService(node.store, node.settings, limiter)


def install(app: FastAPI, settings: Settings) -> None:
    """The share-link routes and their rate limiter (per API process: CREDREG_SHARE_CREATES_PER_MINUTE)."""
    app.state.share_limiter = RateLimiter(settings.share_creates_per_minute)
    app.include_router(router)


SharingDep = Annotated[SharingService, Depends(get_sharing_service)]
HolderToken = Annotated[
    str, Header(alias="X-Holder-Token", min_length=1, max_length=200, description="The token shown at creation.")
]
GONE: Responses = {
    404: documented("No share link of that id on this node."),
    410: documented("The link expired, was revoked or was opened as often as allowed; its ciphertext is gone."),
}
HOLDER: Responses = {
    403: documented("The holder token does not belong to this link."),
    404: documented("No share link of that id on this node."),
}


@router.post(
    "/shares",
    status_code=status.HTTP_201_CREATED,
    summary="Create a share link for an encrypted disclosure",
    response_model=ShareCreated,
    responses={
        422: documented(
            "The ciphertext is not base64url or out of size, or the expiry or the maximum of opens is out of range."
        ),
        429: documented(
            "Too many links created from this address in the last minute (Retry-After says when to try again)."
        ),
    },
)
def create_share(body: ShareCreate, request: Request, response: Response, service: SharingDep) -> ShareCreated:
    """The learner's page encrypts the disclosed bundle in the browser and sends only the ciphertext. Keep the
    returned holder token: it is shown once and is what lets you see the opens or revoke the link."""
    created = service.create(
        b64url_decode(body.ciphertext),
        expires_in_s=body.expires_in_seconds,
        max_opens=body.max_opens,
        client=request.client.host if request.client else "unknown",
    )
    response.headers.update(NO_STORE)
    return ShareCreated.model_validate(created)


@router.get(
    "/shares/{share_id}", summary="Open a share link (counts one open)", response_model=ShareOpened, responses=GONE
)
def open_share(share_id: str, response: Response, service: SharingDep) -> ShareOpened:
    """Public: the ciphertext, for the verify page to decrypt with the key in the link's #fragment and verify."""
    opened = service.open(share_id)
    response.headers.update(NO_STORE)
    return ShareOpened(
        id=opened.id,
        ciphertext=b64url_encode(opened.ciphertext),
        expires_at=opened.expires_at,
        opens=opened.opens,
        max_opens=opened.max_opens,
    )


@router.get(
    "/shares/{share_id}/status",
    summary="How often a share link was opened, and whether it still opens (holder)",
    response_model=ShareStatusOut,
    responses=HOLDER,
)
def share_status(share_id: str, token: HolderToken, response: Response, service: SharingDep) -> ShareStatusOut:
    response.headers.update(NO_STORE)
    return ShareStatusOut.model_validate(service.status(share_id, token))


@router.delete(
    "/shares/{share_id}",
    summary="Revoke a share link now (holder); its ciphertext is deleted",
    response_model=ShareStatusOut,
    responses=HOLDER,
)
def revoke_share(share_id: str, token: HolderToken, response: Response, service: SharingDep) -> ShareStatusOut:
    response.headers.update(NO_STORE)
    return ShareStatusOut.model_validate(service.revoke(share_id, token))
