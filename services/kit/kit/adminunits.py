"""Vietnam's administrative units as a tree keyed by official GSO codes.

Codes: province 2 digits, district 3, commune/ward/special zone 5. Since the
2025 reform (effective 2025-07-01) there are two levels, province -> commune;
older data has districts in between. One tree holds both: a unit's parent is
its district when it has one, else its province.
"""

import csv
import json
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kit.errors import InvalidArgument, NotFound

PROVINCE, DISTRICT, COMMUNE = "province", "district", "commune"
CODE_LENGTHS = {PROVINCE: 2, DISTRICT: 3, COMMUNE: 5}
# Levels a unit's parent may have.
PARENT_LEVELS = {PROVINCE: (), DISTRICT: (PROVINCE,), COMMUNE: (DISTRICT, PROVINCE)}

SHIPPED_FILE = Path(__file__).parent / "data" / "administrative_units.json"
ENV_FILE = "ADMIN_UNITS_FILE"


@dataclass(frozen=True)
class AdministrativeUnit:
    code: str
    name: str
    level: str  # "province" | "district" | "commune"
    parent_code: str | None = None
    name_en: str = ""  # ASCII/English name, e.g. "Thai Nguyen"


class AdministrativeUnits:
    """A validated, read-only tree of administrative units."""

    def __init__(self, units: Iterable[AdministrativeUnit]):
        self._units: dict[str, AdministrativeUnit] = {}
        for unit in units:
            _check_code(unit)
            if unit.code in self._units:
                raise InvalidArgument(f"duplicate administrative unit code {unit.code!r}")
            self._units[unit.code] = unit
        self._children: dict[str | None, list[AdministrativeUnit]] = {}
        for unit in self._units.values():
            self._check_parent(unit)
            self._children.setdefault(unit.parent_code, []).append(unit)
        for siblings in self._children.values():
            siblings.sort(key=lambda unit: unit.code)

    @classmethod
    def load(cls, path: str | None = None) -> "AdministrativeUnits":
        """Load from path, else from $ADMIN_UNITS_FILE, else the shipped subset.

        JSON in the shipped layout, or CSV as exported by
        danhmuchanhchinh.gso.gov.vn; the file extension says which.
        """
        path = Path(path or os.environ.get(ENV_FILE) or SHIPPED_FILE)
        suffix = path.suffix.lower()
        if suffix == ".json":
            return cls(_read_json(path))
        if suffix == ".csv":
            return cls(_read_gso_csv(path))
        raise InvalidArgument(f"{path}: administrative units file must be .json or .csv")

    def get(self, code) -> AdministrativeUnit:
        try:
            return self._units[code]
        except (KeyError, TypeError):
            message = f"no administrative unit with code {code!r}"
            raise NotFound(message, field="admin_unit_code") from None

    def __contains__(self, code) -> bool:
        try:
            return code in self._units
        except TypeError:  # unhashable
            return False

    def children(self, code) -> list[AdministrativeUnit]:
        self.get(code)
        return list(self._children.get(code, ()))

    def roots(self) -> list[AdministrativeUnit]:
        return list(self._children.get(None, ()))

    def ancestors(self, code) -> list[AdministrativeUnit]:
        """Nearest first, excluding the unit itself."""
        unit, found = self.get(code), []
        while unit.parent_code is not None:
            unit = self._units[unit.parent_code]
            found.append(unit)
        return found

    def contains(self, ancestor_code: str, code: str) -> bool:
        """True when code is ancestor_code itself or lies under it."""
        self.get(ancestor_code)
        above = self.ancestors(code)
        return code == ancestor_code or any(unit.code == ancestor_code for unit in above)

    def province_of(self, code) -> AdministrativeUnit:
        return ([self.get(code)] + self.ancestors(code))[-1]

    def is_commune(self, code) -> bool:
        return self.get(code).level == COMMUNE

    def _check_parent(self, unit: AdministrativeUnit):
        # Every parent sits on a strictly higher level, so no chain can loop.
        allowed = PARENT_LEVELS[unit.level]
        if not allowed:
            if unit.parent_code is not None:
                raise InvalidArgument(f"province {unit.code!r} cannot have a parent")
            return
        if unit.parent_code is None:
            raise InvalidArgument(f"{unit.level} {unit.code!r} must have a parent")
        parent = self._units.get(unit.parent_code)
        if parent is None:
            raise InvalidArgument(
                f"{unit.level} {unit.code!r} has unknown parent {unit.parent_code!r}"
            )
        if parent.level not in allowed:
            raise InvalidArgument(
                f"{unit.level} {unit.code!r} cannot sit under {parent.level} {parent.code!r}"
            )


def _check_code(unit: AdministrativeUnit):
    if unit.level not in CODE_LENGTHS:
        raise InvalidArgument(f"unit {unit.code!r} has unknown level {unit.level!r}")
    length = CODE_LENGTHS[unit.level]
    if not (isinstance(unit.code, str) and len(unit.code) == length and _is_digits(unit.code)):
        raise InvalidArgument(f"{unit.level} code must be {length} digits, got {unit.code!r}")


def _read_json(path: Path) -> list[AdministrativeUnit]:
    with path.open(encoding="utf-8") as file:
        document = json.load(file)
    if not isinstance(document, dict) or not isinstance(document.get("units"), list):
        raise InvalidArgument(f"{path}: expected an object with a \"units\" list")
    return [_unit_from_json(path, item) for item in document["units"]]


def _unit_from_json(path: Path, item: dict) -> AdministrativeUnit:
    try:
        return AdministrativeUnit(
            code=item["code"],
            name=item["name"],
            level=item["level"],
            parent_code=item.get("parent_code"),
            name_en=item.get("name_en", ""),
        )
    except KeyError as missing:
        raise InvalidArgument(f"{path}: unit {item!r} lacks {missing}") from None


# GSO export headers, compared without case, spaces or punctuation so that
# "Tỉnh / Thành Phố" and "Tỉnh Thành Phố" both match.
GSO_COLUMNS = {
    "province_name": "tỉnhthànhphố",
    "province_code": "mãtp",
    "district_name": "quậnhuyện",
    "district_code": "mãqh",
    "commune_name": "phườngxã",
    "commune_code": "mãpx",
    "level": "cấp",
    "name_en": "têntiếnganh",
}
REQUIRED_GSO_COLUMNS = ("province_code", "province_name", "commune_code", "commune_name", "level")
# The "Cấp" (kind) of a commune-level unit in the GSO list.
COMMUNE_KINDS = {"phường", "xã", "thị trấn", "đặc khu"}


def _read_gso_csv(path: Path) -> list[AdministrativeUnit]:
    """One row per commune, with its province and, in pre-2025 lists, its district."""
    # utf-8-sig: Excel, which the GSO site exports for, writes a BOM.
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = csv.reader(file)
        columns = _gso_columns(path, next(rows, []))
        higher: dict[str, AdministrativeUnit] = {}  # provinces and districts; first row wins
        communes: list[AdministrativeUnit] = []
        for line, row in enumerate(rows, start=2):
            if any(cell.strip() for cell in row):
                _add_gso_row(f"{path}:{line}", _cells(row, columns), higher, communes)
    return [*higher.values(), *communes]


def _gso_columns(path: Path, header: list[str]) -> dict[str, int]:
    positions = {_header_key(title): index for index, title in enumerate(header)}
    columns = {name: positions[key] for name, key in GSO_COLUMNS.items() if key in positions}
    missing = [name for name in REQUIRED_GSO_COLUMNS if name not in columns]
    if missing:
        raise InvalidArgument(f"{path}: not a GSO export, missing columns {missing}")
    return columns


def _header_key(title: str) -> str:
    folded = unicodedata.normalize("NFC", title).casefold()
    return "".join(char for char in folded if char.isalnum())


def _cells(row: list[str], columns: dict[str, int]) -> dict[str, str]:
    return {name: row[index].strip() if index < len(row) else "" for name, index in columns.items()}


def _add_gso_row(where: str, cells: dict[str, str], higher: dict, communes: list):
    province = _gso_code(where, cells["province_code"], PROVINCE)
    higher.setdefault(province, AdministrativeUnit(province, cells["province_name"], PROVINCE))
    parent = province
    if cells.get("district_code"):
        parent = _gso_code(where, cells["district_code"], DISTRICT)
        district = AdministrativeUnit(parent, cells.get("district_name", ""), DISTRICT, province)
        higher.setdefault(parent, district)
    if not cells["commune_code"]:  # a district with no communes (e.g. an island district)
        return
    if unicodedata.normalize("NFC", cells["level"]).casefold() not in COMMUNE_KINDS:
        raise InvalidArgument(f"{where}: Cấp {cells['level']!r} is not a commune-level kind")
    code = _gso_code(where, cells["commune_code"], COMMUNE)
    name_en = cells.get("name_en", "")
    communes.append(AdministrativeUnit(code, cells["commune_name"], COMMUNE, parent, name_en))


def _gso_code(where: str, raw: str, level: str) -> str:
    # Spreadsheets drop leading zeros ("1" for Hà Nội's "01"); restore them.
    if not _is_digits(raw):
        raise InvalidArgument(f"{where}: {level} code {raw!r} is not a number")
    return raw.zfill(CODE_LENGTHS[level])


def _is_digits(text: str) -> bool:
    # str.isdigit alone would accept non-ASCII digits such as "٣".
    return text.isascii() and text.isdigit()
