"""The QBFT genesis extraData, byte for byte against the Besu documentation's published examples.

Source of the examples: hyperledger/besu-docs, docs/private-networks/how-to/configure/consensus/qbft.md
(commit 110d7680c87c34864ca2a80df0f210e2bde934b7; https://besu.hyperledger.org/private-networks/how-to/configure/consensus/qbft),
sections "Generate extra data" (`besu rlp encode --from=toEncode.json --type=QBFT_EXTRA_DATA`) and "Genesis file"
(block header and contract validator selection).
"""

from __future__ import annotations

import pytest
import rlp

from node.chain.network_render import qbft_extra_data, rlp_encode, sorted_addresses
from node.errors import ValidationFailedError

# "Initial validators in toEncode.json file" and the "RLP encoded data" Besu printed for them
DOCS_TO_ENCODE = [
    "0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb",
    "0x06e23768a0f59cf365e18c2e0c89e151bcdedc70",
    "0xc5327f96ee02d7bcbc1bf1236b8c15148971e1de",
    "0xab5e7f4061c605820d3744227eed91ff8e2c8908",
]
DOCS_ENCODED = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854944592c8e45706cc08b8f44b11e43cba0c"
    "fc5892cb9406e23768a0f59cf365e18c2e0c89e151bcdedc7094c5327f96ee02d7bcbc1bf1236b8c15148971e1de94ab5e7f4061c605"
    "820d3744227eed91ff8e2c8908c080c0"
)

# the "Block header validator selection" example genesis: its extraData and the four validators it names
DOCS_GENESIS_VALIDATORS = [
    "0x64a702e6263b7297a96638cac6ae65e6541f4169",
    "0x3923390ad55e90c237593b3b0e401f3b08a03185",
    "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
]
DOCS_GENESIS_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a96638cac6ae65e6"
    "541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f6370c2f69294c7eeb9a4e00ce6"
    "83cf93039b212648e01c6c6b78c080c0"
)

# the "Contract validator selection" example genesis: no validators in the header
DOCS_CONTRACT_EXTRA_DATA = "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0"


def test_the_documented_rlp_encode_example_byte_for_byte() -> None:
    assert qbft_extra_data(DOCS_TO_ENCODE) == DOCS_ENCODED


def test_the_documented_genesis_example_byte_for_byte() -> None:
    assert qbft_extra_data(DOCS_GENESIS_VALIDATORS) == DOCS_GENESIS_EXTRA_DATA


def test_the_documented_contract_selection_example_byte_for_byte() -> None:
    assert qbft_extra_data([]) == DOCS_CONTRACT_EXTRA_DATA


def test_checksummed_and_lowercase_addresses_encode_alike() -> None:
    upper = ["0x" + a[2:].upper() for a in DOCS_TO_ENCODE]
    assert qbft_extra_data(upper) == DOCS_ENCODED


def test_an_independent_rlp_decoder_reads_the_documented_layout() -> None:
    vanity, validators, vote, round_, seals = rlp.decode(bytes.fromhex(DOCS_ENCODED[2:]))
    assert vanity == bytes(32)
    assert ["0x" + v.hex() for v in validators] == DOCS_TO_ENCODE
    assert (vote, round_, seals) == ([], b"", [])


def test_sorted_addresses_orders_by_bytes_whatever_the_case() -> None:
    mixed = ["0xC5327f96ee02d7bcbc1bf1236b8c15148971e1de", "0x06e23768a0f59cf365e18c2e0c89e151bcdedc70"]
    assert sorted_addresses(mixed) == [mixed[1], mixed[0]]


@pytest.mark.parametrize(
    ("item", "expected"),
    [  # the Ethereum wiki's RLP examples
        (b"dog", "83646f67"),
        ([b"cat", b"dog"], "c88363617483646f67"),
        (b"", "80"),
        ([], "c0"),
        (b"\x00", "00"),
        (b"\x0f", "0f"),
        (b"\x04\x00", "820400"),
        ([[], [[]], [[], [[]]]], "c7c0c1c0c3c0c1c0"),
        (
            b"Lorem ipsum dolor sit amet, consectetur adipisicing elit",
            "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974",
        ),
    ],
)
def test_rlp_encoder_matches_the_published_examples(item: bytes | list[object], expected: str) -> None:
    assert rlp_encode(item).hex() == expected  # type: ignore[arg-type]


def test_rlp_encoder_agrees_with_the_rlp_package_on_long_lists() -> None:
    item = [bytes([i]) * i for i in range(70)]
    assert rlp_encode(item) == rlp.encode(item)


@pytest.mark.parametrize("bad", ["0x1234", "4592c8e45706cc08b8f44b11e43cba0cfc5892cb", "0x" + "g" * 40])
def test_a_malformed_validator_address_is_refused_with_what_was_expected(bad: str) -> None:
    with pytest.raises(ValidationFailedError, match="40 hex digits"):
        qbft_extra_data([bad])


def test_the_vanity_must_be_32_bytes() -> None:
    with pytest.raises(ValidationFailedError, match="32 bytes"):
        qbft_extra_data(DOCS_TO_ENCODE, vanity=bytes(31))
