"""The names of ticket states and priorities the pages show, from the domain's one table:
rendered into templates, and written to static/common/labels.js for the pages' scripts.

Regenerate the file after changing a name: `python -m queue_server.web.labels`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..domain.model import PRIORITY_NAMES, TICKET_STATE_NAMES

LABELS_JS = Path(__file__).resolve().parents[2] / "static" / "common" / "labels.js"


def labels() -> dict[str, Any]:
    """{"states": {state: [中文, English]}, "priorities": {priority: [中文, English]}}."""
    return {
        "states": {state.value: list(names) for state, names in TICKET_STATE_NAMES.items()},
        "priorities": {kind.value: list(names) for kind, names in PRIORITY_NAMES.items()},
    }


def labels_js() -> str:
    """The text of static/common/labels.js."""
    groups = []
    for group, names in labels().items():
        rows = ",\n".join(
            f"    {json.dumps(key)}: {json.dumps(pair, ensure_ascii=False)}"
            for key, pair in names.items()
        )
        groups.append(f"  {json.dumps(group)}: {{\n{rows}\n  }}")
    table = "{\n" + ",\n".join(groups) + "\n}"
    return (
        "/* Generated from queue_server/domain/model.py by `python -m queue_server.web.labels`:\n"
        "   the one name of each ticket state and priority. Do not edit by hand. */\n"
        f"window.HallqLabels = {table};\n"
    )


if __name__ == "__main__":
    LABELS_JS.write_text(labels_js(), encoding="utf-8")
    print(f"wrote {LABELS_JS}")
