// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {RegistryGrants} from "./RegistryGrants.sol";

/// @title Accreditation state of the registry: governance, bodies and issuers (private state and the internal logic
/// over it; the external functions live in {RegistryAccreditation})
/// @dev Governance ops are rare, so every change to a body, issuer or key rewrites the denormalised key and grant
/// slots below it ({RegistryGrants}), keeping the anchor hot path at one cold SLOAD.
abstract contract RegistryAccreditationState is RegistryGrants {
    address private immutable _governance;
    uint32 private _bodyCount;
    uint32 private _issuerCount;
    mapping(uint32 bodyId => Body) private _bodies;
    mapping(uint32 bodyId => bytes32[]) private _bodyTypeList;
    mapping(uint32 bodyId => mapping(bytes32 credentialType => bool)) private _bodyHasType;
    mapping(uint32 bodyId => uint32[]) private _bodyIssuerList;
    mapping(uint32 issuerId => Issuer) private _issuers;
    mapping(uint32 issuerId => bytes32[]) private _issuerTypeList;
    mapping(uint32 issuerId => address[]) private _issuerKeyList;

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
        keyId = _newKey(issuerId, key, validFrom, validUntil);
        _issuerKeyList[issuerId].push(key);
        _syncKey(key, issuerId, i, _bodies[i.bodyId], _issuerTypeList[issuerId]);
    }

    function _moveKeyEndAndSync(uint32 issuerId, Issuer storage i, address key, uint40 end, bool compromise)
        internal
    {
        _moveKeyEnd(issuerId, key, end, compromise);
        _syncKey(key, issuerId, i, _bodies[i.bodyId], _issuerTypeList[issuerId]);
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
        bytes32[] storage types = _issuerTypeList[issuerId];
        for (uint256 n; n < keys.length; ++n) {
            _syncKey(keys[n], issuerId, i, b, types);
        }
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

    function _isGovernance(address account) internal view returns (bool) {
        return account == _governance;
    }

    function _governanceAddress() internal view returns (address) {
        return _governance;
    }

    /// @dev Only on a failed anchor check: find the most telling reason and revert with it.
    function _revertNotAuthorised(address key, bytes32 credentialType) internal view {
        uint256 slot = _keySlotOf(key);
        if (slot == 0) revert CredentialRegistryUnknownKey(key);
        uint32 issuerId = uint32(slot);
        if (_grantOf(key, credentialType) == 0) revert CredentialRegistryTypeOutOfScope(issuerId, credentialType);
        Issuer storage i = _issuers[issuerId];
        if (i.status != AccreditationStatus.Active) revert CredentialRegistryIssuerNotActive(issuerId, i.status);
        Body storage b = _bodies[i.bodyId];
        if (b.status != AccreditationStatus.Active) revert CredentialRegistryBodyNotActive(i.bodyId, b.status);
        revert CredentialRegistryKeyNotValidNow(key, uint40(slot >> 64), uint40(slot >> 104));
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

}
