"""Reading the contracts' logs: every event in a block range (the indexer), the CredentialAnchored log of one root
(the batcher, verification), an issuer's registered identities; and the range splitting nodes' eth_getLogs caps need.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from web3.exceptions import TransactionNotFound, Web3RPCError
from web3.types import FilterParams

from node.chain.client import TRANSPORT_ERRORS
from node.chain.deploy import GOVERNANCE, REGISTRY
from node.chain.records import AnchorLog, ChainLog
from node.credentials.hash32 import Hash32

if TYPE_CHECKING:
    from node.chain.registry import RegistryClient

T = TypeVar("T")


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def windows(first: int, last: int, size: int, *, backwards: bool) -> list[tuple[int, int]]:
    """[first, last] cut into ranges of at most ``size`` blocks, newest first when ``backwards``."""
    ranges = [(start, min(last, start + size - 1)) for start in range(first, last + 1, max(1, size))]
    return ranges[::-1] if backwards else ranges


def in_halves(fetch: Callable[[int, int], list[T]], first: int, last: int) -> list[T]:
    """``fetch(first, last)`` (an eth_getLogs over a block range); while the node refuses the range (a cap on blocks
    or results, e.g. Besu's 5,000 blocks), the halves in turn. An empty range (first > last) fetches nothing."""
    if first > last:
        return []
    try:
        return fetch(first, last)
    except TRANSPORT_ERRORS:
        raise
    except (Web3RPCError, ValueError):
        if first == last:
            raise
        middle = (first + last) // 2
        return in_halves(fetch, first, middle) + in_halves(fetch, middle + 1, last)


# --- one root's CredentialAnchored log ------------------------------------------------------------------------------


def anchor_logs(client: RegistryClient, root: bytes, anchored_at: int | None, max_range: int) -> list[AnchorLog]:
    """The CredentialAnchored log of ``root``: see :meth:`RegistryClient.anchor_logs`."""
    event = client.registry.events.CredentialAnchored

    def logs_in(first: int, last: int) -> list[Any]:
        return list(event.get_logs(from_block=first, to_block=last, argument_filters={"root": root}))

    def fetch() -> list[AnchorLog]:
        head = int(client.w3.eth.block_number)
        floor = client.manifest.deploy_block
        ranges = windows(floor, head, max_range, backwards=True)
        if anchored_at is not None:  # its blocks first; the whole walk only if they do not hold it
            first = _first_block_at(client, anchored_at, floor, head)
            last = _first_block_at(client, anchored_at + 1, first, head) - 1
            ranges = windows(first, last, max_range, backwards=False) + ranges
        for first, last in ranges:
            found = in_halves(logs_in, first, last)
            if found:
                return _anchor_logs_of(client, found)
        return []

    return client.read("eth_getLogs(CredentialAnchored)", fetch)


def _first_block_at(client: RegistryClient, timestamp: int, low: int, high: int) -> int:
    """The first block in [low, high] whose timestamp is >= ``timestamp`` (high + 1 when there is none)."""
    lo, hi = low, high + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if int(client.w3.eth.get_block(mid)["timestamp"]) < timestamp:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _anchor_logs_of(client: RegistryClient, logs: list[Any]) -> list[AnchorLog]:
    found: list[AnchorLog] = []
    for entry in logs:
        tx_hash = "0x" + bytes(entry["transactionHash"]).hex()
        try:
            tx = client.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            continue  # reorganised away between the two calls
        found.append(
            AnchorLog(
                root=bytes(entry["args"]["root"]),
                tx_hash=tx_hash,
                block_number=int(entry["blockNumber"]),
                block_hash="0x" + bytes(entry["blockHash"]).hex(),
                sender=str(tx["from"]),
                nonce=int(tx["nonce"]),
            )
        )
    return found


# --- an issuer's identities -----------------------------------------------------------------------------------------


def issuer_identities(client: RegistryClient, issuer_id: int, to_block: int | None) -> tuple[str, ...]:
    """The metadata URI of each IssuerAccredited and IssuerMetadataUpdated log of ``issuer_id`` (filtered by the
    indexed issuerId), from the deploy block to ``to_block`` (None: the head), oldest first; split into halves only
    while the node refuses a range."""
    events = (client.registry.events.IssuerAccredited, client.registry.events.IssuerMetadataUpdated)
    decoders: dict[bytes, Any] = {Hash32.of(event.topic): event for event in events}
    issuer_topic = "0x" + issuer_id.to_bytes(32, "big").hex()
    params: FilterParams = {
        "address": client.registry.address,
        "topics": [[event.topic for event in events], issuer_topic],
    }
    end = to_block if to_block is not None else int(client.w3.eth.block_number)
    logs = in_halves(
        lambda first, last: list(client.w3.eth.get_logs({**params, "fromBlock": first, "toBlock": last})),
        client.manifest.deploy_block,
        end,
    )
    logs.sort(key=lambda entry: (int(entry["blockNumber"]), int(entry["logIndex"])))
    identities: list[str] = []
    for entry in logs:
        event = decoders.get(bytes(entry["topics"][0])) if entry["topics"] and not entry.get("removed") else None
        if event is not None:
            identities.append(str(event.process_log(entry)["args"]["metadataURI"]))
    return tuple(identities)


# --- every event in a range (node/workers/indexer.py) ---------------------------------------------------------------

_EVENT_MAPS: weakref.WeakKeyDictionary[RegistryClient, dict[tuple[str, bytes], tuple[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _event_map(client: RegistryClient) -> dict[tuple[str, bytes], tuple[str, Any]]:
    """(contract address, topic0) -> (contract name, web3 event) for both contracts, built once per client."""
    cached = _EVENT_MAPS.get(client)
    if cached is None:
        cached = {}
        for name, contract in ((REGISTRY, client.registry), (GOVERNANCE, client.governance)):
            for event in contract.all_events():
                cached[(contract.address.lower(), Hash32.of(event.topic))] = (name, event)
        _EVENT_MAPS[client] = cached
    return cached


def chain_logs(client: RegistryClient, from_block: int, to_block: int) -> list[ChainLog]:
    """Every registry and governance event in blocks [from_block, to_block], decoded, in chain order (one
    eth_getLogs; a node that limits ranges or results answers with a Web3RPCError: ask for a smaller range)."""
    events = _event_map(client)
    raw = client.w3.eth.get_logs(
        {
            "fromBlock": from_block,
            "toBlock": to_block,
            "address": [client.registry.address, client.governance.address],
        }
    )
    out: list[ChainLog] = []
    for log in raw:
        if log.get("removed") or not log["topics"]:
            continue
        found = events.get((str(log["address"]).lower(), bytes(log["topics"][0])))
        if found is None:
            continue
        contract, event = found
        data = event.process_log(log)
        stamp: Any = log.get("blockTimestamp")
        timestamp = int(stamp, 16) if isinstance(stamp, str) else (int(stamp) if stamp is not None else None)
        out.append(
            ChainLog(
                contract=contract,
                name=str(data["event"]),
                args=dict(data["args"]),
                block_number=int(log["blockNumber"]),
                block_hash=_hex(log["blockHash"]),
                block_timestamp=timestamp,
                tx_hash=_hex(log["transactionHash"]),
                log_index=int(log["logIndex"]),
            )
        )
    out.sort(key=lambda entry: (entry.block_number, entry.log_index))
    return out
