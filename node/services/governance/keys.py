"""Issuer signing keys: add, rotate (retire the old key at a time), cut off a compromised key."""

from __future__ import annotations

from node.chain.keystore import absolute_keystore_path
from node.services.governance.accreditation import fund_new_key
from node.services.governance.acting import GovernanceActs
from node.services.governance.common import (
    address,
)
from node.services.governance.models import (
    ChainAct,
)


class KeyActs(GovernanceActs):
    """Acts on an issuer's signing keys."""

    # --- keys ----------------------------------------------------------------------------------------------------

    def add_key(
        self,
        issuer_id: int,
        key: str,
        *,
        valid_from: int | None = None,
        valid_until: int | None = None,
        keystore_path: str | None = None,
        use_for_signing: bool = False,
        body_admin_keystore_path: str | None = None,
    ) -> ChainAct:
        """Add a signing key; with ``use_for_signing`` this node anchors the issuer's credentials with it from now."""
        new_key = address(key, "address")
        keystore_path = absolute_keystore_path(keystore_path)
        self._check_signer(new_key, keystore_path)
        if use_for_signing:
            self._require_stored(issuer_id)
        admin_tm, record = self._issuer_actor(issuer_id, body_admin_keystore_path)
        registry = self._registry
        start = valid_from if valid_from is not None else max(record.valid_from, registry.latest_timestamp())
        fn = registry.writes.add_issuer_key(issuer_id, new_key, start, valid_until or 0)
        act, _ = self.act(fn, direct=admin_tm, subject=f"issuer {issuer_id}")
        if act.executed:
            fund_new_key(self._node, new_key)  # on the devnet: funded; elsewhere: logged, which account, how much
            if use_for_signing:
                self._set_signer(issuer_id, new_key, keystore_path)
        return act

    def rotate_key(
        self,
        issuer_id: int,
        old_key: str,
        new_key: str,
        *,
        switch_at: int | None = None,
        keystore_path: str | None = None,
        body_admin_keystore_path: str | None = None,
    ) -> tuple[ChainAct, bool]:
        """Retire ``old_key`` and add ``new_key`` from ``switch_at`` (default: now). Returns (act, signer switched):
        this node signs with the new key from now when the switch is not in the future and it was signing with the
        old one."""
        old, new = address(old_key, "oldKey"), address(new_key, "newKey")
        keystore_path = absolute_keystore_path(keystore_path)
        self._check_signer(new, keystore_path)
        admin_tm, _ = self._issuer_actor(issuer_id, body_admin_keystore_path)
        registry = self._registry
        now = registry.latest_timestamp()
        at = switch_at if switch_at is not None else now
        fn = registry.writes.rotate_issuer_key(issuer_id, old, new, at)
        act, _ = self.act(fn, direct=admin_tm, subject=f"issuer {issuer_id}")
        if act.executed:
            fund_new_key(self._node, new)
        stored = self._stored(issuer_id)
        switched = False
        if act.executed and stored is not None and stored.signer_address.lower() == old.lower() and at <= now + 1:
            self._set_signer(issuer_id, new, keystore_path)
            switched = True
        return act, switched

    def cut_off_key(
        self,
        issuer_id: int,
        key: str,
        *,
        cutoff: int | None = None,
        body_admin_keystore_path: str | None = None,
    ) -> ChainAct:
        """Declare ``key`` compromised from ``cutoff`` (default: now): its anchors at or after it become invalid."""
        target = address(key, "address")
        admin_tm, _ = self._issuer_actor(issuer_id, body_admin_keystore_path)
        registry = self._registry
        at = cutoff if cutoff is not None else registry.latest_timestamp()
        fn = registry.writes.cut_off_issuer_key(issuer_id, target, at)
        act, _ = self.act(fn, direct=admin_tm, subject=f"issuer {issuer_id}")
        return act
