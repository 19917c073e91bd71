// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {ICredentialRegistry} from "./interfaces/ICredentialRegistry.sol";
import {RegistryAccreditation} from "./registry/RegistryAccreditation.sol";
import {RegistryLifecycle} from "./registry/RegistryLifecycle.sol";

/// @title CredentialRegistry: the deployed trust core
/// @notice Deploy {RegistryGovernance} first, then this contract with the governance address; the governance
/// address is fixed for the contract's life (governance changes its own governors and threshold instead).
/// EIP-712 domain: name "CredentialRegistry", version "1", this chain id, this contract.
contract CredentialRegistry is ICredentialRegistry, RegistryLifecycle, Multicall {
    constructor(address governance_) RegistryAccreditation(governance_) EIP712("CredentialRegistry", "1") {}
}
