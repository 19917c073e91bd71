"""The issuer check (identity, type, scope, level, accreditation at the anchor time), what the verdict's reader
should know beside the checks (notices), and the one-sentence summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from node.chain.records import ChainBlock
from node.chain.registry import (
    AccreditationStatus,
    AnchorRecord,
    BodyRecord,
    IssuerRecord,
)
from node.credentials.hashing import issuer_metadata_hash
from node.credentials.reader import ReadBundle
from node.credentials.types import type_id_bytes32
from node.services.verification.chainreads import _Reader
from node.services.verification.verdict import (
    Check,
    CheckName,
    CheckStatus,
    IssuerFacts,
    _check,
    _type_name,
    _when,
    _within,
)


def _issuer_check(reader: _Reader, anchor: AnchorRecord, parsed: ReadBundle) -> tuple[Check, IssuerFacts | None]:
    def invalid(code: str, message: str, fields: Sequence[str] = ()) -> Check:
        return _check(CheckName.ISSUER, CheckStatus.INVALID, code, message, list(fields))

    issuer = reader.issuer(anchor.issuer_id)
    if issuer is None or issuer.status is AccreditationStatus.NONE:
        return invalid(
            "ISSUER_UNKNOWN", f"Issuer #{anchor.issuer_id}, which anchored the root, is not in the registry."
        ), None
    body = reader.body(issuer.body_id)
    name = parsed.issuer_name
    confirmed = (
        name is not None
        and parsed.issuer_ref == issuer.metadata_uri
        and issuer.metadata_hash == issuer_metadata_hash(issuer.metadata_uri, name)
    )
    facts = IssuerFacts(
        issuer_id=issuer.issuer_id,
        identity=issuer.metadata_uri,
        registered_name=name if confirmed else None,
        status=issuer.status.name.lower(),
        status_changed_at=issuer.status_changed_at,
        max_level=issuer.max_level,
        body_id=issuer.body_id,
        body_identity=body.metadata_uri if body is not None else None,
        body_status=body.status.name.lower() if body is not None else None,
    )
    current = issuer.metadata_uri
    who = f"issuer #{issuer.issuer_id} ({current})"
    # an identity the issuer has replaced since still names it: its earlier credentials keep the old one. Only this
    # issuer's own history counts (another issuer taking the old identity over later does not matter)
    former = parsed.issuer_ref != current
    held = reader.issuer_identities(issuer.issuer_id) if former else (current,)
    if parsed.issuer_ref not in held:
        history = (
            "which has never been registered under that identity"
            if held
            else "and the chain view used here knows only its current identity (e.g. a checkpoint made before "
            "identity histories were recorded); if the issuer may have changed its identity since, verify against a "
            "node of the chain or a new checkpoint"
        )
        return invalid(
            "ISSUER_MISMATCH",
            f"The credential names its issuer as {parsed.issuer_ref!r}, but it was anchored by {who}, {history}. "
            "A credential is only worth what the issuer that anchored it is worth; do not accept it as coming from "
            f"{parsed.issuer_ref!r}.",
            ["/issuer/id"],
        ), facts
    type_id = type_id_bytes32(parsed.type_name)
    if anchor.credential_type != type_id:
        anchored_as = _type_name(anchor.credential_type)
        return invalid(
            "TYPE_MISMATCH",
            f"The credential says it is a {parsed.type_name} credential, but its root was anchored as "
            f"{anchored_as}. An issuer accredited for one type cannot vouch for another; do not accept it.",
            ["/credentialSchema/id"],
        ), facts
    if type_id not in reader.issuer_types(issuer.issuer_id):
        return invalid(
            "TYPE_OUT_OF_SCOPE",
            f"{who} is not accredited for {parsed.type_name} credentials; do not accept it.",
        ), facts
    if body is None or body.status is AccreditationStatus.NONE:
        return invalid(
            "BODY_UNKNOWN", f"Body #{issuer.body_id}, which accredited {who}, is not in the registry."
        ), facts
    if type_id not in reader.body_types(body.body_id):
        return invalid(
            "TYPE_OUT_OF_SCOPE",
            f"Body #{body.body_id} ({body.metadata_uri}), which accredited {who}, is not itself accredited for "
            f"{parsed.type_name} credentials; do not accept it.",
        ), facts
    level, level_path = parsed.level, parsed.policy.level_field
    if level is not None and level > issuer.max_level:
        return invalid(
            "LEVEL_OUT_OF_SCOPE",
            f"The credential is at NQF level {level}, above level {issuer.max_level}, the highest {who} is "
            "accredited for. Do not accept it at that level.",
            [level_path] if level_path else [],
        ), facts
    if level is not None and level > body.max_level:
        return invalid(
            "LEVEL_OUT_OF_SCOPE",
            f"The credential is at NQF level {level}, above level {body.max_level}, the highest body "
            f"#{body.body_id} ({body.metadata_uri}), which accredited {who}, is accredited for. Do not accept it at "
            "that level.",
            [level_path] if level_path else [],
        ), facts
    anchored = anchor.anchored_at
    parties: list[tuple[str, IssuerRecord | BodyRecord]] = [
        (f"Issuer #{issuer.issuer_id}", issuer),
        (f"Body #{body.body_id}", body),
    ]
    for party, record in parties:
        if not _within(anchored, record.valid_from, record.valid_until):
            return invalid(
                "NOT_ACCREDITED_AT_ANCHOR",
                f"{party}'s accreditation window does not cover the anchor time {_when(anchored)}, which the "
                "registry should have refused. Do not accept it; report this to the registry's operators.",
            ), facts
        # strictly before: a change in the anchor's own second came after it (the contract refuses anchors otherwise)
        if record.status is not AccreditationStatus.ACTIVE and record.status_changed_at < anchored:
            return invalid(
                "NOT_ACCREDITED_AT_ANCHOR",
                f"{party} was {record.status.name.lower()} from {_when(record.status_changed_at)}, before the anchor "
                f"on {_when(anchored)}, which the registry should have refused. Do not accept it.",
            ), facts
    level_text = (
        f"; the credential's NQF level {level} is within it"
        if level is not None
        else (
            "; the holder hid the credential's NQF level, so it was not compared with that maximum"
            if parsed.level_hidden
            else ""
        )
    )
    issued_by = (
        f"Issued by issuer #{issuer.issuer_id} under its former identity {parsed.issuer_ref}; it is registered as "
        f"{current} now (the registry records the change, so it is the same issuer). It is accredited"
        if former
        else f"Issued by {who}, accredited"
    )
    message = (
        f"{issued_by} by body #{body.body_id} ({body.metadata_uri}) under the registry's "
        f"governance for {parsed.type_name} credentials up to NQF level {issuer.max_level}{level_text}. "
        "The registry only lets accredited issuers anchor, so the issuer was accredited when it anchored this."
    )
    code = "FORMER_IDENTITY" if former else "OK"
    for party, record in parties:
        if record.status is not AccreditationStatus.ACTIVE:
            code = "ACCREDITATION_CHANGED_AFTER_ANCHOR"
            message += (
                f" {party} was {record.status.name.lower()} on {_when(record.status_changed_at)}, after this "
                f"credential was anchored on {_when(anchored)}: that is not retroactive, so credentials anchored "
                "before it stay valid (it only stops new ones)."
            )
    return _check(CheckName.ISSUER, CheckStatus.VALID, code, message), facts


def _notices(parsed: ReadBundle, issuer: IssuerFacts | None) -> list[str]:
    """What the verdict's reader should know beside the checks (said whether or not the credential is valid)."""
    notices: list[str] = []
    if issuer is None:
        return notices
    registered = issuer.registered_name
    behind = f"issuer #{issuer.issuer_id}, registered as {issuer.identity}"
    if registered is not None:
        behind = f"{registered!r} ({behind})"
    elif parsed.issuer_name is not None:
        notices.append(
            f"The credential calls its issuer {parsed.issuer_name!r} (/issuer/name), but that is not the name the "
            f"registry holds for {behind} (the registry's hash of its registered name does not match): rely on "
            "the registered identity, not that name."
        )
    text = parsed.issuer_text
    if text is not None and text[1] != registered:
        path, value = text
        notices.append(
            f"The credential's own text names the institution {value!r} ({path}), which is not the issuer's "
            f"registered name: that text is the issuer's wording, which the registry does not vouch for. The "
            f"accredited issuer behind this credential is {behind}."
        )
    if parsed.level_hidden:
        notices.append(
            "The holder hid the NQF level, so it could not be compared with the issuer's accredited maximum; ask "
            "the holder to show it if the level matters."
        )
    return notices


def _summary(
    valid: bool,
    checks: list[Check],
    parsed: ReadBundle,
    anchor: AnchorRecord | None,
    issuer: IssuerFacts | None,
    as_of: ChainBlock,
) -> str:
    if not valid:
        failure = next((c for c in checks if c.status is CheckStatus.INVALID), None)
        return f"Not valid: {failure.message}" if failure else "Not valid."
    assert anchor is not None and issuer is not None
    named = parsed.issuer_ref
    if issuer.identity != named:
        named += f", registered as {issuer.identity} now"
    shown = [c for c in parsed.claims() if not c.path.endswith("/learner/name")]
    learner = parsed.value("/credentialSubject/learner/name")
    what = ", ".join(f"{c.label.lower()} {_claim_text(c.value)}" for c in shown[:4])
    who = f" of {learner}" if isinstance(learner, str) else ""
    hidden = f" The holder hid {len(parsed.hidden_fields)} field(s)." if parsed.hidden_fields else ""
    if issuer.registered_name is not None:
        named = f"{issuer.registered_name}, {named}"
    return (
        f"Valid: a {parsed.type_name} credential{who} ({what}), issued by issuer #{anchor.issuer_id} ({named}), "
        f"accredited by body #{issuer.body_id} ({issuer.body_identity}) under the registry's governance; anchored "
        f"{_when(anchor.anchored_at)}; not revoked, suspended, superseded or expired as of block {as_of.number} "
        f"({_when(as_of.timestamp)}).{hidden}"
    )


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value[:3]) + (" …" if len(value) > 3 else "")
    return str(value)
