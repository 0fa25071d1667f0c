"""每周办公时间 as a form: one row per weekday with its sessions typed as 09:00-12:00
13:30-17:00, walk-in and appointment-only apart, read from and written to the hours' JSON.

Monday to Friday have regular hours (工作日常规时段) and 延时服务; Saturday and Sunday have 5+X
extra days; then 节假日受理 and 365天无休. Date overrides are edited elsewhere and kept.
"""

from __future__ import annotations

import re
from typing import Any

from ..domain.hours import HallHours, Session
from ..services.admin import FieldErrors, FieldSpec

WEEKDAYS = [
    (1, "周一", "Mon"),
    (2, "周二", "Tue"),
    (3, "周三", "Wed"),
    (4, "周四", "Thu"),
    (5, "周五", "Fri"),
    (6, "周六", "Sat"),
    (7, "周日", "Sun"),
]
# (section of the hours, label, English label, the weekdays it has; None: every day alike)
SECTIONS: list[tuple[str, str, str, tuple[int, ...] | None]] = [
    ("regular", "常规时段", "Regular hours", (1, 2, 3, 4, 5)),
    ("extended", "延时服务", "Extended hours", (1, 2, 3, 4, 5)),
    ("extra_days", "5+X 延伸服务", "5+X extra days", (6, 7)),
    ("holiday", "节假日受理", "Holiday service", None),
    ("year_round", "365天无休", "365-day service", None),
]
_SESSION = re.compile(r"(\d{1,2}:\d{2})\s*[-–～~至]\s*(\d{1,2}:\d{2})")


def field_name(section: str, weekday: int | None, appointment_only: bool) -> str:
    """The form field of a section's sessions on a weekday, walk-in or appointment-only."""
    day = f"-{weekday}" if weekday is not None else ""
    return f"{section}{day}-{'appt' if appointment_only else 'walk'}"


def _text(sessions: tuple[Session, ...], appointment_only: bool) -> str:
    return " ".join(
        f"{s.start:%H:%M}-{s.end:%H:%M}" for s in sessions if s.appointment_only == appointment_only
    )


def form_values(stored: dict[str, Any]) -> dict[str, str]:
    """The form's fields filled from a hall's stored hours."""
    hours = HallHours.from_dict(stored) if stored else HallHours()
    values = {
        "timezone": hours.timezone,
        "swapped_workday_follows": str(hours.swapped_workday_follows),
    }
    for section, _zh, _en, days in SECTIONS:
        for appointment_only in (False, True):
            if days is None:
                sessions = getattr(hours, section)
                values[field_name(section, None, appointment_only)] = _text(
                    sessions, appointment_only
                )
                continue
            weekly = getattr(hours, section)
            for day in days:
                values[field_name(section, day, appointment_only)] = _text(
                    weekly.get(day, ()), appointment_only
                )
    return values


def _sessions(form: Any, name: str, errors: dict[str, tuple[str, str]]) -> list[dict[str, str]]:
    text = str(form.get(name, "")).replace("，", " ").replace(",", " ").strip()
    found = _SESSION.findall(text)
    rest = _SESSION.sub(" ", text)
    if rest.strip():
        errors[name] = (
            f"时段须写成 09:00-12:00，多个时段用空格分开：{rest.strip()[:20]}",
            "Write sessions like 09:00-12:00, several separated by spaces",
        )
    return [{"start": start.zfill(5), "end": end.zfill(5)} for start, end in found]


def hours_from_form(form: Any) -> dict[str, Any]:
    """The hours' JSON from the submitted form (without date overrides, which are kept);
    FieldErrors for sessions not written as 09:00-12:00. The domain checks the rest."""
    errors: dict[str, tuple[str, str]] = {}
    data: dict[str, Any] = {"timezone": str(form.get("timezone", "")).strip() or "Asia/Shanghai"}
    follows = str(form.get("swapped_workday_follows", "1"))
    if follows not in {"1", "2", "3", "4", "5"}:
        errors["swapped_workday_follows"] = (
            "调休上班日参照的星期应为周一到周五",
            "A swapped working day follows a weekday from Monday to Friday",
        )
    else:
        data["swapped_workday_follows"] = int(follows)
    for section, _zh, _en, days in SECTIONS:
        entries: list[dict[str, Any]] = []
        for appointment_only in (False, True):
            for day in days or (None,):
                for session in _sessions(form, field_name(section, day, appointment_only), errors):
                    entry: dict[str, Any] = {**session, "appointment_only": appointment_only}
                    if day is not None:
                        entry["weekdays"] = [day]
                    entries.append(entry)
        data[section] = entries
    if errors:
        raise FieldErrors(errors)
    return data


def specs() -> tuple[FieldSpec, ...]:
    """The form's fields, so that a refused one is named in the list of problems."""
    fields = [
        FieldSpec("timezone", "时区", "Time zone"),
        FieldSpec("swapped_workday_follows", "调休上班日参照", "A swapped working day follows"),
    ]
    for section, zh, en, days in SECTIONS:
        for day in days or (None,):
            day_zh = next((z for d, z, _ in WEEKDAYS if d == day), "")
            day_en = next((e for d, _, e in WEEKDAYS if d == day), "")
            for appointment_only in (False, True):
                kind_zh = "仅限预约" if appointment_only else "现场取号"
                kind_en = "appointment only" if appointment_only else "walk-in"
                fields.append(
                    FieldSpec(
                        field_name(section, day, appointment_only),
                        f"{zh}{day_zh}（{kind_zh}）",
                        f"{en} {day_en} ({kind_en})".replace("  ", " "),
                    )
                )
    return tuple(fields)
