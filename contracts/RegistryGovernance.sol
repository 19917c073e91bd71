// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IRegistryGovernance} from "./interfaces/IRegistryGovernance.sol";

/// @title RegistryGovernance: k-of-n governors over the credential registry
/// @notice Deploy first (`RegistryGovernance(address[] governors, uint256 threshold)`), then deploy the
/// CredentialRegistry with this contract's address. A 1-of-1 governance is fine for a devnet.
contract RegistryGovernance is IRegistryGovernance {
    using EnumerableSet for EnumerableSet.AddressSet;

    EnumerableSet.AddressSet private _governors;
    uint256 private _threshold;
    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address governor => bool)) private _approvals;

    constructor(address[] memory governors_, uint256 threshold_) {
        for (uint256 i; i < governors_.length; ++i) {
            _addGovernor(governors_[i]);
        }
        _setThreshold(threshold_);
    }

    modifier onlyGovernor() {
        if (!_governors.contains(msg.sender)) revert RegistryGovernanceNotGovernor(msg.sender);
        _;
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert RegistryGovernanceNotSelf(msg.sender);
        _;
    }

    /// @inheritdoc IRegistryGovernance
    function propose(address target, bytes calldata data, uint40 deadline)
        external
        onlyGovernor
        returns (uint256 proposalId)
    {
        if (target == address(0)) revert RegistryGovernanceZeroAddress();
        if (deadline < block.timestamp) revert RegistryGovernanceDeadlineInPast(deadline);
        proposalId = ++_proposalCount;
        _proposals[proposalId] = Proposal(msg.sender, target, deadline, false, data);
        emit ProposalCreated(proposalId, msg.sender, target, data, deadline);
        _approve(proposalId);
    }

    /// @inheritdoc IRegistryGovernance
    function approve(uint256 proposalId) external onlyGovernor {
        _pending(proposalId);
        _approve(proposalId);
    }

    /// @inheritdoc IRegistryGovernance
    function execute(uint256 proposalId) external onlyGovernor returns (bytes memory result) {
        Proposal storage p = _pending(proposalId);
        uint256 approvals = _countApprovals(proposalId);
        if (approvals < _threshold) revert RegistryGovernanceNotEnoughApprovals(proposalId, approvals, _threshold);
        p.executed = true;
        result = Address.functionCall(p.target, p.data);
        emit ProposalExecuted(proposalId, msg.sender, result);
    }

    /// @inheritdoc IRegistryGovernance
    function addGovernor(address governor) external onlySelf {
        _addGovernor(governor);
    }

    /// @inheritdoc IRegistryGovernance
    function removeGovernor(address governor) external onlySelf {
        if (!_governors.remove(governor)) revert RegistryGovernanceNotGovernor(governor);
        if (_threshold > _governors.length()) {
            revert RegistryGovernanceInvalidThreshold(_threshold, _governors.length());
        }
        emit GovernorRemoved(governor);
    }

    /// @inheritdoc IRegistryGovernance
    function setThreshold(uint256 threshold_) external onlySelf {
        _setThreshold(threshold_);
    }

    /// @inheritdoc IRegistryGovernance
    function proposalOf(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IRegistryGovernance
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IRegistryGovernance
    function approvalCount(uint256 proposalId) external view returns (uint256) {
        return _countApprovals(proposalId);
    }

    /// @inheritdoc IRegistryGovernance
    function hasApproved(uint256 proposalId, address governor) external view returns (bool) {
        return _approvals[proposalId][governor];
    }

    /// @inheritdoc IRegistryGovernance
    function isGovernor(address account) external view returns (bool) {
        return _governors.contains(account);
    }

    /// @inheritdoc IRegistryGovernance
    function governors() external view returns (address[] memory) {
        return _governors.values();
    }

    /// @inheritdoc IRegistryGovernance
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    function _approve(uint256 proposalId) private {
        if (_approvals[proposalId][msg.sender]) revert RegistryGovernanceAlreadyApproved(proposalId, msg.sender);
        _approvals[proposalId][msg.sender] = true;
        emit ProposalApproved(proposalId, msg.sender);
    }

    /// @dev An existing proposal, not executed, not past its deadline.
    function _pending(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.target == address(0)) revert RegistryGovernanceUnknownProposal(proposalId);
        if (p.executed) revert RegistryGovernanceAlreadyExecuted(proposalId);
        if (block.timestamp > p.deadline) revert RegistryGovernanceProposalExpired(proposalId, p.deadline);
    }

    function _countApprovals(uint256 proposalId) private view returns (uint256 count) {
        uint256 n = _governors.length();
        for (uint256 i; i < n; ++i) {
            if (_approvals[proposalId][_governors.at(i)]) ++count;
        }
    }

    function _addGovernor(address governor) private {
        if (governor == address(0)) revert RegistryGovernanceZeroAddress();
        if (!_governors.add(governor)) revert RegistryGovernanceAlreadyGovernor(governor);
        emit GovernorAdded(governor);
    }

    function _setThreshold(uint256 threshold_) private {
        if (threshold_ == 0 || threshold_ > _governors.length()) {
            revert RegistryGovernanceInvalidThreshold(threshold_, _governors.length());
        }
        emit ThresholdChanged(_threshold, threshold_);
        _threshold = threshold_;
    }
}
