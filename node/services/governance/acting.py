"""How an act is signed and sent: directly with a key the node holds, or proposed through governance."""

from __future__ import annotations

import time

from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from node.chain.errors import explained
from node.chain.keystore import passphrase_from
from node.chain.registry import (
    IssuerRecord,
)
from node.chain.txmanager import TxManager
from node.errors import (
    ConfigurationError,
    ContractForbiddenError,
    KeystoreError,
    ValidationFailedError,
)
from node.services.governance.common import (
    _tx_of,
)
from node.services.governance.models import (
    DEFAULT_TTL_S,
    ChainAct,
    ProposalState,
    Via,
)
from node.services.governance.views import GovernanceViews


class GovernanceActs(GovernanceViews):
    """Signing and sending acts (see the package docstring for who signs what)."""

    # --- acting --------------------------------------------------------------------------------------------------

    def governor_tm(self) -> TxManager:
        signers = self._node.signers
        return signers.manager(signers.governor())

    def act(
        self, fn: ContractFunction, *, direct: TxManager | None = None, via: Via = Via.BODY_ADMIN, subject: str = ""
    ) -> tuple[ChainAct, TxReceipt | None]:
        """Send ``fn`` with ``direct`` (a key that may call it), or through governance. Returns the act and the
        receipt of the call that made the change (None while a proposal waits)."""
        with explained(subject or "the target"):
            if direct is not None:
                receipt = direct.transact(fn)
                tx_hash, block = _tx_of(receipt)
                return ChainAct(via=via, executed=True, tx_hash=tx_hash, block_number=block), receipt
            return self._through_governance(fn)

    def _through_governance(self, fn: ContractFunction) -> tuple[ChainAct, TxReceipt | None]:
        registry = self._registry
        tm = self.governor_tm()
        if not registry.is_governor(tm.address):
            raise ContractForbiddenError(
                f"the node's governor key {tm.address} is not a governor of this registry: set CREDREG_DEPLOYER_KEY "
                "to a governor's key, or use a governor's node.",
                "RegistryGovernanceNotGovernor",
                (tm.address,),
            )
        registry.preflight_as_governance(fn)  # a refusal surfaces here, before anything is proposed
        proposal_id, receipt = registry.propose(tm, fn, int(time.time()) + DEFAULT_TTL_S)
        return self._execute_if_ready(tm, proposal_id, receipt)

    def _execute_if_ready(self, tm: TxManager, proposal_id: int, last: TxReceipt) -> tuple[ChainAct, TxReceipt | None]:
        registry = self._registry
        record = registry.proposal_of(proposal_id)
        executed_receipt: TxReceipt | None = None
        if not record.executed and record.approvals >= registry.threshold():
            executed_receipt = last = registry.execute_proposal(tm, proposal_id)
        tx_hash, block = _tx_of(last)
        view = self.proposal(proposal_id)
        act = ChainAct(
            via=Via.GOVERNANCE,
            executed=view.state is ProposalState.EXECUTED,
            tx_hash=tx_hash,
            block_number=block,
            proposal=view,
        )
        return act, executed_receipt

    def _admin_tm(self, admin: str, keystore_path: str | None) -> TxManager | None:
        """The body admin's TxManager when this node holds its key (a keystore, or a devnet dev key), else None."""
        signers = self._node.signers
        if keystore_path is not None:
            return signers.manager(self._keystore_account(admin, keystore_path, "bodyAdminKeystorePath"))
        try:
            account: LocalAccount = signers.account_for(admin)
        except ConfigurationError:
            return None  # not a key this node holds: act through governance
        return signers.manager(account)

    def _keystore_account(self, address: str, keystore_path: str, field: str) -> LocalAccount:
        """The account in a keystore named by a request; a keystore that cannot be used is the request's fault (422),
        a node with no passphrase configured is the operator's (503)."""
        passphrase_from(self._node.settings)
        try:
            account: LocalAccount = self._node.signers.account_for(address, keystore_path)
        except KeystoreError as exc:
            raise ValidationFailedError(f"{field}: {exc.detail}") from exc
        if account.address.lower() != address.lower():
            raise ValidationFailedError(f"{field}: the keystore holds {account.address}, not {address}")
        return account

    def _issuer_actor(self, issuer_id: int, keystore_path: str | None) -> tuple[TxManager | None, IssuerRecord]:
        issuer = self._chain_issuer(issuer_id)
        body = self._registry.body_of(issuer.body_id)
        return self._admin_tm(body.admin, keystore_path), issuer

    def _check_signer(self, signer: str, keystore_path: str | None) -> None:
        if keystore_path is not None:
            self._keystore_account(signer, keystore_path, "keystorePath")

    def _set_signer(self, issuer_id: int, signer: str, keystore_path: str | None) -> None:
        stored = self._require_stored(issuer_id)
        self._node.store.upsert_issuer(
            issuer_id,
            name=stored.name,
            metadata_uri=stored.metadata_uri,
            signer_address=signer,
            keystore_path=keystore_path,
            status=stored.status,
        )

    def _sync_after(self, act: ChainAct) -> None:
        """Keep this node's issuer records in step when an executed proposal changed an issuer's status."""
        view = act.proposal
        if not act.executed or view is None or view.target != "registry":
            return
        if view.function in ("suspendIssuer", "reinstateIssuer", "withdrawIssuer"):
            self._sync_issuer_status(int(view.args["issuerId"]))
