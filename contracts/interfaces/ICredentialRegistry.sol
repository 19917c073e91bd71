// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IRegistryAccreditation} from "./IRegistryAccreditation.sol";
import {IRegistryAnchors} from "./IRegistryAnchors.sol";

/// @title The credential registry: accreditation, anchors, lifecycle, in one deployed contract
/// @notice Deployed after {IRegistryGovernance}, with the governance address fixed in its constructor
/// (`CredentialRegistry(address governance)`). Supports OpenZeppelin Multicall (`multicall(bytes[])`): many anchors or
/// lifecycle acts in one transaction, each with the caller as sender.
interface ICredentialRegistry is IRegistryAccreditation, IRegistryAnchors {}
