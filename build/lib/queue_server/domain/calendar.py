"""The official calendar: public holidays (法定节假日), swapped working days (调休) and deadlines.

Halls follow the State Council's yearly holiday notice. `OfficialCalendar` reads it from the
`chinese_calendar` package; `TableCalendar` holds an explicit table, as a fake for tests or for a
year the package does not cover yet (entered by an admin); `LayeredCalendar` asks the package
first, the entered table next, and for a year neither has yet falls back to the
`ProvisionalCalendar`: the statutory days the law itself fixes (全国年节及纪念日放假办法), worked out
from the lunar calendar, without the bridging days and 调休 only the yearly notice gives. Such a
year is *provisional*. Only a year outside the lunar tables raises `CalendarYearMissing`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar
from lunar_python import Lunar, Solar

from queue_server.domain.errors import InvalidInput, QueueError

__all__ = [
    "CalendarYearMissing",
    "HolidayCalendar",
    "LayeredCalendar",
    "OfficialCalendar",
    "ProvisionalCalendar",
    "ProvisionalYear",
    "PublicHoliday",
    "STANDARD_HOLIDAYS",
    "TableCalendar",
    "standard_holiday",
    "statutory_holidays",
]


class CalendarYearMissing(QueueError):
    """The holiday schedule of a year is not known yet, so working days cannot be decided."""

    code = "calendar_year_missing"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"无法确定 {year} 年的节假日安排",
            f"the holiday schedule for {year} cannot be determined",
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

    def is_provisional(self, year: int) -> bool:
        """Whether the year's days are worked out from the law alone, the yearly notice (and
        with it the bridging days and 调休) not known yet."""
        return False

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
    years it lacks, the provisional statutory days for a year neither has yet, and
    `CalendarYearMissing` for a year none knows."""

    def __init__(
        self,
        package: HolidayCalendar,
        entered: HolidayCalendar,
        provisional: HolidayCalendar | None = None,
    ) -> None:
        self.package = package
        self.entered = entered
        self.provisional = provisional

    def source(self, year: int) -> str:
        """Where the year comes from: "package", "entered", "provisional" or "missing"."""
        if self.package.covers(year):
            return "package"
        if self.entered.covers(year):
            return "entered"
        if self.provisional is not None and self.provisional.covers(year):
            return "provisional"
        return "missing"

    def _source(self, year: int) -> HolidayCalendar:
        if self.package.covers(year):
            return self.package
        if self.entered.covers(year) or self.provisional is None:
            return self.entered
        if self.provisional.covers(year):
            return self.provisional
        return self.entered  # raises CalendarYearMissing for a year none knows

    def covers(self, year: int) -> bool:
        """Whether the year's days are known, from the notice or provisionally from the law."""
        return self.source(year) != "missing"

    def is_official(self, year: int) -> bool:
        """Whether the year's schedule is the State Council's (package or entered)."""
        return self.source(year) in ("package", "entered")

    def is_provisional(self, year: int) -> bool:
        """Whether the year is worked out from the law alone, its notice not known yet."""
        return self.source(year) == "provisional"

    def is_workday(self, day: date) -> bool:
        """Whether the day is an official working day (weekday or 调休 weekend day)."""
        return self._source(day.year).is_workday(day)

    def public_holiday(self, day: date) -> PublicHoliday | None:
        """The public holiday the day belongs to, or None on an ordinary day or weekend."""
        return self._source(day.year).public_holiday(day)


# ------------------------------------------------------------------ the statutory days by law

# 全国年节及纪念日放假办法 (as amended, in force from 2025), article 2: the days every year holds.
_NEW_YEAR, _SPRING, _TOMB, _LABOUR, _DRAGON, _NATIONAL, _MID_AUTUMN = (
    PublicHoliday(name_zh=str(h.chinese), name_en=str(h.value))
    for h in (
        chinese_calendar.Holiday.new_years_day,
        chinese_calendar.Holiday.spring_festival,
        chinese_calendar.Holiday.tomb_sweeping_day,
        chinese_calendar.Holiday.labour_day,
        chinese_calendar.Holiday.dragon_boat_festival,
        chinese_calendar.Holiday.national_day,
        chinese_calendar.Holiday.mid_autumn_festival,
    )
)
# The years the lunar tables are trusted for.
PROVISIONAL_FIRST_YEAR, PROVISIONAL_LAST_YEAR = 1950, 2099


def _lunar_day(year: int, month: int, day: int) -> date:
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@cache
def statutory_holidays(year: int) -> dict[date, PublicHoliday]:
    """The statutory holiday days of a Gregorian year by the law alone, in date order: 元旦
    1 January; 春节 from 除夕 to 正月初三; 清明 on the solar term's day; 劳动节 1–2 May;
    端午 (五月初五) and 中秋 (八月十五); 国庆节 1–3 October. The yearly notice adds bridging days
    and 调休 to these; where two fall on one day (中秋 in 国庆) the earlier-listed name is kept."""
    if not PROVISIONAL_FIRST_YEAR <= year <= PROVISIONAL_LAST_YEAR:
        raise CalendarYearMissing(year)
    days: dict[date, PublicHoliday] = {date(year, 1, 1): _NEW_YEAR}
    new_year = _lunar_day(year, 1, 1)
    for offset in range(-1, 3):  # 除夕 to 初三
        days.setdefault(new_year + timedelta(days=offset), _SPRING)
    solar_terms = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()
    qingming = solar_terms["清明"]
    days.setdefault(date(qingming.getYear(), qingming.getMonth(), qingming.getDay()), _TOMB)
    for may in (1, 2):
        days.setdefault(date(year, 5, may), _LABOUR)
    days.setdefault(_lunar_day(year, 5, 5), _DRAGON)
    for october in (1, 2, 3):
        days.setdefault(date(year, 10, october), _NATIONAL)
    days.setdefault(_lunar_day(year, 8, 15), _MID_AUTUMN)
    return dict(sorted(days.items()))


class ProvisionalCalendar(HolidayCalendar):
    """A year before its notice: the statutory days are holidays, other weekdays working days,
    Saturdays and Sundays rest; no bridging days, no 调休 (only the notice gives those)."""

    def covers(self, year: int) -> bool:
        """Whether the lunar tables reach this year."""
        return PROVISIONAL_FIRST_YEAR <= year <= PROVISIONAL_LAST_YEAR

    def is_provisional(self, year: int) -> bool:
        """Always: these days wait for the notice."""
        return self.covers(year)

    def is_workday(self, day: date) -> bool:
        """A weekday that is no statutory holiday."""
        holidays = statutory_holidays(day.year)  # refuses a year beyond the lunar tables
        return day.weekday() < 5 and day not in holidays

    def public_holiday(self, day: date) -> PublicHoliday | None:
        """The statutory holiday of the day, or None."""
        return statutory_holidays(day.year).get(day)


class ProvisionalYear(HolidayCalendar):
    """A calendar with one year read provisionally: how a deadline was estimated before that
    year's official schedule arrived, to tell an estimate from a date someone chose."""

    def __init__(self, base: HolidayCalendar, year: int) -> None:
        self.base = base
        self.year = year
        self._provisional = ProvisionalCalendar()

    def _pick(self, year: int) -> HolidayCalendar:
        return self._provisional if year == self.year else self.base

    def covers(self, year: int) -> bool:
        """As the base calendar, and the provisional year."""
        return year == self.year or self.base.covers(year)

    def is_provisional(self, year: int) -> bool:
        """The provisional year, and the base calendar's provisional years."""
        return year == self.year or self.base.is_provisional(year)

    def is_workday(self, day: date) -> bool:
        """As the base calendar, or by the statutory days in the provisional year."""
        return self._pick(day.year).is_workday(day)

    def public_holiday(self, day: date) -> PublicHoliday | None:
        """As the base calendar, or by the statutory days in the provisional year."""
        return self._pick(day.year).public_holiday(day)
