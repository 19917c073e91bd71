"""Issuers and API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import Table, select, update

from node.errors import NotFoundError, ValidationFailedError
from node.store._base import StoreBase, check_lengths, record_of, upsert
from node.store.coltypes import utcnow
from node.store.models import ApiKeyRow, IssuerRow
from node.store.records import ApiKeyInfo, ApiKeyRole, Issuer, IssuerStatus, Principal

_ISSUERS: Table = IssuerRow.__table__  # type: ignore[assignment]
_API_KEYS: Table = ApiKeyRow.__table__  # type: ignore[assignment]

API_KEY_PREFIX = "crk_"
API_KEY_DISPLAY_CHARS = 8


def hash_api_key(plaintext: str) -> str:
    """sha256 hex of the whole key: what the database holds instead of the key."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _issuer(row: IssuerRow) -> Issuer:
    return record_of(Issuer, row, status=IssuerStatus(row.status))


def _api_key(row: ApiKeyRow) -> ApiKeyInfo:
    return record_of(ApiKeyInfo, row, role=ApiKeyRole(row.role))


class IssuerRepository(StoreBase):
    # ---- issuers -------------------------------------------------------------------------------------------

    def upsert_issuer(
        self,
        issuer_id: int,
        *,
        name: str,
        metadata_uri: str,
        signer_address: str,
        keystore_path: str | None = None,
        status: IssuerStatus | str = IssuerStatus.ACTIVE,
    ) -> Issuer:
        """Create the issuer with this on-chain id, or update every field of it (``created_at`` is kept)."""
        fields = {
            "name": name,
            "metadata_uri": metadata_uri,
            "signer_address": signer_address,
            "keystore_path": keystore_path,
            "status": IssuerStatus(status).value,
        }
        with self._write() as session:
            # one statement: two processes recording the same issuer at once (two API workers starting on one
            # PostgreSQL database, each ensuring the demo issuer) cannot both try to insert it
            upsert(session, _ISSUERS, [{"id": issuer_id, "created_at": utcnow(), **fields}], ["id"], list(fields))
            return _issuer(session.get_one(IssuerRow, issuer_id))

    def get_issuer(self, issuer_id: int) -> Issuer:
        with self._read() as session:
            row = session.get(IssuerRow, issuer_id)
            if row is None:
                raise NotFoundError(f"issuer {issuer_id} is not registered on this node; register it first")
            return _issuer(row)

    def list_issuers(self, status: IssuerStatus | str | None = None) -> list[Issuer]:
        query = select(IssuerRow).order_by(IssuerRow.id)
        if status is not None:
            query = query.where(IssuerRow.status == IssuerStatus(status).value)
        with self._read() as session:
            return [_issuer(row) for row in session.scalars(query)]

    # ---- API keys ------------------------------------------------------------------------------------------

    def create_api_key(self, role: ApiKeyRole | str, issuer_id: int | None = None, label: str = "") -> str:
        """Create a key and return its plaintext: the only time it is ever visible (only its hash is stored)."""
        role = ApiKeyRole(role)
        if role is ApiKeyRole.ISSUER and issuer_id is None:
            raise ValidationFailedError("issuer_id: an issuer key must name the issuer it acts for")
        if role is not ApiKeyRole.ISSUER and issuer_id is not None:
            raise ValidationFailedError(f"issuer_id: a {role.value} key is not tied to an issuer; omit issuer_id")
        check_lengths(_API_KEYS, [{"label": label}])
        plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
        with self._write() as session:
            if issuer_id is not None and session.get(IssuerRow, issuer_id) is None:
                raise NotFoundError(f"issuer {issuer_id} is not registered on this node; register it first")
            session.add(
                ApiKeyRow(
                    prefix=plaintext[:API_KEY_DISPLAY_CHARS],
                    key_hash=hash_api_key(plaintext),
                    role=role.value,
                    issuer_id=issuer_id,
                    label=label,
                    created_at=utcnow(),
                )
            )
        return plaintext

    def authenticate(self, plaintext: str) -> Principal | None:
        """The principal for a presented key, or ``None`` if it is unknown or revoked."""
        if not plaintext.startswith(API_KEY_PREFIX):
            return None
        presented = hash_api_key(plaintext)
        with self._read() as session:
            row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.key_hash == presented)).one_or_none()
            if row is None or not hmac.compare_digest(row.key_hash, presented) or row.revoked_at is not None:
                return None
            return record_of(Principal, row, key_id=row.id, role=ApiKeyRole(row.role))

    def revoke_api_key(self, key_id: int) -> ApiKeyInfo:
        """Revoke a key (idempotent: revoking twice keeps the first revocation time)."""
        with self._write() as session:
            session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFoundError(f"API key {key_id} does not exist; list keys to find its id")
            return _api_key(row)

    def list_api_keys(self, issuer_id: int | None = None, *, include_revoked: bool = True) -> list[ApiKeyInfo]:
        query = select(ApiKeyRow).order_by(ApiKeyRow.id)
        if issuer_id is not None:
            query = query.where(ApiKeyRow.issuer_id == issuer_id)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        with self._read() as session:
            return [_api_key(row) for row in session.scalars(query)]
