"""An issuer's metadata URI is unbounded on PostgreSQL: it is read from the chain, which bounds it nowhere, and
PostgreSQL enforces ``VARCHAR(500)`` (SQLite never did, so its schema stays as it is).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:00:00"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgresql() -> bool:
    return context.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        op.alter_column(
            "issuers", "metadata_uri", type_=sa.Text(), existing_type=sa.String(500), existing_nullable=False
        )


def downgrade() -> None:
    if _postgresql():  # a longer URI than 500 characters stops the downgrade: PostgreSQL refuses to cut it
        op.alter_column(
            "issuers", "metadata_uri", type_=sa.String(500), existing_type=sa.Text(), existing_nullable=False
        )
