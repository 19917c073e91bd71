"""A credential's printable certificate (PDF), for the issuer's registry office."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from node.api.deps import CredentialId, IssuerReaderDep, NodeDep, VerificationDep
from node.api.jsonbody import StrictJsonRoute
from node.api.responses import E401, E403, E404, documented
from node.services.certificates import CertificateService

router = APIRouter(prefix="/v1", tags=["credentials"], route_class=StrictJsonRoute)


@router.get(
    "/credentials/{credential_id}/certificate.pdf",
    summary="A credential's printable certificate (PDF with a QR code and the bundle attached)",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "A one-page A4 PDF, the credential attached as credential.json.",
        },
        401: E401,
        403: E403,
        404: E404,
        409: documented("The credential is not anchored yet, or does not verify now (revoked, suspended, expired)."),
    },
)
async def certificate_pdf(
    credential_id: CredentialId,
    request: Request,
    principal: IssuerReaderDep,
    node: NodeDep,
    verification: VerificationDep,
) -> Response:
    """The certificate laid out for the credential's type, with a QR code that opens the verify page on this
    credential (through a share link the node keeps encrypted: its key is only in the QR code) and the bundle
    attached as `credential.json`, so dropping the PDF on the verify page verifies it. Each call makes a new link."""
    service = CertificateService(node, verification)
    made = await asyncio.to_thread(service.certificate, principal, credential_id, str(request.base_url))
    return Response(
        made.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{made.filename}"',
            "Cache-Control": "no-store",
        },
    )
