"""`credreg disclose`: the holder hides chosen fields of a credential bundle on their own machine.

The bundle is read the one strict way (:mod:`node.credentials.reader`), the fields are hidden by
:func:`node.credentials.document.disclose` (only those the type's disclosure policy allows), and the disclosed bundle
is checked against itself before it is written: its credential hash is the original's, so it verifies as before.
Nothing is sent anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from node.cli._app import app, err, friendly, out
from node.credentials.bundle import dumps_bundle
from node.credentials.document import disclose, verify_integrity
from node.credentials.reader import read_bundle
from node.errors import ValidationFailedError


@app.command("disclose")
@friendly
def disclose_command(
    file: Annotated[Path, typer.Argument(help="The credential bundle (.json) to disclose from.")],
    hide: Annotated[
        list[str] | None,
        typer.Option(
            "--hide",
            help="A field to hide, as a JSON pointer (/credentialSubject/learner/identity hides the whole identity). "
            "Repeat for several. Without --hide: list the fields this credential lets you hide.",
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the disclosed bundle (default: print it)."),
    ] = None,
) -> None:
    """Hide chosen fields of your credential before you share it: the result still verifies, and shows only the rest.

    Example: `credreg disclose bundle.json --hide /credentialSubject/learner/identity --out shared.json`.
    """
    try:
        text = file.read_bytes()
    except OSError as exc:
        raise ValidationFailedError(f"cannot read {file} ({exc.strerror}): check the path.") from None
    read = read_bundle(text)
    if not hide:
        policy = read.policy
        choices = [f for f in read.shown_fields if policy is not None and policy.may_hide(f)]
        out.print(f"{read.type_label}: fields you can hide (shown now):", highlight=False)
        for field in choices:
            out.print(f"  {field}", highlight=False)
        if read.hidden_fields:
            out.print(f"already hidden: {', '.join(read.hidden_fields)}", highlight=False)
        return
    disclosed = disclose(read.document, hide)
    check = verify_integrity(disclosed, require_anchor=False)
    if not check.ok:  # cannot happen for a bundle that was intact: refuse rather than write a broken file
        raise ValidationFailedError(f"the disclosed bundle does not check out ({check.message}); nothing was written.")
    result = dumps_bundle(disclosed) + "\n"
    hidden = sorted(set(check.hidden_fields) - set(read.hidden_fields))
    if out_file is None:
        sys.stdout.write(result)
    else:
        try:
            out_file.write_text(result, encoding="utf-8")
        except OSError as exc:
            raise ValidationFailedError(f"cannot write {out_file} ({exc.strerror}); nothing was written.") from None
        out.print(f"wrote {out_file}", highlight=False)
    err.print(f"hidden: {', '.join(hidden) or 'nothing new'}", highlight=False)
