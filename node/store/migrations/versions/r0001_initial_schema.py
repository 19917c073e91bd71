"""Initial schema: issuers, API keys, the credential outbox, batches, nonces, indexed events.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:37:40.005194
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_blocks")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=True),
        sa.Column("issuer_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("tx_hash", "log_index", name=op.f("uq_events_tx_hash_log_index")),
    )
    op.create_index(op.f("ix_events_issuer_id"), "events", ["issuer_id"], unique=False)
    op.create_index(op.f("ix_events_name"), "events", ["name"], unique=False)
    op.create_index("ix_events_position", "events", ["block_number", "log_index"], unique=False)
    op.create_index(op.f("ix_events_root"), "events", ["root"], unique=False)

    op.create_table(
        "indexer_cursor",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_indexer_cursor")),
    )
    op.create_table(
        "issuers",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metadata_uri", sa.String(length=500), nullable=False),
        sa.Column("signer_address", sa.String(length=42), nullable=False),
        sa.Column("keystore_path", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended', 'revoked')", name=op.f("ck_issuers_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuers")),
    )
    op.create_table(
        "nonces",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_nonces")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("issuer_id", sa.BigInteger(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role <> 'issuer' OR issuer_id IS NOT NULL", name=op.f("ck_api_keys_issuer_key_has_issuer")),
        sa.CheckConstraint("role IN ('issuer', 'admin', 'governor')", name=op.f("ck_api_keys_role")),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"], name=op.f("fk_api_keys_issuer_id_issuers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_api_keys_issuer_id"), "api_keys", ["issuer_id"], unique=False)

    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("issuer_id", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=True),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        sa.Column("credential_type", sa.String(length=66), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('building', 'built', 'signed', 'sent', 'confirmed', 'failed')", name=op.f("ck_batches_status")
        ),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"], name=op.f("fk_batches_issuer_id_issuers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("root", name=op.f("uq_batches_root")),
    )
    op.create_index(op.f("ix_batches_block_number"), "batches", ["block_number"], unique=False)
    op.create_index(op.f("ix_batches_issuer_id"), "batches", ["issuer_id"], unique=False)
    op.create_index(op.f("ix_batches_status"), "batches", ["status"], unique=False)
    op.create_index(op.f("ix_batches_tx_hash"), "batches", ["tx_hash"], unique=False)

    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.BigInteger(), nullable=False),
        sa.Column("type_name", sa.String(length=200), nullable=False),
        sa.Column("type_version", sa.String(length=50), nullable=False),
        sa.Column("credential_hash", sa.String(length=66), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("leaf_index", sa.Integer(), nullable=True),
        sa.Column("merkle_proof", sa.JSON(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("client_ref", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'batched', 'anchored', 'failed')", name=op.f("ck_credentials_status")
        ),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_credentials_batch_id_batches")),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"], name=op.f("fk_credentials_issuer_id_issuers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("issuer_id", "client_ref", name=op.f("uq_credentials_issuer_id_client_ref")),
    )
    op.create_index(op.f("ix_credentials_batch_id"), "credentials", ["batch_id"], unique=False)
    op.create_index(op.f("ix_credentials_credential_hash"), "credentials", ["credential_hash"], unique=False)
    op.create_index("ix_credentials_outbox", "credentials", ["issuer_id", "status", "created_at"], unique=False)
    op.create_index(op.f("ix_credentials_status"), "credentials", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_credentials_status"), table_name="credentials")
    op.drop_index("ix_credentials_outbox", table_name="credentials")
    op.drop_index(op.f("ix_credentials_credential_hash"), table_name="credentials")
    op.drop_index(op.f("ix_credentials_batch_id"), table_name="credentials")

    op.drop_table("credentials")
    op.drop_index(op.f("ix_batches_tx_hash"), table_name="batches")
    op.drop_index(op.f("ix_batches_status"), table_name="batches")
    op.drop_index(op.f("ix_batches_issuer_id"), table_name="batches")
    op.drop_index(op.f("ix_batches_block_number"), table_name="batches")

    op.drop_table("batches")
    op.drop_index(op.f("ix_api_keys_issuer_id"), table_name="api_keys")

    op.drop_table("api_keys")
    op.drop_table("nonces")
    op.drop_table("issuers")
    op.drop_table("indexer_cursor")
    op.drop_index(op.f("ix_events_root"), table_name="events")
    op.drop_index("ix_events_position", table_name="events")
    op.drop_index(op.f("ix_events_name"), table_name="events")
    op.drop_index(op.f("ix_events_issuer_id"), table_name="events")

    op.drop_table("events")
    op.drop_table("blocks")
