"""A lean outbox: batches store their Merkle tree once, documents live apart from the outbox rows.

Building a batch used to write every member's leaf index and proof (one UPDATE per credential); it now writes one
row. Existing batches get their tree rebuilt from their members' credential hashes (the tree sorts its leaves, so
the root is the one already anchored: checked). Claiming and confirming a batch rewrite its members' outbox rows;
with the sealed documents (kilobytes each) in ``credential_documents`` instead, those rows stay a few hundred bytes.
The index on ``credentials.status`` alone goes too: every status change paid for it, and the outbox index (issuer,
status, created) serves the queries. An offline (``--sql``) script carries no tree backfill: upgrade a database
that already holds batches online (``credreg`` does, at start).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:30:00"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from node.credentials.keccak import to_hex
from node.credentials.merkle import MerkleTree, proof_from_nodes

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_batches = sa.table(
    "batches", sa.column("id", sa.Integer), sa.column("root", sa.String), sa.column("tree", sa.LargeBinary)
)
_credentials = sa.table(
    "credentials",
    sa.column("id", sa.String),
    sa.column("batch_id", sa.Integer),
    sa.column("credential_hash", sa.String),
    sa.column("merkle_proof", sa.JSON),
    sa.column("leaf_index", sa.Integer),
)


def _members(connection: sa.Connection, batch_id: int) -> list[tuple[str, str]]:
    rows = connection.execute(
        sa.select(_credentials.c.id, _credentials.c.credential_hash)
        .where(_credentials.c.batch_id == batch_id)
        .order_by(_credentials.c.leaf_index, _credentials.c.id)
    )
    return [(cid, chash) for cid, chash in rows]


def upgrade() -> None:
    # plain ALTER TABLE (SQLite >= 3.35 has DROP COLUMN): a batch-mode copy of ``batches`` would trip the
    # credentials' foreign key
    op.add_column("batches", sa.Column("tree", sa.LargeBinary(), nullable=True))
    if not context.is_offline_mode():
        _backfill_trees(op.get_bind())
    op.drop_index(op.f("ix_credentials_status"), table_name="credentials")
    op.drop_column("credentials", "merkle_proof")
    op.drop_column("credentials", "leaf_index")
    op.create_table(
        "credential_documents",
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"], ["credentials.id"], name=op.f("fk_credential_documents_credential_id_credentials")
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_credential_documents")),
    )
    op.execute("INSERT INTO credential_documents (credential_id, document) SELECT id, document FROM credentials")
    op.drop_column("credentials", "document")


def _backfill_trees(connection: sa.Connection) -> None:
    built = connection.execute(sa.select(_batches.c.id, _batches.c.root).where(_batches.c.root.is_not(None))).all()
    for batch_id, root in built:
        members = _members(connection, batch_id)
        if not members:
            continue
        tree = MerkleTree([bytes.fromhex(chash.removeprefix("0x")) for _, chash in members])
        if to_hex(tree.root) != root:
            raise RuntimeError(
                f"batch {batch_id}: its members' hashes give root {to_hex(tree.root)}, not the recorded {root}; "
                "the store is inconsistent: restore it from a backup before upgrading"
            )
        connection.execute(sa.update(_batches).where(_batches.c.id == batch_id).values(tree=tree.nodes()))


def downgrade() -> None:
    op.add_column("credentials", sa.Column("document", sa.Text(), nullable=True))
    op.execute(
        "UPDATE credentials SET document = "
        "(SELECT document FROM credential_documents WHERE credential_documents.credential_id = credentials.id)"
    )
    op.drop_table("credential_documents")
    with op.batch_alter_table("credentials") as batch:  # nothing references credentials now: a copy is safe
        batch.alter_column("document", existing_type=sa.Text(), nullable=False)
    op.add_column("credentials", sa.Column("leaf_index", sa.Integer(), nullable=True))
    op.add_column("credentials", sa.Column("merkle_proof", sa.JSON(), nullable=True))
    op.create_index(op.f("ix_credentials_status"), "credentials", ["status"], unique=False)
    if not context.is_offline_mode():
        _backfill_proofs(op.get_bind())
    op.drop_column("batches", "tree")


def _backfill_proofs(connection: sa.Connection) -> None:
    stored = connection.execute(sa.select(_batches.c.id, _batches.c.tree).where(_batches.c.tree.is_not(None))).all()
    for batch_id, nodes in stored:
        for index, (cid, chash) in enumerate(_members(connection, batch_id)):
            proof = proof_from_nodes(nodes, bytes.fromhex(chash.removeprefix("0x")))
            connection.execute(
                sa.update(_credentials)
                .where(_credentials.c.id == cid)
                .values(leaf_index=index, merkle_proof=[to_hex(p) for p in proof])
            )
