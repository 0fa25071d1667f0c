"""Citizen identity data: resident ID numbers (GB 11643), mobile numbers, and masking for display.

Error messages never repeat the number they refuse: it is personal data and may end up in logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from queue_server.domain.errors import InvalidInput

__all__ = [
    "ResidentIdNumber",
    "id_check_character",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "parse_id_number",
    "validate_id_number",
    "validate_phone",
]

# GB 11643-1999: weight of position i (1-based from the left) is 2^(18 - i) mod 11.
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK_CHARACTERS = "10X98765432"
_ID_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$")
_EARLIEST_BIRTH_YEAR = 1900
_MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class ResidentIdNumber:
    """A checked 18-character PRC resident ID number and what it states."""

    number: str
    region_code: str
    birth_date: date

    def age_on(self, day: date) -> int:
        """The holder's age in whole years on a date (for the 绿色通道 of the elderly)."""
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)


def id_check_character(first_17_digits: str) -> str:
    """The check character (0-9 or X) that GB 11643 assigns to the first 17 digits."""
    if not re.fullmatch(r"\d{17}", first_17_digits):
        raise InvalidInput(
            "计算校验位需要身份证号码的前 17 位数字",
            "the check character is computed from the first 17 digits of the ID number",
        )
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17_digits, _ID_WEIGHTS, strict=True)
    )
    return _ID_CHECK_CHARACTERS[total % 11]


def parse_id_number(raw: str, *, today: date | None = None) -> ResidentIdNumber:
    """A resident ID number checked for shape, region, birth date and check digit."""
    number = raw.strip().upper() if isinstance(raw, str) else ""
    if len(number) != 18:
        raise InvalidInput("身份证号码应为 18 位", "a resident ID number has 18 characters")
    if not _ID_PATTERN.match(number):
        raise InvalidInput(
            "身份证号码格式不正确：前 17 位为数字且首位不为 0，末位为数字或 X",
            "the resident ID number is malformed: 17 digits not starting with 0, then a digit or X",
        )
    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput(
            "身份证号码中的出生日期无效",
            "the birth date in the resident ID number is not a real date",
        ) from None
    if birth_date.year < _EARLIEST_BIRTH_YEAR or (today is not None and birth_date > today):
        raise InvalidInput(
            "身份证号码中的出生日期不合理",
            "the birth date in the resident ID number is not plausible",
        )
    if id_check_character(number[:17]) != number[17]:
        raise InvalidInput(
            "身份证号码校验位不正确，请核对后重新输入",
            "the resident ID number's check digit is wrong; please check the number",
        )
    return ResidentIdNumber(number=number, region_code=number[:6], birth_date=birth_date)


def validate_id_number(raw: str, *, today: date | None = None) -> str:
    """The resident ID number in its standard form (upper-case X), or a bilingual refusal."""
    return parse_id_number(raw, today=today).number


def validate_phone(raw: str) -> str:
    """A mainland mobile number as 11 digits, accepting spaces, dashes and a +86 prefix."""
    digits = re.sub(r"[\s-]", "", raw) if isinstance(raw, str) else ""
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if not _MOBILE_PATTERN.match(digits):
        raise InvalidInput(
            "手机号码应为 11 位，以 13 至 19 开头",
            "a mobile number has 11 digits and starts with 13 to 19",
        )
    return digits


def _mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    hidden = len(text) - keep_start - keep_end
    return text[:keep_start] + "*" * hidden + text[len(text) - keep_end :]


def mask_id_number(number: str) -> str:
    """An ID number for display: first 4 and last 4 characters shown, e.g. 3701**********1234."""
    return _mask_middle(number.strip(), 4, 4)


def mask_phone(phone: str) -> str:
    """A mobile number for display: first 3 and last 4 digits shown, e.g. 138****5678."""
    return _mask_middle(phone.strip(), 3, 4)


def mask_name(name: str) -> str:
    """A name for display: only the first character shown, e.g. 张**."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)
