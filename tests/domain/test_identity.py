"""Resident ID numbers (GB 11643), mobile numbers and masking personal data for display."""

from datetime import date

import pytest

from queue_server.domain.errors import InvalidInput
from queue_server.domain.identity import (
    id_check_character,
    mask_id_number,
    mask_name,
    mask_phone,
    parse_id_number,
    validate_id_number,
    validate_phone,
)

# The worked examples printed in GB 11643-1999 itself.
STANDARD_EXAMPLE_WITH_X = "11010519491231002X"
STANDARD_EXAMPLE_DIGIT = "440524188001010014"
# Check digit by hand: 3·7+7·9+0·10+1·5+0·8+2·4+1·2+9·1+9·6+0·3+0·7+1·9+0·10+1·5+1·8+2·4+3·2
# = 198 ≡ 0 (mod 11) → "1".
VALID = "370102199001011231"
# Same first 15 digits (sum 184), then 0·4 + 1·2 → 186 ≡ 10 (mod 11) → "2".
VALID_WITH_CHECK_2 = "370102199001011012"


def test_the_check_character_matches_the_standards_examples():
    assert id_check_character(STANDARD_EXAMPLE_WITH_X[:17]) == "X"
    assert id_check_character(STANDARD_EXAMPLE_DIGIT[:17]) == "4"
    assert id_check_character(VALID[:17]) == "1"
    assert id_check_character(VALID_WITH_CHECK_2[:17]) == "2"


def test_the_check_character_needs_17_digits():
    with pytest.raises(InvalidInput):
        id_check_character("1234")


def test_a_valid_number_is_accepted_and_read():
    resident = parse_id_number(VALID)
    assert resident.number == VALID
    assert resident.region_code == "370102"
    assert resident.birth_date == date(1990, 1, 1)


def test_a_number_whose_check_character_is_2_is_accepted():
    assert validate_id_number(VALID_WITH_CHECK_2) == VALID_WITH_CHECK_2


def test_an_x_check_digit_is_accepted_in_either_case_and_stored_upper_case():
    assert validate_id_number(STANDARD_EXAMPLE_WITH_X) == STANDARD_EXAMPLE_WITH_X
    assert validate_id_number(" 11010519491231002x ") == STANDARD_EXAMPLE_WITH_X


def _refusal(raw, **kwargs):
    with pytest.raises(InvalidInput) as refused:
        validate_id_number(raw, **kwargs)
    error = refused.value
    assert error.code == "invalid"
    if raw.strip():
        assert raw.strip() not in error.message and raw.strip() not in error.message_en
    return error


def test_a_wrong_check_digit_is_refused():
    error = _refusal("370102199001011234")
    assert "校验位" in error.message and "check digit" in error.message_en


def test_a_digit_where_x_belongs_is_refused():
    _refusal("110105194912310020")


def test_an_impossible_birth_date_is_refused():
    error = _refusal("370102199002301231")  # 30 February
    assert "出生日期" in error.message and "birth date" in error.message_en


def test_a_birth_date_after_today_is_refused():
    number = "370102203001011230"  # born 2030-01-01; weighted sum 155 ≡ 1 (mod 11) → "0"
    assert id_check_character(number[:17]) == number[17]
    assert validate_id_number(number) == number
    error = _refusal(number, today=date(2025, 11, 24))
    assert "出生日期" in error.message


def test_a_birth_year_before_1900_is_refused_even_with_a_good_check_digit():
    _refusal(STANDARD_EXAMPLE_DIGIT)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "37010219900101123",  # 17 characters
        "3701021990010112311",  # 19 characters
        "070102199001011230",  # region code starting with 0 (check digit right: 177 ≡ 1 → "0")
        "37010219900101123Y",
        "3701021990O1011231",  # a letter O in the digits
    ],
)
def test_a_malformed_number_is_refused(raw):
    _refusal(raw)


def test_a_number_of_the_wrong_length_says_how_long_it_should_be():
    error = _refusal("37010219900101123")
    assert "18 位" in error.message and "18 characters" in error.message_en


def test_age_on_a_date_counts_the_birthday():
    resident = parse_id_number(STANDARD_EXAMPLE_WITH_X)  # born 1949-12-31
    assert resident.age_on(date(2019, 12, 30)) == 69
    assert resident.age_on(date(2019, 12, 31)) == 70


def test_masking_an_id_number_shows_the_first_and_last_four():
    assert mask_id_number("370102199001011234") == "3701**********1234"


def test_masking_a_phone_shows_the_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张**"), ("张三", "张*"), ("欧阳娜娜", "欧***"), ("张", "*"), ("", "")],
)
def test_masking_a_name_shows_only_the_first_character(name, masked):
    assert mask_name(name) == masked


def test_masking_never_shows_a_short_value_whole():
    assert mask_id_number("1234") == "****"
    assert mask_phone("1234567") == "*******"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_a_mainland_mobile_number_is_accepted(raw, clean):
    assert validate_phone(raw) == clean


@pytest.mark.parametrize(
    "raw", ["12812345678", "1381234567", "138123456789", "23812345678", "1381234567a", ""]
)
def test_a_number_that_is_no_mainland_mobile_is_refused(raw):
    with pytest.raises(InvalidInput) as refused:
        validate_phone(raw)
    assert "手机号码" in refused.value.message and "mobile" in refused.value.message_en
