"""CAP 1.2 for the alerts service: value sets and checks, geometry on
hand-checked cases, who an area touches (with the shipped units and commune
centroids), and the XML export against the OASIS schema."""
from datetime import datetime
from types import SimpleNamespace

import pytest
from lxml import etree

from alerts import cap
from alerts.cap import Circle, Polygon
from kit.adminunits import AdministrativeUnits
from kit.errors import InvalidArgument
from kit.geography import Locator

UNITS = AdministrativeUnits.load()
COMMUNES = Locator.load()
NOW = datetime.fromisoformat("2026-03-02T09:00:00+07:00").timestamp()
HOUR = 3600.0
KM = cap.KM_PER_DEGREE                        # 111.195 km in a degree of latitude
PHAN_DINH_PHUNG = ("05443", 21.5887, 105.834)  # a ward of Thái Nguyên city
PHO_YEN = ("05860", 21.4265, 105.867)
HANOI = (21.0285, 105.8542)
BA_DINH = "00004"                              # a ward of Hà Nội


def north(latitude, longitude, km):
    return latitude + km / KM, longitude


def east(latitude, longitude, km):
    from math import cos, radians
    return latitude, longitude + km / (KM * cos(radians(latitude)))


def polygon(*points):
    return Polygon(tuple(points) + points[:1])


SQUARE = polygon((21.5, 105.8), (21.6, 105.8), (21.6, 105.9), (21.5, 105.9))
# An L: the square less its north-east quarter.
ELL = polygon((21.5, 105.8), (21.6, 105.8), (21.6, 105.85), (21.55, 105.85), (21.55, 105.9),
              (21.5, 105.9))


# Geometry --------------------------------------------------------------------------
def test_haversine_distances():
    assert cap.haversine_km(21.0, 105.8, 22.0, 105.8) == pytest.approx(111.195, abs=0.001)
    # Hoàn Kiếm to Phan Đình Phùng: 0.5602° of latitude (62.29 km) and 0.0202° of
    # longitude at 21.3° (2.09 km) make 62.33 km.
    assert cap.haversine_km(*HANOI, *PHAN_DINH_PHUNG[1:]) == pytest.approx(62.33, abs=0.05)


def test_point_in_polygon_follows_a_concave_outline():
    assert cap.point_in_polygon(21.55, 105.85, SQUARE)
    assert not cap.point_in_polygon(21.65, 105.85, SQUARE)
    assert cap.point_in_polygon(21.52, 105.88, ELL)
    assert cap.point_in_polygon(21.58, 105.82, ELL)
    assert not cap.point_in_polygon(21.58, 105.88, ELL)      # in the missing quarter


def test_point_in_circle_by_great_circle_distance():
    centre = Circle(21.5, 105.8, 5.0)
    assert cap.point_in_circle(*north(21.5, 105.8, 4.9), centre)
    assert not cap.point_in_circle(*north(21.5, 105.8, 5.1), centre)
    assert cap.point_in_circle(*east(21.5, 105.8, 4.9), centre)
    assert not cap.point_in_circle(*east(21.5, 105.8, 5.1), centre)


def test_circles_meet_when_their_centres_are_within_both_radii():
    a = Circle(21.5, 105.8, 4.0)
    ten_km_north = north(21.5, 105.8, 10.0)
    assert not cap.circles_intersect(a, Circle(*ten_km_north, 5.9))
    assert cap.circles_intersect(a, Circle(*ten_km_north, 6.1))


def test_polygon_and_circle():
    one_km_east_of_the_edge = east(21.55, 105.9, 1.0)
    assert cap.polygon_intersects_circle(SQUARE, Circle(*one_km_east_of_the_edge, 1.1))
    assert not cap.polygon_intersects_circle(SQUARE, Circle(*one_km_east_of_the_edge, 0.9))
    # Off the north-east corner, √2 km away: the boxes overlap, the shapes need 1.42 km.
    off_the_corner = east(*north(21.6, 105.9, 1.0), 1.0)
    assert not cap.polygon_intersects_circle(SQUARE, Circle(*off_the_corner, 1.3))
    assert cap.polygon_intersects_circle(SQUARE, Circle(*off_the_corner, 1.5))
    assert cap.polygon_intersects_circle(SQUARE, Circle(21.55, 105.85, 0.1))    # inside it
    assert cap.polygon_intersects_circle(SQUARE, Circle(21.55, 105.85, 50.0))   # around it
    assert not cap.polygon_intersects_circle(ELL, Circle(21.58, 105.88, 1.0))   # in the notch


def test_polygons_overlap_contain_cross_or_miss():
    shifted = polygon((21.55, 105.85), (21.65, 105.85), (21.65, 105.95), (21.55, 105.95))
    far = polygon((21.8, 106.0), (21.9, 106.0), (21.9, 106.1), (21.8, 106.1))
    inner = polygon((21.52, 105.82), (21.53, 105.82), (21.53, 105.83))
    across = polygon((21.54, 105.70), (21.56, 105.70), (21.56, 106.00), (21.54, 106.00))
    down = polygon((21.40, 105.84), (21.70, 105.84), (21.70, 105.86), (21.40, 105.86))
    lower_left = polygon((21.5, 105.8), (21.6, 105.8), (21.5, 105.9))
    upper_right = polygon((21.6, 105.9), (21.6, 105.86), (21.56, 105.9))
    assert cap.polygons_intersect(SQUARE, shifted)
    assert not cap.polygons_intersect(SQUARE, far)
    assert cap.polygons_intersect(SQUARE, inner) and cap.polygons_intersect(inner, SQUARE)
    assert cap.polygons_intersect(across, down)           # no corner inside the other
    assert not cap.polygons_intersect(lower_left, upper_right)   # boxes overlap, shapes not


# Whom an area touches --------------------------------------------------------------
def area(polygons=(), circles=(), unit_codes=()):
    return {"description": "vùng", "unit_codes": list(unit_codes),
            "polygons": [{"points": [{"latitude": la, "longitude": lo} for la, lo in p.points]}
                         for p in polygons],
            "circles": [{"latitude": c.latitude, "longitude": c.longitude,
                         "radius_km": c.radius_km} for c in circles]}


def touches(an_area, place):
    return cap.area_touches(an_area, place, UNITS, COMMUNES)


def home(code):
    return {"kind": "home_commune", "unit_code": code}


def here(latitude, longitude):
    return {"kind": "current_location", "point": [latitude, longitude]}


def drawn_circle(latitude, longitude, radius_km):
    return {"kind": "area", "circle": {"latitude": latitude, "longitude": longitude,
                                       "radius_km": radius_km}}


def test_a_home_commune_is_touched_by_its_own_geocode_or_one_containing_it():
    code = PHAN_DINH_PHUNG[0]
    assert touches(area(unit_codes=["19"]), home(code))          # the province's warning
    assert touches(area(unit_codes=[code]), home(code))
    assert not touches(area(unit_codes=[PHO_YEN[0]]), home(code))
    assert not touches(area(unit_codes=["19"]), home(BA_DINH))   # Hà Nội's ward


def test_a_home_commune_meets_shapes_as_the_circle_of_its_area():
    code, latitude, longitude = PHAN_DINH_PHUNG
    radius = cap.commune_circles(COMMUNES)[code].radius_km
    assert radius == pytest.approx(2.165, abs=0.001)             # 14.73 km² = π × 2.165²
    three_km_east = east(latitude, longitude, 3.0)
    assert touches(area(circles=[Circle(*three_km_east, 1.0)]), home(code))
    assert not touches(area(circles=[Circle(*three_km_east, 0.7)]), home(code))


def test_a_current_location_is_inside_a_shape_or_in_a_geocoded_commune():
    code, latitude, longitude = PHAN_DINH_PHUNG
    assert touches(area(polygons=[SQUARE]), here(latitude, longitude))
    assert not touches(area(polygons=[ELL]), here(21.58, 105.88))
    assert touches(area(unit_codes=[code]), here(latitude, longitude))
    assert not touches(area(unit_codes=[PHO_YEN[0]]), here(latitude, longitude))
    assert not touches(area(unit_codes=["19"]), here(*HANOI))


def test_an_area_the_citizen_drew_meets_shapes_and_geocoded_communes():
    _, latitude, longitude = PHO_YEN
    assert not touches(area(unit_codes=[PHAN_DINH_PHUNG[0]]), drawn_circle(latitude, longitude, 1))
    assert touches(area(unit_codes=["19"]), drawn_circle(latitude, longitude, 1))
    open_ring = {"kind": "area", "polygon": [[21.5, 105.8], [21.6, 105.8], [21.6, 105.9]]}
    assert touches(area(unit_codes=[PHAN_DINH_PHUNG[0]]), open_ring)
    assert touches(area(polygons=[ELL]), open_ring)
    assert not touches(area(circles=[Circle(21.9, 106.1, 2)]), open_ring)


def test_prepared_areas_and_places_give_the_same_answers():
    an_area = area(polygons=[ELL], unit_codes=[PHO_YEN[0]])
    prepared = cap.prepare_area(an_area, UNITS, COMMUNES)
    for place in (home(PHO_YEN[0]), home(PHAN_DINH_PHUNG[0]), here(21.58, 105.88),
                  here(*PHO_YEN[1:]), drawn_circle(21.52, 105.82, 0.5)):
        shape = cap.place_shape(place, COMMUNES)
        assert touches(an_area, place) == touches(prepared, shape)


def test_a_drawn_area_is_tested_against_the_covered_communes_near_it_with_the_same_answers():
    import random

    province = cap.prepare_area(area(unit_codes=["19"]), UNITS, COMMUNES)
    every_commune = province.covered_communes.circles
    pick = random.Random(19)
    met, tested_for_small_circles = 0, []
    for _ in range(500):
        circle = Circle(pick.uniform(21.2, 22.1), pick.uniform(105.4, 106.3),
                        pick.choice((0.2, 1.0, 5.0, 40.0)))
        near = province.covered_communes.near(circle.box)
        if circle.radius_km <= 1.0:
            tested_for_small_circles.append(len(near))
        expected = any(cap.shapes_intersect(commune, circle) for commune in every_commune)
        assert any(cap.shapes_intersect(commune, circle) for commune in near) == expected
        met += expected
    assert 0 < met < 500, "the sample has circles on both sides"
    assert max(tested_for_small_circles) < len(every_commune) / 4


# Checks ----------------------------------------------------------------------------
def info(**changes):
    base = {
        "language": "vi-VN", "categories": ["Met"], "event": "Lũ", "urgency": "Immediate",
        "severity": "Severe", "certainty": "Observed", "headline": "Lũ trên sông Cầu",
        "description": "Mực nước sông Cầu vượt báo động III.",
        "expires": "2026-03-02T21:00:00+07:00",
        "areas": [{"description": "Ven sông Cầu",
                   "polygons": [{"points": [{"latitude": 21.5, "longitude": 105.8},
                                            {"latitude": 21.6, "longitude": 105.8},
                                            {"latitude": 21.6, "longitude": 105.9}]}]},
                  {"description": "Phường Phan Đình Phùng", "unit_codes": ["05443"]}],
    }
    return {**base, **changes}


def test_an_info_as_message_to_dict_gives_it_is_completed_and_closed():
    [checked] = cap.checked_infos([info(headline="  Lũ   trên sông Cầu ")], UNITS, NOW)
    assert checked["headline"] == "Lũ trên sông Cầu"
    assert checked["expires"] == NOW + 12 * HOUR and checked["effective"] == 0.0
    assert checked["response_types"] == [] and checked["instruction"] == ""
    ring = checked["areas"][0]["polygons"][0]["points"]
    assert len(ring) == 4 and ring[0] == ring[-1]                # closed for CAP
    assert checked["areas"][0]["circles"] == [] and checked["areas"][1]["polygons"] == []


def test_times_may_be_numbers_or_rfc3339_with_an_offset():
    [checked] = cap.checked_infos([info(effective=NOW + HOUR, expires=NOW + 2 * HOUR)], UNITS,
                                  NOW)
    assert (checked["effective"], checked["expires"]) == (NOW + HOUR, NOW + 2 * HOUR)
    [utc] = cap.checked_infos([info(expires="2026-03-02T14:00:00Z")], UNITS, NOW)
    assert utc["expires"] == NOW + 12 * HOUR


def ring(*points):
    return {"points": [{"latitude": la, "longitude": lo} for la, lo in points]}


@pytest.mark.parametrize("changes, field", [
    ({"language": "fr-FR"}, "infos[0].language"),
    ({"categories": []}, "infos[0].categories"),
    ({"categories": ["Met", "Weather"]}, "infos[0].categories[1]"),
    ({"response_types": ["Run"]}, "infos[0].response_types[0]"),
    ({"urgency": "Soon"}, "infos[0].urgency"),
    ({"severity": "severe"}, "infos[0].severity"),
    ({"certainty": None}, "infos[0].certainty"),
    ({"event": ""}, "infos[0].event"),
    ({"headline": "x" * 161}, "infos[0].headline"),
    ({"description": "  "}, "infos[0].description"),
    ({"expires": None}, "infos[0].expires"),
    ({"expires": NOW - 1}, "infos[0].expires"),
    ({"effective": NOW + 13 * HOUR}, "infos[0].expires"),
    ({"expires": "tomorrow"}, "infos[0].expires"),
    ({"expires": "2026-03-02T21:00:00"}, "infos[0].expires"),
    ({"areas": []}, "infos[0].areas"),
    ({"areas": [{"description": "trống"}]}, "infos[0].areas[0]"),
    ({"areas": [{"unit_codes": ["19"]}]}, "infos[0].areas[0].description"),
    ({"areas": [{"description": "a", "unit_codes": ["19"]},
                {"description": "b", "polygons": [ring((21.5, 105.8), (21.6, 105.8),
                                                       (21.5, 105.8))]}]},
     "infos[0].areas[1].polygons[0]"),
    ({"areas": [{"description": "a", "polygons": [ring((21.5, 105.8), (91, 105.8),
                                                       (21.6, 105.9))]}]},
     "infos[0].areas[0].polygons[0].points[1].latitude"),
    ({"areas": [{"description": "a", "circles": [{"latitude": 21.5, "longitude": 105.8}]}]},
     "infos[0].areas[0].circles[0].radius_km"),
    ({"areas": [{"description": "a", "circles": [{"latitude": 21.5, "longitude": 185,
                                                  "radius_km": 1}]}]},
     "infos[0].areas[0].circles[0].longitude"),
    ({"areas": [{"description": "a", "unit_codes": ["19", "99999"]}]},
     "infos[0].areas[0].unit_codes[1]"),
])
def test_a_bad_value_names_its_field(changes, field):
    with pytest.raises(InvalidArgument) as refused:
        cap.checked_infos([info(**changes)], UNITS, NOW)
    assert refused.value.field == field


def test_one_info_per_language_and_vietnamese_among_them():
    english = info(language="en-US", headline="Flood on the Cau river")
    assert len(cap.checked_infos([info(), english], UNITS, NOW)) == 2
    for infos in ([], [english], [info(), info()]):
        with pytest.raises(InvalidArgument) as refused:
            cap.checked_infos(infos, UNITS, NOW)
        assert refused.value.field == "infos"


def test_the_value_sets_are_cap_1_2s():
    schema = etree.parse(str(cap.SCHEMA_FILE))
    xs = {"xs": "http://www.w3.org/2001/XMLSchema"}

    def enumeration(name):
        return tuple(schema.xpath(f"//xs:element[@name='{name}']//xs:enumeration/@value",
                                  namespaces=xs))

    assert enumeration("status") == cap.STATUSES
    assert set(cap.MSG_TYPES) < set(enumeration("msgType"))
    assert enumeration("scope") == cap.SCOPES
    assert enumeration("category") == cap.CATEGORIES
    assert enumeration("responseType") == cap.RESPONSE_TYPES
    assert enumeration("urgency") == cap.URGENCIES
    assert enumeration("severity") == cap.SEVERITIES
    assert enumeration("certainty") == cap.CERTAINTIES


# XML -------------------------------------------------------------------------------
def warning_like(**changes):
    infos = cap.checked_infos([
        info(effective=NOW, response_types=["Prepare", "Avoid"], sender_name="IOC Thái Nguyên",
             instruction="Không đến gần bờ sông.",
             areas=[{"description": "Ven sông Cầu",
                     "polygons": [ring((21.5, 105.8), (21.6, 105.8), (21.6, 105.9))],
                     "circles": [{"latitude": 21.5887, "longitude": 105.834, "radius_km": 2.5}],
                     "unit_codes": ["05443", "19"]}]),
        info(language="en-US", headline="Flood on the Cau river")], UNITS, NOW)
    base = dict(identifier="urn:smartcity:thainguyen:warning:1", sender="ioc@thainguyen.gov.vn",
                sent=NOW, status="Actual", msg_type="Update", source="operator", scope="Public",
                note="", references=["ioc@thainguyen.gov.vn,urn:smartcity:thainguyen:warning:0,"
                                     "2026-03-02T08:00:00+07:00"], infos=infos)
    return SimpleNamespace(**{**base, **changes})


def test_the_export_is_cap_1_2_valid_against_the_oasis_schema():
    xml = cap.to_cap_xml(warning_like())
    cap.validate_cap_xml(xml)
    ns = {"cap": cap.CAP_NAMESPACE}
    alert = etree.fromstring(xml.encode())
    assert alert.tag == f"{{{cap.CAP_NAMESPACE}}}alert"
    assert alert.findtext("cap:sent", namespaces=ns) == "2026-03-02T09:00:00+07:00"
    assert alert.findtext("cap:references", namespaces=ns).endswith(",2026-03-02T08:00:00+07:00")
    assert alert.find("cap:note", namespaces=ns) is None          # empty: left out
    first = alert.find("cap:info", namespaces=ns)
    assert first.findtext("cap:expires", namespaces=ns) == "2026-03-02T21:00:00+07:00"
    assert [e.text for e in first.findall("cap:responseType", namespaces=ns)] == [
        "Prepare", "Avoid"]
    area_element = first.find("cap:area", namespaces=ns)
    assert area_element.findtext("cap:polygon", namespaces=ns) == (
        "21.5,105.8 21.6,105.8 21.6,105.9 21.5,105.8")
    assert area_element.findtext("cap:circle", namespaces=ns) == "21.5887,105.834 2.5"
    assert [(g.findtext("cap:valueName", namespaces=ns), g.findtext("cap:value", namespaces=ns))
            for g in area_element.findall("cap:geocode", namespaces=ns)] == [
        ("VN-ADMIN", "05443"), ("VN-ADMIN", "19")]
    second = alert.findall("cap:info", namespaces=ns)[1]
    assert second.findtext("cap:language", namespaces=ns) == "en-US"
    assert second.find("cap:instruction", namespaces=ns) is None


def test_a_cancel_carries_its_reason_as_the_note():
    xml = cap.to_cap_xml(warning_like(msg_type="Cancel", note="Báo nhầm"))
    cap.validate_cap_xml(xml)
    assert "<note>Báo nhầm</note>" in xml


def broken(xml, old, new):
    assert old in xml
    return xml.replace(old, new, 1)


@pytest.mark.parametrize("old, new", [
    ("<status>Actual</status>", "<status>Urgent</status>"),             # not a CAP status
    ("<status>Actual</status>", ""),                                    # a required element
    ("+07:00</sent>", "Z</sent>"),                                      # CAP wants an offset
    ("<msgType>Update</msgType>", "<msgType>Update</msgType><colour>red</colour>"),
    ("<severity>Severe</severity>", "<severity>Nghiêm trọng</severity>"),
])
def test_a_broken_document_is_rejected(old, new):
    xml = broken(cap.to_cap_xml(warning_like()), old, new)
    with pytest.raises(InvalidArgument) as refused:
        cap.validate_cap_xml(xml)
    assert refused.value.field == "xml"


def test_an_info_out_of_order_or_malformed_xml_is_rejected():
    xml = cap.to_cap_xml(warning_like())
    with pytest.raises(InvalidArgument):
        cap.validate_cap_xml(broken(xml, "<category>Met</category>\n    <event>Lũ</event>",
                                    "<event>Lũ</event>\n    <category>Met</category>"))
    with pytest.raises(InvalidArgument):
        cap.validate_cap_xml(xml[:-20])
