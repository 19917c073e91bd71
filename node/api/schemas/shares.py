"""The wire models of share links (node/services/sharing.py): ciphertext travels as unpadded base64url."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from pydantic import Field, field_validator

from node.api.schemas.base import ApiRequest, ApiSchema
from node.services.sharing import MAX_CIPHERTEXT_BYTES, MAX_OPENS, MIN_EXPIRY_S

MAX_CIPHERTEXT_CHARS = (MAX_CIPHERTEXT_BYTES * 4 + 2) // 3
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url (RFC 4648 §5) to bytes; anything else (padding, +/, whitespace, a stray length) refused."""
    if not _ALPHABET.issuperset(text) or len(text) % 4 == 1:
        raise ValueError("must be unpadded base64url (A-Z a-z 0-9 - _)")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:  # pragma: no cover - the alphabet and length checks above catch what it would
        raise ValueError("must be unpadded base64url") from exc
    if b64url_encode(data) != text:  # non-zero trailing bits: another spelling of the same bytes
        raise ValueError("must be unpadded base64url, canonically encoded")
    return data


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class ShareCreate(ApiRequest):
    ciphertext: str = Field(
        examples=["k9M1o2Xw0b3YcQeL7H5t1uW9aJq3vP0sZr8yN2dF4gH6jK8lM0nB2cV4xZ6"],
        min_length=40,
        max_length=MAX_CIPHERTEXT_CHARS,
        description="The disclosed bundle encrypted in the holder's browser: a 12-byte AES-GCM IV followed by the "
        "ciphertext and its 16-byte tag, as unpadded base64url. The key never reaches the node.",
    )
    expires_in_seconds: int = Field(
        examples=[604_800],
        ge=MIN_EXPIRY_S,
        description="How long the link opens, in seconds (at most CREDREG_SHARE_MAX_DAYS days).",
    )
    max_opens: int | None = Field(
        default=None, ge=1, le=MAX_OPENS, description="How many times it may be opened; absent: no limit."
    )

    @field_validator("ciphertext")
    @classmethod
    def _base64url(cls, value: str) -> str:
        b64url_decode(value)
        return value


EXAMPLE_ID = "q3Zb0sXy8mKf2VdLr5TnWg"


class ShareCreated(ApiSchema):
    id: str = Field(
        description="The link's id: the link is /verify#share=<id>.<key>, the key known only to you.",
        examples=[EXAMPLE_ID],
    )
    holder_token: str = Field(description="Shown once: send it as X-Holder-Token to see the opens or revoke.")
    expires_at: datetime
    max_opens: int | None


class ShareOpened(ApiSchema):
    id: str = Field(examples=[EXAMPLE_ID])
    ciphertext: str = Field(description="As the holder sent it (unpadded base64url): decrypt with the link's key.")
    expires_at: datetime
    opens: int = Field(description="How often the link has been opened, this time included.")
    max_opens: int | None


class ShareStatusOut(ApiSchema):
    id: str = Field(examples=[EXAMPLE_ID])
    state: str = Field(description="active, expired, revoked or used-up.")
    created_at: datetime
    expires_at: datetime
    opens: int
    max_opens: int | None
    revoked_at: datetime | None
    ciphertext_held: bool = Field(description="Whether this node still holds the encrypted credential.")
