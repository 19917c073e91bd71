"""Errors of the credential model, all inside the one tree rooted at :class:`node.errors.RegistryError`."""

from __future__ import annotations

from dataclasses import dataclass

from node.errors import ValidationFailedError


@dataclass(frozen=True)
class FieldError:
    """One broken rule: where (an RFC 6901 JSON pointer into the document), which rule, and a sentence."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


class CredentialValidationError(ValidationFailedError):
    """The issuer's input broke its credential type's schema. ``errors`` lists every broken rule."""

    def __init__(self, errors: list[FieldError], type_label: str) -> None:
        self.errors = errors
        lines = "; ".join(str(e) for e in errors)
        plural = "s" if len(errors) != 1 else ""
        super().__init__(
            f"The {type_label} credential is not valid ({len(errors)} problem{plural}): {lines}. "
            "Correct these fields and submit it again."
        )


class UnknownCredentialTypeError(ValidationFailedError):
    """A credential type name or version this node does not know."""


class InvalidFieldError(ValidationFailedError):
    """A document value cannot be hashed (empty object, non-finite number, non-JSON value)."""


class DisclosureError(ValidationFailedError):
    """A selective-disclosure request names a field that cannot be hidden."""


class BundleFormatError(ValidationFailedError):
    """A credential bundle is not well-formed JSON of the expected shape."""


class MerkleTreeError(ValidationFailedError):
    """A Merkle tree cannot be built or queried as asked (no leaves, bad hash, index out of range)."""
