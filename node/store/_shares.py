"""Share links: what the node keeps of a learner's encrypted disclosure (ciphertext, expiry, opens), never the key.

A row holds the link's random id, the sha256 of the holder's revocation token, the AES-GCM ciphertext the learner's
browser made (the key exists only in the link's ``#fragment``), the expiry, the optional maximum of opens and the count
so far, and when it was revoked. The ciphertext is set to NULL the moment the link can no longer be opened (expired,
revoked, used up); the row stays as a tombstone so that a late visitor is told which of those happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, or_, update

from node.errors import NotFoundError
from node.store._base import StoreBase, check_lengths, record_of
from node.store.models import ShareRow

_SHARES: Table = ShareRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Share:
    """A share link's state as the node holds it (no ciphertext: :meth:`ShareRepository.open_share` returns that)."""

    id: str
    holder_token_hash: str
    created_at: datetime
    expires_at: datetime
    max_opens: int | None
    opens: int
    revoked_at: datetime | None
    purged_at: datetime | None
    """When the ciphertext was deleted (expired, revoked or used up); None while it can be opened."""


def _missing(share_id: str) -> NotFoundError:
    return NotFoundError(
        f"there is no share link {share_id!r} on this node: check that the whole link was copied, or ask the holder "
        "for a new one."
    )


class ShareRepository(StoreBase):
    # ---- share links ---------------------------------------------------------------------------------------

    def add_share(
        self,
        share_id: str,
        *,
        holder_token_hash: str,
        ciphertext: bytes,
        created_at: datetime,
        expires_at: datetime,
        max_opens: int | None,
    ) -> Share:
        check_lengths(_SHARES, [{"id": share_id, "holder_token_hash": holder_token_hash}])
        with self._write() as session:
            row = ShareRow(
                id=share_id,
                holder_token_hash=holder_token_hash,
                ciphertext=ciphertext,
                created_at=created_at,
                expires_at=expires_at,
                max_opens=max_opens,
                opens=0,
            )
            session.add(row)
            session.flush()
            return record_of(Share, row)

    def get_share(self, share_id: str) -> Share:
        with self._read() as session:
            row = session.get(ShareRow, share_id)
            if row is None:
                raise _missing(share_id)
            return record_of(Share, row)

    def open_share(self, share_id: str, now: datetime) -> tuple[Share, bytes | None]:
        """Count one open and return the ciphertext, in one transaction; or, when the link can no longer be opened
        (purged, expired, revoked, used up), delete its ciphertext if still held and return ``None`` for it."""
        with self._write() as session:
            row = session.get(ShareRow, share_id, with_for_update=True)
            if row is None:
                raise _missing(share_id)
            used_up = row.max_opens is not None and row.opens >= row.max_opens
            if row.purged_at is not None or row.revoked_at is not None or row.expires_at <= now or used_up:
                if row.purged_at is None:
                    row.ciphertext = None
                    row.purged_at = now
                session.flush()
                return record_of(Share, row), None
            ciphertext = row.ciphertext
            row.opens += 1
            if row.max_opens is not None and row.opens >= row.max_opens:
                # the last open allowed: nobody can open it again, so the node keeps nothing it could hand out
                row.ciphertext = None
                row.purged_at = now
            session.flush()
            return record_of(Share, row), ciphertext

    def revoke_share(self, share_id: str, now: datetime) -> Share:
        """Mark the link revoked and delete its ciphertext (idempotent: a second revoke changes nothing)."""
        with self._write() as session:
            row = session.get(ShareRow, share_id, with_for_update=True)
            if row is None:
                raise _missing(share_id)
            if row.revoked_at is None:
                row.revoked_at = now
            if row.purged_at is None:
                row.ciphertext = None
                row.purged_at = now
            session.flush()
            return record_of(Share, row)

    def purge_expired_shares(self, now: datetime) -> int:
        """Delete the ciphertext of every link past its expiry; the number of links purged."""
        with self._write() as session:
            result = session.execute(
                update(ShareRow)
                .where(ShareRow.purged_at.is_(None), or_(ShareRow.expires_at <= now, ShareRow.revoked_at.is_not(None)))
                .values(ciphertext=None, purged_at=now)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def share_row_bytes(self, share_id: str) -> dict[str, object]:
        """Every column of the stored row, ciphertext included (for operators' audits and the privacy tests)."""
        with self._read() as session:
            row = session.get(ShareRow, share_id)
            if row is None:
                raise _missing(share_id)
            return {column.name: getattr(row, column.key) for column in ShareRow.__table__.columns}
