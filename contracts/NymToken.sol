// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// The Nym ERC20 token of the local development chain: OpenZeppelin's ERC20 (18 decimals), the whole
/// supply minted to the deployer, who then funds the client accounts. Clients pipe tokens into the
/// Nym ledger by transferring them to the pipe account; the Ethereum watchers credit the ledger.
contract NymToken is ERC20 {
    constructor(uint256 initialSupply) ERC20("Nym", "NYM") {
        _mint(msg.sender, initialSupply);
    }
}
