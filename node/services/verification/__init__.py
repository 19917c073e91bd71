"""Verification: one verdict for a credential bundle, with every check listed and a sentence a person understands.

The checks run in this order; a check that cannot run because an earlier one failed is SKIPPED with the reason:

==========  ==============================================================================================
format      the file is read the one strict way (node/credentials/reader.py): JSON, canonical values, VC context,
            proof shape, a type and version this verifier knows, issuer, dates
disclosure  every hidden field is one the type's disclosure policy lets a holder hide, at a place its schema
            defines, not colliding with a shown field
integrity   shown fields → their hashes → the credential hash → the Merkle proof → the root
            (:func:`node.credentials.document.verify_integrity`, not re-implemented here)
chain       the bundle names the chain id and registry this verifier trusts (anything else is INVALID)
anchor      the root is anchored in that registry: by which issuer and key, when; the bundle's block/tx
issuer      the anchoring issuer's identity (the document's issuer is a metadata URI that issuer has
            registered: its current one, or a former one it has since replaced, which the message says),
            its accreditation path governance → body → issuer for this credential type, and the level
            within the issuer's maximum. The contract only lets accredited issuers anchor, so a suspension
            after the anchor does not make the credential invalid (and the message says so).
key         the anchoring key belongs to that issuer and was not cut off (compromised) at or before the anchor
status      revoked / suspended / superseded (reason code, since when, the replacement) at the root or leaf
expiry      the expiry recorded on chain, and the document's validFrom / validUntil
schema      the credentialSubject against its type's JSON schema; rules that need hidden fields are not run
==========  ==============================================================================================

The chain is read through a :class:`~node.readmodel.chainview.ChainView` (RPC, the indexer's mirror or a signed
checkpoint): one snapshot per verification, each record asked once per run. Time-dependent judgements (expiry)
use the later of the snapshot block's time and this machine's clock; chain state (status) is as of the snapshot.
"""

from node.services.verification.service import StatusService, VerificationService
from node.services.verification.verdict import (
    MAX_BATCH,
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
)

__all__ = [
    "MAX_BATCH",
    "AnchorFacts",
    "BatchVerdicts",
    "BlockInfo",
    "Check",
    "CheckName",
    "CheckStatus",
    "ClaimShown",
    "CredentialStatusReport",
    "IssuerFacts",
    "StatusFacts",
    "StatusService",
    "Verdict",
    "VerificationService",
]
