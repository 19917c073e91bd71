"""`credreg certificate ID`: a credential's printable certificate (PDF), from the node's API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from node.cli._app import app, err, friendly
from node.cli.issue import DEFAULT_API_URL, Api
from node.errors import UnauthorizedError, ValidationFailedError
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
    api_url: Annotated[
        str, typer.Option("--api-url", envvar="CREDREG_API_URL", help="The node's API.")
    ] = DEFAULT_API_URL,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="CREDREG_API_KEY",
            help="The issuer's API key (prefer the environment variable: arguments are visible to other users).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the printable certificate of one of your anchored credentials: one A4 page laid out for its type, a QR
    code that opens the verify page on it, and the credential file attached inside the PDF."""
    if not api_key or not api_key.strip():
        raise UnauthorizedError("no API key: set CREDREG_API_KEY to your issuer API key (or pass --api-key).")
    if not _ID.fullmatch(credential_id):
        raise ValidationFailedError(
            "that is not a credential id: use the uuid `credreg issue` printed (or GET /v1/credentials lists)."
        )
    short = credential_id.removeprefix("urn:uuid:")
    api = Api(api_url, api_key.strip(), timeout_s=120.0)
    try:
        pdf = api.get_bytes(f"/v1/credentials/{short}/certificate.pdf", f"the certificate of credential {short}")
    finally:
        api.close()
    target = out or Path(f"certificate-{short}.pdf")
    write_atomically(target, pdf)  # 0600: the certificate names the learner
    err.print(f"wrote {target} ({len(pdf) // 1024} KiB): print it, or send it; its QR code opens the verify page.")
