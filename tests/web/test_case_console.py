"""The console's case pages over HTTP: cases per state and the overdue list, the on-time report
per hall rolled up from the village station, its CSV, bad input, and the cases each clerk
received in 效能考评."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from queue_server.services import cases, station
from queue_server.store import tables
from tests.services.cases_world import FOOD, World, applicant, build
from tests.services.test_station import agent

pytestmark = pytest.mark.usefixtures("demo_passwords_hashed_once")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SPAN = "period=range&start=2026-11-26&end=2026-12-04"


@pytest.fixture
def world(deps: Any, clock: Any) -> World:
    """Two window cases and one of the village station on 26 November (due 3 December); one
    decided the next day, the others open on 4 December."""
    made = build(deps)
    with deps.db.transaction() as s:
        s.execute(
            update(tables.service_items)
            .where(tables.service_items.c.id == made.food_item)
            .values(village_proxy=True)
        )
    made.serve()
    first = made.register()["id"]
    made.register(applicant=applicant(2))
    data = {"item": made.food_item, "applicant": applicant(3)}
    data["materials"] = dict.fromkeys(FOOD, "provided")
    station.register_at_station(deps, agent(deps, made), made.village, data)
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
    for who in ("market", "health"):
        cases.approve(deps, made.approvers[who], first)
    clock.current = datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
    return made


@pytest.fixture
def signed_in(client: Any, world: World) -> Any:
    staff_no = world.town["manager"]["staff_no"]  # type: ignore[attr-defined]
    reply = client.post(
        "/api/v1/auth/login",
        json={"staff_no": staff_no, "password": world.town["manager"]["password"]},  # type: ignore[attr-defined]
    )
    assert reply.status_code == 200
    return client


def test_the_cases_page_counts_states_and_lists_the_overdue(signed_in: Any, world: World):
    html = signed_in.get(f"/admin/halls/{world.hall}/cases").get_data(as_text=True)
    counts = dict(re.findall(r'data-state="(\w+)"><span class="n">(\d+)</span>', html))
    assert (counts["in_review"], counts["approved"]) == ("2", "1")
    table = html.split('id="overdue-table"')[1]
    assert table.count('<tr class="overdue">') == 2
    assert "李家村便民服务站" in table and "2026-12-03" in table
    assert "张**" in table and "张三丰" not in html  # masked
    assert ">办件 <small" in html  # in the hall's navigation
    # On the promised day itself nothing is overdue.
    world.deps.clock.current = datetime(2026, 12, 3, 17, 0, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[attr-defined]
    html = signed_in.get(f"/admin/halls/{world.hall}/cases").get_data(as_text=True)
    assert 'id="no-overdue"' in html


def test_the_report_rolls_the_station_up_into_the_town_and_exports_csv(
    signed_in: Any, world: World
):
    html = signed_in.get(f"/admin/halls/{world.hall}/cases/report?{SPAN}").get_data(as_text=True)
    assert re.search(r'id="kpi-received">3<', html) and re.search(r'id="kpi-rate">100.0%<', html)
    rows = re.findall(r'<th scope="row" class="depth-(\d)">([^<]+)</th>', html)
    assert [depth for depth, _ in rows] == ["0", "1"] and rows[1][1].endswith("李家村便民服务站")
    assert f"/admin/halls/{world.hall}/cases/report.csv?period=range&amp;start=2026-11-26" in html
    reply = signed_in.get(f"/admin/halls/{world.hall}/cases/report.csv?{SPAN}&by=department")
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert reply.headers["Content-Disposition"].startswith('attachment; filename="cases-hall')
    text = reply.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[1][:3] == ["审批部门 Department", "受理 Received", "办结 Decided"]
    by_department = {line[0]: line for line in lines[2:]}
    assert by_department["市场监管所"][1:3] == ["3", "1"]
    assert by_department["合计 Total"][5] == "100.0"


@pytest.mark.parametrize(
    "query",
    ["by=weather", "period=range&start=2026-12-04&end=2026-11-26", "period=range&start=2026-13-01"],
)
def test_bad_report_input_is_refused_in_both_languages(signed_in: Any, world: World, query: str):
    for path in ("report", "report.csv"):
        reply = signed_in.get(f"/admin/halls/{world.hall}/cases/{path}?{query}")
        assert reply.status_code == 422, (path, query, reply.status_code)
        text = reply.get_data(as_text=True)
        assert re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]{4,}", text)


def test_the_performance_sheet_counts_the_cases_each_clerk_received(signed_in: Any, world: World):
    html = signed_in.get(f"/admin/halls/{world.hall}/performance?{SPAN}").get_data(as_text=True)
    assert "受理办件" in html
    row = html.split(world.clerk.name)[1].split("</tr>")[0]
    assert 'data-key="cases_received">2<' in row
    text = signed_in.get(f"/admin/halls/{world.hall}/performance.csv?{SPAN}").get_data()
    lines = list(csv.reader(io.StringIO(text.decode("utf-8").lstrip("\ufeff"))))
    column = lines[1].index("受理办件 Cases received")
    [mine] = [line for line in lines[2:] if line[0].startswith(world.clerk.name)]
    assert mine[column] == "2"
