"""Services: what the node does (issuance, verification, governance, indexing). They never build HTTP responses."""
