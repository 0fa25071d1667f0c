"""Migration 0004 creates the console's tables exactly as declared, next to the other heads,
and goes away cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from queue_server.store import migrate, tables
from queue_server.store.db import make_engine

MINE = {"complaints", "follow_ups", "login_attempts", "service_targets"}


def _table_of(diff: object) -> str | None:
    """The table a schema difference is about."""
    if isinstance(diff, list):  # column changes come grouped
        return _table_of(diff[0]) if diff else None
    assert isinstance(diff, tuple)
    for part in diff[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if name and name in MINE:
            return str(name)
        if isinstance(part, str) and part in MINE:
            return part
    return None


def test_0004_builds_the_console_tables_as_declared_and_downgrades(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0004")  # 0004 branches off 0002 beside the appointments (0003)
    assert migrate.current(url) == "0004"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            assert present >= MINE
            diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
        assert [d for d in diff if _table_of(d) in MINE] == []
        command.downgrade(migrate.alembic_config(url), "0004-1")
        with engine.connect() as conn:
            left = set(inspect(conn).get_table_names())
        assert not left & MINE and "evaluations" in left
    finally:
        engine.dispose()
