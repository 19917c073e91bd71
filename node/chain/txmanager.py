"""The transaction manager: the one owner of a signing key's nonces, from signing to confirmed receipt.

One :class:`TxManager` per signing key per process; any number of threads may call it.

The steps are separate so that a caller can make a signed transaction durable before it leaves the process::

    signed = tm.prepare(Call.of(registry.functions.anchor(root, count)))   # estimate, reserve nonce, sign locally
    outbox.mark_signed(batch_id, signed.sender, signed.nonce, signed.raw_tx, signed.tx_hash)   # caller persists
    tm.send(signed)                                                          # idempotent
    receipt = tm.wait(signed)                                                # confirmed receipt or an error

``transact(call)`` does all three for callers that need no durability.

Nonces
    ``prepare`` estimates gas and fees first (RPC, may fail or revert, no nonce held yet), then under the manager's
    lock takes a nonce and signs (local, microseconds). A nonce is therefore only taken when a signed transaction is
    about to exist. Nonces come from a :class:`NonceStore` (``next_nonce(address, chain_pending_nonce)`` returns
    max(stored next, chain's pending count) and stores it plus one; the SQLite store implements the same three
    methods), so nonces never go backwards and never collide, even across restarts with the durable store.
    A nonce that is handed out but will never be used (signing failed, or the node definitively refused the signed
    transaction) is *abandoned*: if it is the highest handed out it goes on a free list and the next ``prepare``
    reuses it; if a higher nonce is already out, waiting for a future caller could stall those transactions, so
    the gap is filled at once with a zero-value transfer to self (21,000 gas).
    At startup, call ``resync(outstanding)`` with every signed-but-unconfirmed transaction the caller persisted:
    they are re-sent as is, nonces the store handed out that have no transaction anywhere are filled (below a sent
    one) or handed out again (above every sent one), and the store is set to continue from there.

Resending
    Sending is idempotent: "already known / already imported" means sent; "nonce too low" means sent if the
    transaction's own hash is pending or mined, and :class:`NonceConsumedError` (prepare again) if another
    transaction took the nonce. ``wait`` re-sends the same raw transaction when the node has lost it (unknown hash,
    nonce unused), and raises NonceConsumedError when the nonce was mined by another transaction.

Faults
    Every RPC is retried on connection errors, timeouts, HTTP 429 and 5xx with exponential backoff and jitter for up
    to ``RetryPolicy.total_s`` (default 60 s: rides out a 30 s outage); then ChainUnavailableError. Reverts and
    definitive refusals are never retried.

In flight
    At most ``max_in_flight`` nonces per key are handed out beyond the chain's mined nonce count; ``prepare``
    blocks (polling the mined count) until the window has room. This is a counting semaphore whose releases are
    the chain itself, so a caller that crashes or never calls ``wait`` cannot leak a slot, and a caller that sends
    many before waiting cannot deadlock. Send what you prepare: prepared but unsent transactions hold the window.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import TransactionNotFound, Web3RPCError
from web3.types import TxParams, TxReceipt

from node.chain.client import REVERT_ERRORS
from node.chain.txfaults import ALREADY_KNOWN, NONCE_USED, revert_error, rpc_message, with_retries
from node.chain.txtypes import (
    Call,
    MemoryNonceStore,
    NonceStore,
    ResyncReport,
    RetryPolicy,
    SignedTx,
    TxLookup,
    TxState,
)
from node.errors import (
    ChainUnavailableError,
    NonceConsumedError,
    TransactionError,
    TransactionRejectedError,
    TransactionRevertedError,
    TransactionTimeoutError,
)

__all__ = [
    "TRANSACT_ATTEMPTS",
    "TRANSFER_GAS",
    "Call",
    "MemoryNonceStore",
    "NonceStore",
    "ResyncReport",
    "RetryPolicy",
    "SignedTx",
    "TxLookup",
    "TxManager",
    "TxState",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSFER_GAS = 21_000

TRANSACT_ATTEMPTS = 3
"""How often :meth:`TxManager.transact` prepares a call whose nonce another transaction took."""


# --- the manager --------------------------------------------------------------------------------------------------


class TxManager:
    """Signs, sends and confirms contract calls for one key; the only owner of that key's nonces."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        nonce_store: NonceStore | None = None,
        confirmations: int = 1,
        gas_margin: float = 1.2,
        max_in_flight: int = 64,
        retry: RetryPolicy | None = None,
        poll_interval_s: float = 0.25,
        wait_timeout_s: float = 300.0,
        rebroadcast_interval_s: float = 5.0,
        priority_fee_wei: int | None = None,
        fee_cache_s: float = 1.0,
        abi: list[dict[str, Any]] | None = None,
    ) -> None:
        """``confirmations`` = blocks on top of the including block before ``wait`` returns (0: once mined).

        ``priority_fee_wei`` fixes the EIP-1559 tip (default: the node's eth_maxPriorityFeePerGas); fees are cached
        for ``fee_cache_s``. ``abi`` decodes custom errors when a call carries no ABI of its own.
        """
        if confirmations < 0 or max_in_flight < 1 or gas_margin < 1.0:
            raise TransactionError("confirmations must be >= 0, max_in_flight >= 1 and gas_margin >= 1.0.")
        self.w3 = w3
        self._account = account
        self.address: ChecksumAddress = to_checksum_address(account.address)
        self.store: NonceStore = nonce_store if nonce_store is not None else MemoryNonceStore()
        self.confirmations = confirmations
        self.gas_margin = gas_margin
        self.max_in_flight = max_in_flight
        self.retry = retry if retry is not None else RetryPolicy()
        self.poll_interval_s = poll_interval_s
        self.wait_timeout_s = wait_timeout_s
        self.rebroadcast_interval_s = rebroadcast_interval_s
        self.priority_fee_wei = priority_fee_wei
        self.fee_cache_s = fee_cache_s
        self.abi = abi
        self._lock = threading.Lock()  # guards the nonce state below and the store calls
        self._free: list[int] = []  # heap of abandoned nonces, reused lowest first
        self._highest = -1  # highest nonce handed out by this instance
        self._mined = 0  # the chain's mined nonce count as last seen (the in-flight window's floor)
        self._chain_id: int | None = None
        self._fees: tuple[float, dict[str, int]] | None = None
        self._fee_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TxManager(address={self.address}, confirmations={self.confirmations})"

    # --- public API -----------------------------------------------------------------------------------------------

    def transact(self, call: Call | ContractFunction, timeout_s: float | None = None) -> TxReceipt:
        """prepare + send + wait, for callers that need not persist the signed transaction first.

        If another user of the key (another process on the same nonce store, e.g. the batcher beside the API) took
        the nonce first, the call was not executed: it is prepared again, up to ``TRANSACT_ATTEMPTS`` times.
        """
        call = call if isinstance(call, Call) else Call.of(call)
        for attempt in range(1, TRANSACT_ATTEMPTS + 1):
            signed = self.prepare(call)
            try:
                self.send(signed)
                return self.wait(signed, timeout_s=timeout_s, abi=call.abi)
            except NonceConsumedError:
                if attempt == TRANSACT_ATTEMPTS:
                    raise
                log.info("nonce %d of %s was taken by another transaction: preparing the call again", signed.nonce,
                         self.address)  # fmt: skip
        raise AssertionError("unreachable")

    def prepare(self, call: Call | ContractFunction) -> SignedTx:
        """Estimate gas (a revert raises ContractRevertError, decoded when the ABI knows it), reserve a nonce, sign."""
        call = call if isinstance(call, Call) else Call.of(call)
        gas = call.gas if call.gas is not None else self._estimate_gas(call)
        fees = self._current_fees()
        chain_id = self.chain_id
        chain_pending = self._rpc("eth_getTransactionCount", lambda: self.w3.eth.get_transaction_count(
            to_checksum_address(self.address), "pending"))  # fmt: skip
        nonce = self._reserve(int(chain_pending))
        tx: dict[str, Any] = {"to": to_checksum_address(call.to), "data": call.data, "value": call.value}
        try:
            return self._sign(tx, nonce, gas, fees, chain_id)
        except (ValueError, TypeError) as exc:
            self._abandon(nonce)
            raise TransactionError(
                f"could not sign the call to {call.to} ({type(exc).__name__}): check the call's fields.", nonce=nonce
            ) from exc

    def send(self, signed: SignedTx) -> None:
        """Hand the raw transaction to the node; idempotent (known, pending or mined counts as sent).

        NonceConsumedError if another transaction took its nonce; TransactionRejectedError if the node refuses it.
        """
        try:
            self._rpc("eth_sendRawTransaction", lambda: self.w3.eth.send_raw_transaction(HexStr(signed.raw_tx)))
        except Web3RPCError as exc:
            message = rpc_message(exc)
            lowered = message.lower()
            if any(s in lowered for s in ALREADY_KNOWN):
                return
            if any(s in lowered for s in NONCE_USED):
                if self.find_receipt(signed.tx_hash).state is not TxState.UNKNOWN:
                    return
                raise self._consumed(signed) from exc
            self._abandon(signed.nonce)
            raise TransactionRejectedError(
                f"the node refused transaction {signed.tx_hash} (nonce {signed.nonce}) from {signed.sender}: "
                f"{message}. Fix the cause (fund the account, check the fee settings) and prepare the call again.",
                tx_hash=signed.tx_hash,
                nonce=signed.nonce,
            ) from exc
        log.debug("sent %s nonce %d", signed.tx_hash, signed.nonce)

    def find_receipt(self, tx_hash: str) -> TxLookup:
        """MINED (with its receipt), PENDING (in the node's pool) or UNKNOWN (the node does not know the hash)."""

        def lookup() -> TxLookup:
            try:
                return TxLookup(TxState.MINED, self.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
            except TransactionNotFound:
                pass
            try:
                self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return TxLookup(TxState.UNKNOWN)
            # mined between the two calls: the next poll returns the receipt
            return TxLookup(TxState.PENDING)

        return self._rpc("receipt lookup", lookup) if tx_hash else TxLookup(TxState.UNKNOWN)

    def wait(
        self, signed: SignedTx, timeout_s: float | None = None, abi: list[dict[str, Any]] | None = None
    ) -> TxReceipt:
        """The receipt once ``confirmations`` blocks are on top of it.

        Re-sends the raw transaction if the node lost it. TransactionRevertedError (decoded custom error when
        ``abi`` or the manager's ABI knows it) if it reverted; NonceConsumedError if another transaction took its
        nonce; TransactionTimeoutError if nothing final happened within ``timeout_s`` (the transaction may still
        be mined: keep it and wait again).
        """
        deadline = time.monotonic() + (self.wait_timeout_s if timeout_s is None else timeout_s)
        last_send = float("-inf")
        while True:
            lookup = self.find_receipt(signed.tx_hash)
            if lookup.state is TxState.MINED and lookup.receipt is not None:
                receipt = lookup.receipt
                if self._confirmed(receipt):
                    self._note_mined(signed.nonce + 1)
                    if receipt["status"] == 0:
                        raise self._reverted(signed, receipt, abi if abi is not None else self.abi)
                    return receipt
            elif lookup.state is TxState.UNKNOWN and time.monotonic() - last_send >= self.rebroadcast_interval_s:
                mined = self._mined_count()
                if mined > signed.nonce:
                    if self.find_receipt(signed.tx_hash).state is TxState.UNKNOWN:
                        raise self._consumed(signed)
                    continue
                log.info("transaction %s (nonce %d) unknown to the node: re-sending", signed.tx_hash, signed.nonce)
                self.send(signed)
                last_send = time.monotonic()
            if time.monotonic() >= deadline:
                raise TransactionTimeoutError(
                    f"transaction {signed.tx_hash} (nonce {signed.nonce}) was not "
                    f"{'mined' if lookup.state is not TxState.MINED else 'confirmed'} in time: it may still be. "
                    "Keep it, check the node is producing blocks, and call wait again.",
                    tx_hash=signed.tx_hash,
                    nonce=signed.nonce,
                )
            time.sleep(self.poll_interval_s)

    def resync(self, outstanding: Iterable[SignedTx] = ()) -> ResyncReport:
        """Start-up reconciliation: re-send ``outstanding`` (every signed, unconfirmed tx the caller persisted),
        then make the nonces contiguous: fill unused nonces below a sent one, hand out again those above.

        Call before preparing new work. Returns what happened; NonceConsumedError / rejected txs are reported, not
        raised, so the caller can re-prepare them.
        """
        resent: list[SignedTx] = []
        consumed: list[SignedTx] = []
        rejected: list[SignedTx] = []
        for signed in sorted(outstanding, key=lambda s: s.nonce):
            if signed.sender.lower() != self.address.lower():
                raise TransactionError(f"{signed.tx_hash} was signed by {signed.sender}, not {self.address}.")
            try:
                self.send(signed)
                resent.append(signed)
            except NonceConsumedError:
                consumed.append(signed)
            except TransactionRejectedError:
                rejected.append(signed)
        pending = self._pending_count()
        covered = {s.nonce for s in resent}
        top_sent = max((n for n in covered if n >= pending), default=pending - 1)
        gaps = [n for n in range(pending, top_sent) if n not in covered]
        fees = self._current_fees()
        chain_id = self.chain_id
        with self._lock:
            fills = [self._sign(_noop(self.address), n, TRANSFER_GAS, fees, chain_id) for n in gaps]
            next_nonce = max(pending, top_sent + 1)
            self.store.set_nonce(self.address, next_nonce)
            self._free = []
            self._highest = next_nonce - 1
        for fill in fills:
            self.send(fill)
        self._note_mined(self._mined_count())
        log.info(
            "resync %s: %d re-sent, %d consumed, %d refused, %d gaps filled, next nonce %d",
            self.address, len(resent), len(consumed), len(rejected), len(fills), next_nonce,
        )  # fmt: skip
        return ResyncReport(tuple(resent), tuple(consumed), tuple(rejected), tuple(gaps), next_nonce)

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._rpc("eth_chainId", lambda: self.w3.eth.chain_id))
        return self._chain_id

    # --- nonces ---------------------------------------------------------------------------------------------------

    def _reserve(self, chain_pending: int) -> int:
        """Take the next nonce once the in-flight window has room (blocks; TransactionTimeoutError eventually)."""
        deadline = time.monotonic() + self.wait_timeout_s
        while True:
            with self._lock:
                if self._highest + 1 - self._mined < self.max_in_flight:
                    while self._free and self._free[0] < chain_pending:
                        heapq.heappop(self._free)  # used meanwhile (filled, or by a re-sent transaction)
                    if self._free:
                        nonce = heapq.heappop(self._free)
                    else:
                        nonce = self.store.next_nonce(self.address, chain_pending)
                    self._highest = max(self._highest, nonce)
                    return nonce
            if time.monotonic() >= deadline:
                raise TransactionTimeoutError(
                    f"{self.max_in_flight} transactions from {self.address} have been in flight for "
                    f"{self.wait_timeout_s:g} s: check the node is producing blocks, and that prepared transactions "
                    "are sent."
                )
            self._note_mined(self._mined_count())
            time.sleep(self.poll_interval_s)

    def _note_mined(self, count: int) -> None:
        with self._lock:
            self._mined = max(self._mined, count)

    def _abandon(self, nonce: int) -> None:
        """A handed-out nonce will not be used: give it back to the store if it is the last one handed out (by any
        process sharing the store), else fill it now with a no-op so the nonces above it can be mined."""
        with self._lock:
            if nonce > self._highest:
                return  # not handed out by this instance (a re-sent transaction): resync owns those
            if self.store.release_nonce(self.address, nonce):
                if nonce == self._highest:
                    self._highest -= 1
                return
        try:
            fill = self._sign(_noop(self.address), nonce, TRANSFER_GAS, self._current_fees(), self.chain_id)
            self.send(fill)
            log.warning("nonce %d of %s abandoned: filled with a zero-value transfer %s", nonce, self.address,
                        fill.tx_hash)  # fmt: skip
        except (TransactionError, ChainUnavailableError):
            with self._lock:
                if nonce not in self._free:
                    heapq.heappush(self._free, nonce)
            log.exception("nonce %d of %s could not be filled; the next prepare reuses it", nonce, self.address)

    def _consumed(self, signed: SignedTx) -> NonceConsumedError:
        return NonceConsumedError(
            f"nonce {signed.nonce} of {signed.sender} was used by another transaction, so {signed.tx_hash} can never "
            "be mined: prepare the call again (it was not executed).",
            tx_hash=signed.tx_hash,
            nonce=signed.nonce,
        )

    def _pending_count(self) -> int:
        address = to_checksum_address(self.address)
        return int(self._rpc("eth_getTransactionCount", lambda: self.w3.eth.get_transaction_count(address, "pending")))

    def _mined_count(self) -> int:
        address = to_checksum_address(self.address)
        return int(self._rpc("eth_getTransactionCount", lambda: self.w3.eth.get_transaction_count(address, "latest")))

    # --- building and signing -------------------------------------------------------------------------------------

    def _estimate_gas(self, call: Call) -> int:
        tx: TxParams = {
            "from": to_checksum_address(self.address),
            "to": to_checksum_address(call.to),
            "data": call.data,  # type: ignore[typeddict-item]
            "value": call.value,  # type: ignore[typeddict-item]
        }
        try:
            estimate = self._rpc("eth_estimateGas", lambda: self.w3.eth.estimate_gas(tx))
        except REVERT_ERRORS as exc:
            raise revert_error(exc, call.abi if call.abi is not None else self.abi, call.to) from exc
        return int(int(estimate) * self.gas_margin)

    def _current_fees(self) -> dict[str, int]:
        """EIP-1559 (max fee = 2 x base fee + tip) when the chain has a base fee, else the legacy gas price."""
        with self._fee_lock:
            if self._fees is not None and time.monotonic() - self._fees[0] < self.fee_cache_s:
                return self._fees[1]
        block = self._rpc("eth_getBlockByNumber", lambda: self.w3.eth.get_block("latest"))
        base_fee = block.get("baseFeePerGas")
        fees: dict[str, int]
        if base_fee is None:
            fees = {"gasPrice": int(self._rpc("eth_gasPrice", lambda: self.w3.eth.gas_price))}
        else:
            tip = self.priority_fee_wei
            if tip is None:
                tip = int(self._rpc("eth_maxPriorityFeePerGas", lambda: self.w3.eth.max_priority_fee))
            fees = {"maxFeePerGas": 2 * int(base_fee) + tip, "maxPriorityFeePerGas": tip}
        with self._fee_lock:
            self._fees = (time.monotonic(), fees)
        return fees

    def _sign(self, tx: dict[str, Any], nonce: int, gas: int, fees: dict[str, int], chain_id: int) -> SignedTx:
        full = {**tx, **fees, "nonce": nonce, "gas": gas, "chainId": chain_id}
        if "maxFeePerGas" in fees:
            full["type"] = 2
        signed = Account.sign_transaction(full, self._account.key)
        return SignedTx(
            sender=self.address,
            nonce=nonce,
            tx_hash="0x" + bytes(signed.hash).hex(),
            raw_tx="0x" + bytes(signed.raw_transaction).hex(),
            gas=gas,
            chain_id=chain_id,
            to=str(tx["to"]),
            data=str(tx["data"]),
            value=int(tx["value"]),
        )

    # --- receipts -------------------------------------------------------------------------------------------------

    def _confirmed(self, receipt: TxReceipt) -> bool:
        if self.confirmations == 0:
            return True
        head = int(self._rpc("eth_blockNumber", lambda: self.w3.eth.block_number))
        if head - int(receipt["blockNumber"]) < self.confirmations:
            return False
        again = self.find_receipt(receipt["transactionHash"].to_0x_hex())
        return again.receipt is not None and again.receipt["blockHash"] == receipt["blockHash"]  # survived reorgs

    def _reverted(
        self, signed: SignedTx, receipt: TxReceipt, abi: list[dict[str, Any]] | None
    ) -> TransactionRevertedError:
        """Replay the call at its block to recover the revert data (receipts carry none)."""
        block = int(receipt["blockNumber"])
        replay: TxParams = {
            "from": to_checksum_address(signed.sender),
            "to": to_checksum_address(signed.to),
            "data": signed.data,  # type: ignore[typeddict-item]
            "value": signed.value,  # type: ignore[typeddict-item]
            "gas": signed.gas,
        }
        where = f"transaction {signed.tx_hash} (block {block})"
        try:
            self._rpc("eth_call", lambda: self.w3.eth.call(replay, block_identifier=block))
        except REVERT_ERRORS as exc:
            decoded = revert_error(exc, abi, signed.to)
            return TransactionRevertedError(
                f"{where} reverted: {decoded.detail}", decoded.error_name, decoded.error_args, signed.tx_hash, block
            )
        except Web3RPCError as exc:  # e.g. anvil's "EVM error OutOfGas": a failure without revert data
            log.info("replay of %s failed without revert data: %s", signed.tx_hash, rpc_message(exc))
        if int(receipt["gasUsed"]) >= signed.gas:
            hint = f"it ran out of gas ({signed.gas}): raise the gas margin and prepare the call again."
        else:
            hint = "the replay did not reproduce the revert; inspect the transaction with a tracer."
        return TransactionRevertedError(f"{where} reverted: {hint}", None, (), signed.tx_hash, block)

    # --- RPC with retries -----------------------------------------------------------------------------------------

    def _rpc(self, what: str, fn: Callable[[], T]) -> T:
        """Run one RPC; retry transient faults with backoff and jitter for up to ``retry.total_s``."""
        return with_retries(self.retry, what, fn)


def _noop(address: str) -> dict[str, Any]:
    return {"to": to_checksum_address(address), "data": "0x", "value": 0}
