"""The store: every table module is imported here, so `schema.metadata` (also read as
`tables.metadata`) holds all the tables whichever store module is imported first."""

from . import (  # noqa: F401  (registers their tables on the metadata)
    admin_tables,
    booking_tables,
    calendar_tables,
    case_tables,
    idempotency_tables,
    tables,
)
