// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Accreditation: who may issue what
/// @notice Governance (k-of-n, see {IRegistryGovernance}) accredits accreditation bodies; a body accredits issuers
/// within its own scope (a set of credential types and a maximum NQF-style level); an issuer anchors with one of its
/// signing keys. Every id is a small integer assigned on accreditation, counted from 1 (0 means "none").
/// Suspension and withdrawal are never retroactive: they stop new anchors from their time on, and leave what was
/// anchored before untouched. A key's compromise cut-off is the one retroactive act: anchors by that key at or after
/// the cut-off are invalid, anchors before it stay valid.
/// A body's suspension or withdrawal also stops its issuers from anchoring (they hold nothing the body does not hold).
interface IRegistryAccreditation {
    /// @notice Status of a body or an issuer. `Withdrawn` is final.
    enum AccreditationStatus {
        None,
        Active,
        Suspended,
        Withdrawn
    }

    /// @notice An accreditation body (a quality council, a sector training authority).
    /// @param admin the account that acts for the body (accredits and manages its issuers)
    /// @param maxLevel the highest level the body may grant
    /// @param validFrom / validUntil the body's accreditation window [validFrom, validUntil)
    /// @param statusChangedAt when `status` was last set (the accreditation time for a body never suspended)
    struct Body {
        address admin;
        uint8 maxLevel;
        AccreditationStatus status;
        uint40 validFrom;
        uint40 validUntil;
        uint40 statusChangedAt;
        string metadataURI;
    }

    /// @notice An issuer (university, TVET college, short-course provider).
    /// @param bodyId the body that accredited it
    /// @param heldByGovernance true when governance set the current suspension: only governance lifts it
    /// @param metadataURI a DID or an https profile; metadataHash its keccak256 (or 0)
    struct Issuer {
        uint32 bodyId;
        uint8 maxLevel;
        AccreditationStatus status;
        bool heldByGovernance;
        uint40 validFrom;
        uint40 validUntil;
        uint40 statusChangedAt;
        bytes32 metadataHash;
        string metadataURI;
    }

    /// @notice A signing key of an issuer. A key belongs to one issuer, forever.
    /// @param validFrom / validUntil the key's own window [validFrom, validUntil) (retirement moves validUntil)
    /// @param compromisedAt the compromise cut-off (0: none); anchors by the key at or after it are invalid
    /// @param effectiveFrom / effectiveUntil the window in which the key may act now: the key's window and
    /// cut-off intersected with its issuer's and its body's windows; effectiveUntil is 0 while the issuer or the body
    /// is not active
    struct Key {
        address key;
        uint32 issuerId;
        uint32 keyId;
        uint40 validFrom;
        uint40 validUntil;
        uint40 compromisedAt;
        uint40 effectiveFrom;
        uint40 effectiveUntil;
    }

    /// @notice A body was accredited by governance.
    event BodyAccredited(
        uint32 indexed bodyId,
        address indexed admin,
        uint8 maxLevel,
        uint40 validFrom,
        uint40 validUntil,
        bytes32[] credentialTypes,
        string metadataURI
    );
    /// @notice A body was suspended (not retroactive), with a reason code.
    event BodySuspended(uint32 indexed bodyId, uint16 reasonCode);
    /// @notice A suspended body was reinstated.
    event BodyReinstated(uint32 indexed bodyId, uint16 reasonCode);
    /// @notice A body's accreditation was withdrawn for good (not retroactive).
    event BodyWithdrawn(uint32 indexed bodyId, uint16 reasonCode);
    /// @notice A body's acting account was replaced by governance.
    event BodyAdminChanged(uint32 indexed bodyId, address indexed previousAdmin, address indexed newAdmin);
    /// @notice An issuer was accredited by a body (or by governance for a body).
    event IssuerAccredited(
        uint32 indexed issuerId,
        uint32 indexed bodyId,
        uint8 maxLevel,
        uint40 validFrom,
        uint40 validUntil,
        bytes32[] credentialTypes,
        string metadataURI,
        bytes32 metadataHash
    );
    /// @notice An issuer was suspended (not retroactive); byGovernance tells who holds the suspension.
    event IssuerSuspended(uint32 indexed issuerId, uint16 reasonCode, bool byGovernance);
    /// @notice A suspended issuer was reinstated.
    event IssuerReinstated(uint32 indexed issuerId, uint16 reasonCode);
    /// @notice An issuer's accreditation was withdrawn for good (not retroactive).
    event IssuerWithdrawn(uint32 indexed issuerId, uint16 reasonCode);
    /// @notice An issuer's metadata (DID / https profile) was replaced.
    event IssuerMetadataUpdated(uint32 indexed issuerId, string metadataURI, bytes32 metadataHash);
    /// @notice A signing key was added to an issuer.
    event KeyAdded(uint32 indexed issuerId, address indexed key, uint32 keyId, uint40 validFrom, uint40 validUntil);
    /// @notice A key was retired from `retiredAt` on (its validUntil moved earlier); earlier anchors stay valid.
    event KeyRetired(uint32 indexed issuerId, address indexed key, uint40 retiredAt);
    /// @notice A key was declared compromised from `cutoff` on: its anchors at or after the cut-off are invalid.
    event KeyCompromised(uint32 indexed issuerId, address indexed key, uint40 cutoff);
    /// @notice A credential type met for the first time got its compact id (stored in anchor records).
    event CredentialTypeRegistered(bytes32 indexed credentialType, uint16 typeId);

    /// @notice The caller is not the governance contract.
    error CredentialRegistryNotGovernance(address account);
    /// @notice The caller is neither governance nor the admin of the body that governs the target.
    error CredentialRegistryNotBodyAdmin(address account, uint32 bodyId);
    error CredentialRegistryUnknownBody(uint32 bodyId);
    error CredentialRegistryUnknownIssuer(uint32 issuerId);
    /// @notice The body is not active now (suspended, withdrawn, or outside its window).
    error CredentialRegistryBodyNotActive(uint32 bodyId, AccreditationStatus status);
    /// @notice The issuer is not active now (suspended, withdrawn, or outside its window).
    error CredentialRegistryIssuerNotActive(uint32 issuerId, AccreditationStatus status);
    /// @notice The status change is not allowed from the current status (or only governance may make it).
    error CredentialRegistryInvalidAccreditationChange(uint32 id, AccreditationStatus from, AccreditationStatus to);
    /// @notice A credential type outside the granting party's scope (a body granting it, an issuer anchoring it).
    error CredentialRegistryTypeOutOfScope(uint32 id, bytes32 credentialType);
    /// @notice A level above what the granting body holds.
    error CredentialRegistryLevelOutOfScope(uint8 level, uint8 maxLevel);
    /// @notice A window reaching outside the window of the party that grants it.
    error CredentialRegistryWindowOutOfScope(uint40 validFrom, uint40 validUntil, uint40 scopeFrom, uint40 scopeUntil);
    /// @notice validFrom must be before validUntil (0 as validUntil means "open-ended").
    error CredentialRegistryInvalidWindow(uint40 validFrom, uint40 validUntil);
    /// @notice A scope needs 1..MAX_SCOPE_TYPES distinct, non-zero types and a level of at least 1.
    error CredentialRegistryInvalidScope(uint256 typeCount, uint8 maxLevel);
    error CredentialRegistryDuplicateType(bytes32 credentialType);
    error CredentialRegistryZeroAddress();
    /// @notice A key can belong to one issuer only, once.
    error CredentialRegistryKeyAlreadyRegistered(address key);
    error CredentialRegistryUnknownKey(address key);
    error CredentialRegistryKeyNotOfIssuer(address key, uint32 issuerId);
    /// @notice Retirement and cut-offs may only move a key's end earlier.
    error CredentialRegistryKeyEndNotEarlier(address key, uint40 current, uint40 requested);
    /// @notice The key is not valid now (outside its effective window, cut off, or its issuer/body not active).
    error CredentialRegistryKeyNotValidNow(address key, uint40 effectiveFrom, uint40 effectiveUntil);

    /// @notice Accredit a body for a scope. Only governance. Returns the new body id.
    /// @param validUntil 0 for open-ended
    function accreditBody(
        address admin,
        bytes32[] calldata credentialTypes,
        uint8 maxLevel,
        uint40 validFrom,
        uint40 validUntil,
        string calldata metadataURI
    ) external returns (uint32 bodyId);
    /// @notice Suspend an active body (and, through it, its issuers' anchoring). Only governance.
    function suspendBody(uint32 bodyId, uint16 reasonCode) external;
    /// @notice Reinstate a suspended body. Only governance.
    function reinstateBody(uint32 bodyId, uint16 reasonCode) external;
    /// @notice Withdraw a body's accreditation for good. Only governance.
    function withdrawBody(uint32 bodyId, uint16 reasonCode) external;
    /// @notice Replace a body's acting account. Only governance.
    function setBodyAdmin(uint32 bodyId, address newAdmin) external;

    /// @notice Accredit an issuer within the body's scope (types ⊆ body's, level ≤ body's, window ⊆ body's).
    /// Only the body's admin while the body is active, or governance. Returns the new issuer id.
    function accreditIssuer(
        uint32 bodyId,
        bytes32[] calldata credentialTypes,
        uint8 maxLevel,
        uint40 validFrom,
        uint40 validUntil,
        string calldata metadataURI,
        bytes32 metadataHash
    ) external returns (uint32 issuerId);
    /// @notice Suspend an active issuer. Its body's admin or governance (a governance hold only governance lifts).
    function suspendIssuer(uint32 issuerId, uint16 reasonCode) external;
    /// @notice Reinstate a suspended issuer. Its body's admin (unless governance holds it) or governance.
    function reinstateIssuer(uint32 issuerId, uint16 reasonCode) external;
    /// @notice Withdraw an issuer's accreditation for good. Its body's admin or governance.
    function withdrawIssuer(uint32 issuerId, uint16 reasonCode) external;
    /// @notice Replace an issuer's metadata. Its body's admin or governance.
    function setIssuerMetadata(uint32 issuerId, string calldata metadataURI, bytes32 metadataHash) external;

    /// @notice Add a signing key to an issuer. Its body's admin or governance. Returns the key id.
    /// @param validUntil 0 for open-ended
    function addIssuerKey(uint32 issuerId, address key, uint40 validFrom, uint40 validUntil)
        external
        returns (uint32 keyId);
    /// @notice Rotate: add `newKey` valid from `switchAt` and retire `oldKey` from `switchAt` on.
    /// Its body's admin or governance. Returns the new key id.
    function rotateIssuerKey(uint32 issuerId, address oldKey, address newKey, uint40 switchAt)
        external
        returns (uint32 newKeyId);
    /// @notice Retire a key from `retiredAt` on (never before what it already was). Body admin or governance.
    function retireIssuerKey(uint32 issuerId, address key, uint40 retiredAt) external;
    /// @notice Declare a key compromised from `cutoff` on: its anchors at or after `cutoff` become invalid.
    /// A cut-off may only move earlier. Body admin or governance.
    function cutOffIssuerKey(uint32 issuerId, address key, uint40 cutoff) external;

    /// @notice The governance contract (the only holder of the governance role).
    function governance() external view returns (address);
    /// @notice How many bodies were ever accredited (ids are 1..bodyCount).
    function bodyCount() external view returns (uint32);
    /// @notice A body (status None: no such body; ids count from 1).
    function bodyOf(uint32 bodyId) external view returns (Body memory);
    function bodyTypes(uint32 bodyId) external view returns (bytes32[] memory);
    /// @notice An issuer (status None: no such issuer; ids count from 1). Its body's issuers: IssuerAccredited events.
    function issuerOf(uint32 issuerId) external view returns (Issuer memory);
    function issuerTypes(uint32 issuerId) external view returns (bytes32[] memory);
    function issuerKeys(uint32 issuerId) external view returns (address[] memory);
    function keyOf(address key) external view returns (Key memory);
    /// @notice A key by its compact id (as stored in anchor records).
    function keyById(uint32 keyId) external view returns (Key memory);
    /// @notice Whether `key` may anchor `credentialType` now (the exact check `anchor` makes).
    function canAnchor(address key, bytes32 credentialType) external view returns (bool);
    /// @notice The bytes32 credential type behind a compact type id (0 for an unknown id).
    function credentialTypeOf(uint16 typeId) external view returns (bytes32);
    /// @notice The compact id of a credential type (assigned when a body is first accredited for it; 0: unknown).
    function typeIdOf(bytes32 credentialType) external view returns (uint16);
}
