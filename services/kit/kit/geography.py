"""Which commune a point lies in, approximately, without a GIS library.

A point outside the province's bounding box is refused; inside it, the
nearest commune centroid wins, unless even that one is further than a
commune of its area could reach (the box of an irregular province holds
plenty of its neighbours' land). Near a border between two communes the
answer may be the neighbour: staff correct the commune when they accept.
Production can pass a polygon lookup as `locate=` instead.
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path

SHIPPED_FILE = Path(__file__).parent / "data" / "commune_centroids.json"
KM_PER_DEGREE = 111.32          # of latitude; of longitude times cos(latitude)
# How far from its centroid a commune may stretch, in radii of the circle of
# its area, plus a margin for the centroids' own error.
REACH_RADII = 2.0
REACH_MARGIN_KM = 2.0


@dataclass(frozen=True)
class Commune:
    code: str
    latitude: float
    longitude: float
    reach_km: float


@dataclass(frozen=True)
class Box:
    south: float
    west: float
    north: float
    east: float

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east


class Locator:
    """locate(latitude, longitude) -> the commune's code, or None outside the province."""

    def __init__(self, communes: list[Commune], box: Box):
        self.communes = communes
        self.box = box

    @classmethod
    def load(cls, path=SHIPPED_FILE) -> "Locator":
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
        communes = [Commune(item["code"], item["latitude"], item["longitude"],
                            REACH_RADII * math.sqrt(item["area_km2"] / math.pi) + REACH_MARGIN_KM)
                    for item in document["communes"]]
        return cls(communes, Box(**document["bounding_box"]))

    def __call__(self, latitude: float, longitude: float) -> str | None:
        if not self.box.contains(latitude, longitude):
            return None
        # An equirectangular distance is exact enough across one province.
        shrink = math.cos(math.radians(latitude))
        distance, nearest = min(
            (math.hypot(latitude - c.latitude, (longitude - c.longitude) * shrink), c)
            for c in self.communes)
        return nearest.code if distance * KM_PER_DEGREE <= nearest.reach_km else None
