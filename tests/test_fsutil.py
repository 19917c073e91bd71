"""node/fsutil.py: a data directory that cannot be written is one plain sentence; writes are atomic."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from node.errors import ConfigurationError
from node.fsutil import ensure_writable, write_atomically


def test_ensure_writable_creates_the_directory_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "data"
    ensure_writable(target)
    assert target.is_dir()
    assert list(target.iterdir()) == []  # the probe file is gone
    ensure_writable(target)  # an existing directory is fine


def test_a_directory_under_a_file_is_one_sentence_naming_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError) as caught:
        ensure_writable(blocker / "data")
    assert str(blocker / "data") in caught.value.detail
    assert "not writable" in caught.value.detail and "CREDREG_DATA_DIR" in caught.value.detail


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ConfigurationError, match="not writable"):
            ensure_writable(locked)
    finally:
        locked.chmod(0o700)


def test_write_atomically_replaces_the_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_atomically(path, b"first, and longer than the second")
    write_atomically(path, b"second")
    assert path.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_write_atomically_is_private_unless_told(tmp_path: Path) -> None:
    private, shared = tmp_path / "key.json", tmp_path / "deployment.json"
    write_atomically(private, b"{}")
    write_atomically(shared, b"{}", mode=0o644)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644 & ~umask


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"old")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old"
