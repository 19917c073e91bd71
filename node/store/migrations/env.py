"""Alembic environment for the node's schema.

Run programmatically by :meth:`node.store.Store.migrate`, which passes its own connection in
``config.attributes["connection"]``; with only ``sqlalchemy.url`` set (e.g. from :func:`node.store.alembic_config`)
it builds an engine itself, so ``alembic.command.revision(cfg, autogenerate=True)`` works for new migrations.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from node.store.engine import WRITE_OPTION, make_engine
from node.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass a connection in config.attributes['connection']")
    engine = make_engine(url)
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
