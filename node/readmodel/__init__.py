"""What the chain says, read fast: the questions a verifier asks (:mod:`~node.readmodel.chainview`), answered over
JSON-RPC, from the indexer's in-memory mirror (:mod:`~node.readmodel.mirror`), or from a signed checkpoint
(:mod:`~node.readmodel.checkpoint`). No SQL here; only :mod:`node.chain` speaks JSON-RPC."""
