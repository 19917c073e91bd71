// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

contract Probe is AccessControl {
    uint256 private _x;
    event Set(uint256 x);
    constructor() { _grantRole(DEFAULT_ADMIN_ROLE, msg.sender); }
    function set(uint256 x) external { _x = x; emit Set(x); }
    function get() external view returns (uint256) { return _x; }
}
