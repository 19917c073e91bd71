"""node/store/coltypes.py: aware UTC datetimes in and out on every backend; naive ones refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from node.store.coltypes import UTCDateTime, utcnow

AT = datetime(2026, 11, 22, 10, 30, 15, 123456, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), sqlite.dialect())


def test_sqlite_stores_naive_utc_and_reads_back_aware_utc() -> None:
    column = UTCDateTime()
    stored = column.process_bind_param(AT.astimezone(PLUS_TWO), sqlite.dialect())
    assert stored == AT.replace(tzinfo=None)
    assert column.process_result_value(stored, sqlite.dialect()) == AT
    assert column.process_result_value(None, sqlite.dialect()) is None
    assert column.process_bind_param(None, sqlite.dialect()) is None


def test_postgresql_gets_aware_utc_and_any_zone_reads_back_as_utc() -> None:
    column = UTCDateTime()
    stored = column.process_bind_param(AT.astimezone(PLUS_TWO), postgresql.dialect())
    assert stored == AT and stored is not None and stored.tzinfo is UTC
    back = column.process_result_value(AT.astimezone(PLUS_TWO), postgresql.dialect())
    assert back == AT and back is not None and back.tzinfo is UTC


def test_round_trip_through_sqlite() -> None:
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": 1, "at": AT.astimezone(PLUS_TWO)}, {"id": 2, "at": None}])
        assert connection.execute(select(table.c.at).order_by(table.c.id)).scalars().all() == [AT, None]
        raw = connection.execute(text("SELECT at FROM t WHERE id = 1")).scalar()
    assert isinstance(raw, str) and raw.startswith("2026-11-22 10:30:15")  # stored as UTC, no offset
    engine.dispose()


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs((datetime.now(UTC) - now).total_seconds()) < 5
