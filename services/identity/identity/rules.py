"""Validation and normalisation rules of the identity domain.

Each function returns the canonical form of a valid value and raises
InvalidArgument naming the caller's field otherwise.
"""

import datetime
import re
import string
import unicodedata

from kit.errors import InvalidArgument

# Mobile prefixes in use, as the two digits after the leading 0:
# Viettel 032-039, 086, 096-098; VinaPhone 081-085, 088, 091, 094;
# MobiFone 070, 076-079, 089, 090, 093; Vietnamobile 052, 056, 058, 092;
# Gmobile 059, 099; Itelecom 087; Reddi 055.
# 095 is left out: it belonged to S-Fone, which closed in 2012.
MOBILE_PREFIXES = frozenset(
    [f"3{digit}" for digit in "23456789"]
    + ["52", "55", "56", "58", "59", "70", "76", "77", "78", "79"]
    + [f"8{digit}" for digit in "123456789"]
    + [f"9{digit}" for digit in "012346789"]
)
PHONE_SEPARATORS = str.maketrans("", "", " .-")

# GSO codes of the 63 provinces before the 2025 reform, zero-padded to three
# digits, as used for the birth-registration place on a CCCD. The 34 codes
# kept after the reform are among them, so new numbers stay within this set.
CCCD_PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 "
    "030 031 033 034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 "
    "056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084 "
    "086 087 089 091 092 093 094 095 096".split()
)
# CCCD digit 4 is 2 * (century - 20) + the index here: even for men, odd for women.
SEXES = ("male", "female")

TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
TAX_CODE_PATTERN = re.compile(r"(\d{10})(?:-?(\d{3}))?", re.ASCII)

# Vietnamese tone marks: huyền, sắc, ngã, hỏi, nặng.
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
VOWELS = "aăâeêioôơuưy"


def _vietnamese_letters() -> frozenset[str]:
    toned = {unicodedata.normalize("NFC", vowel + mark) for vowel in VOWELS for mark in TONE_MARKS}
    lower = set(string.ascii_lowercase) | set(VOWELS) | {"đ"} | toned
    return frozenset(lower | {letter.upper() for letter in lower})


NAME_LETTERS = _vietnamese_letters()
NAME_CHARACTERS = NAME_LETTERS | frozenset(" '-.")
NAME_LENGTH = (2, 100)

EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
PASSWORD_LENGTH = (8, 128)


def normalize_phone(value, field="phone") -> str:
    """A Vietnamese mobile number in E.164 form, e.g. "+84912345678"."""
    compact = _text(value, field, "phone number").strip().translate(PHONE_SEPARATORS)
    if compact.startswith("+84"):
        national = compact[3:]
    elif compact.startswith("84") and len(compact) == 11:
        national = compact[2:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        raise InvalidArgument("phone number must start with 0, 84 or +84", field=field)
    if not (len(national) == 9 and _is_digits(national)):
        raise InvalidArgument("phone number must have 9 digits after 0 or +84", field=field)
    if national[:2] not in MOBILE_PREFIXES:
        raise InvalidArgument(f"0{national[:2]} is not a Vietnamese mobile prefix", field=field)
    return "+84" + national


def validate_cccd(cccd, date_of_birth: datetime.date, sex: str, field="national_id") -> str:
    """A 12-digit CCCD number consistent with the holder's birth year and sex."""
    if sex not in SEXES:
        raise InvalidArgument("sex must be 'male' or 'female'", field="sex")
    number = "".join(_text(cccd, field, "CCCD number").split())
    if not (len(number) == 12 and _is_digits(number)):
        raise InvalidArgument("CCCD number must be 12 digits", field=field)
    if number[:3] not in CCCD_PROVINCE_CODES:
        message = f"CCCD number starts with {number[:3]}, which is not a province code"
        raise InvalidArgument(message, field=field)
    _check_century_and_sex(int(number[3]), date_of_birth.year, sex, field)
    if number[4:6] != f"{date_of_birth.year % 100:02d}":
        message = f"CCCD digits 5-6 ({number[4:6]}) do not match birth year {date_of_birth.year}"
        raise InvalidArgument(message, field=field)
    return number


def _check_century_and_sex(digit: int, birth_year: int, sex: str, field: str):
    century_start = 1900 + 100 * (digit // 2)
    if birth_year // 100 * 100 != century_start:
        raise InvalidArgument(
            f"CCCD digit 4 ({digit}) means born {century_start}-{century_start + 99}, "
            f"but the date of birth is in {birth_year}",
            field=field,
        )
    digit_sex = SEXES[digit % 2]
    if digit_sex != sex:
        message = f"CCCD digit 4 ({digit}) means {digit_sex}, but sex is {sex}"
        raise InvalidArgument(message, field=field)


def validate_tax_code(value, field="tax_code") -> str:
    """An enterprise tax code (MST): 10 digits, or 13 with a branch number, no dash."""
    match = TAX_CODE_PATTERN.fullmatch(_text(value, field, "tax code").strip())
    if not match:
        message = "tax code must be 10 digits, optionally followed by -NNN for a branch"
        raise InvalidArgument(message, field=field)
    head, branch = match.groups()
    expected = _tax_check_digit(head[:9])
    if expected is None:
        raise InvalidArgument(f"no valid tax code starts with {head[:9]}", field=field)
    if head[9] != expected:
        raise InvalidArgument("tax code check digit is wrong", field=field)
    if branch == "000":
        raise InvalidArgument("tax code branch number must be 001-999", field=field)
    return head + (branch or "")


def _tax_check_digit(first_nine: str) -> str | None:
    """10 - (weighted sum mod 11); None when that is 10, which no digit can hold."""
    weighted = sum(int(digit) * weight for digit, weight in zip(first_nine, TAX_CODE_WEIGHTS))
    check = 10 - weighted % 11
    return None if check == 10 else str(check)


def validate_full_name(value, field="full_name") -> str:
    """Trimmed, single-spaced, NFC; Vietnamese letters and ' - . only."""
    # NFC: many keyboards send a base letter plus combining tone marks.
    # U+2019: phones type the curly apostrophe in names like H'Hen.
    text = unicodedata.normalize("NFC", _text(value, field, "full name")).replace("\u2019", "'")
    name = " ".join(text.split())
    low, high = NAME_LENGTH
    if not low <= len(name) <= high:
        raise InvalidArgument(f"full name must be {low}-{high} characters", field=field)
    not_allowed = sorted({char for char in name if char not in NAME_CHARACTERS})
    if not_allowed:
        allowed = "letters, spaces, apostrophes, hyphens and dots"
        message = f"full name may only hold {allowed}, not {''.join(not_allowed)!r}"
        raise InvalidArgument(message, field=field)
    if name[0] not in NAME_LETTERS:
        raise InvalidArgument("full name must start with a letter", field=field)
    return name


def validate_date_of_birth(
    value: datetime.date, today: datetime.date, field="date_of_birth"
) -> datetime.date:
    # A datetime is a date too, but comparing it with one raises TypeError.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise InvalidArgument("date of birth must be a date", field=field)
    if value > today:
        raise InvalidArgument("date of birth cannot be in the future", field=field)
    if value < EARLIEST_BIRTH_DATE:
        raise InvalidArgument("date of birth cannot be before 1900", field=field)
    return value


def validate_password(value, field="password") -> str:
    password = _text(value, field, "password")
    low, high = PASSWORD_LENGTH
    if not low <= len(password) <= high:
        raise InvalidArgument(f"password must be {low}-{high} characters", field=field)
    if not any(char.isalpha() for char in password):
        raise InvalidArgument("password must contain a letter", field=field)
    if not any(char in string.digits for char in password):
        raise InvalidArgument("password must contain a digit", field=field)
    return password


def _text(value, field: str, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"{what} must be text", field=field)
    return value


def _is_digits(text: str) -> bool:
    # str.isdigit alone would accept non-ASCII digits such as "٣".
    return text.isascii() and text.isdigit()
