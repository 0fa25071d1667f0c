"""`hallq backup` and `hallq restore` hand PostgreSQL's password to pg_dump and pg_restore
through the environment (PGPASSWORD), never on the command line, where `ps` shows it to every
user of the machine."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from queue_server.store import backup

SECRET = "s3cret-Backup-pw"


def spy_on(tool: str, folder: Path) -> Path:
    """A `tool` first on PATH that notes its command line and PGPASSWORD, then runs the real
    one (the test server trusts local connections: any password is accepted)."""
    real = shutil.which(tool)
    assert real, f"{tool} is not installed"
    notes = folder / f"{tool}.seen"
    script = folder / tool
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" > "{notes}"\n'
        f'printf "PGPASSWORD=%s\\n" "$PGPASSWORD" >> "{notes}"\n'
        f'exec "{real}" "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return notes


@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_the_password_goes_to_pg_dump_and_pg_restore_in_the_environment(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    tools = tmp_path / "bin"
    tools.mkdir()
    seen = {tool: spy_on(tool, tools) for tool in ("pg_dump", "pg_restore")}
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    url = make_url(db_url).set(password=SECRET).render_as_string(hide_password=False)
    target = backup.backup(url, tmp_path / "hallq.backup")
    assert target.stat().st_size > 0
    backup.restore(url, target)
    for tool, notes in seen.items():
        command_line, environment = notes.read_text().splitlines()
        assert SECRET not in command_line, tool
        assert environment == f"PGPASSWORD={SECRET}", tool
