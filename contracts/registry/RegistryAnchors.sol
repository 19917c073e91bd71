// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {RegistryAccreditation} from "./RegistryAccreditation.sol";
import {IRegistryAnchors} from "../interfaces/IRegistryAnchors.sol";

/// @title Anchoring: direct and EIP-712 delegated, one packed record slot per root
/// @dev Record layout (one slot): anchoredAt (0..39) | issuerId (40..71) | keyId (72..103) | typeId (104..119) |
/// leafCount (120..151) | expiresAt (152..191) | root status word (192..255).
/// A status word is status (0..7) | reasonCode (8..23) | since (24..63); 0 means Active since anchoredAt.
/// Bits 0..79 of a grant (issuerId | keyId | typeId) land unchanged at bits 40..119 of the record.
abstract contract RegistryAnchors is RegistryAccreditation, EIP712, IRegistryAnchors {
    /// @dev The EIP-712 type an issuer key signs for `anchorBySig`.
    bytes32 private constant _ANCHOR_TYPEHASH = keccak256(
        "Anchor(bytes32 root,uint32 leafCount,bytes32 credentialType,uint40 expiresAt,uint40 deadline)"
    );
    uint256 private constant GRANT_IDS_MASK = (1 << 80) - 1;
    uint256 internal constant RECORD_STATUS_SHIFT = 192;

    mapping(bytes32 root => uint256 packedRecord) private _anchors;

    /// @inheritdoc IRegistryAnchors
    function anchor(bytes32 root, uint32 leafCount, bytes32 credentialType, uint40 expiresAt) external {
        _anchor(msg.sender, root, leafCount, credentialType, expiresAt);
    }

    /// @inheritdoc IRegistryAnchors
    function anchorSingle(bytes32 root, uint16 typeId) external {
        uint256 grant;
        bool allowed;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, caller())
            mstore(add(m, 0x20), typeId)
            mstore(add(m, 0x40), GRANTS_BY_ID_NAMESPACE)
            grant := sload(keccak256(m, 0x60))
            let t := timestamp()
            allowed := and(iszero(lt(t, and(shr(80, grant), 0xffffffffff))), lt(t, and(shr(120, grant), 0xffffffffff)))
        }
        if (!allowed) _revertNotAuthorised(msg.sender, _typeOf(typeId));
        _record(root, grant, 1, 0);
    }

    /// @inheritdoc IRegistryAnchors
    function anchorBySig(
        bytes32 root,
        uint32 leafCount,
        bytes32 credentialType,
        uint40 expiresAt,
        uint40 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        if (block.timestamp > deadline) revert CredentialRegistrySignatureExpired(deadline);
        address key = ECDSA.recover(_anchorDigest(root, leafCount, credentialType, expiresAt, deadline), v, r, s);
        _anchor(key, root, leafCount, credentialType, expiresAt);
    }


    /// @inheritdoc IRegistryAnchors
    function anchorOf(bytes32 root) external view returns (AnchorRecord memory a) {
        uint256 rec = _anchors[root];
        if (rec == 0) return a;
        uint32 keyId = uint32(rec >> 72);
        a = AnchorRecord({
            issuerId: uint32(rec >> 40),
            keyId: keyId,
            key: _keyAddressOf(keyId),
            anchoredAt: uint40(rec),
            leafCount: uint32(rec >> 120),
            credentialType: _typeOf(uint16(rec >> 104)),
            expiresAt: uint40(rec >> 152),
            status: CredentialStatus(uint8(rec >> 192)),
            reasonCode: uint16(rec >> 200),
            statusSince: uint40(rec >> 216)
        });
        if (rec >> RECORD_STATUS_SHIFT == 0) a.statusSince = a.anchoredAt;
    }


    /// @dev The hot path, in assembly because every gas counts: one cold SLOAD for the grant (issuer, key, type
    /// and the effective window in one slot), one cold SLOAD + fresh SSTORE for the record, a two-word event.
    function _anchor(address key, bytes32 root, uint32 leafCount, bytes32 credentialType, uint40 expiresAt) private {
        uint256 grant;
        bool allowed;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, key)
            mstore(add(m, 0x20), credentialType)
            mstore(add(m, 0x40), GRANTS_NAMESPACE)
            grant := sload(keccak256(m, 0x60))
            let t := timestamp()
            allowed := and(iszero(lt(t, and(shr(80, grant), 0xffffffffff))), lt(t, and(shr(120, grant), 0xffffffffff)))
        }
        if (!allowed) _revertNotAuthorised(key, credentialType);
        if (leafCount == 0) revert CredentialRegistryZeroLeafCount();
        if (expiresAt != 0 && expiresAt <= block.timestamp) revert CredentialRegistryExpiryNotInFuture(expiresAt);
        _record(root, grant, leafCount, expiresAt);
    }

    /// @dev Write the record if the root is new (one cold SLOAD + fresh SSTORE) and emit the one-topic event.
    function _record(bytes32 root, uint256 grant, uint256 leafCount, uint256 expiresAt) private {
        if (root == 0) revert CredentialRegistryZeroRoot();
        bytes4 already = CredentialRegistryAlreadyAnchored.selector;
        bytes32 topic = CredentialAnchored.selector;
        assembly ("memory-safe") {
            mstore(0x00, root)
            mstore(0x20, _anchors.slot)
            let slot := keccak256(0x00, 0x40)
            if sload(slot) {
                mstore(0x00, already)
                mstore(0x04, root)
                revert(0x00, 0x24)
            }
            sstore(
                slot,
                or(or(timestamp(), shl(40, and(grant, GRANT_IDS_MASK))), or(shl(120, leafCount), shl(152, expiresAt)))
            )
            log2(0x00, 0x00, topic, root)
        }
    }

    function _anchorDigest(
        bytes32 root,
        uint32 leafCount,
        bytes32 credentialType,
        uint40 expiresAt,
        uint40 deadline
    ) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(_ANCHOR_TYPEHASH, root, leafCount, credentialType, expiresAt, deadline))
        );
    }

    function _recordOf(bytes32 root) internal view returns (uint256) {
        return _anchors[root];
    }

    function _setRootStatusWord(bytes32 root, uint256 record, uint256 word) internal {
        _anchors[root] = (record & ((1 << RECORD_STATUS_SHIFT) - 1)) | (word << RECORD_STATUS_SHIFT);
    }

    /// @dev OpenZeppelin StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(credentialHash)))).
    function _leaf(bytes32 credentialHash) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            mstore(0x00, credentialHash)
            mstore(0x00, keccak256(0x00, 0x20))
            leaf := keccak256(0x00, 0x20)
        }
    }
}
