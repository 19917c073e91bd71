"""Everything that speaks JSON-RPC: the web3 client, contract bindings, the transaction manager, the devnet, the compiler."""
