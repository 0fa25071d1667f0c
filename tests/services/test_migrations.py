"""Migrations keep every row: a database filled at the first release upgrades intact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from queue_server.store import migrate, tables


def latest_revision() -> str:
    """The newest migration; there must be exactly one (a linear history)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


HEAD = latest_revision()


def add_old_hall(conn: Any) -> None:
    """Hall 1 as a database of an older release holds it (the columns of 0001)."""
    conn.execute(
        text(
            "INSERT INTO halls (id, name, name_en, kind, timezone, day_starts_at_minute,"
            " settings, hours, notice) VALUES (1, '老大厅', '', 'town', 'Asia/Shanghai', 0,"
            " '{}', '{}', '')"
        )
    )


def engine_for(url: str):  # type: ignore[no-untyped-def]
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


@pytest.fixture
def empty_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'old.db'}"


def test_a_first_release_database_upgrades_to_head_without_losing_rows(empty_url: str):
    migrate.upgrade(empty_url, "0001")
    engine = engine_for(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO halls (id, name, name_en, kind, timezone, day_starts_at_minute,"
                " settings, hours, notice) VALUES (1, '老大厅', 'Old hall', 'town',"
                " 'Asia/Shanghai', 0, '{}', '{}', '')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO categories (id, hall_id, prefix, name, name_en, daily_cap,"
                " target_wait_minutes, default_service_minutes, sort_order, active)"
                " VALUES (1, 1, 'A', '综合受理', '', 999, 20, 6, 0, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO tickets (hall_id, category_id, service_day, seq, number, token,"
                " issued_at, sort_key, priority, state, source, times_called, items, note)"
                " VALUES (1, 1, '2026-11-25', 7, 'A007', 'oldtoken-0001', '2026-11-25 01:00:00',"
                " 1.0, 'none', 'done', 'kiosk', 1, '[]', '')"
            )
        )
    engine.dispose()

    migrate.upgrade(empty_url)

    engine = engine_for(empty_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT number, token, state FROM tickets")).one()
        hall = conn.execute(text("SELECT name FROM halls")).scalar_one()
        present = set(inspect(conn).get_table_names())
    engine.dispose()
    assert tuple(row) == ("A007", "oldtoken-0001", "done")
    assert hall == "老大厅"
    # Every table the code knows was created by the migrations, not by the code itself.
    assert {t.name for t in tables.metadata.sorted_tables} <= present
    assert migrate.current(empty_url) is not None


def test_upgrading_twice_changes_nothing(empty_url: str):
    migrate.upgrade(empty_url)
    first = migrate.current(empty_url)
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == first


def test_the_migrations_build_exactly_the_schema_the_code_declares(empty_url: str):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import queue_server.app  # noqa: F401 - registers every feature's tables

    migrate.upgrade(empty_url)
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, tables.metadata)
    engine.dispose()
    assert differences == [], "a table or column is missing from the migrations"


def test_0006_adds_the_entered_holiday_schedules_to_a_first_release_database(empty_url: str):
    from alembic import command

    migrate.upgrade(empty_url, "0001")
    migrate.upgrade(empty_url, "0005")
    assert migrate.current(empty_url) == "0005"
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == HEAD
    engine = engine_for(empty_url)
    with engine.begin() as conn:
        assert {"calendar_years", "calendar_days"} <= set(inspect(conn).get_table_names())
        conn.execute(
            text(
                "INSERT INTO calendar_years (year, entered_by, entered_at)"
                " VALUES (2027, 'clerk:1', '2026-11-26 08:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO calendar_days (day, year, kind, name, name_en)"
                " VALUES ('2027-01-01', 2027, 'holiday', '元旦', 'New Year''s Day')"
            )
        )
        conn.execute(text("DELETE FROM calendar_days"))
        conn.execute(text("DELETE FROM calendar_years"))
    engine.dispose()
    command.downgrade(migrate.alembic_config(empty_url), "0005")
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        assert "calendar_years" not in inspect(conn).get_table_names()
    engine.dispose()
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == HEAD


def test_0007_indexes_the_queue_of_the_day_and_the_audit_log_by_kind_and_time(
    empty_url: str,
):
    from alembic import command

    from queue_server.services import views

    migrate.upgrade(empty_url, "0006")
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == HEAD
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("tickets")}
        assert "ix_tickets_hall_day_state" in names
        compiled = views._WAITING_COUNTS.statement.compile(engine)
        plan = conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", (1, "waiting", "2026-11-26")
        ).all()
        assert any("COVERING INDEX ix_tickets_hall_day_state" in row[-1] for row in plan), plan
        # The retention sweep's search: a hall's old entries of the kinds with typed text.
        assert "ix_audit_log_hall_action_at" in {
            ix["name"] for ix in inspect(conn).get_indexes("audit_log")
        }
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM audit_log WHERE hall_id = ? AND at < ?"
            " AND action IN ('window.pause', 'ticket.transfer')",
            (1, "2026-01-01 00:00:00"),
        ).all()
        used = " ".join(row[-1] for row in plan)
        assert "ix_audit_log_hall_action_at (hall_id=? AND action=? AND at<?)" in used, plan
    engine.dispose()
    command.downgrade(migrate.alembic_config(empty_url), "0006")
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("tickets")}
        assert "ix_tickets_hall_day_state" not in names
        assert "ix_audit_log_hall_id" in {
            ix["name"] for ix in inspect(conn).get_indexes("audit_log")
        }
    engine.dispose()


def test_0013_gives_old_service_items_empty_english_fields_and_leaves_halls_as_they_were(
    empty_url: str,
):
    from sqlalchemy import select

    from queue_server.domain.model import QueueRules

    migrate.upgrade(empty_url, "0007")
    engine = engine_for(empty_url)
    with engine.begin() as conn:
        add_old_hall(conn)
        conn.execute(
            text(
                "INSERT INTO service_items (id, hall_id, code, name, name_en, item_type,"
                " legal_basis, time_limit_days, conditions, steps, materials, fee, department,"
                " village_proxy, online, active) VALUES (1, 1, 'X-1', '低保', '', '', '', 0,"
                " '本地户籍', '[]', '[\"居民身份证\"]', '不收费', '民政办', 0, 0, 1)"
            )
        )
    engine.dispose()
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == HEAD
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        item = conn.execute(select(tables.service_items)).mappings().one()
        settings = conn.execute(select(tables.halls.c.settings)).scalar_one()
    engine.dispose()
    assert item["materials"] == ["居民身份证"] and item["conditions"] == "本地户籍"
    assert (item["conditions_en"], item["steps_en"], item["materials_en"]) == ("", [], [])
    assert (item["fee_en"], item["department_en"]) == ("", "")
    # an existing hall keeps the switch it had (off) although new halls start with it on
    assert settings == {}
    assert QueueRules.from_dict(settings.get("queue")).comprehensive_prefers_unserved is False


def test_0008_adds_the_holiday_notices_and_takes_them_away_again(empty_url: str):
    from alembic import command

    migrate.upgrade(empty_url, "0007")
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == HEAD
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("holiday_notices")}
        assert columns == {"booking_id", "day", "hall_id", "holiday", "notified_at"}
        assert inspect(conn).get_pk_constraint("holiday_notices")["constrained_columns"] == [
            "booking_id",
            "day",
        ]
    engine.dispose()
    command.downgrade(migrate.alembic_config(empty_url), "0007")
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        assert "holiday_notices" not in inspect(conn).get_table_names()
    engine.dispose()


def test_0014_adds_cases_and_the_review_departments_of_existing_items(empty_url: str):
    from alembic import command

    migrate.upgrade(empty_url, "0007")
    engine = engine_for(empty_url)
    with engine.begin() as conn:
        add_old_hall(conn)
        conn.execute(
            text(
                "INSERT INTO service_items (hall_id, code, name, name_en, item_type, legal_basis,"
                " time_limit_days, conditions, steps, materials, fee, department,"
                " village_proxy, online, active) VALUES (1, 'X1', '开店', '', '', '', 5, '',"
                " '[]', '[]', '', '市场监管所', 0, 0, 1)"
            )
        )
    engine.dispose()
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == HEAD
    engine = engine_for(empty_url)
    with engine.begin() as conn:
        # An item from before keeps its row and reviews in its own department (empty list).
        assert conn.execute(text("SELECT review_departments FROM service_items")).scalar_one() in (
            "[]",
            [],
        )
        assert "cases" in inspect(conn).get_table_names()
    engine.dispose()
    command.downgrade(migrate.alembic_config(empty_url), "0007")
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        assert "cases" not in inspect(conn).get_table_names()
        columns = {c["name"] for c in inspect(conn).get_columns("service_items")}
        assert "review_departments" not in columns
        assert conn.execute(text("SELECT name FROM service_items")).scalar_one() == "开店"
    engine.dispose()
