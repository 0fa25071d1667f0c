"""cases received at a village station (代办、转报): the station, and the day the decision was
sent back there to be handed out

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("station_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sent_to_station_on", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_station_id_halls"), "halls", ["station_id"], ["id"]
        )
        batch_op.create_index("ix_cases_station", ["station_id"], unique=False)
        batch_op.create_index("ix_cases_hall_received", ["hall_id", "received_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_hall_received")
        batch_op.drop_index("ix_cases_station")
        batch_op.drop_constraint(batch_op.f("fk_cases_station_id_halls"), type_="foreignkey")
        batch_op.drop_column("sent_to_station_on")
        batch_op.drop_column("station_id")
