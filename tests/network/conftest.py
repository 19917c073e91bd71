"""A generated network per test, and readers for the files it holds."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from node.chain.network import COMPOSE, Network, init_network

DEPLOYER = "0x1111111111111111111111111111111111111111"


@pytest.fixture
def net_dir(tmp_path: Path) -> Path:
    return tmp_path / "net"


@pytest.fixture
def network(net_dir: Path) -> Network:
    return init_network(net_dir, accounts=[DEPLOYER], chain_id=4242, block_period_s=3)


def read_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_compose(directory: Path) -> dict[str, Any]:
    doc = yaml.safe_load((directory / COMPOSE).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def node_dirs(directory: Path) -> list[Path]:
    return sorted(p for p in (directory / "nodes").iterdir() if p.is_dir())
