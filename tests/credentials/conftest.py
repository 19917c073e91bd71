"""Shared fixtures: a fresh copy of the valid inputs of each credential type (tests/samples.py) per test."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.samples import VALID


@pytest.fixture
def subjects() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(VALID)
