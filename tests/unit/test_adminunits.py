import json

import pytest

from kit.adminunits import SHIPPED_FILE, AdministrativeUnit, AdministrativeUnits
from kit.errors import InvalidArgument, NotFound

GSO_HEADER = "Tỉnh Thành Phố,Mã TP,Quận Huyện,Mã QH,Phường Xã,Mã PX,Cấp,Tên Tiếng Anh"


@pytest.fixture(scope="module")
def shipped():
    return AdministrativeUnits.load(str(SHIPPED_FILE))


def province(code, name):
    return AdministrativeUnit(code, name, "province")


def district(code, name, parent):
    return AdministrativeUnit(code, name, "district", parent)


def commune(code, name, parent):
    return AdministrativeUnit(code, name, "commune", parent)


def write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return str(path)


# --- the shipped data ---------------------------------------------------------


def test_shipped_file_says_what_it_is():
    header = json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))["header"]
    assert header["as_of"] == "2025-07-01"
    assert "ADMIN_UNITS_FILE" in header["note"]
    assert any("1027/CTK-CSCL" in source for source in header["source"])


def test_shipped_roots_are_the_34_provinces_plus_one_legacy_province(shipped):
    codes = [unit.code for unit in shipped.roots()]
    assert len(codes) == 35
    assert codes == sorted(codes)
    assert {"01", "19", "79", "96"} <= set(codes)
    assert "26" in codes  # Vĩnh Phúc, the pre-2025 example
    assert all(unit.level == "province" for unit in shipped.roots())


def test_thai_nguyen_after_the_merger_has_all_92_communes_and_wards(shipped):
    units = shipped.children("19")
    assert len(units) == 92
    assert all(unit.level == "commune" and unit.parent_code == "19" for unit in units)
    assert sum(unit.name.startswith("Phường ") for unit in units) == 15
    assert sum(unit.name.startswith("Xã ") for unit in units) == 77
    assert [unit.code for unit in units] == sorted(unit.code for unit in units)


def test_thai_nguyen_ward(shipped):
    ward = shipped.get("05443")
    assert ward == AdministrativeUnit("05443", "Phường Phan Đình Phùng", "commune", "19", "Phan Dinh Phung")
    assert shipped.get("19").name_en == "Thai Nguyen"


def test_former_bac_kan_ward_now_belongs_to_thai_nguyen(shipped):
    assert shipped.get("01843").name == "Phường Bắc Kạn"
    assert shipped.province_of("01843").code == "19"


def test_hanoi_wards(shipped):
    assert shipped.get("00070").name == "Phường Hoàn Kiếm"
    assert shipped.province_of("00070").name == "Thành phố Hà Nội"


# --- two-level shape ------------------------------------------------------------


def test_two_level_commune_hangs_directly_from_its_province(shipped):
    assert shipped.ancestors("05443") == [shipped.get("19")]
    assert shipped.province_of("05443").code == "19"
    assert shipped.is_commune("05443")
    assert not shipped.is_commune("19")


def test_contains(shipped):
    assert shipped.contains("19", "05443")
    assert shipped.contains("19", "19")
    assert shipped.contains("05443", "05443")
    assert not shipped.contains("01", "05443")
    assert not shipped.contains("05443", "19")


def test_province_of_a_province_is_itself(shipped):
    assert shipped.province_of("19") == shipped.get("19")
    assert shipped.ancestors("19") == []


# --- three-level (pre-2025) shape -------------------------------------------------


def test_legacy_province_has_districts(shipped):
    assert [unit.code for unit in shipped.children("26")] == ["243", "244"]
    assert all(unit.level == "district" for unit in shipped.children("26"))


def test_legacy_commune_hangs_from_its_district(shipped):
    assert [unit.code for unit in shipped.ancestors("08707")] == ["243", "26"]
    assert shipped.get("08707").name == "Phường Tích Sơn"
    assert shipped.province_of("08707").name == "Tỉnh Vĩnh Phúc"
    assert shipped.contains("26", "08707")
    assert shipped.contains("243", "08707")
    assert not shipped.contains("244", "08707")
    assert not shipped.is_commune("243")


def test_children_are_sorted_by_code(shipped):
    codes = [unit.code for unit in shipped.children("243")]
    assert len(codes) == 9
    assert codes == sorted(codes)


def test_a_leaf_has_no_children(shipped):
    assert shipped.children("08707") == []


def test_both_shapes_side_by_side_in_memory():
    tree = AdministrativeUnits(
        [
            province("19", "Tỉnh Thái Nguyên"),
            commune("05443", "Phường Phan Đình Phùng", "19"),
            province("26", "Tỉnh Vĩnh Phúc"),
            district("243", "Thành phố Vĩnh Yên", "26"),
            commune("08707", "Phường Tích Sơn", "243"),
        ]
    )
    assert [unit.code for unit in tree.roots()] == ["19", "26"]
    assert tree.province_of("08707").code == "26"
    assert tree.province_of("05443").code == "19"


# --- lookups of unknown codes -------------------------------------------------


def test_get_unknown_code_is_not_found(shipped):
    with pytest.raises(NotFound) as raised:
        shipped.get("99999")
    assert raised.value.field == "admin_unit_code"


@pytest.mark.parametrize("code", ["99", "5443", 19, None, ["19"]])
def test_membership_of_unknown_codes(shipped, code):
    assert code not in shipped


def test_membership_of_known_codes(shipped):
    assert "19" in shipped
    assert "243" in shipped


@pytest.mark.parametrize(
    "call",
    [
        lambda tree: tree.children("99"),
        lambda tree: tree.ancestors("99999"),
        lambda tree: tree.contains("99", "05443"),
        lambda tree: tree.contains("19", "99999"),
        lambda tree: tree.province_of("99999"),
        lambda tree: tree.is_commune("99999"),
    ],
)
def test_queries_about_unknown_codes_are_not_found(shipped, call):
    with pytest.raises(NotFound):
        call(shipped)


# --- invalid trees ------------------------------------------------------------------


@pytest.mark.parametrize(
    "units, complaint",
    [
        ([commune("05443", "Phường Phan Đình Phùng", "19")], "unknown parent"),
        ([province("19", "A"), province("19", "B")], "duplicate"),
        ([province("19", "A"), commune("05443", "X", "19"), commune("05443", "Y", "19")], "duplicate"),
        ([province("19", "A"), AdministrativeUnit("20", "B", "province", "19")], "cannot have a parent"),
        ([AdministrativeUnit("05443", "X", "commune")], "must have a parent"),
        ([province("19", "A"), district("164", "B", "19"), district("165", "C", "164")], "cannot sit under"),
        ([province("19", "A"), commune("05443", "X", "19"), commune("05446", "Y", "05443")], "cannot sit under"),
        ([province("19", "A"), district("164", "B", "05443"), commune("05443", "X", "164")], "cannot sit under"),
        ([province("1", "A")], "2 digits"),
        ([province("19", "A"), commune("5443", "X", "19")], "5 digits"),
        ([province("19", "A"), commune("0544a", "X", "19")], "5 digits"),
        ([AdministrativeUnit("19", "A", "region")], "unknown level"),
    ],
)
def test_invalid_trees_are_refused(units, complaint):
    with pytest.raises(InvalidArgument, match=complaint):
        AdministrativeUnits(units)


def test_a_parent_loop_is_refused():
    # Two districts naming each other: refused because districts sit under provinces only.
    with pytest.raises(InvalidArgument, match="cannot sit under"):
        AdministrativeUnits([district("164", "A", "165"), district("165", "B", "164")])


# --- loading --------------------------------------------------------------------------


def test_load_defaults_to_the_shipped_file(monkeypatch):
    monkeypatch.delenv("ADMIN_UNITS_FILE", raising=False)
    assert len(AdministrativeUnits.load().children("19")) == 92


def test_load_follows_the_environment(monkeypatch, tmp_path):
    units = [{"code": "19", "name": "Tỉnh Thái Nguyên", "level": "province", "name_en": "Thai Nguyen"}]
    path = write(tmp_path / "units.json", json.dumps({"header": {}, "units": units}))
    monkeypatch.setenv("ADMIN_UNITS_FILE", path)
    tree = AdministrativeUnits.load()
    assert [unit.code for unit in tree.roots()] == ["19"]
    assert tree.get("19").parent_code is None


def test_an_explicit_path_beats_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ADMIN_UNITS_FILE", str(tmp_path / "missing.json"))
    assert "05443" in AdministrativeUnits.load(str(SHIPPED_FILE))


def test_load_refuses_other_formats(tmp_path):
    with pytest.raises(InvalidArgument, match=".json or .csv"):
        AdministrativeUnits.load(write(tmp_path / "units.xlsx", ""))


@pytest.mark.parametrize(
    "document, complaint",
    [
        ({"header": {}}, "units"),
        ([], "units"),
        ({"units": [{"code": "19", "level": "province"}]}, "lacks 'name'"),
    ],
)
def test_load_refuses_malformed_json(tmp_path, document, complaint):
    with pytest.raises(InvalidArgument, match=complaint):
        AdministrativeUnits.load(write(tmp_path / "units.json", json.dumps(document)))


# --- GSO CSV export -----------------------------------------------------------------

# Pre-2025 Thái Nguyên rows, codes as in the GSO list before the reform.
LEGACY_THAI_NGUYEN_CSV = "\n".join(
    [
        GSO_HEADER,
        "Tỉnh Thái Nguyên,19,Thành phố Thái Nguyên,164,Phường Quán Triều,05431,Phường,Quan Trieu Ward",
        "Tỉnh Thái Nguyên,19,Thành phố Thái Nguyên,164,Phường Quang Vinh,05434,Phường,",
        "Tỉnh Thái Nguyên,19,Thành phố Thái Nguyên,164,Phường Túc Duyên,05437,Phường,",
        "Tỉnh Thái Nguyên,19,Huyện Đại Từ,171,Thị trấn Hùng Sơn,05761,Thị trấn,",
        "",
    ]
)


def test_csv_with_districts(tmp_path):
    # Excel writes a byte-order mark; the loader must not mistake it for part of a header.
    tree = AdministrativeUnits.load(write(tmp_path / "gso.csv", LEGACY_THAI_NGUYEN_CSV, "utf-8-sig"))
    assert tree.roots() == [AdministrativeUnit("19", "Tỉnh Thái Nguyên", "province")]
    assert [unit.code for unit in tree.children("19")] == ["164", "171"]
    assert tree.get("164") == AdministrativeUnit("164", "Thành phố Thái Nguyên", "district", "19")
    assert [unit.code for unit in tree.children("164")] == ["05431", "05434", "05437"]
    assert tree.get("05431").name_en == "Quan Trieu Ward"
    assert [unit.code for unit in tree.ancestors("05761")] == ["171", "19"]
    assert tree.is_commune("05761")


def test_csv_without_districts_restores_dropped_zeros(tmp_path):
    text = "\n".join(
        [
            "Tỉnh / Thành Phố,Mã TP,Phường Xã,Mã PX,Cấp",
            "Tỉnh Thái Nguyên,19,Phường Phan Đình Phùng,5443,Phường",
            "Tỉnh Thái Nguyên,19,Xã Đại Phúc,05488,Xã",
            "Thành phố Hà Nội,1,Phường Ba Đình,4,Phường",
            "Tỉnh Quảng Ninh,22,Đặc khu Vân Đồn,06994,Đặc khu",
        ]
    )
    tree = AdministrativeUnits.load(write(tmp_path / "gso.csv", text))
    assert [unit.code for unit in tree.roots()] == ["01", "19", "22"]
    assert tree.get("00004").parent_code == "01"
    assert tree.get("05443") == AdministrativeUnit("05443", "Phường Phan Đình Phùng", "commune", "19")
    assert tree.is_commune("06994")


def test_csv_mixing_rows_with_and_without_district(tmp_path):
    text = "\n".join(
        [
            GSO_HEADER,
            "Tỉnh Thái Nguyên,19,Thành phố Thái Nguyên,164,Phường Quán Triều,05431,Phường,",
            "Tỉnh Thái Nguyên,19,,,Phường Phan Đình Phùng,05443,Phường,",
        ]
    )
    tree = AdministrativeUnits.load(write(tmp_path / "gso.csv", text))
    assert tree.get("05431").parent_code == "164"
    assert tree.get("05443").parent_code == "19"


def test_csv_district_without_communes(tmp_path):
    text = "\n".join([GSO_HEADER, "Tỉnh Bà Rịa - Vũng Tàu,77,Huyện Côn Đảo,755,,,,"])
    tree = AdministrativeUnits.load(write(tmp_path / "gso.csv", text))
    assert tree.children("755") == []
    assert tree.get("755").parent_code == "77"


@pytest.mark.parametrize(
    "lines, complaint",
    [
        (["Tỉnh,Mã,Tên", "Tỉnh Thái Nguyên,19,X"], "missing columns"),
        ([GSO_HEADER, "Tỉnh Thái Nguyên,19,Thành phố Thái Nguyên,164,Huyện X,05431,Huyện,"], "not a commune-level"),
        ([GSO_HEADER, "Tỉnh Thái Nguyên,TN,,,Phường Quán Triều,05431,Phường,"], "not a number"),
        (
            [
                GSO_HEADER,
                "Tỉnh Thái Nguyên,19,,,Phường Quán Triều,05431,Phường,",
                "Tỉnh Thái Nguyên,19,,,Phường Quán Triều,05431,Phường,",
            ],
            "duplicate",
        ),
        ([GSO_HEADER, "Tỉnh Thái Nguyên,19,,,Phường X,123456,Phường,"], "5 digits"),
    ],
)
def test_csv_errors(tmp_path, lines, complaint):
    with pytest.raises(InvalidArgument, match=complaint):
        AdministrativeUnits.load(write(tmp_path / "gso.csv", "\n".join(lines)))
