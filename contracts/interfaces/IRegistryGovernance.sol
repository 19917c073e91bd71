// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title k-of-n governance of the credential registry
/// @notice Governors propose a call (target, calldata) with a deadline; the proposer approves it by proposing; once
/// k distinct current governors approved it (approvals by removed governors no longer count), any governor may
/// execute it before its deadline. The governance contract is the only holder of the registry's governance role;
/// it governs itself through proposals that target its own address (add/remove governor, change k).
interface IRegistryGovernance {
    /// @param target the contract to call (the registry, or this contract for its own settings)
    /// @param deadline the last second the proposal may be approved or executed
    struct Proposal {
        address proposer;
        address target;
        uint40 deadline;
        bool executed;
        bytes data;
    }

    event ProposalCreated(
        uint256 indexed proposalId, address indexed proposer, address indexed target, bytes data, uint40 deadline
    );
    event ProposalApproved(uint256 indexed proposalId, address indexed governor);
    event ProposalExecuted(uint256 indexed proposalId, address indexed executor, bytes result);
    event GovernorAdded(address indexed governor);
    event GovernorRemoved(address indexed governor);
    event ThresholdChanged(uint256 previousThreshold, uint256 newThreshold);

    /// @notice The caller is not a current governor.
    error RegistryGovernanceNotGovernor(address account);
    /// @notice Settings change only through an executed proposal (the caller must be this contract).
    error RegistryGovernanceNotSelf(address account);
    error RegistryGovernanceUnknownProposal(uint256 proposalId);
    error RegistryGovernanceProposalExpired(uint256 proposalId, uint40 deadline);
    error RegistryGovernanceAlreadyApproved(uint256 proposalId, address governor);
    error RegistryGovernanceAlreadyExecuted(uint256 proposalId);
    error RegistryGovernanceNotEnoughApprovals(uint256 proposalId, uint256 approvals, uint256 threshold);
    /// @notice The threshold must be between 1 and the number of governors.
    error RegistryGovernanceInvalidThreshold(uint256 threshold, uint256 governorCount);
    error RegistryGovernanceAlreadyGovernor(address account);
    error RegistryGovernanceZeroAddress();
    error RegistryGovernanceDeadlineInPast(uint40 deadline);

    /// @notice Propose `target.call(data)`, approved by the proposer. Only governors. Returns the id (from 1).
    function propose(address target, bytes calldata data, uint40 deadline) external returns (uint256 proposalId);
    /// @notice Approve a pending proposal before its deadline. Only governors, once each.
    function approve(uint256 proposalId) external;
    /// @notice Execute a proposal approved by k current governors, before its deadline. Only governors.
    /// A failing call reverts with the target's own error, and the proposal stays pending.
    function execute(uint256 proposalId) external returns (bytes memory result);
    /// @notice Add a governor. Only through a proposal.
    function addGovernor(address governor) external;
    /// @notice Remove a governor (k must stay reachable). Only through a proposal.
    function removeGovernor(address governor) external;
    /// @notice Change k. Only through a proposal.
    function setThreshold(uint256 threshold) external;

    function proposalOf(uint256 proposalId) external view returns (Proposal memory);
    function proposalCount() external view returns (uint256);
    /// @notice Approvals by current governors.
    function approvalCount(uint256 proposalId) external view returns (uint256);
    function hasApproved(uint256 proposalId, address governor) external view returns (bool);
    function isGovernor(address account) external view returns (bool);
    function governors() external view returns (address[] memory);
    function threshold() external view returns (uint256);
}
