"""Many registry views as of one block in few eth_calls, through the registry's ``multicall`` (the indexer's reads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from web3.contract.contract import ContractFunction

from node.chain.records import (
    AccreditationReads,
    AnchorRecord,
    KeyRecord,
    anchor_record,
    body_record,
    issuer_record,
)

if TYPE_CHECKING:
    from node.chain.registry import RegistryClient

MULTICALL_CHUNK = 200
"""Views per ``multicall`` eth_call (an anchorOf costs ~10k gas: far below any node's eth_call gas cap)."""


def views_at(client: RegistryClient, fns: list[ContractFunction], block: int | str) -> list[Any]:
    """Run many registry views as of one block with the registry's ``multicall`` (one eth_call per
    MULTICALL_CHUNK views); each result decoded as ``fn.call()`` would return it."""
    from eth_utils.abi import get_abi_output_types
    from web3._utils.abi import map_abi_data
    from web3._utils.normalizers import BASE_RETURN_NORMALIZERS

    out: list[Any] = []
    for start in range(0, len(fns), MULTICALL_CHUNK):
        chunk = fns[start : start + MULTICALL_CHUNK]
        payload = [bytes.fromhex(fn._encode_transaction_data().removeprefix("0x")) for fn in chunk]
        multicall = client.writes.multicall(payload)
        results = client.view(lambda m=multicall: m.call(block_identifier=block))  # type: ignore[misc]
        for fn, raw in zip(chunk, results, strict=True):
            types = get_abi_output_types(fn.abi)
            decoded = map_abi_data(BASE_RETURN_NORMALIZERS, types, client.w3.codec.decode(types, bytes(raw)))
            out.append(decoded[0] if len(decoded) == 1 else tuple(decoded))
    return out


def anchors_at(client: RegistryClient, roots: list[bytes], block: int | str) -> list[AnchorRecord]:
    """``anchorOf`` for many roots as of one block (issuerId 0: not anchored then)."""
    fns = [client.registry.functions.anchorOf(root) for root in roots]
    return [anchor_record(root, r) for root, r in zip(roots, views_at(client, fns, block), strict=True)]


def accreditation_at(
    client: RegistryClient, body_ids: list[int], issuer_ids: list[int], keys: list[str], block: int | str
) -> AccreditationReads:
    """Body, issuer (with types) and key records as of one block, in as few eth_calls as the chunking allows."""
    from web3 import Web3

    fns = client.registry.functions
    calls: list[ContractFunction] = []
    for body_id in body_ids:
        calls += [fns.bodyOf(body_id), fns.bodyTypes(body_id)]
    for issuer_id in issuer_ids:
        calls += [fns.issuerOf(issuer_id), fns.issuerTypes(issuer_id)]
    calls += [fns.keyOf(Web3.to_checksum_address(key)) for key in keys]
    results = iter(views_at(client, calls, block))
    reads = AccreditationReads({}, {}, {}, {}, {})
    for body_id in body_ids:
        reads.bodies[body_id] = body_record(body_id, next(results))
        reads.body_types[body_id] = [bytes(t) for t in next(results)]
    for issuer_id in issuer_ids:
        reads.issuers[issuer_id] = issuer_record(issuer_id, next(results))
        reads.issuer_types[issuer_id] = [bytes(t) for t in next(results)]
    for key in keys:
        reads.keys[key] = KeyRecord(*next(results))
    return reads
