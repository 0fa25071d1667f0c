"""`hallq backup` / `hallq restore`, round trip on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from queue_server.cli import cli
from queue_server.services import issuing
from queue_server.services.context import Actor
from queue_server.store import tables


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_a_backup_restores_exactly_what_it_held(deps, demo, db_url, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HALLQ_DATABASE_URL", db_url)
    system = Actor("system")
    for _ in range(3):
        issuing.issue_ticket(deps, system, demo["hall"], "A")
    with deps.db.reading() as s:
        clerks_before = s.scalar(select(func.count()).select_from(tables.clerks))
    runner = CliRunner()
    target = tmp_path / "hallq.backup"
    result = runner.invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    for _ in range(2):  # tickets after the backup are lost by a restore
        issuing.issue_ticket(deps, system, demo["hall"], "A")
    deps.db.dispose()
    result = runner.invoke(cli, ["restore", "--yes", str(target)])
    assert result.exit_code == 0, result.output

    with deps.db.reading() as s:
        numbers = sorted(s.scalars(select(tables.tickets.c.number)))
        clerks = s.scalar(select(func.count()).select_from(tables.clerks))
    assert numbers == ["A001", "A002", "A003"]
    assert clerks == clerks_before
    # Numbering goes on from the restored state.
    assert issuing.issue_ticket(deps, system, demo["hall"], "A")["number"] == "A004"


def test_restore_refuses_a_file_that_is_not_a_database(deps, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HALLQ_DATABASE_URL", db_url)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(cli, ["restore", "--yes", str(junk)])
    assert result.exit_code == 1 and "restore failed, database unchanged" in result.output
    assert isinstance(result.exception, SystemExit)  # a clean message, not a traceback
