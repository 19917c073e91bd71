"""The devnet's demo accreditation: a body, an issuer with a signing key, and an API key for it.

Only on the local devnet (its keys are anvil's public dev keys). Idempotent: a second run finds what exists and only
issues a fresh API key (shown once, as every key is).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from node.chain.registry import OPEN_END, type_id
from node.chain.signers import DEV_BODY_ADMIN, DEV_ISSUER, dev_account
from node.credentials.hashing import issuer_metadata_hash
from node.credentials.types import known_types
from node.errors import ConfigurationError
from node.runtime import Node
from node.store.records import ApiKeyRole

DEMO_BODY_URI = "did:web:demo-quality-council.credreg.test"
DEMO_ISSUER_URI = "did:web:demo-university.credreg.test"
DEMO_ISSUER_NAME = "Demo University (devnet)"
MAX_LEVEL = 10


@dataclass(frozen=True)
class DemoIssuer:
    issuer_id: int
    signer: str
    api_key: str


def all_type_ids() -> list[bytes]:
    return [type_id(name) for name in sorted({t.name for t in known_types()})]


def ensure_demo_issuer(node: Node) -> DemoIssuer:
    """Accredit the demo body and issuer on the devnet (once), record the issuer, and mint an API key for it."""
    signers = node.signers
    if not signers.on_devnet:
        raise ConfigurationError("the demo issuer exists only on the local devnet; use the governance CLI elsewhere.")
    registry = node.registry
    admin, issuer_key = dev_account(DEV_BODY_ADMIN), dev_account(DEV_ISSUER)
    key = registry.key_of(issuer_key.address)
    issuer_id = key.issuer_id
    if issuer_id == 0:
        types = all_type_ids()
        governor_tm = signers.manager(signers.governor())
        body_id = registry.body_count() + 1
        registry.governance_act(
            governor_tm, registry.writes.accredit_body(admin.address, types, MAX_LEVEL, 0, OPEN_END, DEMO_BODY_URI)
        )
        admin_tm = signers.manager(admin)
        now = int(time.time()) - 60
        receipt = admin_tm.transact(
            registry.writes.accredit_issuer(
                body_id,
                types,
                MAX_LEVEL,
                now,
                OPEN_END,
                DEMO_ISSUER_URI,
                issuer_metadata_hash(DEMO_ISSUER_URI, DEMO_ISSUER_NAME),
            )
        )
        issuer_id = int(registry.registry_events(receipt, "IssuerAccredited")[0]["issuerId"])
        admin_tm.transact(registry.writes.add_issuer_key(issuer_id, issuer_key.address, now, OPEN_END))
    node.store.upsert_issuer(
        issuer_id, name=DEMO_ISSUER_NAME, metadata_uri=DEMO_ISSUER_URI, signer_address=issuer_key.address
    )
    api_key = node.store.create_api_key(ApiKeyRole.ISSUER, issuer_id, label="demo issuer (make run)")
    return DemoIssuer(issuer_id=issuer_id, signer=issuer_key.address, api_key=api_key)
