"""The overdue-case alarm, run as the scheduler runs it, with the fake clock: a case due on
Thursday raises its hall's alarm at the first minute of Friday's service day (not at 23:59 on
Thursday), once; it clears when no case is overdue. Across the year end into a year whose
holiday notice is not out, the provisional promised day counts the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queue_server.bootstrap import JOB_MODULES
from queue_server.services import alarms, cases
from queue_server.services.bus import RecordingBus
from queue_server.services.case_alarms import CASE_OVERDUE, alarm_overdue_cases
from queue_server.services.scheduler import registered_jobs

from .cases_world import World, applicant, build

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def world(deps: Any) -> World:
    return build(deps)


def overdue_alarms(deps: Any, hall: int) -> list[dict[str, Any]]:
    return [a for a in alarms.open_alarms(deps, hall) if a["kind"] == CASE_OVERDUE]


def test_the_job_is_one_the_scheduler_runs():
    assert "queue_server.services.case_alarms" in JOB_MODULES
    assert "case_overdue_alarm" in {job.name for job in registered_jobs(JOB_MODULES)}


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_an_overdue_case_raises_the_alarm_at_the_day_end_and_clears_when_decided(
    world: World, deps: Any, clock: Any, bus: RecordingBus
):
    world.serve()
    made = world.register()  # Thursday 26 November, 5 working days: due Thursday 3 December
    assert made["deadline"] == "2026-12-03"
    clock.current = local(2026, 12, 3, 23, 59, 30)
    assert alarm_overdue_cases(deps) == {"raised": 0, "cleared": 0}
    assert overdue_alarms(deps, world.hall) == []
    bus.published.clear()
    clock.current = local(2026, 12, 4, 0, 0, 30)
    assert alarm_overdue_cases(deps) == {"raised": 1, "cleared": 0}
    [alarm] = overdue_alarms(deps, world.hall)
    assert made["number"] in alarm["message"] and "past their promised day" in alarm["message_en"]
    assert [m.room for m in bus.published if m.event == "alarm"] == [f"hall:{world.hall}"]
    # Run again (another process took the lease over, say): still one alarm.
    assert alarm_overdue_cases(deps) == {"raised": 0, "cleared": 0}
    assert len(overdue_alarms(deps, world.hall)) == 1
    assert alarms.open_alarms(deps, world.other_hall) == []
    clock.current = local(2026, 12, 4, 9, 0)
    for who in ("market", "health"):
        cases.approve(deps, world.approvers[who], made["id"])
    assert alarm_overdue_cases(deps) == {"raised": 0, "cleared": 1}
    assert overdue_alarms(deps, world.hall) == []
    assert any(m.event == "alarm_cleared" for m in bus.published)


def test_a_provisional_promised_day_in_the_new_year_raises_the_alarm_after_it(
    world: World, deps: Any, clock: Any
):
    # Monday 28 December 2026, 5 working days: 29, 30, 31 December, then 2027 (its notice not
    # out): 1 January (元旦 by law) is off, so 4 and 5 January — Tuesday 5 January, provisional.
    clock.current = local(2026, 12, 28, 9, 0)
    world.serve()
    made = world.register()
    assert (made["deadline"], made["deadline_provisional"]) == ("2027-01-05", True)
    clock.current = local(2026, 12, 31, 23, 59)
    assert alarm_overdue_cases(deps)["raised"] == 0
    clock.current = local(2027, 1, 1, 0, 1)  # across the year end: a holiday, not yet due
    assert alarm_overdue_cases(deps)["raised"] == 0
    clock.current = local(2027, 1, 5, 23, 59)
    assert alarm_overdue_cases(deps)["raised"] == 0
    clock.current = local(2027, 1, 6, 0, 0, 1)
    assert alarm_overdue_cases(deps)["raised"] == 1
    assert made["number"] in overdue_alarms(deps, world.hall)[0]["message"]


def test_a_case_waiting_for_materials_does_not_raise_it(world: World, deps: Any, clock: Any):
    world.serve()
    made = world.register(applicant=applicant(2))
    clock.current = local(2026, 12, 2, 10, 0)
    cases.return_for_correction(
        deps, world.approvers["market"], made["id"], {"missing": ["场所平面图"]}
    )
    clock.current = local(2026, 12, 10, 10, 0)  # the clock stood still since 2 December
    assert alarm_overdue_cases(deps)["raised"] == 0
    assert overdue_alarms(deps, world.hall) == []
