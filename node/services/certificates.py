"""A credential's printable certificate: its anchored bundle, verified now, rendered by node/render with a QR code that
opens the verify page on it through a share link the node made (the key exists only in the QR code), and the bundle
itself attached to the PDF as ``credential.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass

from node.config import DEVNET_CHAIN_ID
from node.errors import ConflictError, CredentialNotAnchoredError
from node.render.certificate import render_certificate
from node.runtime import Node
from node.services.issuance import IssuanceService
from node.services.sharing import SharingService
from node.services.verification import Verdict, VerificationService
from node.store import Principal


@dataclass(frozen=True)
class Certificate:
    filename: str
    pdf: bytes
    verify_url: str
    """The link in the QR code (its #fragment holds the key: the caller must not log it)."""


def accreditation_lines(verdict: Verdict) -> list[str]:
    """Who accredits the issuer, in words, from the verdict's chain facts (the page prints the issuer above it)."""
    issuer = verdict.issuer
    if issuer is None:
        return []
    body = issuer.body_identity or "its accreditation body"
    return [
        f"Accredited by {body} (body {issuer.body_id}) on chain {verdict.chain_id}, up to NQF level "
        f"{issuer.max_level}; issuer #{issuer.issuer_id} ({issuer.identity}) is {issuer.status}"
    ]


class CertificateService:
    def __init__(self, node: Node, verification: VerificationService) -> None:
        self._node = node
        self._verification = verification

    def certificate(self, principal: Principal, credential_id: str, base_url: str) -> Certificate:
        """The certificate of one of the issuer's anchored, currently valid credentials."""
        view = IssuanceService(self._node).get(principal, credential_id)
        if view.bundle is None:
            raise CredentialNotAnchoredError(
                f"credential {view.id} is {view.status.value}: its certificate can be printed once it is anchored "
                "(GET /v1/credentials/{id} shows when)."
            )
        text = json.dumps(view.bundle, ensure_ascii=False, indent=2) + "\n"
        verdict = self._verification.verify(text)
        if not verdict.valid:
            raise ConflictError(
                f"credential {view.id} does not verify now, so no certificate is printed: {verdict.summary}"
            )
        settings = self._node.settings
        share, key = SharingService(self._node.store, settings).create_sealed(
            text.encode("utf-8"), expires_in_s=settings.certificate_link_days * 86_400
        )
        url = f"{(settings.public_url or base_url).rstrip('/')}/verify#share={share.id}.{key}"
        pdf = render_certificate(
            text,
            verify_url=url,
            accreditation=accreditation_lines(verdict),
            devnet=self._node.chain_id == DEVNET_CHAIN_ID,
        )
        return Certificate(filename=f"certificate-{view.id}.pdf", pdf=pdf, verify_url=url)
