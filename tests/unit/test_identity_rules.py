import datetime
import unicodedata

import pytest

from identity.rules import (
    CCCD_PROVINCE_CODES,
    normalize_phone,
    validate_cccd,
    validate_date_of_birth,
    validate_full_name,
    validate_password,
    validate_tax_code,
)
from kit.errors import InvalidArgument

date = datetime.date


def refused(expected_field, call, *args, match=None, **kwargs):
    with pytest.raises(InvalidArgument, match=match) as raised:
        call(*args, **kwargs)
    assert raised.value.field == expected_field


# --- phone --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "+84912345678", "84912345678", "091 234 5678", "091.234.5678", "091-234-5678",
     "+84 91 234 56 78", " 0912345678 "],
)
def test_phone_forms_normalise_to_e164(raw):
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    "prefix",
    ["032", "033", "034", "035", "036", "037", "038", "039",
     "052", "055", "056", "058", "059",
     "070", "076", "077", "078", "079",
     "081", "082", "083", "084", "085", "086", "087", "088", "089",
     "090", "091", "092", "093", "094", "096", "097", "098", "099"],
)
def test_every_mobile_prefix_in_use_is_accepted(prefix):
    assert normalize_phone(prefix + "1234567") == "+84" + prefix[1:] + "1234567"


@pytest.mark.parametrize(
    "prefix",
    ["030", "031", "050", "051", "053", "054", "057", "071", "075", "080", "095", "012", "024", "028"],
)
def test_prefixes_not_in_use_are_refused(prefix):
    refused("phone", normalize_phone, prefix + "1234567", match="not a Vietnamese mobile prefix")


@pytest.mark.parametrize(
    "raw, complaint",
    [
        ("091234567", "9 digits"),  # too short
        ("09123456789", "9 digits"),  # too long
        ("+8491234567", "9 digits"),
        ("02438251234", "9 digits"),  # Hà Nội landline: 10 digits after the 0
        ("09123a5678", "9 digits"),
        ("0912/345/678", "9 digits"),
        ("912345678", r"start with 0, 84 or \+84"),
        ("+1 912 345 678", r"start with 0, 84 or \+84"),
        ("8491234567", r"start with 0, 84 or \+84"),  # 84 without 9 digits after it
        ("", r"start with 0, 84 or \+84"),
        (912345678, "must be text"),
    ],
)
def test_malformed_phones_are_refused(raw, complaint):
    refused("phone", normalize_phone, raw, match=complaint)


def test_phone_error_names_the_callers_field():
    refused("contact_phone", normalize_phone, "123", match="start with", field="contact_phone")


# --- CCCD -------------------------------------------------------------------------

# 001 Hà Nội, digit 4 = 0 (born 1900s, male), digits 5-6 = 90.
HANOI_MAN_1990 = "001090001234"
# 019 Thái Nguyên, digit 4 = 3 (born 2000s, female), digits 5-6 = 01.
THAI_NGUYEN_WOMAN_2001 = "019301012345"


def test_valid_cccd():
    assert validate_cccd(HANOI_MAN_1990, date(1990, 5, 17), "male") == HANOI_MAN_1990
    assert validate_cccd(THAI_NGUYEN_WOMAN_2001, date(2001, 1, 1), "female") == THAI_NGUYEN_WOMAN_2001


def test_cccd_spaces_are_removed():
    assert validate_cccd(" 001 090 001 234 ", date(1990, 5, 17), "male") == HANOI_MAN_1990


@pytest.mark.parametrize(
    "digit, year, sex",
    [("0", 1950, "male"), ("1", 1999, "female"), ("2", 2000, "male"), ("3", 2024, "female"),
     ("4", 2100, "male"), ("5", 2150, "female"), ("6", 2200, "male"), ("7", 2299, "female"),
     ("8", 2301, "male"), ("9", 2399, "female")],
)
def test_century_and_sex_digit(digit, year, sex):
    number = f"079{digit}{year % 100:02d}000001"
    assert validate_cccd(number, date(year, 6, 1), sex) == number


def test_the_63_pre_reform_province_codes():
    assert len(CCCD_PROVINCE_CODES) == 63
    assert {"001", "019", "079", "096"} <= CCCD_PROVINCE_CODES
    # Codes the GSO never gave a province (gaps) and codes past Cà Mau.
    assert not {"000", "003", "005", "013", "028", "097", "100"} & CCCD_PROVINCE_CODES


@pytest.mark.parametrize(
    "number, complaint",
    [
        ("00109000123", "12 digits"),
        ("0010900012345", "12 digits"),
        ("00109000123a", "12 digits"),
        ("", "12 digits"),
        ("003090001234", "003, which is not a province code"),
        ("097090001234", "097, which is not a province code"),
        ("001290001234", r"means born 2000-2099, but the date of birth is in 1990"),
        ("001190001234", "means female, but sex is male"),
        ("001091001234", r"digits 5-6 \(91\) do not match birth year 1990"),
    ],
)
def test_invalid_cccd(number, complaint):
    refused("national_id", validate_cccd, number, date(1990, 5, 17), "male", match=complaint)


def test_cccd_must_be_text():
    refused("national_id", validate_cccd, 1090001234, date(1990, 5, 17), "male", match="must be text")


def test_cccd_of_someone_born_before_1900_cannot_exist():
    refused("national_id", validate_cccd, "001099001234", date(1899, 12, 31), "male", match="1900-1999")


def test_cccd_unknown_sex_names_the_sex_field():
    refused("sex", validate_cccd, HANOI_MAN_1990, date(1990, 5, 17), "other")


def test_cccd_error_names_the_callers_field():
    refused("cccd", validate_cccd, "1", date(1990, 5, 17), "male", field="cccd")


# --- tax code (MST) ----------------------------------------------------------------
# Check digit = 10 - (d1*31 + d2*29 + d3*23 + d4*19 + d5*17 + d6*13 + d7*7 + d8*5 + d9*3) mod 11.
#
# 0100109106: 1*29 + 1*17 + 9*7 + 1*5 = 29+17+63+5 = 114; 114 mod 11 = 4; 10-4 = 6. Valid.
# 0101248141: 1*29 + 1*19 + 2*17 + 4*13 + 8*7 + 1*5 + 4*3 = 29+19+34+52+56+5+12 = 207;
#             207 mod 11 = 9; 10-9 = 1. Valid.
# 0300588569: 3*29 + 5*17 + 8*13 + 8*7 + 5*5 + 6*3 = 87+85+104+56+25+18 = 375;
#             375 mod 11 = 1; 10-1 = 9. Valid.
# 0101234567: 1*29 + 1*19 + 2*17 + 3*13 + 4*7 + 5*5 + 6*3 = 29+19+34+39+28+25+18 = 192;
#             192 mod 11 = 5; check digit should be 5, not 7. Invalid.
# 010000005x: 1*29 + 5*3 = 44; 44 mod 11 = 0; 10-0 = 10, which no digit can hold. Invalid.


@pytest.mark.parametrize("code", ["0100109106", "0101248141", "0300588569", " 0100109106 "])
def test_valid_ten_digit_tax_codes(code):
    assert validate_tax_code(code) == code.strip()


@pytest.mark.parametrize("code", ["0100109106-001", "0100109106001", "0100109106-999"])
def test_valid_branch_tax_codes(code):
    assert validate_tax_code(code) == code.replace("-", "")


@pytest.mark.parametrize(
    "code, complaint",
    [
        ("0100109107", "check digit is wrong"),
        ("0101234567", "check digit is wrong"),
        ("0101234567-001", "check digit is wrong"),
        ("0100000050", "no valid tax code starts with 010000005"),
        ("0100109106-000", "branch number must be 001-999"),
        ("010010910", "10 digits"),
        ("01001091066", "10 digits"),
        ("0100109106-01", "10 digits"),
        ("0100109106--001", "10 digits"),
        ("0100109106 001", "10 digits"),
        ("01001O9106", "10 digits"),
        ("٠١٠٠١٠٩١٠٦", "10 digits"),  # Arabic-Indic digits
        (100109106, "must be text"),
    ],
)
def test_invalid_tax_codes(code, complaint):
    refused("tax_code", validate_tax_code, code, match=complaint)


def test_tax_code_error_names_the_callers_field():
    refused("employer_tax_code", validate_tax_code, "1", field="employer_tax_code")


# --- full name ------------------------------------------------------------------------

# Every toned Vietnamese vowel and đ, typed out by hand rather than generated.
VIETNAMESE_LETTERS = (
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("  nguyễn   thị \t minh  khai ", "nguyễn thị minh khai"),
        ("Lê T. Hà", "Lê T. Hà"),
        ("Jean-Pierre Đặng", "Jean-Pierre Đặng"),
        ("H'Hen Niê", "H'Hen Niê"),
        ("H\u2019Hen Niê", "H'Hen Niê"),  # curly apostrophe from a phone keyboard
        ("Ly", "Ly"),
    ],
)
def test_valid_full_names(raw, expected):
    assert validate_full_name(raw) == expected


def test_decomposed_diacritics_are_composed():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hường")
    assert decomposed != "Nguyễn Thị Hường"
    assert validate_full_name(decomposed) == "Nguyễn Thị Hường"


def test_every_vietnamese_letter_is_accepted():
    assert validate_full_name("Tên " + VIETNAMESE_LETTERS) == "Tên " + VIETNAMESE_LETTERS
    assert validate_full_name("TÊN " + VIETNAMESE_LETTERS.upper()) == "TÊN " + VIETNAMESE_LETTERS.upper()


def test_name_length_limits():
    assert validate_full_name("A" * 100) == "A" * 100
    refused("full_name", validate_full_name, "A" * 101, match="2-100 characters")
    refused("full_name", validate_full_name, "A", match="2-100 characters")
    refused("full_name", validate_full_name, "   ", match="2-100 characters")


@pytest.mark.parametrize(
    "raw, complaint",
    [
        ("Nguyễn Văn 2", "not '2'"),
        ("Nguyễn_Văn", "not '_'"),
        ("Иван Петров", "may only hold letters"),
        ("张伟", "may only hold letters"),
        ("An@gmail.com", "not '@'"),
        ("-An", "must start with a letter"),
        ("'An", "must start with a letter"),
        (None, "must be text"),
    ],
)
def test_invalid_full_names(raw, complaint):
    refused("full_name", validate_full_name, raw, match=complaint)


def test_full_name_error_names_the_callers_field():
    refused("guardian_name", validate_full_name, "1", field="guardian_name")


# --- date of birth ----------------------------------------------------------------------

TODAY = date(2025, 7, 1)


@pytest.mark.parametrize("born", [date(1990, 5, 17), TODAY, date(1900, 1, 1)])
def test_valid_dates_of_birth(born):
    assert validate_date_of_birth(born, TODAY) == born


@pytest.mark.parametrize(
    "born, complaint",
    [
        (date(2025, 7, 2), "in the future"),
        (date(1899, 12, 31), "before 1900"),
        (datetime.datetime(1990, 5, 17, 8, 0), "must be a date"),
        ("1990-05-17", "must be a date"),
    ],
)
def test_invalid_dates_of_birth(born, complaint):
    refused("date_of_birth", validate_date_of_birth, born, TODAY, match=complaint)


def test_date_of_birth_error_names_the_callers_field():
    refused("dob", validate_date_of_birth, date(2030, 1, 1), TODAY, field="dob")


# --- password -------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["abcdefg1", "a1" * 64, "mật khẩu 2025", " spaced 1 "])
def test_valid_passwords(password):
    assert validate_password(password) == password


@pytest.mark.parametrize(
    "password, complaint",
    [
        ("abcdef1", "8-128 characters"),
        ("a1" * 64 + "x", "8-128 characters"),
        ("abcdefgh", "must contain a digit"),
        ("abcdefg٣", "must contain a digit"),  # Arabic-Indic three is not 0-9
        ("12345678", "must contain a letter"),
        ("1234-5678!", "must contain a letter"),
        (12345678, "must be text"),
    ],
)
def test_invalid_passwords(password, complaint):
    refused("password", validate_password, password, match=complaint)


def test_password_error_names_the_callers_field():
    refused("new_password", validate_password, "short", field="new_password")
