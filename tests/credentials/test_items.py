"""node/credentials/items.py: the date-times an issuer may give (ISO 8601 with a time zone, nothing else)."""

from __future__ import annotations

import datetime as dt
from datetime import UTC

import pytest

from node.credentials.items import parse_date_time


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2026-11-22T08:00:00Z", dt.datetime(2026, 11, 22, 8, tzinfo=UTC)),
        ("2026-11-22T10:00:00.5+02:00", dt.datetime(2026, 11, 22, 8, 0, 0, 500_000, tzinfo=UTC)),
        ("2026-11-22T08:00z", dt.datetime(2026, 11, 22, 8, tzinfo=UTC)),
        ("2026-11-22T08:00:00", None),  # no time zone: which moment?
        ("2026-11-22", None),  # a date alone: which moment?
        ("1763798400", None),  # seconds since 1970
        ("2026-11-22 08:00:00Z", None),
        ("2026-02-30T08:00:00Z", None),
        ("2026-11-22T08:00:00+25:00", None),
        ("22/11/2026 08:00 +02:00", None),
    ],
)
def test_only_iso_8601_date_times_with_a_time_zone_are_read(text: str, parsed: dt.datetime | None) -> None:
    moment = parse_date_time(text)
    assert moment == parsed
    assert moment is None or moment.utcoffset() is not None
