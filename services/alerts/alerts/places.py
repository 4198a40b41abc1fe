"""The places citizens follow, and their receipts for warnings.

Plain Python: aggregates and a mixin of commands the alerts application
composes with the warnings, notifications and emergency mixins.
"""
import math
import uuid

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from kit.auth import Principal, require_authenticated
from kit.errors import FailedPrecondition, InvalidArgument, NotFound

PLACES_NAMESPACE = uuid.UUID("1f8e4a52-7c3b-4d9e-b6a1-2e5f8c9d0a47")
PLACE_KINDS = ("home_commune", "current_location", "area")
MAX_PLACES = 20
MAX_POLYGON_POINTS = 200
MAX_RADIUS_KM = 200.0


def places_id(person_id: str) -> uuid.UUID:
    return uuid.uuid5(PLACES_NAMESPACE, f"places:{person_id}")


def receipt_id(warning_id: str, person_id: str) -> uuid.UUID:
    return uuid.uuid5(PLACES_NAMESPACE, f"receipt:{warning_id}:{person_id}")


class Places(Aggregate):
    """One person's followed places. A new current location replaces the old."""

    @staticmethod
    def create_id(person_id: str) -> uuid.UUID:
        return places_id(person_id)

    @event("Started")
    def __init__(self, person_id: str):
        self.person_id = person_id
        self.places: dict[str, dict] = {}

    @event("Followed")
    def follow(self, place_id: str, place: dict):
        if place["kind"] == "current_location":
            self.places = {k: v for k, v in self.places.items()
                           if v["kind"] != "current_location"}
        self.places[place_id] = place

    @event("Unfollowed")
    def unfollow(self, place_id: str):
        self.places.pop(place_id, None)


class Receipt(Aggregate):
    """What one person did with one warning: got it, read it, checked in safe."""

    @staticmethod
    def create_id(warning_id: str, person_id: str) -> uuid.UUID:
        return receipt_id(warning_id, person_id)

    @event("Delivered")
    def __init__(self, warning_id: str, person_id: str, unit_code: str):
        self.warning_id = warning_id
        self.person_id = person_id
        self.unit_code = unit_code
        self.read = False
        self.safe = False

    @event("Read")
    def mark_read(self):
        self.read = True

    @event("CheckedInSafe")
    def check_in_safe(self, unit_code: str):
        self.safe = True
        if unit_code:
            self.unit_code = unit_code


class PlacesCommands:
    """Mixin: expects self.repository, self.save, self.units, self.communes (a
    kit.geography.Locator: point → commune) and self.get_warning."""

    def places_of(self, person_id: str) -> Places | None:
        try:
            return self.repository.get(places_id(person_id))
        except AggregateNotFoundError:
            return None

    def follow_place(self, caller: Principal, kind, unit_code="", point=None, polygon=None,
                     circle=None, name="") -> tuple[str, dict]:
        require_authenticated(caller)
        place = self.checked_place(kind, unit_code, point, polygon, circle, name)
        places = self.places_of(caller.subject) or Places(person_id=caller.subject)
        if len(places.places) >= MAX_PLACES and kind != "current_location":
            raise FailedPrecondition(f"at most {MAX_PLACES} places", field="kind")
        place_id = str(uuid.uuid4())
        places.follow(place_id, place)
        self.save(places)
        return place_id, place

    def unfollow_place(self, caller: Principal, place_id: str) -> dict:
        require_authenticated(caller)
        places = self.places_of(caller.subject)
        if places is None or place_id not in places.places:
            raise NotFound("no such subscription", field="subscription_id")
        place = places.places[place_id]
        places.unfollow(place_id)
        self.save(places)
        return place

    def checked_place(self, kind, unit_code, point, polygon, circle, name) -> dict:
        if kind not in PLACE_KINDS:
            raise InvalidArgument(f"must be one of {', '.join(PLACE_KINDS)}", field="kind")
        place = {"kind": kind, "name": name.strip()[:100]}
        if kind == "home_commune":
            if unit_code not in self.units or not self.units.is_commune(unit_code):
                raise InvalidArgument(f"{unit_code!r} is not a known commune code",
                                      field="unit_code")
            place["unit_code"] = unit_code
        elif kind == "current_location":
            if point is None:
                raise InvalidArgument("a current location needs the location", field="location")
            place["point"] = checked_point(point, "location")
        elif polygon:
            place["polygon"] = checked_polygon(polygon)
        elif circle:
            place["circle"] = checked_circle(circle)
        else:
            raise InvalidArgument("draw a polygon or a circle", field="polygon")
        return place

    # Receipts ---------------------------------------------------------------------
    def receipt(self, warning_id: str, person_id: str) -> Receipt | None:
        try:
            return self.repository.get(receipt_id(warning_id, person_id))
        except AggregateNotFoundError:
            return None

    def confirm_delivery(self, caller: Principal, warning_id: str, read: bool) -> Receipt:
        require_authenticated(caller)
        self.get_warning(warning_id)      # NotFound for unknown warnings
        receipt = self.receipt(warning_id, caller.subject) or Receipt(
            warning_id=warning_id, person_id=caller.subject, unit_code=self.home_unit(caller))
        if read and not receipt.read:
            receipt.mark_read()
        self.save(receipt)
        return receipt

    def check_in_safe(self, caller: Principal, warning_id: str, point=None) -> Receipt:
        receipt = self.confirm_delivery(caller, warning_id, read=True)
        unit_code = ""
        if point is not None:
            unit_code = self.communes(*checked_point(point, "location")) or ""
        if not receipt.safe:
            receipt.check_in_safe(unit_code)
            self.save(receipt)
        return receipt

    def home_unit(self, caller: Principal) -> str:
        """The commune counted for a receipt: the person's followed home commune."""
        places = self.places_of(caller.subject)
        homes = [p["unit_code"] for p in (places.places.values() if places else ())
                 if p["kind"] == "home_commune"]
        return homes[0] if homes else ""


def checked_point(point, field: str) -> tuple[float, float]:
    latitude, longitude = point
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise InvalidArgument("latitude must be between -90 and 90", field=f"{field}.latitude")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise InvalidArgument("longitude must be between -180 and 180",
                              field=f"{field}.longitude")
    return latitude, longitude


def checked_polygon(points) -> list[list[float]]:
    if not 3 <= len(points) <= MAX_POLYGON_POINTS:
        raise InvalidArgument(f"3 to {MAX_POLYGON_POINTS} points", field="polygon.points")
    return [list(checked_point(p, f"polygon.points[{i}]")) for i, p in enumerate(points)]


def checked_circle(circle) -> dict:
    latitude, longitude, radius_km = circle
    checked_point((latitude, longitude), "circle")
    if not (math.isfinite(radius_km) and 0 < radius_km <= MAX_RADIUS_KM):
        raise InvalidArgument(f"radius must be above 0 and at most {MAX_RADIUS_KM:g} km",
                              field="circle.radius_km")
    return {"latitude": latitude, "longitude": longitude, "radius_km": radius_km}
