"""Small file-system helpers shared by the devnet, the deployer and the store: atomic writes, writable checks."""

from __future__ import annotations

import os
from pathlib import Path

from node.errors import ConfigurationError


def ensure_writable(directory: Path) -> None:
    """Create ``directory`` or say plainly why it cannot be used."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigurationError(
            f"data directory {directory} is not writable ({exc.strerror}): "
            "set CREDREG_DATA_DIR to a directory you can write."
        ) from exc


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, and rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if mode is None else mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
