"""`hallq backup` and `hallq restore`: SQLite's online backup, or pg_dump / pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """A backup or restore that could not be done; nothing was changed."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory database cannot be backed up")
    return Path(database)


def _pg_args(url: str) -> list[str]:
    """libpq connection arguments for the PostgreSQL tools (no driver suffix, no password:
    a command line is visible to every user of the machine in `ps`)."""
    parsed = make_url(url)
    without = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    )
    return [without.render_as_string(hide_password=False)]


def _pg_env(url: str) -> dict[str, str]:
    """The environment of the PostgreSQL tools: the password goes in PGPASSWORD."""
    env = dict(os.environ)
    password = make_url(url).password
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return env


def backup(url: str, target: Path) -> Path:
    """Copy the database to `target` while the server keeps running."""
    try:
        return _backup(url, target)
    except (sqlite3.Error, subprocess.SubprocessError, OSError, ValueError) as error:
        raise BackupError(f"backup failed: {_reason(error)}") from error


def restore(url: str, source: Path) -> None:
    """Replace the database's content with a backup (stop the servers first)."""
    try:
        _restore(url, source)
    except (sqlite3.Error, subprocess.SubprocessError, OSError, ValueError) as error:
        raise BackupError(f"restore failed, database unchanged: {_reason(error)}") from error


def _reason(error: Exception) -> str:
    if isinstance(error, subprocess.CalledProcessError):
        return (error.stderr or b"").decode(errors="replace").strip() or str(error)
    return str(error)


def _backup(url: str, target: Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        try:
            # A consistent copy even while writers are busy (SQLite's online backup API).
            source.backup(destination)
        finally:
            destination.close()
            source.close()
        return target
    tool = shutil.which("pg_dump")
    if tool is None:
        raise RuntimeError("pg_dump not found: install the PostgreSQL client tools")
    subprocess.run(
        [tool, "--format=custom", "--no-owner", f"--file={target}", *_pg_args(url)],
        check=True,
        capture_output=True,
        timeout=3600,
        env=_pg_env(url),
    )
    return target


def _restore(url: str, source: Path) -> None:
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"no backup at {source}")
    if url.startswith("sqlite"):
        check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ValueError(f"{source} is not a sound SQLite database")
            live = sqlite3.connect(_sqlite_path(url))
            try:
                check.backup(live)
            finally:
                live.close()
        finally:
            check.close()
        return
    tool = shutil.which("pg_restore")
    if tool is None:
        raise RuntimeError("pg_restore not found: install the PostgreSQL client tools")
    subprocess.run(
        [tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
         f"--dbname={_pg_args(url)[0]}", str(source)],
        check=True,
        capture_output=True,
        timeout=3600,
        env=_pg_env(url),
    )  # fmt: skip
