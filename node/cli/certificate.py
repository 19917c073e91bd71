"""`credreg certificate ID`: a credential's printable certificate (PDF), from the node's API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from node.cli._app import app, err, friendly
from node.cli.issue import DEFAULT_API_URL, Api, ApiKey, ApiUrl, issuer_key
from node.errors import ValidationFailedError
from node.fsutil import write_atomically

_ID = re.compile(r"^(?:urn:uuid:)?[0-9a-fA-F-]{36}$")


@app.command("certificate")
@friendly
def certificate_cmd(
    credential_id: Annotated[
        str, typer.Argument(help="The credential's id (its uuid, or the document's urn:uuid: id).", show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Where to write the PDF (default: certificate-<id>.pdf here).", show_default=False
        ),
    ] = None,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
) -> None:
    """Write the printable certificate of one of your anchored credentials: one A4 page laid out for its type, a QR
    code that opens the verify page on it, and the credential file attached inside the PDF."""
    key = issuer_key(api_key)
    if not _ID.fullmatch(credential_id):
        raise ValidationFailedError(
            "that is not a credential id: use the uuid `credreg issue` printed (or GET /v1/credentials lists)."
        )
    short = credential_id.removeprefix("urn:uuid:")
    api = Api(api_url, key, timeout_s=120.0)
    try:
        pdf = api.get_bytes(f"/v1/credentials/{short}/certificate.pdf", f"the certificate of credential {short}")
    finally:
        api.close()
    target = out or Path(f"certificate-{short}.pdf")
    write_atomically(target, pdf)  # 0600: the certificate names the learner
    err.print(f"wrote {target} ({len(pdf) // 1024} KiB): print it, or send it; its QR code opens the verify page.")
