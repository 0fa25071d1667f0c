"""The few statements every ticket runs, sent straight to the database driver.

Issuing a ticket runs the same handful of statements each time (the last number, the insert,
its audit entry, the waiting counts, the people ahead). Through SQLAlchemy each execution costs
several times what the database itself spends on it; a `DriverStatement` is compiled once per
dialect and then sent on the driver's cursor of the transaction's connection, its values passed
through the columns' own bind processors (so they are stored exactly as SQLAlchemy would store
them), its errors raised as SQLAlchemy's (IntegrityError, OperationalError), so callers see no
difference. Only for statements whose results are plain numbers, and never for writes to tables
whose contents are cached (`db.CACHED_TABLES`): the driver does not tell the caches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

from .db import CACHED_TABLES


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # (name, processor or None) in the order the driver takes them (positional drivers), or
    # the names of a named paramstyle's dictionary.
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    fixed: dict[str, Any]
    positional: bool


class DriverStatement:
    """A Core statement run on the driver's cursor; see the module's docstring."""

    def __init__(self, statement: Any, column_keys: Sequence[str] | None = None) -> None:
        table = str(getattr(getattr(statement, "table", None), "name", ""))
        if getattr(statement, "is_dml", False) and table in CACHED_TABLES:
            raise ValueError(f"{table} is cached: write it through SQLAlchemy")
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._by_dialect: dict[tuple[Any, ...], _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        # By what the compiled text depends on, not by the dialect object: engines come and go.
        kind = (dialect.name, dialect.driver, dialect.paramstyle, dialect.server_version_info)
        found = self._by_dialect.get(kind)
        if found is not None:
            return found
        compiled: Any = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
        names = list(compiled.positiontup or ()) if dialect.positional else list(compiled.binds)
        binds = []
        fixed = {}
        for name in names:
            bind = compiled.binds[name]
            if bind.expanding:
                raise ValueError("a DriverStatement takes no IN lists")
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, processor))
            if not bind.required:
                fixed[name] = bind.effective_value
        found = _Compiled(compiled.string, tuple(binds), fixed, dialect.positional)
        self._by_dialect[kind] = found
        return found

    def _send(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        dialect = conn.dialect
        compiled = self._compiled(dialect)
        values: Any
        try:
            merged = {**compiled.fixed, **params} if compiled.fixed else params
            processed = [
                merged[name] if processor is None else processor(merged[name])
                for name, processor in compiled.binds
            ]
        except KeyError as missing:
            raise ValueError(f"no value for {missing}") from None
        if compiled.positional:
            values = tuple(processed)
        else:
            values = dict(zip((name for name, _ in compiled.binds), processed, strict=True))
        cursor = conn.connection.cursor()
        sql = compiled.sql
        # Listeners of the engine's before_cursor_execute (statement counts, tracing) see these
        # statements too; without a statement context, which the driver's cursor has none of.
        for listener in conn.dispatch.before_cursor_execute:
            sql, values = listener(conn, cursor, sql, values, None, False)
        try:
            cursor.execute(sql, values)
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise DBAPIError.instance(
                sql, values, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        return cursor

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Run a statement whose result is not needed (an insert)."""
        self._send(conn, params).close()

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row (None without rows)."""
        cursor = self._send(conn, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else row[0]

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, as plain tuples."""
        cursor = self._send(conn, params)
        try:
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
