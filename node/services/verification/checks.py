"""The checks of a verdict but the issuer's: disclosure, integrity, anchor, key, status, expiry, schema."""

from __future__ import annotations

from node.chain.records import ChainBlock
from node.chain.registry import (
    AnchorRecord,
    CredentialStatus,
)
from node.credentials.document import IntegrityResult
from node.credentials.keccak import to_hex
from node.credentials.reader import ReadBundle
from node.readmodel.chainview import LeafState
from node.services.reasons import reason_text
from node.services.verification.chainreads import _Reader
from node.services.verification.verdict import (
    AnchorFacts,
    Check,
    CheckName,
    CheckStatus,
    StatusFacts,
    _check,
    _skipped,
    _until,
    _when,
    _within,
)

# --- the checks -------------------------------------------------------------------------------------------------


def _disclosure_check(parsed: ReadBundle) -> Check:
    hidden = parsed.hidden_fields
    if not hidden:
        return _check(CheckName.DISCLOSURE, CheckStatus.VALID, "OK", "Every field is shown; nothing is hidden.")
    return _check(
        CheckName.DISCLOSURE,
        CheckStatus.VALID,
        "FIELDS_HIDDEN",
        f"The holder hid {len(hidden)} field{'s' if len(hidden) != 1 else ''} ({', '.join(hidden)}), all of which "
        f"the {parsed.type_label} disclosure policy lets a holder hide; their hashes still count.",
        hidden,
    )


def _integrity_check(result: IntegrityResult, parsed: ReadBundle) -> Check:
    by_name = {c.name: c for c in result.checks}
    fields, hashed, merkle = by_name.get("fields"), by_name.get("credentialHash"), by_name.get("merkleProof")
    if fields is not None and fields.status == "failed":
        return _check(CheckName.INTEGRITY, CheckStatus.INVALID, "FIELDS_ALTERED", fields.message, list(fields.fields))
    if hashed is not None and hashed.status == "failed":
        return _check(CheckName.INTEGRITY, CheckStatus.INVALID, "CREDENTIAL_HASH_MISMATCH", hashed.message)
    if hashed is not None and hashed.status == "skipped":
        return _check(CheckName.INTEGRITY, CheckStatus.INVALID, "FIELDS_ALTERED", hashed.message)
    if merkle is not None and merkle.status == "failed":
        code = "NOT_ANCHORED" if parsed.proof.anchor is None else "MERKLE_PROOF_INVALID"
        return _check(CheckName.INTEGRITY, CheckStatus.INVALID, code, merkle.message)
    hidden = len(result.hidden_fields)
    shown = len(result.shown_fields)
    return _check(
        CheckName.INTEGRITY,
        CheckStatus.VALID,
        "OK",
        f"All {shown} shown fields match their hashes"
        + (f" ({hidden} hidden by the holder; their hashes still count)" if hidden else "")
        + ", they add up to the credential hash, and the Merkle proof leads from it to the root "
        f"{to_hex(result.merkle_root) if result.merkle_root else '?'}.",
    )


def _anchor_check(
    reader: _Reader, anchor: AnchorRecord | None, root: bytes, block_number: int, tx_hash: str
) -> tuple[Check, AnchorFacts | None]:
    if anchor is None:
        if block_number > reader.as_of.number:
            return (
                _check(
                    CheckName.ANCHOR,
                    CheckStatus.INVALID,
                    "ANCHOR_NOT_YET_SEEN",
                    f"The bundle says its root was anchored in block {block_number}, but this verifier has only seen "
                    f"the chain up to block {reader.as_of.number}. Try again in a moment.",
                ),
                None,
            )
        return (
            _check(
                CheckName.ANCHOR,
                CheckStatus.INVALID,
                "ROOT_NOT_ANCHORED",
                f"The root {to_hex(root)} is not anchored in the trusted registry (as of block {reader.as_of.number}). "
                "The bundle's anchor details are false, or the chain it was anchored on was reset. Ask the issuer.",
            ),
            None,
        )
    bundle_tx = tx_hash.lower()
    where = f"block {block_number}, transaction {bundle_tx}"
    on_chain = reader.anchor_transaction(root)
    confirmed_tx: str | None = None
    confirmed_block: int | None = None
    if on_chain is not None:
        confirmed_tx, confirmed_block = on_chain.tx_hash, on_chain.block_number
        chain_where = f"block {on_chain.block_number}, transaction {on_chain.tx_hash}"
        if (on_chain.tx_hash, on_chain.block_number) == (bundle_tx, block_number):
            note = f" The chain's record of the anchor ({chain_where}) is the one the bundle gives."
        else:
            note = (
                f" Note: the bundle records {where}, but the chain anchored this root in {chain_where}: the bundle's "
                "transaction details are wrong (e.g. stale after a chain reorganisation). The anchor on chain is what "
                "counts, and the verdict gives the chain's record."
            )
    else:
        block = reader.block(block_number) if block_number <= reader.as_of.number else None
        if block is not None and block.timestamp == anchor.anchored_at:
            # block times strictly increase along a chain: the one block whose time is the anchor time anchored it
            confirmed_block = block_number
            note = (
                f" The bundle's block {block_number} is the anchoring block (its time is the anchor time); this "
                "verifier cannot look up the transaction, so the verdict does not give one."
            )
        else:
            note = (
                f" The bundle records {where}; this verifier could not confirm that with the chain, so the verdict "
                "gives neither. The anchor on chain is what counts."
            )
    facts = AnchorFacts(
        merkle_root=to_hex(root),
        issuer_id=anchor.issuer_id,
        key_id=anchor.key_id,
        signing_key=anchor.key,
        anchored_at=anchor.anchored_at,
        leaf_count=anchor.leaf_count,
        credential_type=to_hex(anchor.credential_type),
        expires_at=anchor.expires_at or None,
        transaction_hash=confirmed_tx,
        block_number=confirmed_block,
    )
    message = (
        f"The root was anchored by issuer #{anchor.issuer_id} with signing key {anchor.key} on "
        f"{_when(anchor.anchored_at)} ({anchor.leaf_count} credential{'s' if anchor.leaf_count != 1 else ''} "
        f"under it).{note}"
    )
    return _check(CheckName.ANCHOR, CheckStatus.VALID, "OK", message), facts


def _key_check(reader: _Reader, anchor: AnchorRecord) -> Check:
    key = reader.key(anchor.key_id)
    if key is None:
        return _check(
            CheckName.KEY,
            CheckStatus.INVALID,
            "KEY_UNKNOWN",
            f"The signing key #{anchor.key_id} that anchored the root is not in the registry; do not accept it.",
        )
    if key.issuer_id != anchor.issuer_id or key.key.lower() != anchor.key.lower():
        return _check(
            CheckName.KEY,
            CheckStatus.INVALID,
            "KEY_MISMATCH",
            f"The signing key {anchor.key} is not a key of issuer #{anchor.issuer_id}; do not accept it.",
        )
    anchored = anchor.anchored_at
    if key.compromised_at and key.compromised_at <= anchored:
        return _check(
            CheckName.KEY,
            CheckStatus.INVALID,
            "KEY_COMPROMISED",
            f"The signing key {key.key} was declared compromised from {_when(key.compromised_at)}, at or before this "
            f"anchor on {_when(anchored)}: anything it anchored from then on is not trusted. Ask the issuer to "
            "re-issue the credential.",
        )
    if anchored < key.valid_from:
        return _check(
            CheckName.KEY,
            CheckStatus.INVALID,
            "KEY_NOT_VALID_AT_ANCHOR",
            f"The signing key {key.key} is valid only from {_when(key.valid_from)}, after this anchor on "
            f"{_when(anchored)}, which the registry should have refused. Do not accept it.",
        )
    message = (
        f"Anchored with signing key {key.key} of issuer #{key.issuer_id}, which was not cut off at the anchor time"
    )
    notes: list[str] = []
    if key.compromised_at:
        notes.append(
            f"the key was declared compromised from {_when(key.compromised_at)}, after this anchor: anchors made "
            "before the cut-off stay valid"
        )
    if not _within(anchored, key.valid_from, key.valid_until):  # retired later, from a time before this anchor
        notes.append(
            f"the key's window is now {_when(key.valid_from)} to {_until(key.valid_until)} (it was retired); "
            "retirement is not retroactive, only a compromise cut-off is"
        )
    if notes:
        message += "; " + "; ".join(notes)
    return _check(CheckName.KEY, CheckStatus.VALID, "OK", message + ".")


def _status_check(state: LeafState, anchor: AnchorRecord, as_of: ChainBlock) -> tuple[Check, StatusFacts]:
    root_level = anchor.status is state.status and anchor.status_since == state.since and state.since > 0
    scope = "root" if root_level and state.status is not CredentialStatus.ACTIVE else "credential"
    facts = StatusFacts(
        status=state.status.name.lower(),
        reason_code=state.reason_code,
        since=state.since,
        scope=scope,
        replacement_root=to_hex(state.replacement_root) if state.replacement_root else None,
        replacement_hash=(
            to_hex(state.replacement_hash) if state.replacement_hash and state.replacement_hash != b"\0" * 32 else None
        ),
    )
    what = "The whole batch this credential belongs to was" if scope == "root" else "This credential was"
    since = f"on {_when(state.since)} ({reason_text(state.reason_code)})"
    as_of_text = f"as of block {as_of.number} ({_when(as_of.timestamp)})"
    if state.status is CredentialStatus.REVOKED:
        return _check(
            CheckName.STATUS,
            CheckStatus.INVALID,
            "REVOKED",
            f"{what} revoked by its issuer {since}; revocation is final. Do not accept it.",
        ), facts
    if state.status is CredentialStatus.SUPERSEDED:
        if facts.replacement_hash:
            replacement = f"credential {facts.replacement_hash} under root {facts.replacement_root}"
        else:
            replacement = f"the credentials under root {facts.replacement_root}"
        return _check(
            CheckName.STATUS,
            CheckStatus.INVALID,
            "SUPERSEDED",
            f"{what} superseded {since} by {replacement}. Ask the holder for the replacement credential and "
            "verify that one.",
        ), facts
    if state.status is CredentialStatus.SUSPENDED:
        return _check(
            CheckName.STATUS,
            CheckStatus.INVALID,
            "SUSPENDED",
            f"{what} suspended {since}: it is on hold and may be reinstated. Ask the issuer why, or verify again "
            "later.",
        ), facts
    if state.since > anchor.anchored_at:
        return _check(
            CheckName.STATUS,
            CheckStatus.VALID,
            "REINSTATED",
            f"Not revoked, suspended or superseded {as_of_text}: it was suspended and then reinstated {since}.",
        ), facts
    return _check(
        CheckName.STATUS, CheckStatus.VALID, "OK", f"Not revoked, suspended or superseded {as_of_text}."
    ), facts


def _expiry_check(anchor: AnchorRecord, parsed: ReadBundle, at: int) -> Check:
    if anchor.expires_at and at >= anchor.expires_at:
        return _check(
            CheckName.EXPIRY,
            CheckStatus.INVALID,
            "EXPIRED",
            f"Expired on {_when(anchor.expires_at)} (the expiry recorded on chain when it was anchored). "
            "Ask the holder for a current credential.",
        )
    if parsed.valid_until is not None and at >= parsed.valid_until:
        return _check(
            CheckName.EXPIRY,
            CheckStatus.INVALID,
            "EXPIRED",
            f"Expired on {_when(parsed.valid_until)} (its validUntil). Ask the holder for a current credential.",
            ["/validUntil"],
        )
    if parsed.valid_from > at:
        return _check(
            CheckName.EXPIRY,
            CheckStatus.INVALID,
            "NOT_YET_VALID",
            f"Not valid before {_when(parsed.valid_from)} (its validFrom). Verify it again from then on.",
            ["/validFrom"],
        )
    ends = [t for t in (anchor.expires_at or None, parsed.valid_until) if t]
    until = f"until {_when(min(ends))}" if ends else "with no expiry"
    return _check(
        CheckName.EXPIRY,
        CheckStatus.VALID,
        "OK",
        f"Not expired at {_when(at)}: valid from {_when(parsed.valid_from)} {until}.",
    )


def _schema_check(parsed: ReadBundle, integrity: IntegrityResult, integrity_ok: bool) -> Check:
    if not integrity_ok:
        return _skipped(CheckName.SCHEMA, "the fields do not match their hashes, so their content says nothing")
    credential_type = parsed.credential_type
    subject = parsed.document.get("credentialSubject", {})
    hidden = integrity.hidden_fields

    def needs_hidden(path: str) -> bool:
        return any(path == h or h.startswith(path + "/") or path.startswith(h + "/") for h in hidden)

    errors = credential_type.check(subject)
    broken = [e for e in errors if not needs_hidden(e.path)]
    if broken:
        return _check(
            CheckName.SCHEMA,
            CheckStatus.INVALID,
            "SCHEMA_INVALID",
            f"The credential breaks the rules of {credential_type.label}: "
            + "; ".join(str(e) for e in broken)
            + ". The issuer must correct and re-issue it.",
            sorted({e.path for e in broken}),
        )
    if hidden:
        return _check(
            CheckName.SCHEMA,
            CheckStatus.VALID,
            "OK_SHOWN_FIELDS",
            f"The shown fields meet the rules of {credential_type.label}; the rules for the {len(hidden)} hidden "
            "field(s) were not checked (SKIPPED: the holder did not show them).",
            list(hidden),
        )
    return _check(
        CheckName.SCHEMA, CheckStatus.VALID, "OK", f"The credential meets the rules of {credential_type.label}."
    )
