// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {RegistryAnchors} from "./RegistryAnchors.sol";
import {IRegistryAnchors} from "../interfaces/IRegistryAnchors.sol";

/// @title The credential lifecycle at root and at (root, credential), and the time-aware views
/// @dev The current status word of a root lives in its record; of a credential in `_leafStatus[root][leaf]`
/// (one fresh slot on its first change). When a status word is replaced, the old one is appended to the history
/// of that (root, leaf) so `isValidAt` answers for any past time exactly as it would have then. Root level uses
/// leaf key 0.
abstract contract RegistryLifecycle is RegistryAnchors {
    struct Replacement {
        bytes32 root;
        bytes32 credentialHash;
    }

    mapping(bytes32 root => mapping(bytes32 leaf => uint256 statusWord)) private _leafStatus;
    mapping(bytes32 root => mapping(bytes32 leaf => uint64[] statusWords)) private _history;
    mapping(bytes32 root => mapping(bytes32 leaf => Replacement)) private _replacements;

    /// @inheritdoc IRegistryAnchors
    function revokeRoot(bytes32 root, uint16 reasonCode) external {
        _changeRoot(root, CredentialStatus.Revoked, reasonCode);
    }

    /// @inheritdoc IRegistryAnchors
    function suspendRoot(bytes32 root, uint16 reasonCode) external {
        _changeRoot(root, CredentialStatus.Suspended, reasonCode);
    }

    /// @inheritdoc IRegistryAnchors
    function reinstateRoot(bytes32 root, uint16 reasonCode) external {
        _changeRoot(root, CredentialStatus.Active, reasonCode);
    }

    /// @inheritdoc IRegistryAnchors
    function supersedeRoot(bytes32 root, bytes32 replacementRoot, uint16 reasonCode) external {
        if (replacementRoot == root || _recordOf(replacementRoot) == 0) {
            revert CredentialRegistryInvalidReplacement(replacementRoot);
        }
        _changeRoot(root, CredentialStatus.Superseded, reasonCode);
        _replacements[root][0] = Replacement(replacementRoot, 0);
        emit CredentialSuperseded(root, 0, reasonCode, replacementRoot, 0);
    }

    /// @inheritdoc IRegistryAnchors
    function revokeCredential(bytes32 root, bytes32 credentialHash, uint16 reasonCode) external {
        _changeLeaf(root, credentialHash, CredentialStatus.Revoked, reasonCode);
    }

    /// @inheritdoc IRegistryAnchors
    function suspendCredential(bytes32 root, bytes32 credentialHash, uint16 reasonCode) external {
        _changeLeaf(root, credentialHash, CredentialStatus.Suspended, reasonCode);
    }

    /// @inheritdoc IRegistryAnchors
    function reinstateCredential(bytes32 root, bytes32 credentialHash, uint16 reasonCode) external {
        _changeLeaf(root, credentialHash, CredentialStatus.Active, reasonCode);
    }

    /// @inheritdoc IRegistryAnchors
    function supersedeCredential(
        bytes32 root,
        bytes32 credentialHash,
        bytes32 replacementRoot,
        bytes32 replacementHash,
        uint16 reasonCode
    ) external {
        if (
            _recordOf(replacementRoot) == 0 || replacementHash == 0
                || (replacementRoot == root && replacementHash == credentialHash)
        ) revert CredentialRegistryInvalidReplacement(replacementRoot);
        bytes32 leaf = _changeLeaf(root, credentialHash, CredentialStatus.Superseded, reasonCode);
        _replacements[root][leaf] = Replacement(replacementRoot, replacementHash);
        emit CredentialSuperseded(root, credentialHash, reasonCode, replacementRoot, replacementHash);
    }

    /// @inheritdoc IRegistryAnchors
    function statusOf(bytes32 root, bytes32 credentialHash, bytes32[] calldata proof)
        external
        view
        returns (CredentialStatus status, uint16 reasonCode, uint40 since)
    {
        uint256 rec = _recordOf(root);
        if (rec == 0) revert CredentialRegistryUnknownRoot(root);
        bytes32 leaf = _leaf(credentialHash);
        if (MerkleProof.processProofCalldata(proof, leaf) != root) {
            revert CredentialRegistryInvalidProof(root, credentialHash);
        }
        uint256 rootWord = rec >> RECORD_STATUS_SHIFT;
        uint256 leafWord = _leafStatus[root][leaf];
        uint256 word = uint8(leafWord) > uint8(rootWord) ? leafWord : rootWord;
        if (uint8(word) == 0) word = uint40(rootWord >> 24) > uint40(leafWord >> 24) ? rootWord : leafWord;
        status = CredentialStatus(uint8(word));
        reasonCode = uint16(word >> 8);
        since = word == 0 ? uint40(rec) : uint40(word >> 24);
    }

    /// @inheritdoc IRegistryAnchors
    function isValidAt(bytes32 root, bytes32 credentialHash, bytes32[] calldata proof, uint40 t)
        external
        view
        returns (bool valid, Validity code)
    {
        uint256 rec = _recordOf(root);
        if (rec == 0) return (false, Validity.UnknownRoot);
        bytes32 leaf = _leaf(credentialHash);
        if (MerkleProof.processProofCalldata(proof, leaf) != root) return (false, Validity.NotInTree);
        code = _validity(root, leaf, rec, t);
        valid = code == Validity.Valid;
    }

    /// @dev Anchor time, the key's compromise cut-off, the status in force at t, then expiry.
    function _validity(bytes32 root, bytes32 leaf, uint256 rec, uint40 t) private view returns (Validity) {
        uint40 anchoredAt = uint40(rec);
        if (t < anchoredAt) return Validity.NotYetAnchored;
        uint40 compromisedAt = uint40(_keySlotOf(_keyAddressOf(uint32(rec >> 72))) >> 144);
        if (compromisedAt != 0 && anchoredAt >= compromisedAt) return Validity.KeyCompromised;
        uint8 status = _statusAt(root, 0, rec >> RECORD_STATUS_SHIFT, t);
        uint8 leafStatus = _statusAt(root, leaf, _leafStatus[root][leaf], t);
        if (leafStatus > status) status = leafStatus;
        if (status == uint8(CredentialStatus.Revoked)) return Validity.Revoked;
        if (status == uint8(CredentialStatus.Superseded)) return Validity.Superseded;
        if (status == uint8(CredentialStatus.Suspended)) return Validity.Suspended;
        uint40 expiresAt = uint40(rec >> 152);
        if (expiresAt != 0 && t >= expiresAt) return Validity.Expired;
        return Validity.Valid;
    }

    /// @inheritdoc IRegistryAnchors
    function replacementOf(bytes32 root, bytes32 credentialHash)
        external
        view
        returns (bytes32 replacementRoot, bytes32 replacementHash)
    {
        Replacement storage r = _replacements[root][credentialHash == 0 ? bytes32(0) : _leaf(credentialHash)];
        return (r.root, r.credentialHash);
    }

    function _changeRoot(bytes32 root, CredentialStatus to, uint16 reasonCode) private {
        uint256 rec = _authoriseLifecycle(root);
        uint256 word = rec >> RECORD_STATUS_SHIFT;
        uint256 next = _transition(root, 0, word, to, reasonCode);
        if (word != 0) _history[root][0].push(uint64(word));
        _setRootStatusWord(root, rec, next);
        _emitStatus(root, 0, to, reasonCode);
    }

    /// @dev No proof (see `revokeCredential` in the interface): the status is stored under (root, leaf(credentialHash))
    /// and only a view that has checked a proof for that leaf ever reads it.
    function _changeLeaf(bytes32 root, bytes32 credentialHash, CredentialStatus to, uint16 reasonCode)
        private
        returns (bytes32 leaf)
    {
        _authoriseLifecycle(root);
        if (credentialHash == 0) revert CredentialRegistryZeroCredentialHash(root);
        leaf = _leaf(credentialHash);
        mapping(bytes32 => uint256) storage statuses = _leafStatus[root];
        uint256 word = statuses[leaf];
        uint256 next = _transition(root, credentialHash, word, to, reasonCode);
        if (word != 0) _history[root][leaf].push(uint64(word));
        statuses[leaf] = next;
        _emitStatus(root, credentialHash, to, reasonCode);
    }

    /// @dev Supersession emits its own event (with the replacement).
    function _emitStatus(bytes32 root, bytes32 credentialHash, CredentialStatus to, uint16 reasonCode) private {
        if (to == CredentialStatus.Revoked) emit CredentialRevoked(root, credentialHash, reasonCode);
        else if (to == CredentialStatus.Suspended) emit CredentialSuspended(root, credentialHash, reasonCode);
        else if (to == CredentialStatus.Active) emit CredentialReinstated(root, credentialHash, reasonCode);
    }

    /// @dev Governance, or a currently valid key of the root's issuer (any of them: a rotated key can still act on
    /// what an old key anchored). Returns the record.
    function _authoriseLifecycle(bytes32 root) private view returns (uint256 rec) {
        rec = _recordOf(root);
        if (rec == 0) revert CredentialRegistryUnknownRoot(root);
        if (_isGovernance(msg.sender)) return rec;
        uint256 ks = _keySlotOf(msg.sender);
        if (
            uint32(ks) != uint32(rec >> 40) || block.timestamp < uint40(ks >> 64)
                || block.timestamp >= uint40(ks >> 104)
        ) revert CredentialRegistryNotRootIssuer(msg.sender, root);
    }

    /// @dev Revoked and Superseded are final; Suspended only from Active; Active (reinstate) only from Suspended.
    function _transition(bytes32 root, bytes32 credentialHash, uint256 word, CredentialStatus to, uint16 reasonCode)
        private
        view
        returns (uint256)
    {
        CredentialStatus from = CredentialStatus(uint8(word));
        bool ok = to == CredentialStatus.Active
            ? from == CredentialStatus.Suspended
            : (from == CredentialStatus.Active || (from == CredentialStatus.Suspended && to != CredentialStatus.Suspended));
        if (!ok) revert CredentialRegistryInvalidTransition(root, credentialHash, from, to);
        return uint256(uint8(to)) | (uint256(reasonCode) << 8) | (block.timestamp << 24);
    }

    /// @dev The status in force at `t`: the latest word whose `since` is at or before t (Active if none).
    function _statusAt(bytes32 root, bytes32 leaf, uint256 word, uint40 t) private view returns (uint8) {
        if (word == 0 || uint40(word >> 24) <= t) return uint8(word);
        uint64[] storage h = _history[root][leaf];
        for (uint256 n = h.length; n > 0; --n) {
            if (uint40(h[n - 1] >> 24) <= t) return uint8(h[n - 1]);
        }
        return 0;
    }
}
