"""The console's pages, one module per concept; importing this module registers them all.

- `sign_in`: sign in and out, change one's password.
- `halls`: the overview, the hall switcher, a hall's settings, a new hall, the lobby notice.
- `hours`: a hall's opening hours and date overrides; the years' holiday schedule.
- `catalogue`: categories, windows and service items (with import and export).
- `staff`: staff, their passwords and photos.
- `devices`: devices, their tokens and a kiosk's ticket printer.
- `monitoring`: the live monitor, reports and the performance sheets.
- `feedback`: 差评 follow-ups and complaints.
- `audit`: the audit log.

Shared by them: `pages` (the page frame, the form page) and `crud` (the pages of a record a
manager lists, adds, edits and removes, made once for every kind of record).
"""

from . import (  # noqa: F401  (each module adds its routes to the blueprint)
    audit,
    catalogue,
    devices,
    feedback,
    halls,
    hours,
    monitoring,
    sign_in,
    staff,
)
