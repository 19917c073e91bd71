// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {RegistryAccreditationState} from "./RegistryAccreditationState.sol";
import {IRegistryAccreditation} from "../interfaces/IRegistryAccreditation.sol";

/// @title The accreditation functions and views of the registry (governance -> body -> issuer -> key)
abstract contract RegistryAccreditation is RegistryAccreditationState {
    constructor(address governance_) RegistryAccreditationState(governance_) {}

    /// @inheritdoc IRegistryAccreditation
    function accreditBody(
        address admin,
        bytes32[] calldata credentialTypes,
        uint8 maxLevel,
        uint40 validFrom,
        uint40 validUntil,
        string calldata metadataURI
    ) external onlyGovernance returns (uint32 bodyId) {
        return _accreditBody(admin, credentialTypes, maxLevel, validFrom, validUntil, metadataURI);
    }

    /// @inheritdoc IRegistryAccreditation
    function suspendBody(uint32 bodyId, uint16 reasonCode) external onlyGovernance {
        _setBodyStatus(bodyId, AccreditationStatus.Active, AccreditationStatus.Suspended);
        emit BodySuspended(bodyId, reasonCode);
    }

    /// @inheritdoc IRegistryAccreditation
    function reinstateBody(uint32 bodyId, uint16 reasonCode) external onlyGovernance {
        _setBodyStatus(bodyId, AccreditationStatus.Suspended, AccreditationStatus.Active);
        emit BodyReinstated(bodyId, reasonCode);
    }

    /// @inheritdoc IRegistryAccreditation
    function withdrawBody(uint32 bodyId, uint16 reasonCode) external onlyGovernance {
        AccreditationStatus from = _body(bodyId).status;
        if (from == AccreditationStatus.Withdrawn) from = AccreditationStatus.None; // refused as a transition
        _setBodyStatus(bodyId, from, AccreditationStatus.Withdrawn);
        emit BodyWithdrawn(bodyId, reasonCode);
    }

    /// @inheritdoc IRegistryAccreditation
    function setBodyAdmin(uint32 bodyId, address newAdmin) external onlyGovernance {
        if (newAdmin == address(0)) revert CredentialRegistryZeroAddress();
        Body storage b = _body(bodyId);
        emit BodyAdminChanged(bodyId, b.admin, newAdmin);
        b.admin = newAdmin;
    }

    /// @inheritdoc IRegistryAccreditation
    function accreditIssuer(
        uint32 bodyId,
        bytes32[] calldata credentialTypes,
        uint8 maxLevel,
        uint40 validFrom,
        uint40 validUntil,
        string calldata metadataURI,
        bytes32 metadataHash
    ) external returns (uint32 issuerId) {
        return _accreditIssuer(bodyId, credentialTypes, maxLevel, validFrom, validUntil, metadataURI, metadataHash);
    }

    /// @inheritdoc IRegistryAccreditation
    function suspendIssuer(uint32 issuerId, uint16 reasonCode) external {
        Issuer storage i = _authoriseIssuer(issuerId);
        _setIssuerStatus(issuerId, i, AccreditationStatus.Active, AccreditationStatus.Suspended);
        i.heldByGovernance = _isGovernance(msg.sender);
        emit IssuerSuspended(issuerId, reasonCode, i.heldByGovernance);
    }

    /// @inheritdoc IRegistryAccreditation
    function reinstateIssuer(uint32 issuerId, uint16 reasonCode) external {
        Issuer storage i = _authoriseIssuer(issuerId);
        if (i.heldByGovernance && !_isGovernance(msg.sender)) revert CredentialRegistryNotGovernance(msg.sender);
        _setIssuerStatus(issuerId, i, AccreditationStatus.Suspended, AccreditationStatus.Active);
        i.heldByGovernance = false;
        emit IssuerReinstated(issuerId, reasonCode);
    }

    /// @inheritdoc IRegistryAccreditation
    function withdrawIssuer(uint32 issuerId, uint16 reasonCode) external {
        Issuer storage i = _authoriseIssuer(issuerId);
        AccreditationStatus from = i.status == AccreditationStatus.Withdrawn ? AccreditationStatus.None : i.status;
        _setIssuerStatus(issuerId, i, from, AccreditationStatus.Withdrawn);
        emit IssuerWithdrawn(issuerId, reasonCode);
    }

    /// @inheritdoc IRegistryAccreditation
    function setIssuerMetadata(uint32 issuerId, string calldata metadataURI, bytes32 metadataHash) external {
        Issuer storage i = _authoriseIssuer(issuerId);
        i.metadataURI = metadataURI;
        i.metadataHash = metadataHash;
        emit IssuerMetadataUpdated(issuerId, metadataURI, metadataHash);
    }

    /// @inheritdoc IRegistryAccreditation
    function addIssuerKey(uint32 issuerId, address key, uint40 validFrom, uint40 validUntil)
        external
        returns (uint32 keyId)
    {
        Issuer storage i = _authoriseIssuer(issuerId);
        return _addKey(issuerId, i, key, validFrom, _window(validFrom, validUntil));
    }

    /// @inheritdoc IRegistryAccreditation
    function rotateIssuerKey(uint32 issuerId, address oldKey, address newKey, uint40 switchAt)
        external
        returns (uint32 newKeyId)
    {
        Issuer storage i = _authoriseIssuer(issuerId);
        _moveKeyEndAndSync(issuerId, i, oldKey, switchAt, false);
        newKeyId = _addKey(issuerId, i, newKey, switchAt, OPEN_END);
    }

    /// @inheritdoc IRegistryAccreditation
    function retireIssuerKey(uint32 issuerId, address key, uint40 retiredAt) external {
        _moveKeyEndAndSync(issuerId, _authoriseIssuer(issuerId), key, retiredAt, false);
    }

    /// @inheritdoc IRegistryAccreditation
    function cutOffIssuerKey(uint32 issuerId, address key, uint40 cutoff) external {
        _moveKeyEndAndSync(issuerId, _authoriseIssuer(issuerId), key, cutoff, true);
    }

    // ----------------------------------------------------------------------------------------------- views

    /// @inheritdoc IRegistryAccreditation
    function governance() external view returns (address) {
        return _governanceAddress();
    }

    /// @inheritdoc IRegistryAccreditation
    function bodyCount() external view returns (uint32) {
        return _bodyTotal();
    }

    /// @inheritdoc IRegistryAccreditation
    function bodyOf(uint32 bodyId) external view returns (Body memory) {
        return _bodyRef(bodyId);
    }

    /// @inheritdoc IRegistryAccreditation
    function bodyTypes(uint32 bodyId) external view returns (bytes32[] memory types) {
        (types,) = _bodyLists(bodyId);
    }

    /// @inheritdoc IRegistryAccreditation
    function issuerOf(uint32 issuerId) external view returns (Issuer memory) {
        return _issuerRef(issuerId);
    }

    /// @inheritdoc IRegistryAccreditation
    function issuerTypes(uint32 issuerId) external view returns (bytes32[] memory types) {
        (types,) = _issuerLists(issuerId);
    }

    /// @inheritdoc IRegistryAccreditation
    function issuerKeys(uint32 issuerId) external view returns (address[] memory keys) {
        (, keys) = _issuerLists(issuerId);
    }

    /// @inheritdoc IRegistryAccreditation
    function keyOf(address key) external view returns (Key memory) {
        return _keyInfo(key);
    }


    /// @inheritdoc IRegistryAccreditation
    function keyById(uint32 keyId) external view returns (Key memory) {
        return _keyInfo(_keyAddressOf(keyId));
    }

    /// @inheritdoc IRegistryAccreditation
    function canAnchor(address key, bytes32 credentialType) external view returns (bool) {
        return _grantAllows(_grantOf(key, credentialType));
    }

    /// @inheritdoc IRegistryAccreditation
    function credentialTypeOf(uint16 typeId) external view returns (bytes32) {
        return _typeOf(typeId);
    }

    /// @inheritdoc IRegistryAccreditation
    function typeIdOf(bytes32 credentialType) external view returns (uint16) {
        return _typeIdOf(credentialType);
    }
}
