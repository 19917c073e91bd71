"""Deployed code size: the registry must stay deployable on every chain we target.

EIP-170 caps a contract's runtime code at 24,576 bytes and EIP-3860 its init code at 49,152. anvil (and Besu, and
mainnet-like chains) refuse a larger deploy with CreateContractSizeLimit, while eth-tester may not enforce it, so the
limit is asserted on the committed artifacts here, not left to whichever backend happens to deploy them.
"""

from __future__ import annotations

import pytest

from tests.contracts.conftest import Chain, artifact

EIP170_RUNTIME_LIMIT = 24_576
EIP3860_INITCODE_LIMIT = 2 * EIP170_RUNTIME_LIMIT
DEPLOYED = ("CredentialRegistry", "RegistryGovernance")


def _size(hex_code: str) -> int:
    return len(bytes.fromhex(hex_code.removeprefix("0x")))


@pytest.mark.parametrize("name", DEPLOYED)
def test_runtime_code_is_under_the_eip170_limit(name: str) -> None:
    size = _size(artifact(name)["deployedBytecode"])
    assert 0 < size <= EIP170_RUNTIME_LIMIT, (
        f"{name} runtime code is {size:,} bytes, over the EIP-170 limit of {EIP170_RUNTIME_LIMIT:,}: anvil and Besu "
        "refuse to deploy it (CreateContractSizeLimit). Move code out of the hot contract or trim views, then "
        "recompile with scripts/compile.py."
    )


@pytest.mark.parametrize("name", DEPLOYED)
def test_init_code_is_under_the_eip3860_limit(name: str) -> None:
    size = _size(artifact(name)["bytecode"])
    assert 0 < size <= EIP3860_INITCODE_LIMIT, f"{name} init code is {size:,} bytes (limit {EIP3860_INITCODE_LIMIT:,})"


def test_deployed_code_is_the_measured_artifact(any_chain: Chain) -> None:
    """What the chain holds after deployment is exactly as long as the artifact measured above (immutables are
    filled in place), so the limit checked on the artifact is the limit that applies on chain."""
    c = any_chain
    for name, contract in (("CredentialRegistry", c.registry), ("RegistryGovernance", c.governance)):
        on_chain = len(c.w3.eth.get_code(contract.address))
        assert on_chain == _size(artifact(name)["deployedBytecode"]), name
        assert on_chain <= EIP170_RUNTIME_LIMIT, name
