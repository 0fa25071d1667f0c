"""Alembic environment: migrations run against the URL hallq was given."""

from alembic import context

from queue_server.store import tables
from queue_server.store.db import make_engine

config = context.config
target_metadata = tables.metadata


def run_migrations_online() -> None:
    """Upgrade the database in one transaction."""
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("hallq runs migrations online only")
run_migrations_online()
