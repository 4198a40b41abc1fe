"""Vietnam's air quality index, VN_AQI, as Decision 1459/QĐ-TCMT of 12/11/2019
(Tổng cục Môi trường, "Hướng dẫn kỹ thuật tính toán và công bố chỉ số chất
lượng không khí Việt Nam") defines it. Section numbers below are the
guideline's.

Concentrations are µg/m³ for every pollutant, CO included, as in Table 2.
Times are epoch seconds; the decision's hours and days are Vietnamese local
time (UTC+7, no daylight saving).
"""
import math
from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

VIETNAM_UTC_OFFSET = 7 * 3600
HOUR = 3600
DAY = 24 * HOUR

# Table 2 (Bảng 2): the AQI value I_i of each level i = 1..8 ...
AQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
# ... and the concentration breakpoints BP_i of each pollutant, µg/m³. Level 8
# reads "≥" (e.g. "≥500" for PM2.5): at or above it the AQI is 500. O3 8-hour
# has no levels 7 and 8.
BREAKPOINTS = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 120, 170, 210, 400),
    "co": (0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}
# §2.2.2.b: no O3 8-hour AQI when the day's highest 8-hour mean is above
# 400 µg/m³; the 1-hour maximum alone then gives O3's AQI.
O3_8H_CEILING = 400.0

# §2.1.b: the six pollutants, of which PM2.5 or PM10 must be present. The
# order breaks ties when two pollutants give the same AQI.
POLLUTANTS = ("pm25", "pm10", "o3", "no2", "so2", "co")
PARTICULATES = ("pm25", "pm10")
GASES = ("o3", "no2", "so2", "co")
NOWCAST_HOURS = 12


@dataclass(frozen=True)
class Band:
    """A row of Table 1 (Bảng 1): an AQI range, its assessment and colour."""
    code: str
    name_vi: str
    name_en: str
    colour: str
    colour_vi: str
    rgb: tuple[int, int, int]
    low: int
    high: int


BANDS = (
    Band("good", "Tốt", "Good", "green", "Xanh", (0, 228, 0), 0, 50),
    Band("moderate", "Trung bình", "Moderate", "yellow", "Vàng", (255, 255, 0), 51, 100),
    Band("poor", "Kém", "Poor", "orange", "Da cam", (255, 126, 0), 101, 150),
    Band("bad", "Xấu", "Bad", "red", "Đỏ", (255, 0, 0), 151, 200),
    Band("very_bad", "Rất xấu", "Very bad", "purple", "Tím", (143, 63, 151), 201, 300),
    Band("hazardous", "Nguy hại", "Hazardous", "brown", "Nâu", (126, 0, 35), 301, 500),
)


@dataclass(frozen=True)
class AqiResult:
    """An hourly or daily VN_AQI: the rounded maximum of the pollutant AQIs."""
    aqi: int
    band: str                       # a Band code
    dominant: str                   # the pollutant that sets it
    pollutant_aqi: dict[str, int]   # every pollutant that could be computed


def band_of(aqi: int) -> Band:
    return next(band for band in BANDS if aqi <= band.high)


def round_aqi(value: float) -> int:
    """§2.2.1.c and §2.2.2.c: AQIs are rounded to whole numbers, here half up
    (the worked example's 109.5 is published as 110). Rounding to 6 decimals
    first undoes float error such as 109.49999999."""
    return math.floor(round(value, 6) + 0.5)


def pollutant_index(scale: str, concentration: float) -> float | None:
    """Formula 1 of §2.2.1.b (Formula 2 is the same with a NowCast): linear
    interpolation in Table 2. `scale` is a key of BREAKPOINTS. None for an
    O3 8-hour mean above the table."""
    if scale == "o3_8h" and concentration > O3_8H_CEILING:
        return None
    value = max(concentration, 0.0)   # a sensor's small negative drift is clean air
    breakpoints = BREAKPOINTS[scale]
    for level in range(1, len(breakpoints)):
        low, high = breakpoints[level - 1], breakpoints[level]
        if value <= high:
            i_low, i_high = AQI_LEVELS[level - 1], AQI_LEVELS[level]
            return i_low + (i_high - i_low) * (value - low) / (high - low)
    return float(AQI_LEVELS[-1])


def nowcast(recent_hours: Sequence[float | None]) -> float | None:
    """§2.2.1.a: the NowCast of PM2.5 or PM10 from hourly means, most recent
    first (c1 = the hour just ended, c12 = eleven hours before it); None
    marks a missing hour.

    w* = Cmin / Cmax over the 12 hours, floored at 1/2, and NowCast is the
    mean weighted by w^(i-1), a missing hour weighing 0. It needs 2 of c1, c2,
    c3, else there is no NowCast. For w = 1/2 the decision prints the sum
    Σ (1/2)^i·c_i, i.e. the same weighted mean with its denominator
    Σ (1/2)^(i-1) = 2 - 2^-11 rounded to 2; the exact denominator is kept here
    so that missing hours do not drag the value down.
    """
    hours = list(recent_hours[:NOWCAST_HOURS])
    if sum(c is not None for c in hours[:3]) < 2:
        return None
    present = [(i, c) for i, c in enumerate(hours) if c is not None]
    highest = max(c for _, c in present)
    if highest <= 0:
        return 0.0
    weight = max(min(c for _, c in present) / highest, 0.5)
    weights = [weight ** i for i, _ in present]
    return sum(w * c for w, (_, c) in zip(weights, present)) / sum(weights)


def hourly_aqi(concentrations: Mapping[str, float]) -> AqiResult | None:
    """§2.2.1: the hourly AQI from the NowCasts of "pm25"/"pm10" and the
    1-hour means of "o3", "no2", "so2", "co" (O3 on its 1-hour scale).
    Pollutants not measured are left out; None without PM2.5 or PM10."""
    indices = {pollutant: pollutant_index("o3_1h" if pollutant == "o3" else pollutant, value)
               for pollutant, value in concentrations.items()}
    return _combine(indices)


def daily_aqi(*, pm25_24h: float | None = None, pm10_24h: float | None = None,
              o3_1h_max: float | None = None, o3_8h_max: float | None = None,
              no2_1h_max: float | None = None, so2_1h_max: float | None = None,
              co_1h_max: float | None = None) -> AqiResult | None:
    """§2.2.2: the daily AQI from the day's 24-hour means of PM, highest
    1-hour means of the gases, and highest 8-hour mean of O3. O3's AQI is the
    larger of its 1-hour and 8-hour AQIs. None without PM2.5 or PM10."""
    o3 = [index for index in (_index("o3_1h", o3_1h_max), _index("o3_8h", o3_8h_max))
          if index is not None]
    return _combine({
        "pm25": _index("pm25", pm25_24h),
        "pm10": _index("pm10", pm10_24h),
        "o3": max(o3, default=None),
        "no2": _index("no2", no2_1h_max),
        "so2": _index("so2", so2_1h_max),
        "co": _index("co", co_1h_max),
    })


def _index(scale: str, concentration: float | None) -> float | None:
    return None if concentration is None else pollutant_index(scale, concentration)


def _combine(indices: Mapping[str, float | None]) -> AqiResult | None:
    """§2.2.1.c / §2.2.2.c: the maximum of the pollutant AQIs, which needs PM."""
    present = {p: indices[p] for p in POLLUTANTS if indices.get(p) is not None}
    if not any(p in present for p in PARTICULATES):
        return None
    dominant = max(present, key=present.get)   # first in POLLUTANTS order on ties
    aqi = round_aqi(present[dominant])
    return AqiResult(aqi=aqi, band=band_of(aqi).code, dominant=dominant,
                     pollutant_aqi={p: round_aqi(index) for p, index in present.items()})


def hour_start(t: float) -> int:
    return math.floor(t / HOUR) * HOUR


def local_day_start(t: float) -> int:
    """Epoch seconds of the Vietnamese midnight that begins t's day."""
    return math.floor((t + VIETNAM_UTC_OFFSET) / DAY) * DAY - VIETNAM_UTC_OFFSET


@dataclass(frozen=True)
class BandChange:
    """A station's hourly or daily AQI entered another band."""
    period: str          # "hourly" | "daily"
    aqi: int
    band: str
    previous_band: str   # "" for the station's first
    dominant: str
    period_start: int    # epoch seconds: the hour's start, or the local day's


@dataclass(frozen=True)
class AirQualityStatus:
    hourly: AqiResult | None   # of the last hour ended
    hour_start: int
    daily: AqiResult | None    # of the last local day ended
    day_start: int


class StationAirQuality:
    """One station's VN_AQI, fed raw readings.

    Readings are averaged per clock hour. An hour closes when a reading of a
    later hour arrives or `advance(now)` passes its end; its hourly AQI is
    computed then, and a local day's daily AQI when its last hour closes. A
    late reading still counts in its hour's mean (and so in NowCasts and daily
    values computed afterwards) but does not reopen a closed period.

    Keeps the hourly sums of the open local day, of the 12 hours before it
    (8-hour means and NowCasts reach back that far), and of any hour not yet
    closed, plus the last daily result and the band of each period.
    """

    def __init__(self):
        # hour start → pollutant → [sum, count] of its readings
        self._hours: dict[int, dict[str, list[float]]] = {}
        self._closed_until: int | None = None                 # every hour before it is closed
        self._bands = {"hourly": "", "daily": ""}
        self._last_daily: tuple[int, AqiResult] | None = None

    def observe(self, kind: str, value: float, t: float) -> list[BandChange]:
        """Counts a reading; returns the band changes of the periods it closes.
        Kinds other than the six pollutants are ignored."""
        if kind not in POLLUTANTS or not math.isfinite(value):
            return []
        hour = hour_start(t)
        if hour == self._closed_until:    # the open hour, as nearly every reading is
            self._count(hour, kind, value)
            return []
        changes = self._close_before(hour)
        if self._closed_until is None:
            self._closed_until = hour
        if hour >= self._retained_from():
            self._count(hour, kind, value)
        return changes

    def _count(self, hour: int, kind: str, value: float):
        totals = self._hours.setdefault(hour, {}).setdefault(kind, [0.0, 0])
        totals[0] += value
        totals[1] += 1

    def advance(self, now: float) -> list[BandChange]:
        """Closes the hours ended by `now`, for stations that fell silent."""
        return self._close_before(hour_start(now))

    def current(self, now: float) -> AirQualityStatus:
        """The AQIs of the last hour and the last local day ended by `now`;
        changes no state."""
        hour = hour_start(now) - HOUR
        day = local_day_start(now) - DAY
        return AirQualityStatus(hourly=self._hourly_aqi(hour), hour_start=hour,
                                daily=self._daily_result(day), day_start=day)

    def snapshot(self) -> dict:
        return {
            "hours": {str(hour): {p: list(totals) for p, totals in pollutants.items()}
                      for hour, pollutants in self._hours.items()},
            "closed_until": self._closed_until,
            "bands": dict(self._bands),
            "last_daily": None if self._last_daily is None else
            {"day_start": self._last_daily[0], **asdict(self._last_daily[1])},
        }

    @classmethod
    def from_snapshot(cls, data: dict) -> "StationAirQuality":
        station = cls()
        station._hours = {int(hour): {p: list(totals) for p, totals in pollutants.items()}
                          for hour, pollutants in data["hours"].items()}
        station._closed_until = data["closed_until"]
        station._bands = dict(data["bands"])
        if data["last_daily"] is not None:
            daily = dict(data["last_daily"])
            station._last_daily = (daily.pop("day_start"), AqiResult(**daily))
        return station

    def _close_before(self, boundary: int) -> list[BandChange]:
        if self._closed_until is None or boundary <= self._closed_until:
            return []
        # Each period's result in the order the periods end; an hour before
        # the day it ends.
        periods = sorted(
            [(hour + HOUR, 0, "hourly", hour) for hour in self._hours_ending_before(boundary)]
            + [(day + DAY, 1, "daily", day) for day in self._days_ending_by(boundary)])
        changes = [self._close(period, start) for _, _, period, start in periods]
        self._closed_until = boundary
        self._drop_hours_before(self._retained_from())
        return [change for change in changes if change is not None]

    def _hours_ending_before(self, boundary: int) -> set[int]:
        # An hour can have an AQI only if it or one of the two before it has
        # data: a NowCast needs 2 of its 3 latest hours.
        candidates = {hour + k * HOUR for hour in self._hours for k in range(3)}
        return {hour for hour in candidates if self._closed_until <= hour < boundary}

    def _days_ending_by(self, boundary: int) -> set[int]:
        days = {local_day_start(hour) for hour in self._hours}
        return {day for day in days if self._closed_until < day + DAY <= boundary}

    def _close(self, period: str, start: int) -> BandChange | None:
        if period == "hourly":
            result = self._hourly_aqi(start)
        else:
            result = self._daily_aqi(start)
            if result is not None:
                self._last_daily = (start, result)
        previous = self._bands[period]
        if result is None or result.band == previous:
            return None
        self._bands[period] = result.band
        return BandChange(period=period, aqi=result.aqi, band=result.band, previous_band=previous,
                          dominant=result.dominant, period_start=start)

    def _hourly_aqi(self, hour: int) -> AqiResult | None:
        concentrations = {}
        for pollutant in PARTICULATES:
            recent = [self._mean(hour - i * HOUR, pollutant) for i in range(NOWCAST_HOURS)]
            concentrations[pollutant] = nowcast(recent)
        for pollutant in GASES:
            concentrations[pollutant] = self._mean(hour, pollutant)
        return hourly_aqi({p: c for p, c in concentrations.items() if c is not None})

    def _daily_result(self, day: int) -> AqiResult | None:
        if self._last_daily is not None and self._last_daily[0] == day:
            return self._last_daily[1]
        if self._closed_until is not None and day + DAY <= self._closed_until:
            return None   # closed without a result: too little data
        return self._daily_aqi(day)

    def _daily_aqi(self, day: int) -> AqiResult | None:
        """§2.2.2.a: the day runs from its 01:00 to the next 00:00 in the
        decision's end-of-hour labels, i.e. the hours starting 00:00 to 23:00."""
        hours = [day + i * HOUR for i in range(24)]
        means = {p: [m for hour in hours if (m := self._mean(hour, p)) is not None]
                 for p in POLLUTANTS}
        return daily_aqi(
            pm25_24h=_average(means["pm25"]), pm10_24h=_average(means["pm10"]),
            o3_1h_max=max(means["o3"], default=None), o3_8h_max=self._highest_8h_o3(hours),
            no2_1h_max=max(means["no2"], default=None), so2_1h_max=max(means["so2"], default=None),
            co_1h_max=max(means["co"], default=None))

    def _highest_8h_o3(self, hours: list[int]) -> float | None:
        """§2.2.2.a: one 8-hour mean ends at each hour of the day (the first
        reaching 7 hours into the day before); a mean needs all 8 hours."""
        means = []
        for last in hours:
            window = [self._mean(last - i * HOUR, "o3") for i in range(8)]
            if None not in window:
                means.append(sum(window) / 8)
        return max(means, default=None)

    def _mean(self, hour: int, pollutant: str) -> float | None:
        totals = self._hours.get(hour, {}).get(pollutant)
        return totals[0] / totals[1] if totals else None

    def _retained_from(self) -> int:
        return local_day_start(self._closed_until) - 12 * HOUR

    def _drop_hours_before(self, cutoff: int):
        for hour in [hour for hour in self._hours if hour < cutoff]:
            del self._hours[hour]


def _average(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
