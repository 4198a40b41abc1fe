"""A simulated fleet around Thái Nguyên: environmental stations and AI traffic
cameras whose readings follow the city's days in local time (UTC+7).

Traffic peaks at the rush hours (7–9 and 16:30–18:30), motorbikes first;
speeds drop and occupancy and congestion rise with it. PM2.5 builds up at
night under the inversion and clears in the afternoon; O3 peaks mid-afternoon;
NO2, CO and noise follow traffic. Rain comes in episodes, more in the rainy
season and on summer afternoons; rivers answer hours later. Cameras now and
then see an accident, a stopped vehicle or, in heavy rain, flooding.

Deterministic: the same fleet, seed, start, interval and faults give the same
readings. Faults only change what a sensor reports, never the city, so a
faulty run matches a clean one outside its faults.
"""
import math
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from gateway.readings import UNITS, Reading
from gateway.spool import Spool
from kit.adminunits import AdministrativeUnits

ICT = timezone(timedelta(hours=7), "ICT")
ENVIRONMENTAL, CAMERA = "environmental", "camera"
STATION_KINDS = ("pm25", "pm10", "o3", "no2", "so2", "co", "temperature", "humidity", "noise",
                 "rainfall")
CAMERA_KINDS = ("vehicle_count", "mean_speed", "occupancy", "congestion_level", "incident")
RIVER_GAUGE_EVERY = 3      # stations 1, 4, 7, ... also gauge the river's water level

# Approximate centres of Thái Nguyên city's wards, and of the tea commune west of it.
SITES = (
    ("05443", 21.5942, 105.8482),   # Phường Phan Đình Phùng: the city centre
    ("05455", 21.5830, 105.8100),   # Phường Quyết Thắng: the universities
    ("05467", 21.5720, 105.8560),   # Phường Gia Sàng
    ("05482", 21.6230, 105.8150),   # Phường Quan Triều
    ("05500", 21.5550, 105.8600),   # Phường Tích Lương
    ("05710", 21.6080, 105.8800),   # Phường Linh Sơn, across the Cầu river
    ("05503", 21.5600, 105.7700),   # Xã Tân Cương
)
SITE_SPREAD_DEGREES = 0.008

# Thái Nguyên's climate by month (January first).
MEAN_TEMPERATURE = (15.9, 17.2, 20.3, 24.0, 27.4, 28.7, 28.9, 28.4, 27.2, 24.6, 21.0, 17.5)
RAIN_EPISODES_PER_DAY = (0.25, 0.35, 0.5, 0.6, 0.9, 1.1, 1.2, 1.2, 0.8, 0.5, 0.3, 0.2)
MEAN_PM25 = (55, 45, 40, 32, 24, 20, 18, 18, 22, 32, 45, 55)   # µg/m³, the dry season worst

# Vehicles per minute through a busy junction at the weekday rush hour.
RUSH_VEHICLES_PER_MINUTE = {"motorbike": 220, "car": 35, "truck": 4, "bus": 2}
INCIDENTS_PER_HOUR = {"accident": 0.002, "stopped_vehicle": 0.004}
FLOODING_PER_HOUR_IN_HEAVY_RAIN = 0.3
HEAVY_RAIN_MM_PER_HOUR = 30
CONGESTION_SPEED_RATIOS = (0.8, 0.65, 0.5, 0.35)   # speed / free-flow speed: level 0 above all


@dataclass(frozen=True)
class SensorSpec:
    """A sensor as it must be registered with the sensors service."""
    id: str
    family: str
    kinds: tuple[str, ...]
    latitude: float
    longitude: float
    unit_code: str
    name: str


def fleet_definition(stations: int, cameras: int, prefix: str = "tn") -> list[SensorSpec]:
    """The simulated sensors; where each one stands depends on its id alone."""
    units = AdministrativeUnits.load()
    return ([sensor_spec(f"{prefix}-aq-{n:03d}", ENVIRONMENTAL, n, units)
             for n in range(1, stations + 1)]
            + [sensor_spec(f"{prefix}-cam-{n:03d}", CAMERA, n, units)
               for n in range(1, cameras + 1)])


def sensor_spec(sensor_id: str, family: str, number: int, units) -> SensorSpec:
    code, latitude, longitude = SITES[(number - 1) % len(SITES)]
    place = random.Random(f"site/{sensor_id}")
    if family == CAMERA:
        kinds, what = CAMERA_KINDS, "Camera giao thông"
    elif (number - 1) % RIVER_GAUGE_EVERY == 0:
        kinds, what = STATION_KINDS + ("water_level",), "Trạm quan trắc và đo mực nước"
    else:
        kinds, what = STATION_KINDS, "Trạm quan trắc môi trường"
    return SensorSpec(
        id=sensor_id, family=family, kinds=kinds, unit_code=code,
        latitude=round(latitude + place.uniform(-1, 1) * SITE_SPREAD_DEGREES, 5),
        longitude=round(longitude + place.uniform(-1, 1) * SITE_SPREAD_DEGREES, 5),
        name=f"{what} {units.get(code).name} {number}")


# Faults --------------------------------------------------------------------------------
FAULT_KINDS = ("spike", "dropout", "stuck", "clock_skew")
DEFAULT_SPIKE_FACTOR = 8.0


@dataclass(frozen=True)
class Fault:
    """A sensor misbehaving from start (inclusive) to end."""
    sensor_id: str
    kind: str            # spike | dropout | stuck | clock_skew
    start: datetime
    end: datetime
    amount: float = 0.0  # spike: the factor (0: DEFAULT_SPIKE_FACTOR); clock_skew: seconds added

    def active(self, now: datetime) -> bool:
        return self.start <= now < self.end


def parse_fault(text: str, simulation_start: datetime) -> Fault:
    """SENSOR:KIND:AFTER_MINUTES:FOR_MINUTES[:AMOUNT], minutes of simulated time."""
    parts = text.split(":")
    if len(parts) not in (4, 5) or parts[1] not in FAULT_KINDS:
        raise ValueError(f"fault {text!r}: expected SENSOR:{'|'.join(FAULT_KINDS)}"
                         ":AFTER_MINUTES:FOR_MINUTES[:AMOUNT]")
    start = simulation_start + timedelta(minutes=float(parts[2]))
    return Fault(parts[0], parts[1], start, start + timedelta(minutes=float(parts[3])),
                 float(parts[4]) if len(parts) == 5 else 0.0)


# The city's days -------------------------------------------------------------------------
def local_hour(t: datetime) -> float:
    local = t.astimezone(ICT)
    return local.hour + local.minute / 60 + local.second / 3600


def bump(x: float, centre: float, width: float) -> float:
    return math.exp(-0.5 * ((x - centre) / width) ** 2)


def ramp(x: float, start: float, end: float) -> float:
    """0 before start, 1 after end, smooth in between."""
    u = min(1.0, max(0.0, (x - start) / (end - start)))
    return u * u * (3 - 2 * u)


def traffic_load(t: datetime) -> float:
    """Traffic relative to a weekday rush hour (about 1); weekends have softer peaks."""
    h = local_hour(t)
    daytime = 0.45 * ramp(h, 5.5, 7.0) * (1 - ramp(h, 20.5, 23.5))
    rush = 0.55 * (bump(h, 8.0, 0.55) + bump(h, 17.5, 0.6))
    weekend = t.astimezone(ICT).weekday() >= 5
    return 0.06 + daytime + rush * (0.4 if weekend else 1.0)


def inversion(h: float) -> float:
    """How the night-time inversion traps pollution: 1.45 at dawn, 0.55 late afternoon."""
    return 1 + 0.45 * math.cos(2 * math.pi * (h - 5) / 24)


def sunlight(h: float) -> float:
    """Photochemistry: O3 forms from 8 to 20 h, most at 14 h."""
    return max(0.0, math.sin(math.pi * (h - 8) / 12))


def warmth(h: float) -> float:
    """The diurnal temperature cycle, -1 (night) to 1 (14:30)."""
    return math.cos(2 * math.pi * (h - 14.5) / 24)


def poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class Weather:
    """City-wide rain episodes, mm/h."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rain = 0.0
        self.rain_until = datetime.min.replace(tzinfo=timezone.utc)

    def advance(self, now: datetime, hours: float):
        if now < self.rain_until:
            return
        self.rain = 0.0
        month, h = now.astimezone(ICT).month, local_hour(now)
        starts_per_hour = RAIN_EPISODES_PER_DAY[month - 1] / 24 * (0.6 + 1.2 * bump(h, 16, 2.5))
        if self.rng.random() < starts_per_hour * hours:
            self.rain = min(120.0, self.rng.lognormvariate(math.log(6), 1.0))
            self.rain_until = now + timedelta(minutes=self.rng.uniform(20, 180))


class RiverGauge:
    """Two linear reservoirs in series: the river answers rain hours later."""
    LAG_HOURS = 3.0
    METRES_PER_MM_PER_HOUR = 0.25

    def __init__(self, base_level: float):
        self.base_level = base_level
        self.upper = self.lower = 0.0   # mm of water on their way

    def advance(self, rain_mm_per_hour: float, hours: float) -> float:
        share = min(1.0, hours / self.LAG_HOURS)
        to_lower, to_river = self.upper * share, self.lower * share
        self.upper += rain_mm_per_hour * hours - to_lower
        self.lower += to_lower - to_river
        return self.base_level + self.METRES_PER_MM_PER_HOUR * self.lower / self.LAG_HOURS


class Measurement(NamedTuple):
    kind: str
    value: float
    label: str = ""


class Station:
    def __init__(self, spec: SensorSpec, rng: random.Random):
        self.spec, self.rng = spec, rng
        self.pollution = rng.uniform(0.8, 1.25)      # local sources
        self.pm10_ratio = rng.uniform(1.5, 1.9)
        self.so2_background = rng.uniform(4, 18)     # industry nearby, µg/m³
        self.traffic = rng.uniform(0.6, 1.3)         # how much traffic passes by
        self.rain_share = rng.uniform(0.7, 1.3)
        self.temperature_offset = rng.uniform(-0.6, 0.6)
        self.pm_anomaly = 0.0                        # log scale; polluted days persist
        self.river = RiverGauge(rng.uniform(1.2, 2.5)) if "water_level" in spec.kinds else None

    def measure(self, now: datetime, hours: float, weather: Weather) -> list[Measurement]:
        gauss, h, month = self.rng.gauss, local_hour(now), now.astimezone(ICT).month
        load, rain = traffic_load(now) * self.traffic, weather.rain * self.rain_share
        persistence = math.exp(-hours / 6)
        self.pm_anomaly = (persistence * self.pm_anomaly
                           + gauss(0, 0.25 * math.sqrt(1 - persistence ** 2)))
        washout = 1 / (1 + rain / 8)
        pm25 = (MEAN_PM25[month - 1] * inversion(h) * self.pollution * math.exp(self.pm_anomaly)
                + 10 * load) * washout
        values = [
            Measurement("pm25", pm25),
            Measurement("pm10", pm25 * self.pm10_ratio * (1 + gauss(0, 0.03))),
            Measurement("o3", 15 + 85 * (sunlight(h) * (0.4 if rain else 1)) ** 1.3 + gauss(0, 3)),
            Measurement("no2", 10 + 38 * load + 6 * (inversion(h) - 1) + gauss(0, 2)),
            Measurement("so2", self.so2_background * math.sqrt(inversion(h)) + gauss(0, 1)),
            Measurement("co", 450 + 1500 * load + 400 * (inversion(h) - 0.55) + gauss(0, 60)),
            Measurement("temperature", MEAN_TEMPERATURE[month - 1] + 4 * warmth(h)
                        - (2.5 if rain else 0) + self.temperature_offset + gauss(0, 0.2)),
            Measurement("humidity", min(100.0, 78 - 14 * warmth(h) + (15 if rain else 0)
                                        + gauss(0, 2))),
            Measurement("noise", 44 + 17 * math.log10(1 + 25 * load) + gauss(0, 1.5)),
            Measurement("rainfall", rain * hours),
        ]
        if self.river:
            values.append(Measurement("water_level", self.river.advance(rain, hours)))
        return [m._replace(value=round(max(0.0, m.value), 2)) for m in values]


class Camera:
    def __init__(self, spec: SensorSpec, rng: random.Random):
        self.spec, self.rng = spec, rng
        self.busyness = rng.uniform(0.5, 1.3)
        self.free_speed = rng.uniform(40, 55)        # km/h

    def measure(self, now: datetime, hours: float, weather: Weather) -> list[Measurement]:
        gauss = self.rng.gauss
        load = traffic_load(now) * self.busyness
        values = [Measurement("vehicle_count", poisson(self.rng, rush * load * hours * 60), label)
                  for label, rush in RUSH_VEHICLES_PER_MINUTE.items()]
        occupancy = min(100.0, max(0.0, 3 + 70 * load ** 1.2 + (8 if weather.rain else 0)
                                   + gauss(0, 2)))
        slowed = 0.85 if weather.rain > 10 else 1.0
        speed = max(3.0, self.free_speed * (1 - 0.65 * (occupancy / 100) ** 1.2) * slowed
                    + gauss(0, 1.5))
        congestion = sum(speed / self.free_speed < band for band in CONGESTION_SPEED_RATIOS)
        values += [Measurement("mean_speed", round(speed, 1)),
                   Measurement("occupancy", round(occupancy, 1)),
                   Measurement("congestion_level", congestion)]
        return values + self.incidents(hours, load, weather)

    def incidents(self, hours: float, load: float, weather: Weather) -> list[Measurement]:
        rates = {"accident": INCIDENTS_PER_HOUR["accident"] * (1 + 3 * load),
                 "stopped_vehicle": INCIDENTS_PER_HOUR["stopped_vehicle"],
                 "flooding": FLOODING_PER_HOUR_IN_HEAVY_RAIN
                 if weather.rain >= HEAVY_RAIN_MM_PER_HOUR else 0.0}
        return [Measurement("incident", 1, label) for label, rate in rates.items()
                if self.rng.random() < rate * hours]


# The simulation ---------------------------------------------------------------------------
class CitySimulator:
    def __init__(self, fleet: list[SensorSpec], seed: int = 1, start: datetime | None = None,
                 interval_seconds: float = 60, faults: tuple[Fault, ...] = ()):
        self.fleet = fleet
        self.now = start or datetime.now(ICT)
        self.interval = timedelta(seconds=interval_seconds)
        self.weather = Weather(random.Random(f"{seed}/weather"))
        self.models = [(Camera if spec.family == CAMERA else Station)(
            spec, random.Random(f"{seed}/{spec.id}")) for spec in fleet]
        self.faults = faults
        self.last_good: dict[str, list[Measurement]] = {}   # what a stuck sensor repeats

    def step(self) -> list[Reading]:
        """Every sensor's readings at the current simulated time, then the clock moves on."""
        hours = self.interval.total_seconds() / 3600
        self.weather.advance(self.now, hours)
        readings = []
        for model in self.models:
            measured = model.measure(self.now, hours, self.weather)
            readings += self.reported(model.spec.id, measured)
        self.now += self.interval
        return readings

    def reported(self, sensor_id: str, measured: list[Measurement]) -> list[Reading]:
        """What the sensor sends, faults and all."""
        faults = {f.kind: f for f in self.faults if f.sensor_id == sensor_id and f.active(self.now)}
        if "dropout" in faults:
            return []
        if "stuck" in faults:
            measured = self.last_good.get(sensor_id, measured)
        else:
            self.last_good[sensor_id] = [m for m in measured if m.kind != "incident"]
        if "spike" in faults:
            factor = faults["spike"].amount or DEFAULT_SPIKE_FACTOR
            measured = [m._replace(value=round(m.value * factor, 2)) if m.kind != "incident" else m
                        for m in measured]
        skew = faults["clock_skew"].amount if "clock_skew" in faults else 0.0
        stamp = self.now + timedelta(seconds=skew)
        return [Reading(sensor_id, m.kind, float(m.value), UNITS[m.kind], stamp, m.label)
                for m in measured]


def produce(simulator: CitySimulator, spool: Spool, speed: float, stop: threading.Event,
            clock=time.time, until: datetime | None = None):
    """Spools each step's readings, simulated time running speed× faster than real
    time but never ahead of the wall clock (the service refuses future readings):
    a simulation started in the past replays it compressed, then goes on live,
    until stopped or, given until, until the simulated clock reaches it.
    Each step records the simulated clock, to resume from after a restart."""
    real_start, simulated_start = clock(), simulator.now.timestamp()
    while until is None or simulator.now < until:
        simulated = simulator.now.timestamp()
        due = max(real_start + (simulated - simulated_start) / speed, simulated)
        if stop.wait(max(0.0, due - clock())):
            return
        readings = simulator.step()
        spool.append(readings, checkpoint=simulator.now.isoformat())

