"""Encrypted signing keys: Web3 Secret Storage v3 files (the format geth, Besu and eth-account read).

* :func:`new_keystore` creates a fresh key (or imports one) into a new file, mode 0600, never over an existing file.
* :func:`load_key` decrypts a file into a ``LocalAccount``; a wrong passphrase is an error that names the file.
* :func:`passphrase_from` takes the passphrase from ``CREDREG_KEYSTORE_PASSPHRASE`` or
  ``CREDREG_KEYSTORE_PASSPHRASE_FILE``.

Passphrases travel as :class:`pydantic.SecretStr` and keys stay inside ``LocalAccount``: nothing here logs, prints or
puts either into an exception message.

The default KDF is scrypt with geth's "standard" cost (n = 2**18: about a second and 256 MiB per encryption or
decryption). ``kdf_cost`` lowers it for tests only; the cost is stored in the file, so :func:`load_key` needs no hint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from node.config import Settings
from node.errors import KeystoreError, KeystorePassphraseError, KeystorePassphraseMissingError

log = logging.getLogger(__name__)

Kdf = Literal["scrypt", "pbkdf2"]

SCRYPT_N = 2**18
"""geth's standard scrypt cost (n); r = 8, p = 1 as eth-account sets them."""

PBKDF2_ITERATIONS = 1_000_000
"""PBKDF2-HMAC-SHA256 iterations when ``kdf="pbkdf2"`` (OWASP 2023 recommends at least 600,000)."""

MIN_PASSPHRASE_CHARS = 8

MAX_KEYSTORE_BYTES = 64 * 1024
"""A v3 keystore is about 500 bytes; a file named as one that is larger (or not a regular file) is refused unread."""


def _secret(passphrase: SecretStr | str) -> str:
    return passphrase.get_secret_value() if isinstance(passphrase, SecretStr) else passphrase


def new_keystore(
    path: Path,
    passphrase: SecretStr | str,
    *,
    private_key: SecretStr | None = None,
    kdf: Kdf = "scrypt",
    kdf_cost: int | None = None,
) -> str:
    """Write a new encrypted keystore to ``path`` and return its checksum address.

    A fresh random key is generated unless ``private_key`` (hex) is given to import one. The directory is created
    (mode 0700); the file is created with mode 0600 and is never overwritten: if ``path`` exists this raises
    KeystoreError. ``kdf_cost`` overrides scrypt's n (a power of two) or PBKDF2's iteration count; leave it unset
    outside tests.
    """
    secret = _secret(passphrase)
    if len(secret) < MIN_PASSPHRASE_CHARS:
        raise KeystoreError(
            f"refusing to create keystore {path}: the passphrase is shorter than {MIN_PASSPHRASE_CHARS} characters; "
            "choose a longer one (a passphrase manager's generated phrase is ideal)."
        )
    cost = kdf_cost if kdf_cost is not None else (SCRYPT_N if kdf == "scrypt" else PBKDF2_ITERATIONS)
    if kdf == "scrypt" and (cost < 2 or cost & (cost - 1)):
        raise KeystoreError(f"scrypt cost n must be a power of two greater than 1 (got {cost}).")
    try:
        account: LocalAccount = (
            Account.from_key(private_key.get_secret_value()) if private_key is not None else Account.create()
        )
    except (ValueError, TypeError):
        # the message of these errors can quote the key: never chain or repeat it
        raise KeystoreError(
            f"cannot import the private key into {path}: it is not a 32-byte hex string; check the value you passed."
        ) from None
    document: dict[str, Any] = Account.encrypt(account.key, secret, kdf=kdf, iterations=cost)
    _write_new(path, json.dumps(document).encode())
    log.info("created keystore %s for %s", path, account.address)
    return str(account.address)


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 atomically (complete or absent) and never over an existing file."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeystoreError(
            f"cannot create the keystore directory {path.parent} ({exc.strerror}): choose a directory you can write."
        ) from exc
    if path.exists():
        raise KeystoreError(
            f"keystore {path} already exists: refusing to overwrite a key. Choose another path, or remove the file "
            "only if you are sure nothing needs that key any more."
        )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(tmp, path)  # fails if path appeared meanwhile: never replaces a key
    except FileExistsError as exc:
        raise KeystoreError(
            f"keystore {path} already exists: refusing to overwrite a key. Choose another path."
        ) from exc
    except OSError as exc:
        raise KeystoreError(
            f"cannot write keystore {path} ({exc.strerror}): choose a directory you can write."
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _read_small(path: Path) -> bytes:
    """The file's bytes if it is a regular file of at most MAX_KEYSTORE_BYTES; a device such as /dev/zero, a FIFO or
    a huge file named as a keystore is refused without reading it (OSError, or ValueError for a NUL in the path)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not block
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_KEYSTORE_BYTES:
            raise KeystoreError(
                f"{path} is not a keystore file (not a regular file of at most {MAX_KEYSTORE_BYTES // 1024} KiB): "
                "point at the key's keystore file."
            )
        chunks: list[bytes] = []
        while chunk := os.read(fd, MAX_KEYSTORE_BYTES + 1):
            chunks.append(chunk)
            if sum(map(len, chunks)) > MAX_KEYSTORE_BYTES:
                raise KeystoreError(f"{path} is too large to be a keystore: point at the key's keystore file.")
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_key(path: Path, passphrase: SecretStr | str) -> LocalAccount:
    """Decrypt the keystore at ``path``. KeystorePassphraseError (naming the file) if the passphrase is wrong."""
    try:
        document = json.loads(_read_small(path))
    except FileNotFoundError as exc:
        raise KeystoreError(
            f"keystore {path} does not exist: check the path, or create one with `credreg keys new`."
        ) from exc
    except (OSError, ValueError) as exc:
        raise KeystoreError(
            f"keystore {path} is unreadable or not JSON ({type(exc).__name__}): restore it from your backup."
        ) from exc
    if not isinstance(document, dict) or "crypto" not in {k.lower() for k in document}:
        raise KeystoreError(f"{path} is not a Web3 Secret Storage (v3) keystore: point at the key's keystore file.")
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("keystore %s is readable by other users (mode %o): run `chmod 600 %s`", path, mode, path)
    try:
        key = Account.decrypt(document, _secret(passphrase))
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise KeystorePassphraseError(
                f"wrong passphrase for keystore {path}: set CREDREG_KEYSTORE_PASSPHRASE (or "
                "CREDREG_KEYSTORE_PASSPHRASE_FILE) to the passphrase this file was created with."
            ) from None
        raise KeystoreError(
            f"keystore {path} is damaged or uses an unsupported format: restore it from backup."
        ) from None
    except (KeyError, TypeError, NotImplementedError):
        raise KeystoreError(
            f"keystore {path} is damaged or uses an unsupported format: restore it from backup."
        ) from None
    account: LocalAccount = Account.from_key(key)
    return account


def absolute_keystore_path(path: str | None) -> str | None:
    """A keystore path as the node stores it: absolute, ``~`` expanded, a relative one resolved against the working
    directory of the process it was given to (the CLI command, or the API server a request reached), so the batcher,
    whatever its own directory, opens the same file. Symlinks are kept (a rotated key behind a link stays found)."""
    if path is None:
        return None
    return os.path.abspath(os.path.expanduser(path))


def passphrase_from(settings: Settings) -> SecretStr:
    """The keystore passphrase: CREDREG_KEYSTORE_PASSPHRASE, or the first line of CREDREG_KEYSTORE_PASSPHRASE_FILE.

    Without a usable one this raises :class:`KeystorePassphraseMissingError` (503: the operator must set it)."""
    if settings.keystore_passphrase is not None and settings.keystore_passphrase_file is not None:
        raise KeystorePassphraseMissingError(
            "both CREDREG_KEYSTORE_PASSPHRASE and CREDREG_KEYSTORE_PASSPHRASE_FILE are set: unset one of them."
        )
    if settings.keystore_passphrase is not None:
        if not settings.keystore_passphrase.get_secret_value():
            raise KeystorePassphraseMissingError(
                "CREDREG_KEYSTORE_PASSPHRASE is set but empty: set it to the keystore passphrase."
            )
        return settings.keystore_passphrase
    path = settings.keystore_passphrase_file
    if path is None:
        raise KeystorePassphraseMissingError(
            "no keystore passphrase configured: set CREDREG_KEYSTORE_PASSPHRASE, or put the passphrase in a file "
            "readable only by the node (chmod 600) and set CREDREG_KEYSTORE_PASSPHRASE_FILE to its path."
        )
    try:
        text = path.read_text()
    except OSError as exc:
        raise KeystorePassphraseMissingError(
            f"cannot read the passphrase file {path} ({exc.strerror}): fix CREDREG_KEYSTORE_PASSPHRASE_FILE "
            "or the file's permissions."
        ) from exc
    lines = text.splitlines()
    value = lines[0] if lines else ""
    if not value:
        raise KeystorePassphraseMissingError(
            f"the passphrase file {path} is empty: write the passphrase on its first line."
        )
    return SecretStr(value)
