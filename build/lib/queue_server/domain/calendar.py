"""The official calendar: public holidays (法定节假日), swapped working days (调休) and deadlines.

Halls follow the State Council's yearly holiday notice. `OfficialCalendar` reads it from the
`chinese_calendar` package; `TableCalendar` holds an explicit table, as a fake for tests or for a
year the package does not cover yet (entered by an admin); `LayeredCalendar` asks the package
first and the entered table for the other years. A year neither knows raises
`CalendarYearMissing`: hallq never guesses whether a day is a holiday.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar

from queue_server.domain.errors import InvalidInput, QueueError

__all__ = [
    "CalendarYearMissing",
    "HolidayCalendar",
    "LayeredCalendar",
    "OfficialCalendar",
    "PublicHoliday",
    "STANDARD_HOLIDAYS",
    "TableCalendar",
    "standard_holiday",
]


class CalendarYearMissing(QueueError):
    """The holiday schedule of a year is not known yet, so working days cannot be decided."""

    code = "calendar_year_missing"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"尚无 {year} 年的法定节假日安排，无法判断工作日，请更新节假日数据",
            f"the official holiday schedule for {year} is not available, so working days "
            "cannot be decided; please update the holiday data",
        )
        self.year = year


@dataclass(frozen=True)
class PublicHoliday:
    """A statutory holiday by its Chinese and English name, e.g. 春节 / Spring Festival."""

    name_zh: str
    name_en: str


class HolidayCalendar(abc.ABC):
    """Which days are official working days and which are public holidays."""

    @abc.abstractmethod
    def covers(self, year: int) -> bool:
        """Whether the holiday schedule of this year is known."""

    @abc.abstractmethod
    def is_workday(self, day: date) -> bool:
        """Whether the day is an official working day (weekday or 调休 weekend day)."""

    @abc.abstractmethod
    def public_holiday(self, day: date) -> PublicHoliday | None:
        """The public holiday the day belongs to, or None on an ordinary day or weekend."""

    def is_public_holiday(self, day: date) -> bool:
        """Whether the day is part of a statutory holiday break."""
        return self.public_holiday(day) is not None

    def is_swapped_workday(self, day: date) -> bool:
        """Whether the day is a Saturday or Sunday worked in exchange for a holiday (调休上班)."""
        # Ask the calendar first so a missing year is refused on every day, weekday or not.
        return self.is_workday(day) and day.weekday() >= 5

    def add_working_days(self, start: date, n: int) -> date:
        """The day on which n working days after `start` have passed (start itself not counted)."""
        if n < 0:
            raise InvalidInput(
                "工作日天数不能为负数", "the number of working days cannot be negative"
            )
        day = start
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b`; negative when `b` is before `a`."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(
            1 for offset in range(1, (b - a).days + 1) if self.is_workday(a + timedelta(offset))
        )


@cache
def _package_covers(year: int) -> bool:
    # The installed package does not change while hallq runs: ask it once per year.
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except (NotImplementedError, ValueError, OverflowError):
        return False
    return True


class OfficialCalendar(HolidayCalendar):
    """The State Council holiday schedule as published in the `chinese_calendar` package."""

    def covers(self, year: int) -> bool:
        """Whether the installed package has the holiday schedule of this year."""
        return _package_covers(year)

    def years(self) -> list[int]:
        """The years the installed package has, in order."""
        return [year for year in range(1990, 2101) if _package_covers(year)]

    def is_workday(self, day: date) -> bool:
        """Whether the day is an official working day (weekday or 调休 weekend day)."""
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError as missing:
            raise CalendarYearMissing(day.year) from missing

    def public_holiday(self, day: date) -> PublicHoliday | None:
        """The public holiday the day belongs to, or None on an ordinary day or weekend."""
        try:
            resting, name_en = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError as missing:
            raise CalendarYearMissing(day.year) from missing
        # A plain weekend is a rest day without a name; a 调休 workday has a name but is no rest.
        if not resting or name_en is None:
            return None
        return PublicHoliday(name_zh=_chinese_holiday_name(name_en), name_en=name_en)


# The statutory holidays by the names the package uses (one-off commemorations left out), for an
# admin entering a year to choose from.
STANDARD_HOLIDAYS = tuple(
    PublicHoliday(name_zh=str(holiday.chinese), name_en=str(holiday.value))
    for holiday in chinese_calendar.Holiday
    if int(holiday.days) >= 1 and "70th" not in str(holiday.value)
)


def standard_holiday(name: str) -> PublicHoliday | None:
    """The standard holiday named in Chinese or English (元旦, New Year's Day), or None."""
    wanted = name.strip().casefold()
    for holiday in STANDARD_HOLIDAYS:
        if wanted in (holiday.name_zh.casefold(), holiday.name_en.casefold()):
            return holiday
    return None


def _chinese_holiday_name(name_en: str) -> str:
    try:
        return str(chinese_calendar.Holiday(name_en).chinese)
    except ValueError:
        return name_en


class TableCalendar(HolidayCalendar):
    """A holiday schedule given as a table: a fake for tests, or a year typed in by a manager."""

    def __init__(
        self,
        years: Iterable[int],
        holidays: Mapping[date, PublicHoliday],
        swapped_workdays: Iterable[date] = (),
    ) -> None:
        self._years = frozenset(years)
        self._holidays = dict(holidays)
        self._swapped_workdays = frozenset(swapped_workdays)
        for day in [*self._holidays, *self._swapped_workdays]:
            if day.year not in self._years:
                raise InvalidInput(
                    f"{day.isoformat()} 不在节假日表的年份范围内",
                    f"{day.isoformat()} is outside the years of the holiday table",
                )
        for day in self._swapped_workdays:
            if day.weekday() < 5 or day in self._holidays:
                raise InvalidInput(
                    f"{day.isoformat()} 不能设为调休上班日：只有不放假的周六、周日才能调休上班",
                    f"{day.isoformat()} cannot be a swapped working day: only a Saturday or "
                    "Sunday outside a holiday can be",
                )

    def covers(self, year: int) -> bool:
        """Whether the table has the holiday schedule of this year."""
        return year in self._years

    def years(self) -> list[int]:
        """The years of the table, in order."""
        return sorted(self._years)

    def holidays(self) -> dict[date, PublicHoliday]:
        """The public holiday days of the table, in date order."""
        return dict(sorted(self._holidays.items()))

    def swapped_workdays(self) -> list[date]:
        """The 调休 Saturdays and Sundays worked, in order."""
        return sorted(self._swapped_workdays)

    def is_workday(self, day: date) -> bool:
        """Whether the day is an official working day (weekday or 调休 weekend day)."""
        self._require_year(day)
        if day in self._swapped_workdays:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def public_holiday(self, day: date) -> PublicHoliday | None:
        """The public holiday the day belongs to, or None on an ordinary day or weekend."""
        self._require_year(day)
        return self._holidays.get(day)

    def _require_year(self, day: date) -> None:
        if day.year not in self._years:
            raise CalendarYearMissing(day.year)


class LayeredCalendar(HolidayCalendar):
    """The package's schedule for every year it has (it always wins), an entered table for the
    years it lacks, and `CalendarYearMissing` for a year neither knows."""

    def __init__(self, package: HolidayCalendar, entered: HolidayCalendar) -> None:
        self.package = package
        self.entered = entered

    def _source(self, year: int) -> HolidayCalendar:
        return self.package if self.package.covers(year) else self.entered

    def covers(self, year: int) -> bool:
        """Whether the package or the entered table has the holiday schedule of this year."""
        return self.package.covers(year) or self.entered.covers(year)

    def is_workday(self, day: date) -> bool:
        """Whether the day is an official working day (weekday or 调休 weekend day)."""
        return self._source(day.year).is_workday(day)

    def public_holiday(self, day: date) -> PublicHoliday | None:
        """The public holiday the day belongs to, or None on an ordinary day or weekend."""
        return self._source(day.year).public_holiday(day)
