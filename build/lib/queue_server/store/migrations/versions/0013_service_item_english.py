"""service items: English conditions, steps, materials, fee and department

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-07 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing items get empty English fields: the kiosk shows their Chinese text until a hall
# enters a translation.
_COLUMNS = (
    ("conditions_en", sa.Text(), "''"),
    ("steps_en", sa.JSON(), "'[]'"),
    ("materials_en", sa.JSON(), "'[]'"),
    ("fee_en", sa.String(length=240), "''"),
    ("department_en", sa.String(length=240), "''"),
)


def upgrade() -> None:
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        for name, kind, empty in _COLUMNS:
            batch_op.add_column(
                sa.Column(name, kind, nullable=False, server_default=sa.text(empty))
            )
    # the server defaults only fill the rows that exist; new rows get theirs from the code
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        for name, _, _ in _COLUMNS:
            batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        for name, _, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
