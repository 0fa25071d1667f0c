"""a hall's settings version: bumped by the database on every write to its settings' rows

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 23:45:00.000000

Every process keeps a hall's settings (the hall row, its categories, windows and booking
rules) and checks, with the statement that takes the hall's lock, that this number has not
moved. Triggers bump it whoever writes (any process, the command line, a manual fix).
A later migration that has SQLite copy one of these tables (Alembic's batch mode recreating
it) drops that table's triggers and must create them again (tests/services/
test_settings_cache.py fails otherwise).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables a hall's cached settings are built from, and the column naming their hall.
SETTINGS_TABLES = {"halls": "id", "categories": "hall_id", "windows": "hall_id",
                   "booking_rules": "hall_id"}  # fmt: skip
BUMP = "UPDATE hall_versions SET config = config + 1 WHERE hall_id"


def _postgresql_upgrade() -> None:
    for table, column in SETTINGS_TABLES.items():
        op.execute(
            f"""
            CREATE FUNCTION hallq_{table}_settings_changed() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN {BUMP} = OLD.{column}; END IF;
                IF TG_OP <> 'DELETE' THEN {BUMP} = NEW.{column}; END IF;
                RETURN NULL;
            END
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER hallq_{table}_settings_changed "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION hallq_{table}_settings_changed()"
        )


def _sqlite_upgrade() -> None:
    for table, column in SETTINGS_TABLES.items():
        for when, rows in (
            ("INSERT", f"NEW.{column}"),
            ("UPDATE", f"OLD.{column}, NEW.{column}"),
            ("DELETE", f"OLD.{column}"),
        ):
            op.execute(
                f"CREATE TRIGGER hallq_{table}_settings_{when.lower()} AFTER {when} ON {table} "
                f"BEGIN {BUMP} IN ({rows}); END"
            )


def upgrade() -> None:
    with op.batch_alter_table("hall_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("config", sa.BigInteger(), nullable=False, server_default="0")
        )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    for table in SETTINGS_TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS hallq_{table}_settings_changed ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS hallq_{table}_settings_changed()")
        else:
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS hallq_{table}_settings_{when}")
    with op.batch_alter_table("hall_versions", schema=None) as batch_op:
        batch_op.drop_column("config")
