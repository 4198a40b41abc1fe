"""VN_AQI (Decision 1459/QĐ-TCMT): hand-worked examples, the decision's own
worked examples (§2.3), edge cases, and a station fed raw readings."""
import calendar
import json

import pytest

from sensors.aqi import (
    BANDS,
    BandChange,
    StationAirQuality,
    band_of,
    daily_aqi,
    hourly_aqi,
    nowcast,
    pollutant_index,
    round_aqi,
)

HOUR = 3600


def local(year, month, day, hour=0, minute=0):
    """Epoch seconds of a Vietnamese local time (UTC+7)."""
    return calendar.timegm((year, month, day, hour, minute, 0)) - 7 * HOUR


def aqi_of(scale, concentration):
    return round_aqi(pollutant_index(scale, concentration))


# --- the decision's worked examples (§2.3) -----------------------------------------


def test_nowcast_worked_example():
    # PM2.5 hourly means 09:00..20:00, listed here most recent (20:00) first.
    # w* = Cmin/Cmax = 16.5/26.9 = 0.613 > 0.5, so w = 0.613;
    # NowCast = Σ w^(i-1)·c_i / Σ w^(i-1) = 20.27, printed as 20.3.
    hours = [20.6, 19.6, 22.4, 20.3, 16.5, 19.0, 16.5, 19.5, 23.5, 20.5, 24.7, 26.9]
    value = nowcast(hours)
    assert value == pytest.approx(20.27, abs=0.005)
    # AQI = (50 - 0)/(25 - 0) × (20.27 - 0) + 0 = 40.5 → 41
    assert aqi_of("pm25", value) == 41


def test_hourly_worked_example():
    # O3:    50/160 × 136.1              = 42.53 → 43
    # NO2:   50 + (100-50)/(200-100) × (118.7 - 100) = 59.35 → 59. The decision
    #        prints 60 here, an arithmetic slip: 18.7 × 0.5 = 9.35.
    # PM2.5: 50/25 × 20.3                = 40.6  → 41
    # AQI^h = max = 59, set by NO2.
    result = hourly_aqi({"o3": 136.1, "no2": 118.7, "pm25": 20.3})
    assert result.pollutant_aqi == {"pm25": 41, "o3": 43, "no2": 59}
    assert (result.aqi, result.dominant, result.band) == (59, "no2", "moderate")


def test_daily_worked_example():
    # O3 8h max 89.3:  50/100 × 89.3  = 44.65 → 45
    # O3 1h max 114.6: 50/160 × 114.6 = 35.8  → 36; O3 takes the larger, 45
    # NO2 1h max 130.8: 50 + 0.5 × 30.8 = 65.4 → 65
    # PM2.5 24h 55.7:  100 + (150-100)/(80-50) × (55.7 - 50) = 109.5 → 110
    result = daily_aqi(pm25_24h=55.7, o3_1h_max=114.6, o3_8h_max=89.3, no2_1h_max=130.8)
    assert result.pollutant_aqi == {"pm25": 110, "o3": 45, "no2": 65}
    assert (result.aqi, result.dominant, result.band) == (110, "pm25", "poor")


# --- hand-worked values ----------------------------------------------------------


@pytest.mark.parametrize("o3, expected, band", [
    (80, 25, "good"),           # 50/160 × 80                 = 25
    (180, 75, "moderate"),      # 50 + 50 × (180-160)/(200-160) = 75
    (250, 125, "poor"),         # 100 + 50 × (250-200)/(300-200) = 125
    (350, 175, "bad"),          # 150 + 50 × (350-300)/(400-300) = 175
    (600, 250, "very_bad"),     # 200 + 100 × (600-400)/(800-400) = 250
    (900, 350, "hazardous"),    # 300 + 100 × (900-800)/(1000-800) = 350
    (1100, 450, "hazardous"),   # 400 + 100 × (1100-1000)/(1200-1000) = 450
])
def test_o3_one_hour_in_each_band(o3, expected, band):
    result = hourly_aqi({"o3": o3, "pm25": 0})
    assert (result.aqi, result.band, result.dominant) == (expected, band, "o3")


def test_nowcast_weight_floor_of_one_half():
    # c = 40, 20, then ten hours of 10: w* = 10/40 = 0.25 ≤ 0.5, so w = 0.5.
    # Σ w^(i-1)·c_i = 40 + 0.5×20 + 10×(0.5² + … + 0.5¹¹) = 50 + 4.995 = 54.995
    # Σ w^(i-1)     = 2 - 0.5¹¹ = 1.9995            → NowCast = 27.504
    # The decision's printed form Σ 0.5^i·c_i = 20 + 5 + 2.4976 = 27.498, the
    # same to 0.03 %. AQI = 2 × 27.5 = 55.0 → 55.
    hours = [40, 20] + [10] * 10
    assert nowcast(hours) == pytest.approx(27.504, abs=0.001)
    assert nowcast(hours) == pytest.approx(sum(0.5 ** i * c for i, c in enumerate(hours, 1)),
                                           rel=3e-4)
    assert aqi_of("pm25", nowcast(hours)) == 55


def test_nowcast_with_missing_hours():
    # c2 missing weighs 0: w* = 10/20 = 0.5 → w = 0.5;
    # (1×20 + 0.25×10) / (1 + 0.25) = 22.5 / 1.25 = 18
    assert nowcast([20, None, 10]) == pytest.approx(18.0)
    # 2 of c1, c2, c3 are needed, whichever two.
    assert nowcast([None, 30, 30]) == pytest.approx(30.0)
    assert nowcast([None, None, 30, 30, 30]) is None
    assert nowcast([30]) is None
    assert nowcast([0, 0, 0]) == 0.0


def test_values_exactly_on_breakpoints():
    # The interpolation is continuous: a breakpoint gives its level's I_i on
    # either side, and the band is that of the rounded AQI.
    assert aqi_of("pm25", 25) == 50 and band_of(50).code == "good"
    assert aqi_of("pm25", 50) == 100 and band_of(100).code == "moderate"
    # 100 + 50/30 × 0.3 = 100.5, rounded half up → 101, poor
    assert aqi_of("pm25", 50.3) == 101 and band_of(101).code == "poor"
    assert aqi_of("pm10", 150) == 100
    assert aqi_of("co", 10_000) == 50
    assert aqi_of("no2", 2350) == 300
    assert aqi_of("o3_8h", 400) == 300


def test_concentrations_above_the_table():
    # Level 8 of Table 2 reads "≥": at or above it the AQI is 500.
    assert aqi_of("pm25", 500) == 500
    assert aqi_of("pm25", 1000) == 500
    assert aqi_of("co", 200_000) == 500
    # 400 + 100 × (550 - 500)/(600 - 500) = 450
    assert aqi_of("pm10", 550) == 450
    # O3 8-hour stops at 400 µg/m³ (AQI 300); above it is not computed.
    assert pollutant_index("o3_8h", 400.1) is None


def test_daily_o3_falls_back_to_one_hour_above_the_8_hour_table():
    # 8h max 450 > 400: no 8-hour AQI. 1h max 500: 200 + 100 × (500-400)/(800-400) = 225.
    # PM2.5 24h 10: 50/25 × 10 = 20. AQI^d = 225, very bad, set by O3.
    result = daily_aqi(pm25_24h=10, o3_1h_max=500, o3_8h_max=450)
    assert result.pollutant_aqi == {"pm25": 20, "o3": 225}
    assert (result.aqi, result.band, result.dominant) == (225, "very_bad", "o3")


def test_no_aqi_without_particulates():
    # §2.1.b: PM2.5 or PM10 must be among the pollutants.
    assert hourly_aqi({"o3": 500, "no2": 300}) is None
    assert daily_aqi(o3_1h_max=500) is None
    assert hourly_aqi({"pm10": 50}).aqi == 50


def test_ties_name_pm25_dominant():
    # PM2.5 25 → 50 and O3 160 → 50.
    assert hourly_aqi({"o3": 160, "pm25": 25}).dominant == "pm25"


def test_bands_of_table_1():
    assert [(b.low, b.high) for b in BANDS] == [(0, 50), (51, 100), (101, 150), (151, 200),
                                                 (201, 300), (301, 500)]
    assert [(b.code, b.name_vi, b.colour) for b in BANDS] == [
        ("good", "Tốt", "green"), ("moderate", "Trung bình", "yellow"),
        ("poor", "Kém", "orange"), ("bad", "Xấu", "red"),
        ("very_bad", "Rất xấu", "purple"), ("hazardous", "Nguy hại", "brown")]
    assert band_of(0).rgb == (0, 228, 0) and band_of(500).rgb == (126, 0, 35)
    assert [band_of(aqi).code for aqi in (50, 51, 150, 151, 200, 201, 300, 301)] == [
        "good", "moderate", "poor", "bad", "bad", "very_bad", "very_bad", "hazardous"]


# --- a station fed raw readings ----------------------------------------------------

DAY0 = local(2024, 6, 2)   # local midnight, 2024-06-01 17:00 UTC


def feed(station, kind, values_by_hour, first_hour=DAY0, minutes=(10, 40)):
    """Each hourly value as readings at the given minutes of its hour."""
    changes = []
    for i, value in enumerate(values_by_hour):
        for minute in minutes:
            changes += station.observe(kind, value, first_hour + i * HOUR + minute * 60)
    return changes


def test_hourly_band_changes_as_hours_complete():
    station = StationAirQuality()
    # Hours 0-2 at 10 µg/m³. Hour 0 alone has no NowCast (it needs 2 of the 3
    # latest hours); hour 1 has: NowCast 10 → AQI 20, good, declared when the
    # first reading of hour 2 closes hour 1.
    changes = feed(station, "pm25", [10, 10, 10])
    assert changes == [BandChange("hourly", 20, "good", "", "pm25", DAY0 + HOUR)]
    # Hour 3: readings 90 and 110, mean 100. c = 100, 10, 10, 10: w* = 0.1 → 0.5;
    # NowCast = (100 + 0.5×10 + 0.25×10 + 0.125×10)/(1 + 0.5 + 0.25 + 0.125)
    #         = 108.75 / 1.875 = 58 → AQI 100 + 50/30 × 8 = 113.3 → 113, poor.
    assert station.observe("pm25", 90, DAY0 + 3 * HOUR + 60) == []     # closes hour 2: still good
    assert station.observe("pm25", 110, DAY0 + 3 * HOUR + 120) == []
    assert station.advance(DAY0 + 4 * HOUR) == [
        BandChange("hourly", 113, "poor", "good", "pm25", DAY0 + 3 * HOUR)]
    assert station.current(DAY0 + 4 * HOUR + 5).hourly.aqi == 113


def test_readings_of_other_kinds_are_ignored():
    station = StationAirQuality()
    assert station.observe("temperature", 35, DAY0) == []
    assert station.snapshot()["hours"] == {}


def test_missing_hours_end_the_nowcast_and_keep_the_band():
    station = StationAirQuality()
    feed(station, "pm25", [20, 20, 20])
    # No data from hour 3: hour 3 still has a NowCast (c2, c3 present), hour 4
    # has one of its three latest hours only, so no AQI and no band change.
    assert station.advance(DAY0 + 6 * HOUR) == []
    assert station.current(DAY0 + 4 * HOUR).hourly.aqi == 40   # hour 3: 50/25 × 20
    assert station.current(DAY0 + 5 * HOUR).hourly is None     # hour 4
    # Data again: the band is compared with the last one known, still good.
    assert feed(station, "pm25", [200, 200], first_hour=DAY0 + 8 * HOUR) == []
    assert station.advance(DAY0 + 10 * HOUR)[0].band == "very_bad"


def test_daily_aqi_from_the_decisions_o3_series():
    # §2.2.2.a's example: O3 hourly means labelled by the hour they end, from
    # 18:00 the day before to 00:00 closing the day. The 8-hour mean ending at
    # 17:00 (10:00..17:00) = (49.2 + 55.8 + 69.6 + 78.3 + 91.5 + 97.7 + 81.2 + 71.8)/8
    # = 74.39, the day's highest → 50/100 × 74.39 = 37.2 → 37. The 1-hour
    # maximum 97.7 would give only 50/160 × 97.7 = 30.5 → 31.
    o3 = [15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7,              # the day before, 18:00..00:00
          22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6, 45.7, 49.2, 55.8, 69.6,
          78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3]
    station = StationAirQuality()
    first = DAY0 - 7 * HOUR   # the hour labelled 18:00 starts at 17:00
    feed(station, "o3", o3, first_hour=first, minutes=(30,))
    feed(station, "pm25", [10] * len(o3), first_hour=first, minutes=(31,))   # PM2.5 AQI 20
    station.advance(DAY0 + 24 * HOUR)
    daily = station.current(DAY0 + 24 * HOUR).daily
    assert daily.pollutant_aqi == {"pm25": 20, "o3": 37}
    assert (daily.aqi, daily.dominant) == (37, "o3")


def test_daily_band_changes_at_local_midnight():
    station = StationAirQuality()
    # PM2.5 30 µg/m³ all day: 24-hour mean 30 → 50 + 50/25 × 5 = 60, moderate.
    feed(station, "pm25", [30] * 24)
    before_midnight = DAY0 + 24 * HOUR - 1   # 16:59:59 UTC
    assert [c.period for c in station.advance(before_midnight)] == []
    changes = station.observe("pm25", 30, DAY0 + 24 * HOUR)   # 17:00 UTC = 00:00 local
    assert BandChange("daily", 60, "moderate", "", "pm25", DAY0) in changes
    assert station.current(DAY0 + 25 * HOUR).daily.aqi == 60


def test_late_reading_counts_without_reopening_its_hour():
    station = StationAirQuality()
    feed(station, "pm25", [10, 10])
    assert station.observe("pm25", 70, DAY0 + 20 * 60) == []   # hour 0, already closed
    # Hour 0 now averages (10 + 10 + 70)/3 = 30; hour 1's NowCast uses it:
    # w* = 10/30 → 0.5; (10 + 0.5×30)/1.5 = 16.7 → 2 × 16.67 = 33.
    assert station.current(DAY0 + 2 * HOUR).hourly.aqi == 33


def test_snapshot_restores_the_same_behaviour():
    original = StationAirQuality()
    feed(original, "pm25", [10, 12, 15, 30])
    feed(original, "no2", [150, 160, 250, 320], minutes=(20,))
    restored = StationAirQuality.from_snapshot(json.loads(json.dumps(original.snapshot())))
    assert restored.snapshot() == original.snapshot()
    more = [60, 120, 180, 40] * 8   # into the next day
    assert feed(restored, "pm25", more, first_hour=DAY0 + 4 * HOUR) == \
        feed(original, "pm25", more, first_hour=DAY0 + 4 * HOUR)
    assert restored.current(DAY0 + 40 * HOUR) == original.current(DAY0 + 40 * HOUR)


def test_keeps_only_the_hours_it_needs():
    station = StationAirQuality()
    feed(station, "pm25", [20] * 24 * 5)   # five days
    hours = sorted(int(h) for h in station.snapshot()["hours"])
    # The open day's hours plus the 12 before it; no more.
    assert hours[0] == DAY0 + 4 * 24 * HOUR - 12 * HOUR
    assert len(hours) == 12 + 24
