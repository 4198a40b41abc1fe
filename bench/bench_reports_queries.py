"""Read-side query latency with 100,000 reports stored, PostgreSQL.

    .venv/bin/python bench/bench_reports_queries.py [--reports N] [--calls C] [--quick]

Creates the reports read model (the projection's own CREATE TABLE and INDEX
statements) in a fresh schema of a throw-away database, then loads N reports
(default 100,000) straight into its table with COPY: two years of a province's
reports, clustered in the city, skewed across categories and reporters, mostly
closed, a few thousand open and some of them overdue. Replaying 100,000
reports' events through the projection would only make the load slower; the
tables and indexes end up the same, and VACUUM ANALYZE then leaves the planner
statistics and visibility map as autovacuum would. Then times C calls
(default 300) of each query through ReportsQueries, one at a time, and prints
p50/p99 and, for the public feed and the staff queue, the issue's target:
p99 ≤ 50 ms.
"""
import argparse
import contextlib
import json
import math
import os
import random
import sys
import time
import uuid

from _common import ROOT, harness, percentile

sys.path.insert(0, os.path.join(ROOT, "services", "reports"))

import psycopg  # noqa: E402

from kit.adminunits import AdministrativeUnits  # noqa: E402
from kit.eventstore import EventSourcedApplication, persistence_env  # noqa: E402
from kit.projections import ReadModel  # noqa: E402
from reports.readmodel import (NEWEST, OPEN_STATUSES, STATUSES, ReportsProjection,  # noqa: E402
                               ReportsQueries, encode_token)

TARGET_P99_MS = 50.0
PROVINCE = "19"                         # Thái Nguyên
CITY_CENTRE = (21.5928, 105.8442)
PROVINCE_BOX = (21.35, 105.50, 22.05, 106.20)
DAY, HOUR = 86400, 3600
HISTORY_DAYS = 730
RECENT_DAYS = 30                        # reports younger than this may still be open
REPORTERS = 20_000
SCHEMA = "reports_bench"

# (code, agency, deadline hours, weight)
CATEGORIES = (
    ("pothole", "Sở Xây dựng", 72, 25), ("broken_streetlight", "Sở Xây dựng", 48, 12),
    ("sidewalk", "Sở Xây dựng", 120, 6), ("traffic_light", "Sở Xây dựng", 24, 4),
    ("rubbish", "Sở Nông nghiệp và Môi trường", 24, 18),
    ("illegal_dumping", "Sở Nông nghiệp và Môi trường", 48, 8),
    ("flooding", "Sở Nông nghiệp và Môi trường", 12, 7),
    ("fallen_tree", "Sở Nông nghiệp và Môi trường", 12, 5),
    ("noise", "Công an tỉnh", 24, 6), ("encroachment", "UBND xã/phường", 168, 5),
    ("water_leak", "Công ty Cấp nước", 24, 3), ("power_line", "Công ty Điện lực", 12, 1),
)
AGENCIES = sorted({agency for _, agency, _, _ in CATEGORIES})
OLD_STATUSES = {"closed": 82, "rejected": 8, "merged": 4, "accepted": 2, "assigned": 2,
                "in_progress": 2}                       # a few old ones are stuck, overdue
RECENT_STATUSES = {"submitted": 15, "accepted": 20, "assigned": 15, "in_progress": 15,
                   "resolved": 25, "closed": 5, "rejected": 5}

COLUMNS = ("id", "category", "status", "description", "latitude", "longitude", "address",
           "unit_code", "agency", "reporter_id", "reporter_name", "anonymous", "assignee_id",
           "media", "filed_at", "deadline", "resolved_at", "closed_at", "overdue", "escalated",
           "hidden", "supporters", "rating", "emergency", "merged_into", "status_note",
           "last_changed_at")


# The province's reports ---------------------------------------------------------
class Province:
    """Communes with a centre each (the city's wards close together and busier),
    and a generator of plausible reports."""

    def __init__(self, units: AdministrativeUnits, rng: random.Random):
        self.rng = rng
        communes = [unit.code for unit in units.children(PROVINCE)]
        self.city = communes[:12]
        self.centres = {code: self._centre(code in self.city) for code in communes}
        self.communes = communes
        self.commune_weights = [6 if code in self.city else 1 for code in communes]
        self.reporters = [f"citizen-{n:05d}" for n in range(REPORTERS)]
        # a few people file most reports: weight 1/rank (Zipf)
        self.reporter_weights = list(_cumulative(1 / (rank + 1) for rank in range(REPORTERS)))
        self.category_weights = [weight for *_, weight in CATEGORIES]

    def _centre(self, urban: bool):
        if urban:
            return (CITY_CENTRE[0] + self.rng.gauss(0, 0.02),
                    CITY_CENTRE[1] + self.rng.gauss(0, 0.02))
        south, west, north, east = PROVINCE_BOX
        return self.rng.uniform(south, north), self.rng.uniform(west, east)

    def report(self, now: float) -> tuple:
        rng = self.rng
        code, agency, deadline_hours, _ = rng.choices(CATEGORIES, self.category_weights)[0]
        commune = rng.choices(self.communes, self.commune_weights)[0]
        spread = 0.008 if commune in self.city else 0.03
        lat, lon = (c + rng.gauss(0, spread) for c in self.centres[commune])
        filed_at = now - rng.uniform(0, HISTORY_DAYS) * DAY
        deadline = filed_at + deadline_hours * HOUR
        recent = now - filed_at < RECENT_DAYS * DAY
        mix = RECENT_STATUSES if recent else OLD_STATUSES
        status = rng.choices(list(mix), list(mix.values()))[0]
        resolved_at = (min(filed_at + rng.lognormvariate(math.log(30), 1.0) * HOUR, now)
                       if status in ("resolved", "closed") else None)
        closed_at = resolved_at + 7 * DAY if status == "closed" else None
        overdue = deadline < (resolved_at or now) and status not in ("rejected", "merged")
        reporter = rng.choices(self.reporters, cum_weights=self.reporter_weights)[0]
        changed = max(t for t in (filed_at, resolved_at, closed_at) if t is not None)
        return (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), code, status,
            "Phản ánh hiện trường: " + code.replace("_", " "), lat, lon,
            f"{rng.randint(1, 300)} đường số {rng.randint(1, 80)}", commune, agency, reporter,
            "Nguyễn Văn An", rng.random() < 0.15,
            "staff-1" if status in ("assigned", "in_progress") else "",
            json.dumps(["ab" * 32]), filed_at, deadline, resolved_at, closed_at, overdue,
            overdue and rng.random() < 0.5, rng.random() < 0.01,
            int(rng.expovariate(0.5)), rng.randint(1, 5) if status == "closed" else 0,
            False, "", "", changed)


def _cumulative(weights):
    total = 0.0
    for weight in weights:
        total += weight
        yield total


@contextlib.contextmanager
def throwaway_database():
    database = harness.create_database()
    try:
        yield database
    finally:
        harness.drop_database(database)


def load(database: str, province: Province, count: int, now: float) -> float:
    """COPYs count reports into the read model's table; returns the seconds it took."""
    started = time.perf_counter()
    with psycopg.connect(f"{harness.POSTGRES_ADMIN_URL}/{database}") as conn:
        with conn.cursor().copy(
                f'COPY "{SCHEMA}".reports ({", ".join(COLUMNS)}) FROM STDIN') as copy:
            for _ in range(count):
                copy.write_row(province.report(now))
    with psycopg.connect(f"{harness.POSTGRES_ADMIN_URL}/{database}", autocommit=True) as conn:
        conn.execute(f'VACUUM ANALYZE "{SCHEMA}".reports')
    return time.perf_counter() - started


# Timing ---------------------------------------------------------------------------
def timed(calls: int, query) -> list[float]:
    """Milliseconds of `calls` calls of query(number), after a few unmeasured ones."""
    for number in range(5):
        query(number)
    times = []
    for number in range(calls):
        started = time.perf_counter()
        query(number)
        times.append((time.perf_counter() - started) * 1e3)
    return sorted(times)


def report_line(label: str, millis: list[float], target: bool):
    p50, p99 = percentile(millis, 0.50), percentile(millis, 0.99)
    verdict = ""
    if target:
        verdict = f"  {'PASS' if p99 <= TARGET_P99_MS else 'BELOW'} (p99 ≤ {TARGET_P99_MS:.0f} ms)"
    print(f"{label:<44} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms{verdict}")


def deep_tokens(model: ReadModel, rng: random.Random, count: int) -> list[str]:
    """Feed tokens positioned at random rows: pages anywhere down the feed."""
    rows = model.query("SELECT id, filed_at FROM {schema}.reports WHERE NOT hidden")
    return [encode_token(NEWEST, row) for row in rng.sample(rows, count)]


def box_around(lat: float, lon: float, half_km: float) -> tuple:
    dlat, dlon = half_km / 111.32, half_km / (111.32 * math.cos(math.radians(lat)))
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def run(queries: ReportsQueries, model: ReadModel, province: Province, calls: int,
        rng: random.Random):
    places = [(row["latitude"], row["longitude"]) for row in model.query(
        "SELECT latitude, longitude FROM {schema}.reports LIMIT 5000")]
    south, west, north, east = PROVINCE_BOX
    anywhere = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(calls)]
    tokens = deep_tokens(model, rng, calls)
    categories = [code for code, *_ in CATEGORIES]
    heavy = province.reporters[:20]
    second_pages = {agency: queries.staff_queue([(agency, [PROVINCE])]).next_page_token
                    for agency in AGENCIES}

    def pick(values, number):
        return values[(number * 7919) % len(values)]

    plans = [
        ("public feed, first page", True, lambda n: queries.public_feed()),
        ("public feed, deep page (token, any depth)", True,
         lambda n: queries.public_feed(page_token=pick(tokens, n))),
        ("public feed, map box 1 km", True,
         lambda n: queries.public_feed(box=box_around(*pick(places, n), 0.5))),
        ("public feed, map box 10 km", True,
         lambda n: queries.public_feed(box=box_around(*pick(places, n), 5))),
        # empty and sparse boxes too, where the planner's guess of the box's share is worst
        ("public feed, map box 4 km anywhere", True,
         lambda n: queries.public_feed(box=box_around(*pick(anywhere, n), 2))),
        ("public feed, category + status", True,
         lambda n: queries.public_feed(category=pick(categories, n),
                                       status=pick(STATUSES, n // len(categories)))),
        ("staff queue, agency in one commune", True,
         lambda n: queries.staff_queue([(pick(AGENCIES, n), [pick(province.communes, n)])])),
        ("staff queue, agency province-wide", True,
         lambda n: queries.staff_queue([(pick(AGENCIES, n), [PROVINCE])])),
        ("staff queue, agency province-wide, page 2", True,
         lambda n: queries.staff_queue([(pick(AGENCIES, n), [PROVINCE])],
                                       page_token=second_pages[pick(AGENCIES, n)])),
        ("staff queue, operator (everything)", True,
         lambda n: queries.staff_queue([(None, None)])),
        ("my reports, a frequent reporter", False,
         lambda n: queries.my_reports(pick(heavy, n))),
        ("my reports, anyone", False,
         lambda n: queries.my_reports(pick(province.reporters, n))),
        ("statistics, province", False, lambda n: queries.statistics()),
        ("statistics, one commune", False,
         lambda n: queries.statistics(unit_codes=[pick(province.communes, n)])),
    ]
    for label, target, query in plans:
        report_line(label, timed(calls if target else max(calls // 3, 20), query), target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000,
                        help="reports stored (default 100,000)")
    parser.add_argument("--calls", type=int, default=300, help="calls timed per query")
    parser.add_argument("--quick", action="store_true", help="10,000 reports, 50 calls")
    args = parser.parse_args()
    count, calls = (10_000, 50) if args.quick else (args.reports, args.calls)
    rng = random.Random(311)
    now = time.time()

    with throwaway_database() as database:
        os.environ["EVENT_STORE_URL"] = f"{harness.POSTGRES_ADMIN_URL}/{database}?schema={SCHEMA}"
        app = EventSourcedApplication(persistence_env("reports"))
        model = ReadModel(app, ReportsProjection())        # creates the tables and indexes
        units = AdministrativeUnits.load()
        province = Province(units, rng)
        seconds = load(database, province, count, now)
        summary = model.query(
            f"SELECT COUNT(*) AS reports, COUNT(*) FILTER (WHERE status IN "
            f"({', '.join(repr(s) for s in OPEN_STATUSES)})) AS open, "
            "COUNT(*) FILTER (WHERE overdue) AS overdue, "
            "COUNT(*) FILTER (WHERE hidden) AS hidden FROM {schema}.reports")[0]
        print(f"{summary['reports']:,} reports COPY-loaded into the projection's table in "
              f"{seconds:.1f} s ({summary['open']:,} open, {summary['overdue']:,} ever overdue, "
              f"{summary['hidden']:,} hidden); PostgreSQL, one client, {calls} calls per query")
        run(ReportsQueries(model, units), model, province, calls, rng)


if __name__ == "__main__":
    main()
