"""The verification service (one verdict per bundle, against one trusted chain and registry) and the quick status of
a credential this node issued."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from node.chain.registry import (
    AnchorRecord,
)
from node.credentials.document import IntegrityCheck, IntegrityResult, verify_integrity
from node.credentials.hash32 import Hash32
from node.credentials.keccak import to_hex
from node.credentials.reader import BundleReadError, ReadBundle, judge_disclosure, read_bundle
from node.errors import ChainMismatchError, CredentialNotAnchoredError, NotFoundError, ValidationFailedError
from node.readmodel.chainview import ChainView
from node.services.verification.chainreads import _Reader
from node.services.verification.checks import (
    _anchor_check,
    _disclosure_check,
    _expiry_check,
    _integrity_check,
    _key_check,
    _schema_check,
    _status_check,
)
from node.services.verification.issuer import _issuer_check, _notices, _summary
from node.services.verification.verdict import (
    _HASH,
    MAX_BATCH,
    REQUIRED,
    AnchorFacts,
    BatchVerdicts,
    BlockInfo,
    Check,
    CheckName,
    CheckStatus,
    ClaimShown,
    CredentialStatusReport,
    IssuerFacts,
    StatusFacts,
    Verdict,
    _check,
    _skip_all,
    _skipped,
)
from node.store import Store
from node.store.records import AnchoringState

# --- the service ------------------------------------------------------------------------------------------------


class VerificationService:
    """Verdicts for bundles against one trusted chain id and registry, read through any ChainView."""

    def __init__(
        self, view: ChainView, chain_id: int, registry: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        if view.chain_id != chain_id or view.registry_address.lower() != registry.lower():
            raise ChainMismatchError(
                f"the chain view answers for chain {view.chain_id}, registry {view.registry_address}, but this "
                f"verifier is to trust chain {chain_id}, registry {registry}: point it at that chain and registry."
            )
        self.view = view
        self.chain_id = chain_id
        self.registry = registry
        self._clock = clock

    @property
    def needs_io(self) -> bool:
        """True when answering reads the chain (RPC): callers on an event loop should use a worker thread."""
        return not getattr(self.view, "in_memory", False)

    def verify(self, bundle: Mapping[str, Any] | str | bytes) -> Verdict:
        """The verdict for one bundle (a parsed JSON object, or the file's text)."""
        return self._verify(_Reader(self.view), bundle)

    def verify_many(self, bundles: Sequence[Mapping[str, Any] | str | bytes]) -> BatchVerdicts:
        """Verdicts for up to :data:`MAX_BATCH` bundles, in order, all against one chain snapshot."""
        if len(bundles) > MAX_BATCH:
            raise ValidationFailedError(
                f"{len(bundles):,} bundles in one batch; at most {MAX_BATCH:,} are verified at once. "
                "Split them into several batches."
            )
        reader = _Reader(self.view)
        verdicts = [self._verify(reader, b) for b in bundles]
        return BatchVerdicts(
            count=len(verdicts),
            valid_count=sum(v.valid for v in verdicts),
            as_of_block=BlockInfo.of(reader.as_of),
            verdicts=verdicts,
        )

    # --- one bundle -----------------------------------------------------------------------------------------

    def _verify(self, reader: _Reader, bundle: Mapping[str, Any] | str | bytes) -> Verdict:
        at = max(reader.as_of.timestamp, int(self._clock()))
        base: dict[str, Any] = {
            "as_of_block": BlockInfo.of(reader.as_of),
            "checked_at": at,
            "chain_id": self.chain_id,
            "registry": self.registry,
        }
        try:
            parsed = read_bundle(bundle, disclosure=False)
        except BundleReadError as exc:
            failed = _check(CheckName.FORMAT, CheckStatus.INVALID, exc.code, exc.detail, exc.fields)
            return _stopped(base, [], failed, "the file could not be read as a credential")
        checks: list[Check] = [
            _check(
                CheckName.FORMAT,
                CheckStatus.VALID,
                "OK",
                f"The file is a well-formed credreg credential bundle ({parsed.type_label}), read the one strict way.",
            )
        ]
        try:
            judge_disclosure(parsed)
        except BundleReadError as exc:
            failed = _check(CheckName.DISCLOSURE, CheckStatus.INVALID, exc.code, exc.detail, exc.fields)
            reason = "the holder's disclosure is not allowed"
            return _stopped(base, checks, failed, reason, parsed, hidden_fields=list(parsed.hidden_fields))
        checks.append(_disclosure_check(parsed))
        try:
            integrity = verify_integrity(parsed.document, proof=parsed.proof, fields=parsed.fields)
        except ValidationFailedError as exc:  # a value that cannot be hashed
            integrity = IntegrityResult((IntegrityCheck("format", "failed", exc.detail),))
        format_failure = next((c for c in integrity.checks if c.name == "format" and not c.passed), None)
        if format_failure is not None:
            failed = _check(CheckName.INTEGRITY, CheckStatus.INVALID, "MALFORMED_PROOF", format_failure.message)
            return _stopped(base, checks, failed, "the credential's proof could not be read", parsed)
        checks.append(_integrity_check(integrity, parsed))
        integrity_ok = checks[-1].status is CheckStatus.VALID
        anchor_info = parsed.proof.anchor
        if anchor_info is None:
            checks.append(_skipped(CheckName.CHAIN, "the bundle has no anchor (it was never anchored)"))
        else:
            checks.append(self._chain_check(anchor_info.chain_id, anchor_info.registry))
        chain_ok = checks[-1].status is CheckStatus.VALID

        anchor: AnchorRecord | None = None
        anchor_facts: AnchorFacts | None = None
        issuer_facts: IssuerFacts | None = None
        status_facts: StatusFacts | None = None
        if not integrity_ok:
            reason = "the credential does not match its own proof, so its anchor proves nothing about it"
            checks += _skip_all(CheckName.CHAIN, reason, upto=CheckName.EXPIRY)
        elif not chain_ok or anchor_info is None:
            checks += _skip_all(
                CheckName.CHAIN, "the bundle is not from the chain and registry trusted here", upto=CheckName.EXPIRY
            )
        else:
            root = integrity.merkle_root
            credential_hash = integrity.credential_hash
            assert root is not None and credential_hash is not None  # integrity passed
            anchor = reader.anchor(root)
            anchor_check, anchor_facts = _anchor_check(
                reader, anchor, root, anchor_info.block_number, anchor_info.transaction_hash
            )
            checks.append(anchor_check)
            if anchor is None or anchor_check.status is not CheckStatus.VALID:
                checks += _skip_all(
                    CheckName.ANCHOR, "the root is not anchored in the trusted registry", upto=CheckName.EXPIRY
                )
            else:
                issuer_check, issuer_facts = _issuer_check(reader, anchor, parsed)
                checks.append(issuer_check)
                checks.append(_key_check(reader, anchor))
                proof: list[bytes] = [Hash32.of(p) for p in anchor_info.merkle_proof]
                state = reader.leaf_state(root, credential_hash, proof)
                status_check, status_facts = _status_check(state, anchor, reader.as_of)
                checks.append(status_check)
                checks.append(_expiry_check(anchor, parsed, at))
        checks.append(_schema_check(parsed, integrity, integrity_ok))

        valid = all(c.status is CheckStatus.VALID for c in checks if c.name in REQUIRED) and not any(
            c.status is CheckStatus.INVALID for c in checks
        )
        claims = (
            [ClaimShown(label=c.label, path=c.path, value=c.value) for c in parsed.claims()] if integrity_ok else []
        )
        return Verdict(
            valid=valid,
            summary=_summary(valid, checks, parsed, anchor, issuer_facts, reader.as_of),
            claims=claims,
            notices=_notices(parsed, issuer_facts) if integrity_ok else [],
            credential_hash=(
                to_hex(integrity.credential_hash) if integrity.credential_hash else parsed.proof.credential_hash.lower()
            ),
            credential_type=parsed.type_label,
            checks=checks,
            hidden_fields=list(integrity.hidden_fields),
            anchor=anchor_facts,
            issuer=issuer_facts,
            credential_status=status_facts,
            **base,
        )

    def _chain_check(self, chain_id: int, registry: str) -> Check:
        if chain_id != self.chain_id:
            return _check(
                CheckName.CHAIN,
                CheckStatus.INVALID,
                "WRONG_CHAIN",
                f"The credential says it was anchored on chain {chain_id}, but this verifier trusts chain "
                f"{self.chain_id}. It cannot be confirmed here; verify it against a node of chain {chain_id} only if "
                "you trust that network.",
            )
        if registry.lower() != self.registry.lower():
            return _check(
                CheckName.CHAIN,
                CheckStatus.INVALID,
                "WRONG_REGISTRY",
                f"The credential says it was anchored in registry {registry}, but this verifier trusts registry "
                f"{self.registry} on chain {chain_id}. Another registry's anchors mean nothing here: anyone can deploy "
                "a registry. Verify it against that registry only if you trust it.",
            )
        return _check(
            CheckName.CHAIN,
            CheckStatus.VALID,
            "OK",
            f"The credential was anchored on chain {chain_id} in registry {self.registry}, the ones trusted here.",
        )


# --- quick status (GET /v1/status/{credentialHash}) ------------------------------------------------------------


def _stopped(
    base: dict[str, Any], checks: list[Check], failed: Check, reason: str, parsed: ReadBundle | None = None, **more: Any
) -> Verdict:
    """The verdict when the ``failed`` check stops the run: the checks after it skipped for ``reason``; what the bundle
    says of itself (its hash and type) when it could be ``parsed``."""
    return Verdict(
        valid=False,
        summary=f"Not valid: {failed.message}",
        credential_hash=None if parsed is None else parsed.proof.credential_hash,
        credential_type=None if parsed is None else parsed.type_label,
        checks=[*checks, failed, *_skip_all(failed.name, reason)],
        **more,
        **base,
    )


class StatusService:
    """Status of a credential this node issued, by its hash alone: the store gives root and proof, the view the rest."""

    def __init__(self, store: Store, view: ChainView, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._view = view
        self._clock = clock

    def status(self, credential_hash: str) -> CredentialStatusReport:
        if not _HASH.fullmatch(credential_hash):
            raise ValidationFailedError(
                "a credential hash is 0x followed by 64 hexadecimal digits (the proof's credentialHash in the bundle)."
            )
        wanted = credential_hash.lower()
        rows = self._store.list_credentials(credential_hash=wanted, limit=10)
        if not rows:
            raise NotFoundError(
                f"no credential with hash {wanted} was issued through this node. To check a credential from "
                "anywhere, POST its bundle to /v1/verify."
            )
        anchored = [
            r
            for r in rows
            if r.status is AnchoringState.ANCHORED and r.batch_id is not None and r.merkle_proof is not None
        ]
        if not anchored:
            raise CredentialNotAnchoredError(
                f"credential {wanted} is not anchored yet (it is {rows[0].status.value}); ask again in a few seconds."
            )
        row = anchored[0]
        assert row.batch_id is not None and row.merkle_proof is not None
        batch = self._store.get_batch(row.batch_id)
        if batch.root is None:
            raise CredentialNotAnchoredError(f"credential {wanted} is not anchored yet; ask again in a few seconds.")
        view = self._view.snapshot()
        as_of = view.as_of()
        root = Hash32.of(batch.root)
        anchor = view.anchor(root)
        if anchor is None:
            raise CredentialNotAnchoredError(
                f"credential {wanted} was anchored under root {batch.root}, but this node's view of the chain "
                f"(block {as_of.number}) does not show that anchor yet; ask again in a few seconds."
            )
        proof: list[bytes] = [Hash32.of(p) for p in row.merkle_proof]
        state = view.leaf_state(root, Hash32.of(wanted), proof)
        at = max(as_of.timestamp, int(self._clock()))
        return CredentialStatusReport(
            credential_hash=wanted,
            merkle_root=to_hex(root),
            status=state.status.name.lower(),
            reason_code=state.reason_code,
            since=state.since,
            replacement_root=to_hex(state.replacement_root) if state.replacement_root else None,
            replacement_hash=(
                to_hex(state.replacement_hash)
                if state.replacement_hash and state.replacement_hash != b"\0" * 32
                else None
            ),
            issuer_id=anchor.issuer_id,
            anchored_at=anchor.anchored_at,
            expires_at=anchor.expires_at or None,
            expired=bool(anchor.expires_at) and at >= anchor.expires_at,
            as_of_block=BlockInfo.of(as_of),
        )
