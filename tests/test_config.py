"""node/config.py: every setting reads CREDREG_<NAME> from the environment; the derived paths live in the data dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from node.config import DEVNET_CHAIN_ID, PROJECT_ROOT, Settings, get_settings


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """No CREDREG_ variable and no .env file in the working directory."""
    for name in list(os.environ):
        if name.startswith("CREDREG_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_defaults_are_the_local_devnet(clean: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.chain_id == DEVNET_CHAIN_ID == 472_019
    assert settings.rpc_url is None and settings.database_url is None
    assert (settings.devnet_host, settings.api_host) == ("127.0.0.1", "127.0.0.1")  # loopback unless told
    assert settings.artifacts_dir == PROJECT_ROOT / "contracts" / "build"


def test_the_environment_and_a_dot_env_file_set_the_fields(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CREDREG_API_PORT=9100\nCREDREG_BATCH_MAX_SIZE=16\n")
    clean.setenv("CREDREG_DATA_DIR", str(tmp_path / "d"))
    clean.setenv("CREDREG_BATCH_MAX_SIZE", "32")  # the environment wins over .env
    clean.setenv("CREDREG_ADMIN_API_KEY", "s3cret")
    clean.setenv("CREDREG_UNRELATED", "ignored")
    settings = Settings()
    assert (settings.data_dir, settings.api_port, settings.batch_max_size) == (tmp_path / "d", 9100, 32)
    assert settings.admin_api_key is not None and settings.admin_api_key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)  # secrets never print


def test_the_derived_paths_are_inside_the_data_dir(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.manifest_path == tmp_path / "data" / "deployment.json"
    assert settings.devnet_dir == tmp_path / "data" / "devnet"
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'data' / 'credreg.db').resolve()}"
    assert Settings(database_url="postgresql://db/credreg").resolved_database_url == "postgresql://db/credreg"


@pytest.mark.parametrize(
    ("name", "value"),
    [("CREDREG_BATCH_MAX_SIZE", "0"), ("CREDREG_BATCH_MAX_WAIT_MS", "5"), ("CREDREG_MAX_VERIFY_BYTES", "10"),
     ("CREDREG_API_PORT", "eighty")],
)  # fmt: skip
def test_a_value_out_of_bounds_is_refused_naming_the_setting(clean: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("CREDREG_").lower()):
        Settings()


def test_get_settings_is_built_once_per_process(clean: pytest.MonkeyPatch) -> None:
    clean.setenv("CREDREG_API_PORT", "9001")
    first = get_settings()
    clean.setenv("CREDREG_API_PORT", "9002")
    assert get_settings() is first and first.api_port == 9001
