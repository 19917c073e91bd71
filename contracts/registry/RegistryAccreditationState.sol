// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IRegistryAccreditation} from "../interfaces/IRegistryAccreditation.sol";

/// @title Accreditation state of the registry: bodies, issuers, keys, and the packed anchor grants (private state
/// and the internal logic over it; the external functions live in {RegistryAccreditation})
/// @dev Governance ops are rare, so they keep denormalised slots current for the hot path: for every (key, type)
/// one grant slot packs issuerId | keyId | typeId | effectiveFrom | effectiveUntil, so `anchor` authorises with ONE
/// cold SLOAD; for every key one slot packs issuerId | keyId | effectiveFrom | effectiveUntil | compromisedAt, so a
/// lifecycle act authorises its caller with one more. Any change to a body, issuer or key rewrites the slots below it.
abstract contract RegistryAccreditationState is IRegistryAccreditation {
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

    address private immutable _governance;
    uint32 private _bodyCount;
    uint32 private _issuerCount;
    uint32 private _keyCount;
    uint16 private _typeCount;
    mapping(uint32 bodyId => Body) private _bodies;
    mapping(uint32 bodyId => bytes32[]) private _bodyTypeList;
    mapping(uint32 bodyId => mapping(bytes32 credentialType => bool)) private _bodyHasType;
    mapping(uint32 bodyId => uint32[]) private _bodyIssuerList;
    mapping(uint32 issuerId => Issuer) private _issuers;
    mapping(uint32 issuerId => bytes32[]) private _issuerTypeList;
    mapping(uint32 issuerId => address[]) private _issuerKeyList;
    mapping(uint32 keyId => KeyWindow) private _keyWindows;
    mapping(address key => uint256 packedKey) private _keySlots;
    mapping(bytes32 credentialType => uint16 typeId) private _typeIds;
    mapping(uint16 typeId => bytes32 credentialType) private _types;

    constructor(address governance_) {
        if (governance_ == address(0)) revert CredentialRegistryZeroAddress();
        _governance = governance_;
    }

    modifier onlyGovernance() {
        if (msg.sender != _governance) revert CredentialRegistryNotGovernance(msg.sender);
        _;
    }


    function _accreditBody(
        address admin,
        bytes32[] calldata credentialTypes,
        uint8 maxLevel,
        uint40 validFrom,
        uint40 validUntil,
        string calldata metadataURI
    ) internal returns (uint32 bodyId) {
        if (admin == address(0)) revert CredentialRegistryZeroAddress();
        validUntil = _window(validFrom, validUntil);
        _checkScopeShape(credentialTypes.length, maxLevel);
        bodyId = ++_bodyCount;
        for (uint256 i; i < credentialTypes.length; ++i) {
            bytes32 t = credentialTypes[i];
            if (t == 0 || _bodyHasType[bodyId][t]) revert CredentialRegistryDuplicateType(t);
            _bodyHasType[bodyId][t] = true;
            _registerType(t);
        }
        _bodyTypeList[bodyId] = credentialTypes;
        _bodies[bodyId] = Body(admin, maxLevel, AccreditationStatus.Active, validFrom, validUntil, _now(), metadataURI);
        emit BodyAccredited(bodyId, admin, maxLevel, validFrom, validUntil, credentialTypes, metadataURI);
    }

    function _accreditIssuer(
        uint32 bodyId,
        bytes32[] calldata credentialTypes,
        uint8 maxLevel,
        uint40 validFrom,
        uint40 validUntil,
        string calldata metadataURI,
        bytes32 metadataHash
    ) internal returns (uint32 issuerId) {
        Body storage b = _authoriseBody(bodyId);
        validUntil = _window(validFrom, validUntil);
        _checkScopeShape(credentialTypes.length, maxLevel);
        if (maxLevel > b.maxLevel) revert CredentialRegistryLevelOutOfScope(maxLevel, b.maxLevel);
        if (validFrom < b.validFrom || validUntil > b.validUntil) {
            revert CredentialRegistryWindowOutOfScope(validFrom, validUntil, b.validFrom, b.validUntil);
        }
        for (uint256 i; i < credentialTypes.length; ++i) {
            if (!_bodyHasType[bodyId][credentialTypes[i]]) {
                revert CredentialRegistryTypeOutOfScope(bodyId, credentialTypes[i]);
            }
            for (uint256 j; j < i; ++j) {
                if (credentialTypes[j] == credentialTypes[i]) revert CredentialRegistryDuplicateType(credentialTypes[i]);
            }
        }
        issuerId = ++_issuerCount;
        _issuers[issuerId] = Issuer(
            bodyId, maxLevel, AccreditationStatus.Active, false, validFrom, validUntil, _now(), metadataHash, metadataURI
        );
        _issuerTypeList[issuerId] = credentialTypes;
        _bodyIssuerList[bodyId].push(issuerId);
        emit IssuerAccredited(
            issuerId, bodyId, maxLevel, validFrom, validUntil, credentialTypes, metadataURI, metadataHash
        );
    }

    function _addKey(uint32 issuerId, Issuer storage i, address key, uint40 validFrom, uint40 validUntil)
        internal
        returns (uint32 keyId)
    {
        if (i.status == AccreditationStatus.Withdrawn) revert CredentialRegistryIssuerNotActive(issuerId, i.status);
        if (key == address(0)) revert CredentialRegistryZeroAddress();
        if (_keySlots[key] != 0) revert CredentialRegistryKeyAlreadyRegistered(key);
        keyId = ++_keyCount;
        _keyWindows[keyId] = KeyWindow(key, validFrom, validUntil);
        _issuerKeyList[issuerId].push(key);
        _keySlots[key] = uint256(issuerId) | (uint256(keyId) << 32); // marks the key as taken; synced below
        _syncKey(key, issuerId, i, _bodies[i.bodyId]);
        emit KeyAdded(issuerId, key, keyId, validFrom, validUntil);
    }

    /// @dev Retirement moves validUntil earlier; a compromise cut-off sets compromisedAt (earlier only, 0 -> 1).
    function _moveKeyEnd(uint32 issuerId, Issuer storage i, address key, uint40 at, bool compromise) internal {
        uint256 slot = _keySlots[key];
        if (slot == 0) revert CredentialRegistryUnknownKey(key);
        if (uint32(slot) != issuerId) revert CredentialRegistryKeyNotOfIssuer(key, issuerId);
        if (compromise) {
            if (at == 0) at = 1;
            uint40 current = uint40(slot >> 144);
            if (current != 0 && at >= current) revert CredentialRegistryKeyEndNotEarlier(key, current, at);
            _keySlots[key] = (slot & ~(uint256(type(uint40).max) << 144)) | (uint256(at) << 144);
            emit KeyCompromised(issuerId, key, at);
        } else {
            KeyWindow storage w = _keyWindows[uint32(slot >> 32)];
            if (at >= w.validUntil) revert CredentialRegistryKeyEndNotEarlier(key, w.validUntil, at);
            w.validUntil = at;
            emit KeyRetired(issuerId, key, at);
        }
        _syncKey(key, issuerId, i, _bodies[i.bodyId]);
    }

    function _setBodyStatus(uint32 bodyId, AccreditationStatus from, AccreditationStatus to) internal {
        Body storage b = _body(bodyId);
        if (b.status != from) revert CredentialRegistryInvalidAccreditationChange(bodyId, b.status, to);
        b.status = to;
        b.statusChangedAt = _now();
        uint32[] storage issuers = _bodyIssuerList[bodyId];
        for (uint256 n; n < issuers.length; ++n) {
            _syncIssuer(issuers[n], _issuers[issuers[n]], b);
        }
    }

    function _setIssuerStatus(uint32 issuerId, Issuer storage i, AccreditationStatus from, AccreditationStatus to)
        internal
    {
        if (i.status != from) revert CredentialRegistryInvalidAccreditationChange(issuerId, i.status, to);
        i.status = to;
        i.statusChangedAt = _now();
        _syncIssuer(issuerId, i, _bodies[i.bodyId]);
    }

    function _syncIssuer(uint32 issuerId, Issuer storage i, Body storage b) internal {
        address[] storage keys = _issuerKeyList[issuerId];
        for (uint256 n; n < keys.length; ++n) {
            _syncKey(keys[n], issuerId, i, b);
        }
    }

    /// @dev Recompute a key's effective window and rewrite its key slot and its grant slot for every issuer type.
    function _syncKey(address key, uint32 issuerId, Issuer storage i, Body storage b) internal {
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
        bytes32[] storage types = _issuerTypeList[issuerId];
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

    /// @dev Governance passes for any existing body; its admin only while the body is active now.
    function _authoriseBody(uint32 bodyId) internal view returns (Body storage b) {
        b = _body(bodyId);
        if (msg.sender == _governance) return b;
        if (msg.sender != b.admin) revert CredentialRegistryNotBodyAdmin(msg.sender, bodyId);
        if (b.status != AccreditationStatus.Active || _now() < b.validFrom || _now() >= b.validUntil) {
            revert CredentialRegistryBodyNotActive(bodyId, b.status);
        }
    }

    function _authoriseIssuer(uint32 issuerId) internal view returns (Issuer storage i) {
        i = _issuers[issuerId];
        if (i.status == AccreditationStatus.None) revert CredentialRegistryUnknownIssuer(issuerId);
        _authoriseBody(i.bodyId);
    }

    function _body(uint32 bodyId) internal view returns (Body storage b) {
        b = _bodies[bodyId];
        if (b.status == AccreditationStatus.None) revert CredentialRegistryUnknownBody(bodyId);
    }

    function _checkScopeShape(uint256 typeCount, uint8 maxLevel) internal pure {
        if (typeCount == 0 || typeCount > MAX_SCOPE_TYPES || maxLevel == 0) {
            revert CredentialRegistryInvalidScope(typeCount, maxLevel);
        }
    }

    /// @dev Normalises an open end (0) and checks from < until.
    function _window(uint40 validFrom, uint40 validUntil) internal pure returns (uint40) {
        if (validUntil == 0) validUntil = OPEN_END;
        if (validFrom >= validUntil) revert CredentialRegistryInvalidWindow(validFrom, validUntil);
        return validUntil;
    }

    // ----------------------------------------------------------------------------------------------- for the hot path

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

    function _isGovernance(address account) internal view returns (bool) {
        return account == _governance;
    }

    function _governanceAddress() internal view returns (address) {
        return _governance;
    }

    /// @dev grant: issuerId | keyId << 32 | typeId << 64 | effectiveFrom << 80 | effectiveUntil << 120
    function _grantAllows(uint256 grant) internal view returns (bool) {
        return block.timestamp >= uint40(grant >> 80) && block.timestamp < uint40(grant >> 120);
    }

    /// @dev Only on a failed anchor check: find the most telling reason and revert with it.
    function _revertNotAuthorised(address key, bytes32 credentialType) internal view {
        uint256 slot = _keySlots[key];
        if (slot == 0) revert CredentialRegistryUnknownKey(key);
        uint32 issuerId = uint32(slot);
        if (_grantOf(key, credentialType) == 0) revert CredentialRegistryTypeOutOfScope(issuerId, credentialType);
        Issuer storage i = _issuers[issuerId];
        if (i.status != AccreditationStatus.Active) revert CredentialRegistryIssuerNotActive(issuerId, i.status);
        Body storage b = _bodies[i.bodyId];
        if (b.status != AccreditationStatus.Active) revert CredentialRegistryBodyNotActive(i.bodyId, b.status);
        revert CredentialRegistryKeyNotValidNow(key, uint40(slot >> 64), uint40(slot >> 104));
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

    // ----------------------------------------------------------------------------------------------- for the views

    function _bodyTotal() internal view returns (uint32) {
        return _bodyCount;
    }

    function _bodyRef(uint32 bodyId) internal view returns (Body storage) {
        return _bodies[bodyId];
    }

    function _issuerRef(uint32 issuerId) internal view returns (Issuer storage) {
        return _issuers[issuerId];
    }

    function _bodyLists(uint32 bodyId) internal view returns (bytes32[] storage, uint32[] storage) {
        return (_bodyTypeList[bodyId], _bodyIssuerList[bodyId]);
    }

    function _issuerLists(uint32 issuerId) internal view returns (bytes32[] storage, address[] storage) {
        return (_issuerTypeList[issuerId], _issuerKeyList[issuerId]);
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
