"""Pure rendering (no chain, SQL or HTTP): a credential bundle as a printable certificate PDF, and QR codes.

``render_certificate(bundle_text, verify_url=..., accreditation=[...], devnet=False) -> bytes`` (one A4 page, the
bundle attached as ``credential.json``); :class:`CertificateError` for a bundle it will not print.
"""

from node.render.certificate import ATTACHMENT_NAME, DEVNET_TEXT, render_certificate
from node.render.layouts import CertificateError

__all__ = ["ATTACHMENT_NAME", "DEVNET_TEXT", "CertificateError", "render_certificate"]
