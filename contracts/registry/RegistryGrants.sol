// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IRegistryAccreditation} from "../interfaces/IRegistryAccreditation.sol";

/// @title Signing keys, credential type ids and the packed anchor grants (private state and the logic over it)
/// @dev For every (key, type) one grant slot packs issuerId | keyId << 32 | typeId << 64 | effectiveFrom << 80 |
/// effectiveUntil << 120, so `anchor` authorises with ONE cold SLOAD; for every key one slot packs issuerId |
/// keyId << 32 | effectiveFrom << 64 | effectiveUntil << 104 | compromisedAt << 144, so a lifecycle act authorises
/// its caller with one more. {RegistryAccreditationState} rewrites them whenever a body, issuer or key changes.
abstract contract RegistryGrants is IRegistryAccreditation {
    struct KeyWindow {
        address key;
        uint40 validFrom;
        uint40 validUntil;
    }

    uint256 internal constant MAX_SCOPE_TYPES = 32;
    uint40 internal constant OPEN_END = type(uint40).max;
    /// @dev Grants live at keccak256(key, credentialType, GRANTS_NAMESPACE): one 96-byte hash (a Solidity mapping
    /// slot hashes 64 bytes, so no collision), one keccak fewer on the hot path than a nested mapping.
    /// @dev The same grant is also stored under the compact type id, for `anchorSingle`.
    uint256 internal constant GRANTS_BY_ID_NAMESPACE = 0xea18deab3cc4e2b64fa58f660ebd5f5d6ec6a761d9373ee37033ec34afa41a62; // keccak256("credreg.registry.grants-by-type-id")
    uint256 internal constant GRANTS_NAMESPACE = 0x88613ab1625f254f69b74030d73c597cffecd293c5897ba6a8b7971f5b3587ce; // keccak256("credreg.registry.grants")

    uint32 private _keyCount;
    uint16 private _typeCount;
    mapping(uint32 keyId => KeyWindow) private _keyWindows;
    mapping(address key => uint256 packedKey) private _keySlots;
    mapping(bytes32 credentialType => uint16 typeId) private _typeIds;
    mapping(uint16 typeId => bytes32 credentialType) private _types;

    /// @dev Register a new key of an issuer (its slots are written by the caller's sync).
    function _newKey(uint32 issuerId, address key, uint40 validFrom, uint40 validUntil) internal returns (uint32 keyId) {
        if (key == address(0)) revert CredentialRegistryZeroAddress();
        if (_keySlots[key] != 0) revert CredentialRegistryKeyAlreadyRegistered(key);
        keyId = ++_keyCount;
        _keyWindows[keyId] = KeyWindow(key, validFrom, validUntil);
        _keySlots[key] = uint256(issuerId) | (uint256(keyId) << 32); // marks the key as taken
        emit KeyAdded(issuerId, key, keyId, validFrom, validUntil);
    }

    /// @dev Retirement moves validUntil earlier; a compromise cut-off sets compromisedAt (earlier only, 0 -> 1).
    function _moveKeyEnd(uint32 issuerId, address key, uint40 end, bool compromise) internal {
        uint256 slot = _keySlots[key];
        if (slot == 0) revert CredentialRegistryUnknownKey(key);
        if (uint32(slot) != issuerId) revert CredentialRegistryKeyNotOfIssuer(key, issuerId);
        if (compromise) {
            if (end == 0) end = 1;
            uint40 current = uint40(slot >> 144);
            if (current != 0 && end >= current) revert CredentialRegistryKeyEndNotEarlier(key, current, end);
            _keySlots[key] = (slot & ~(uint256(type(uint40).max) << 144)) | (uint256(end) << 144);
            emit KeyCompromised(issuerId, key, end);
        } else {
            KeyWindow storage w = _keyWindows[uint32(slot >> 32)];
            if (end >= w.validUntil) revert CredentialRegistryKeyEndNotEarlier(key, w.validUntil, end);
            w.validUntil = end;
            emit KeyRetired(issuerId, key, end);
        }
    }

    /// @dev Recompute a key's effective window and rewrite its key slot and its grant slot for every issuer type.
    function _syncKey(address key, uint32 issuerId, Issuer storage i, Body storage b, bytes32[] storage types)
        internal
    {
        uint256 slot = _keySlots[key];
        uint32 keyId = uint32(slot >> 32);
        uint40 compromisedAt = uint40(slot >> 144);
        KeyWindow storage w = _keyWindows[keyId];
        uint40 from = _max(w.validFrom, _max(i.validFrom, b.validFrom));
        uint40 until = _min(w.validUntil, _min(i.validUntil, b.validUntil));
        if (compromisedAt != 0) until = _min(until, compromisedAt);
        if (i.status != AccreditationStatus.Active || b.status != AccreditationStatus.Active) until = 0;
        uint256 window = (uint256(from) << 80) | (uint256(until) << 120);
        _keySlots[key] = uint256(issuerId) | (uint256(keyId) << 32) | (window >> 16) | (uint256(compromisedAt) << 144);
        uint256 ids = uint256(issuerId) | (uint256(keyId) << 32) | window;
        for (uint256 n; n < types.length; ++n) {
            _writeGrant(key, types[n], ids);
        }
    }

    /// @dev A grant under both its bytes32 type and its compact type id.
    function _writeGrant(address key, bytes32 credentialType, uint256 ids) internal {
        uint16 typeId = _typeIds[credentialType];
        uint256 grant = ids | (uint256(typeId) << 64);
        bytes32 slot = _grantSlot(key, credentialType);
        bytes32 slotById = _grantSlotById(key, typeId);
        assembly ("memory-safe") {
            sstore(slot, grant)
            sstore(slotById, grant)
        }
    }

    function _registerType(bytes32 credentialType) internal {
        if (_typeIds[credentialType] != 0) return;
        uint16 typeId = ++_typeCount;
        _typeIds[credentialType] = typeId;
        _types[typeId] = credentialType;
        emit CredentialTypeRegistered(credentialType, typeId);
    }

    function _grantOf(address key, bytes32 credentialType) internal view returns (uint256 grant) {
        bytes32 slot = _grantSlot(key, credentialType);
        assembly ("memory-safe") {
            grant := sload(slot)
        }
    }

    function _grantSlotById(address key, uint16 typeId) internal pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, key)
            mstore(add(m, 0x20), typeId)
            mstore(add(m, 0x40), GRANTS_BY_ID_NAMESPACE)
            slot := keccak256(m, 0x60)
        }
    }

    function _grantSlot(address key, bytes32 credentialType) internal pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, key)
            mstore(add(m, 0x20), credentialType)
            mstore(add(m, 0x40), GRANTS_NAMESPACE)
            slot := keccak256(m, 0x60)
        }
    }

    function _keySlotOf(address key) internal view returns (uint256) {
        return _keySlots[key];
    }

    /// @dev grant: issuerId | keyId << 32 | typeId << 64 | effectiveFrom << 80 | effectiveUntil << 120
    function _grantAllows(uint256 grant) internal view returns (bool) {
        return block.timestamp >= uint40(grant >> 80) && block.timestamp < uint40(grant >> 120);
    }

    function _keyAddressOf(uint32 keyId) internal view returns (address) {
        return _keyWindows[keyId].key;
    }

    function _now() internal view returns (uint40) {
        return uint40(block.timestamp);
    }

    function _min(uint40 a, uint40 b) internal pure returns (uint40) {
        return a < b ? a : b;
    }

    function _max(uint40 a, uint40 b) internal pure returns (uint40) {
        return a > b ? a : b;
    }

    function _typeOf(uint16 typeId) internal view returns (bytes32) {
        return _types[typeId];
    }

    function _typeIdOf(bytes32 credentialType) internal view returns (uint16) {
        return _typeIds[credentialType];
    }

    function _keyInfo(address key) internal view returns (Key memory k) {
        uint256 slot = _keySlots[key];
        if (slot == 0) return k;
        KeyWindow storage w = _keyWindows[uint32(slot >> 32)];
        k = Key(
            key,
            uint32(slot),
            uint32(slot >> 32),
            w.validFrom,
            w.validUntil,
            uint40(slot >> 144),
            uint40(slot >> 64),
            uint40(slot >> 104)
        );
    }
}
