"""Ticket states and priorities have one name everywhere: the pages' scripts read
static/common/labels.js, made from the domain's table, and the templates the same table."""

from __future__ import annotations

import re
from pathlib import Path

from queue_server.domain.model import PRIORITY_NAMES, TICKET_STATE_NAMES, TicketState
from queue_server.web.labels import LABELS_JS, labels_js

ROOT = Path(__file__).resolve().parents[2]


def test_the_scripts_table_is_the_domains():
    assert LABELS_JS.read_text(encoding="utf-8") == labels_js(), (
        "static/common/labels.js is stale: run `python -m queue_server.web.labels`"
    )
    for state in TicketState:
        assert f'"{state.value}": {list(TICKET_STATE_NAMES[state])}'.replace("'", '"') in (
            labels_js()
        )
    assert set(PRIORITY_NAMES) and '"elderly": ["老年人", "Elderly"]' in labels_js()


def test_no_page_or_script_names_a_state_its_own_way():
    texts = [
        *(ROOT / "static").glob("*/*.js"),
        *(ROOT / "templates").glob("**/*.html"),
    ]
    other_names = re.compile(r"已呼叫|[\"']过号[\"'],\s*[\"']No-show")
    offenders = [
        str(path.relative_to(ROOT))
        for path in texts
        if "vendor" not in path.parts and other_names.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_phone_page_and_the_counter_use_the_one_table(client, api):
    ticket = api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    phone = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert TICKET_STATE_NAMES[TicketState.CALLED][0] in phone
    assert "common/labels.js" in phone
    assert "common/labels.js" in client.get("/counter").get_data(as_text=True)
