// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Anchors and the credential lifecycle
/// @notice A root is either a single credential (a tree of one: root == leaf(credentialHash), empty proof) or an
/// OpenZeppelin StandardMerkleTree root over credential hashes: leaf = keccak256(bytes.concat(keccak256(abi.encode(
/// credentialHash)))), sorted pairs. Every view that answers for a credential takes its 32-byte hash and a proof and
/// computes the leaf itself, so an internal node (or a 64-byte preimage) can never pass for a credential.
/// Lifecycle acts apply at the root (every credential under it) or at one (root, credential): a credential's
/// status is scoped to its (root, credential), never global. Each act records its time, so "valid at T" for a T
/// before it never changes. Leaf-level acts take no proof (see `revokeCredential` for why none is needed).
interface IRegistryAnchors {
    /// @notice Ordered by severity: an effective status is the most severe of the root's and the credential's.
    enum CredentialStatus {
        Active,
        Suspended,
        Superseded,
        Revoked
    }

    /// @notice Why `isValidAt` answered as it did (Valid is the only code with valid == true).
    enum Validity {
        Valid,
        UnknownRoot,
        NotInTree,
        NotYetAnchored,
        KeyCompromised,
        Revoked,
        Superseded,
        Suspended,
        Expired
    }

    /// @notice An anchor as stored (one slot) and expanded for readers.
    /// @param key the signing key that anchored it; keyId its compact id
    /// @param status / reasonCode / statusSince the root-level status (Active since anchoredAt until changed)
    struct AnchorRecord {
        uint32 issuerId;
        uint32 keyId;
        address key;
        uint40 anchoredAt;
        uint32 leafCount;
        bytes32 credentialType;
        uint40 expiresAt;
        CredentialStatus status;
        uint16 reasonCode;
        uint40 statusSince;
    }

    /// @notice A root was anchored. The root alone, because gas is a headline figure (each word of event data costs
    /// 256 gas, each topic 375): issuer, key, type, leaf count and expiry are in `anchorOf(root)`.
    event CredentialAnchored(bytes32 indexed root);
    /// @notice A root (credentialHash 0) or one (root, credential) was revoked, for good.
    event CredentialRevoked(bytes32 indexed root, bytes32 indexed credentialHash, uint16 reasonCode);
    /// @notice A root (credentialHash 0) or one (root, credential) was suspended.
    event CredentialSuspended(bytes32 indexed root, bytes32 indexed credentialHash, uint16 reasonCode);
    /// @notice A suspended root (credentialHash 0) or (root, credential) was reinstated.
    event CredentialReinstated(bytes32 indexed root, bytes32 indexed credentialHash, uint16 reasonCode);
    /// @notice A root (credentialHash 0) or one (root, credential) was superseded by a replacement, for good.
    event CredentialSuperseded(
        bytes32 indexed root,
        bytes32 indexed credentialHash,
        uint16 reasonCode,
        bytes32 replacementRoot,
        bytes32 replacementHash
    );

    error CredentialRegistryZeroRoot();
    error CredentialRegistryZeroLeafCount();
    error CredentialRegistryExpiryNotInFuture(uint40 expiresAt);
    /// @notice A root is anchored once only (this also makes every anchor signature single-use).
    error CredentialRegistryAlreadyAnchored(bytes32 root);
    /// @notice The delegated-anchor signature's deadline has passed.
    error CredentialRegistrySignatureExpired(uint40 deadline);
    error CredentialRegistryUnknownRoot(bytes32 root);
    /// @notice A leaf-level act names credentialHash 0, which the lifecycle events reserve for the root itself.
    error CredentialRegistryZeroCredentialHash(bytes32 root);
    /// @notice The proof does not lead from leaf(credentialHash) to the root.
    error CredentialRegistryInvalidProof(bytes32 root, bytes32 credentialHash);
    /// @notice The caller is neither governance nor a currently valid key of the root's issuer.
    error CredentialRegistryNotRootIssuer(address account, bytes32 root);
    /// @notice The lifecycle act is not allowed from the current status (revocation and supersession are final).
    error CredentialRegistryInvalidTransition(
        bytes32 root, bytes32 credentialHash, CredentialStatus from, CredentialStatus to
    );
    /// @notice A supersession must point at an anchored root other than the one superseded.
    error CredentialRegistryInvalidReplacement(bytes32 replacementRoot);

    /// @notice Anchor a root with the caller as signing key: the key must be valid now, its issuer accredited now for
    /// `credentialType` (the check reads one slot). expiresAt 0: no expiry.
    function anchor(bytes32 root, uint32 leafCount, bytes32 credentialType, uint40 expiresAt) external;
    /// @notice The compact form of `anchor` for one credential (root = leaf(credentialHash), leafCount 1) with no
    /// expiry, naming the type by its compact id (`typeIdOf`): two words of calldata fewer and one less hash.
    function anchorSingle(bytes32 root, uint16 typeId) external;
    /// @notice Anchor on behalf of the key that signed the EIP-712 `Anchor` message (anyone may submit).
    /// A signature is single-use (the root is anchored once only), bound to this chain id and this contract by the
    /// domain, and refused after `deadline`. The signed message: EIP-712 domain {name: "CredentialRegistry", version: "1",
    /// chainId, verifyingContract} (also from ERC-5267 `eip712Domain()`), type
    /// `Anchor(bytes32 root,uint32 leafCount,bytes32 credentialType,uint40 expiresAt,uint40 deadline)`.
    function anchorBySig(
        bytes32 root,
        uint32 leafCount,
        bytes32 credentialType,
        uint40 expiresAt,
        uint40 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Revoke every credential under a root, for good. The root's issuer (any currently valid key) or
    /// governance; the same callers for every lifecycle act below.
    function revokeRoot(bytes32 root, uint16 reasonCode) external;
    /// @notice Suspend a root (until reinstated).
    function suspendRoot(bytes32 root, uint16 reasonCode) external;
    /// @notice Reinstate a suspended root.
    function reinstateRoot(bytes32 root, uint16 reasonCode) external;
    /// @notice Supersede a root by an anchored replacement root, for good.
    function supersedeRoot(bytes32 root, bytes32 replacementRoot, uint16 reasonCode) external;
    /// @notice Revoke one credential of a root, for good.
    /// @dev No Merkle proof is taken by any leaf-level act, and none is needed:
    /// - Authority is per root, not per leaf. Only governance or a currently valid key of the root's issuer may act on
    ///   `root` at all (refused otherwise with CredentialRegistryNotRootIssuer); a proof would change nothing about
    ///   who may act, only about which hashes they may name. Unknown roots are refused
    ///   (CredentialRegistryUnknownRoot), and credentialHash 0 (the events' name for the root) is refused
    ///   (CredentialRegistryZeroCredentialHash).
    /// - A status recorded for a hash that is not really a credential of the root is inert. It is stored under
    ///   (root, leaf(credentialHash)), and every view that answers for a credential (`statusOf`, `isValidAt`) takes
    ///   (root, credentialHash, proof), recomputes leaf = keccak256(bytes.concat(keccak256(abi.encode(
    ///   credentialHash)))) and checks the proof before it reads any status. A real credential h of the root reads
    ///   (root, leaf(h)) only, which is another key unless h == credentialHash (keccak256 collision resistance).
    /// - An internal node can never be presented as a credential: the leaf is hashed twice, so leaf(node) is not
    ///   the node, and no proof leads from it to the root. A status set "on" an internal node is inert like any other.
    /// - A status cannot be set ahead of time for a credential of a root anchored later: the root must already be
    ///   anchored, and a root is anchored once, with its tree fixed.
    /// What a proof-free act does allow is an event (CredentialRevoked etc.) for a hash that is not a credential of
    /// the root; readers of events who need "is this a credential of the root" check it with a proof, as the views do.
    /// Dropping the proof saves its calldata (one word per tree level: 10 at 1,024) and its hashing, so the gas of a
    /// leaf-level act no longer depends on the batch size.
    function revokeCredential(bytes32 root, bytes32 credentialHash, uint16 reasonCode) external;
    /// @notice Suspend one credential of a root (until reinstated). No proof: see `revokeCredential`.
    function suspendCredential(bytes32 root, bytes32 credentialHash, uint16 reasonCode) external;
    /// @notice Reinstate one suspended credential of a root. No proof: see `revokeCredential`.
    function reinstateCredential(bytes32 root, bytes32 credentialHash, uint16 reasonCode) external;
    /// @notice Supersede one credential by (replacementRoot, replacementHash), for good; replacementRoot must be
    /// anchored and replacementHash non-zero. No proof, for the credential or for its replacement: see
    /// `revokeCredential` (a verifier following the replacement checks it with its own proof).
    function supersedeCredential(
        bytes32 root,
        bytes32 credentialHash,
        bytes32 replacementRoot,
        bytes32 replacementHash,
        uint16 reasonCode
    ) external;

    /// @notice The anchor record of a root (issuerId 0 when not anchored).
    function anchorOf(bytes32 root) external view returns (AnchorRecord memory);
    /// @notice The effective status now of (root, credential): the more severe of root and credential status.
    /// Reverts with CredentialRegistryUnknownRoot / CredentialRegistryInvalidProof.
    function statusOf(bytes32 root, bytes32 credentialHash, bytes32[] calldata proof)
        external
        view
        returns (CredentialStatus status, uint16 reasonCode, uint40 since);
    /// @notice Whether (root, credential) was valid at time `t`: anchored at or before t, the anchoring key not cut
    /// off at anchor time, no revocation / supersession / suspension in force at t, not expired at t.
    function isValidAt(bytes32 root, bytes32 credentialHash, bytes32[] calldata proof, uint40 t)
        external
        view
        returns (bool valid, Validity code);
    /// @notice The replacement of a superseded root (credentialHash 0) or credential (zeros when none).
    /// @dev Takes no proof, so it answers for any hash a supersession named (see `revokeCredential`): follow it only
    /// for a credential that `statusOf` / `isValidAt`, with its proof, report as Superseded.
    function replacementOf(bytes32 root, bytes32 credentialHash)
        external
        view
        returns (bytes32 replacementRoot, bytes32 replacementHash);
}
