"""Everything that speaks JSON-RPC: web3 client, contract bindings, transactions, the devnet, the compiler."""
