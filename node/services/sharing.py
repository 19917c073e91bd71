"""Share links as data mandates: a learner grants one party access to a chosen disclosure, for a while.

The learner's browser discloses the bundle, encrypts it with AES-GCM under a fresh 256-bit key and sends only the
ciphertext; the key goes into the link's ``#fragment``, which browsers never send to a server. This node therefore
holds a random id, the ciphertext, an expiry, an optional maximum of opens, the count so far and the sha256 of the
holder's revocation token: never the key, never a plaintext value. Whoever opens the link gets the ciphertext (one
open counted), decrypts it in their browser and verifies it like any bundle.

The holder can see how often the link was opened and revoke it at any time. Once a link can no longer be opened
(expired, revoked, used up) the ciphertext is deleted and a visitor is told which of those happened. A sweep
(:meth:`SharingService.sweep`, run by the app every ``CREDREG_SHARE_SWEEP_INTERVAL_S``) deletes the ciphertext of
links past their expiry even if nobody asks for them again. Creating links is limited per client address
(``CREDREG_SHARE_CREATES_PER_MINUTE``) and in size (a bundle's largest size plus the cipher's overhead).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from node.config import Settings
from node.credentials.reader import MAX_BUNDLE_BYTES
from node.errors import ForbiddenError, NotFoundError, ShareGoneError, TooManyRequestsError, ValidationFailedError
from node.store import Store
from node.store._shares import Share

IV_BYTES = 12
TAG_BYTES = 16
MAX_CIPHERTEXT_BYTES = IV_BYTES + MAX_BUNDLE_BYTES + TAG_BYTES
"""The IV, the largest bundle the verifier reads, and the GCM tag."""
MIN_CIPHERTEXT_BYTES = IV_BYTES + TAG_BYTES + 2
"""The IV, the tag and the shortest JSON text (``{}``)."""
MIN_EXPIRY_S = 60
MAX_OPENS = 10_000
_ID = re.compile(r"^[A-Za-z0-9_-]{16,43}$")


class ShareState:
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_UP = "used-up"


@dataclass(frozen=True)
class CreatedShare:
    """What the holder keeps: the link's id (the key is theirs alone) and the token that revokes it."""

    id: str
    holder_token: str
    expires_at: datetime
    max_opens: int | None


@dataclass(frozen=True)
class OpenedShare:
    id: str
    ciphertext: bytes
    """IV (12 bytes) followed by the AES-GCM ciphertext and its tag, exactly as the holder's browser sent it."""
    expires_at: datetime
    opens: int
    """Counting this one."""
    max_opens: int | None


@dataclass(frozen=True)
class ShareStatus:
    """What the holder sees of their link."""

    id: str
    state: str
    created_at: datetime
    expires_at: datetime
    opens: int
    max_opens: int | None
    revoked_at: datetime | None
    ciphertext_held: bool


def _state(share: Share, now: datetime) -> str:
    if share.revoked_at is not None:
        return ShareState.REVOKED
    if share.max_opens is not None and share.opens >= share.max_opens:
        return ShareState.USED_UP
    if share.expires_at <= now:
        return ShareState.EXPIRED
    return ShareState.ACTIVE


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _gone(share: Share, now: datetime) -> ShareGoneError:
    state = _state(share, now)
    if state == ShareState.REVOKED:
        assert share.revoked_at is not None
        why = f"its holder revoked it on {_when(share.revoked_at)}"
    elif state == ShareState.USED_UP:
        times = "once" if share.max_opens == 1 else f"{share.max_opens} times"
        why = f"it was opened {times}, as often as its holder allowed"
    else:
        why = f"it expired on {_when(share.expires_at)}"
    return ShareGoneError(
        f"this share link can no longer be opened: {why}. This node no longer holds the credential it carried; "
        "ask the holder for a new link or for the credential file."
    )


def token_hash(token: str) -> str:
    """sha256 hex of a holder token: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RateLimiter:
    """At most ``limit`` events per client in any 60-second window (in memory, per API process)."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self._limit = limit
        self._window_s = window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> None:
        """Count one event for ``client`` or raise :class:`TooManyRequestsError` saying when to try again."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle clients so the table cannot grow without bound
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > moment - self._window_s}
            times = self._seen.setdefault(client, deque())
            while times and times[0] <= moment - self._window_s:
                times.popleft()
            if len(times) >= self._limit:
                wait = max(1, int(times[0] + self._window_s - moment + 0.999))
                raise TooManyRequestsError(
                    f"this address created {self._limit} share links in the last minute, the most the node allows: "
                    f"try again in {wait} s.",
                    retry_after_s=wait,
                )
            times.append(moment)


class SharingService:
    def __init__(self, store: Store, settings: Settings, limiter: RateLimiter | None = None) -> None:
        self._store = store
        self._settings = settings
        self._limiter = limiter or RateLimiter(settings.share_creates_per_minute)

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    def create(
        self, ciphertext: bytes, *, expires_in_s: int, max_opens: int | None = None, client: str = "local"
    ) -> CreatedShare:
        """Keep ``ciphertext`` (IV ‖ AES-GCM ciphertext ‖ tag) for ``expires_in_s`` seconds, or ``max_opens`` opens."""
        longest = self._settings.share_max_days * 86_400
        if not MIN_EXPIRY_S <= expires_in_s <= longest:
            raise ValidationFailedError(
                f"expiresInSeconds must be between {MIN_EXPIRY_S} (a minute) and {longest} "
                f"({self._settings.share_max_days} days, CREDREG_SHARE_MAX_DAYS)."
            )
        if max_opens is not None and not 1 <= max_opens <= MAX_OPENS:
            raise ValidationFailedError(f"maxOpens must be between 1 and {MAX_OPENS:,}, or absent for no limit.")
        if not MIN_CIPHERTEXT_BYTES <= len(ciphertext) <= MAX_CIPHERTEXT_BYTES:
            raise ValidationFailedError(
                f"the ciphertext must be {MIN_CIPHERTEXT_BYTES} to {MAX_CIPHERTEXT_BYTES:,} bytes (a 12-byte IV, "
                f"an encrypted bundle of at most {MAX_BUNDLE_BYTES // 1024} KiB and the 16-byte tag); "
                f"it is {len(ciphertext):,}."
            )
        self._limiter.take(client)
        now = self._now()
        self._store.purge_expired_shares(now)
        share_id = secrets.token_urlsafe(16)
        token = secrets.token_urlsafe(32)
        share = self._store.add_share(
            share_id,
            holder_token_hash=token_hash(token),
            ciphertext=ciphertext,
            created_at=now,
            expires_at=now + timedelta(seconds=expires_in_s),
            max_opens=max_opens,
        )
        return CreatedShare(share.id, token, share.expires_at, share.max_opens)

    def create_sealed(self, plaintext: bytes, *, expires_in_s: int) -> tuple[CreatedShare, str]:
        """A link the node makes itself (the certificate's QR code): encrypted here with a fresh key that is returned
        and then forgotten: (the share, the key as unpadded base64url for the link's #fragment). Not rate-limited
        (only an issuer's key reaches it) and not bound by CREDREG_SHARE_MAX_DAYS (a printed certificate is kept for
        years)."""
        key = AESGCM.generate_key(bit_length=256)
        iv = secrets.token_bytes(IV_BYTES)
        ciphertext = iv + AESGCM(key).encrypt(iv, plaintext, None)
        if len(ciphertext) > MAX_CIPHERTEXT_BYTES:
            raise ValidationFailedError(f"the bundle is over {MAX_BUNDLE_BYTES // 1024} KiB: no link can carry it.")
        now = self._now()
        token = secrets.token_urlsafe(32)
        share = self._store.add_share(
            secrets.token_urlsafe(16),
            holder_token_hash=token_hash(token),
            ciphertext=ciphertext,
            created_at=now,
            expires_at=now + timedelta(seconds=expires_in_s),
            max_opens=None,
        )
        encoded = base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")
        return CreatedShare(share.id, token, share.expires_at, None), encoded

    def open(self, share_id: str) -> OpenedShare:
        """The ciphertext, one open counted; :class:`ShareGoneError` (410) once it can no longer be opened."""
        _check_id(share_id)
        now = self._now()
        share, ciphertext = self._store.open_share(share_id, now)
        if ciphertext is None:
            raise _gone(share, now)
        return OpenedShare(share.id, ciphertext, share.expires_at, share.opens, share.max_opens)

    def status(self, share_id: str, holder_token: str) -> ShareStatus:
        return self._status(self._owned(share_id, holder_token))

    def revoke(self, share_id: str, holder_token: str) -> ShareStatus:
        """Revoke the link now; its ciphertext is deleted. Revoking twice is not an error."""
        self._owned(share_id, holder_token)
        return self._status(self._store.revoke_share(share_id, self._now()))

    def sweep(self) -> int:
        """Delete the ciphertext of every link past its expiry; how many were purged."""
        return self._store.purge_expired_shares(self._now())

    def _owned(self, share_id: str, holder_token: str) -> Share:
        _check_id(share_id)
        share = self._store.get_share(share_id)
        if not hmac.compare_digest(share.holder_token_hash, token_hash(holder_token)):
            raise ForbiddenError(
                "this holder token does not belong to that share link: use the token shown when the link was created "
                "(the learner's page keeps it in this browser)."
            )
        return share

    def _status(self, share: Share) -> ShareStatus:
        return ShareStatus(
            id=share.id,
            state=_state(share, self._now()),
            created_at=share.created_at,
            expires_at=share.expires_at,
            opens=share.opens,
            max_opens=share.max_opens,
            revoked_at=share.revoked_at,
            ciphertext_held=share.purged_at is None,
        )


def _check_id(share_id: str) -> None:
    if not _ID.fullmatch(share_id):
        raise NotFoundError(
            "that is not a share link id of this node: check that the whole link was copied, or ask the holder for a "
            "new one."
        )
