"""The ORM models: the single source of truth for the schema (migrations are checked against them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from node.store.coltypes import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A 64-bit id that still autoincrements on SQLite (where only INTEGER PRIMARY KEY is the rowid).
BigIntId = BigInteger().with_variant(Integer(), "sqlite")

HEX32 = 66  # "0x" + 64 hex digits
ADDRESS = 42  # "0x" + 40 hex digits


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IssuerRow(Base):
    __tablename__ = "issuers"
    __table_args__ = (CheckConstraint("status IN ('active', 'suspended', 'revoked')", name="status"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    metadata_uri: Mapped[str] = mapped_column(String(500).with_variant(Text(), "postgresql"))
    """Read from the chain, which bounds it nowhere: unbounded TEXT on PostgreSQL (0004), where a VARCHAR's length
    is enforced; SQLite never enforced the 500 (and rebuilding its ``issuers`` table would trip the foreign keys)."""
    signer_address: Mapped[str] = mapped_column(String(ADDRESS))
    keystore_path: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("role IN ('issuer', 'admin', 'governor')", name="role"),
        CheckConstraint("role <> 'issuer' OR issuer_id IS NOT NULL", name="issuer_key_has_issuer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    issuer_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("issuers.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BatchRow(Base):
    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint("status IN ('building', 'built', 'signed', 'sent', 'confirmed', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("issuers.id"), index=True)
    root: Mapped[str | None] = mapped_column(String(HEX32), unique=True)
    leaf_count: Mapped[int] = mapped_column(Integer)
    credential_type: Mapped[str | None] = mapped_column(String(HEX32))
    tree: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    """The Merkle tree's ``2n - 1`` nodes, 32 bytes each, in array order (``MerkleTree.nodes``): every member's
    proof is read from it, so building a batch writes one row, not one per credential."""
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), index=True)
    signer: Mapped[str | None] = mapped_column(String(ADDRESS))
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    raw_tx: Mapped[str | None] = mapped_column(Text)
    tx_hash: Mapped[str | None] = mapped_column(String(HEX32), index=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str | None] = mapped_column(String(HEX32))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CredentialRow(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'batched', 'anchored', 'failed')", name="status"),
        UniqueConstraint("issuer_id", "client_ref"),
        Index("ix_credentials_outbox", "issuer_id", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("issuers.id"))
    type_name: Mapped[str] = mapped_column(String(200))
    type_version: Mapped[str] = mapped_column(String(50))
    credential_hash: Mapped[str] = mapped_column(String(HEX32), index=True)
    status: Mapped[str] = mapped_column(String(16))
    batch_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("batches.id"), index=True)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    client_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    anchored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CredentialDocumentRow(Base):
    """The sealed document of a credential, apart from its outbox row: batching and confirming rewrite the narrow
    outbox rows (status, batch), never the kilobytes of the document."""

    __tablename__ = "credential_documents"

    credential_id: Mapped[str] = mapped_column(String(36), ForeignKey("credentials.id"), primary_key=True)
    document: Mapped[str] = mapped_column(Text)


class NonceRow(Base):
    __tablename__ = "nonces"

    address: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger)


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index"),
        Index("ix_events_position", "block_number", "log_index"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HEX32))
    tx_hash: Mapped[str] = mapped_column(String(HEX32))
    log_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100), index=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    root: Mapped[str | None] = mapped_column(String(HEX32), index=True)
    issuer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class IndexerCursorRow(Base):
    __tablename__ = "indexer_cursor"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HEX32))


class BlockRow(Base):
    __tablename__ = "blocks"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(HEX32))


class ShareRow(Base):
    """A share link (node/store/_shares.py): ciphertext, expiry and opens; never the key, never plaintext."""

    __tablename__ = "shares"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder_token_hash: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    max_opens: Mapped[int | None] = mapped_column(Integer)
    opens: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
