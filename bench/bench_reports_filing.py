"""Reports filed per second end to end, and feed and queue query latency through
the gRPC API with 100,000 reports stored; PostgreSQL and RabbitMQ.

    .venv/bin/python bench/bench_reports_filing.py [--count N] [--clients C] [--rate R]
        [--client-processes P] [--citizens K] [--stored S] [--calls Q] [--quick]

Starts identity and ONE reports process in a throw-away PostgreSQL database
and RabbitMQ vhost (removed afterwards). The reports service keeps its
production settings: the outbox relay and the projection run in its process,
5 store connections, 100 workers.

1. Stored reports: S reports (default 100,000) are COPY-loaded straight into
   the running service's read-model table by bench_reports_queries.py's
   generator (two years of a province's reports, mostly closed). They have
   no events: replaying 100,000 reports through the projection would only make
   the set-up slower, and only the read side looks at them.
2. Filing: an administrator defines the generator's categories; K citizens
   (default 200) register and sign in with an OTP (assurance level 1) first.
   C concurrent clients (default 100) file N reports without media (default
   5,000), each citizen's token reused round-robin, twice: back to back (the
   most the service files: the ≥ 300/s per service process target), then
   together offering R filings/s (default 300, the target rate), each call
   timed from when it was due, for the latency target (p99 ≤ 50 ms at 100
   clients; back to back, latency is clients / throughput by Little's law, so
   the target cannot be met there below 2,000/s). The clients are threads,
   each on its own connection, in P spawned processes (default 2): one
   process's GIL would cap the load it can offer, and the clients' CPU is
   measured apart from the service's. Prints filed/s, p50/p99, the cores each
   party used, and how long after the last answer the projection and the
   outbox relay had caught up.
3. Queries: one client, one call at a time, Q calls (default 300) of each
   public-feed and staff-queue query through the gRPC API, as citizens, agency
   staff of one commune, province-wide staff and an IOC operator; target
   p99 ≤ 50 ms.
"""
import argparse
import collections
import contextlib
import hashlib
import itertools
import json
import multiprocessing
import os
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
import psycopg

from _common import (CpuMeter, IDENTITY, connect, harness, infrastructure, latency_summary,
                     percentile, pids_of, running)
from bench_reports_queries import (AGENCIES, CATEGORIES, CITY_CENTRE, COLUMNS, PROVINCE,
                                   PROVINCE_BOX, Province, box_around)
from harness import ADMIN_PHONE, IdentityClient
from kit.adminunits import AdministrativeUnits
from kit.client import channel, metadata
from reports.readmodel import NEWEST, STATUSES, encode_token
from smartcity.identity.v1 import identity_pb2 as ipb
from smartcity.reports.v1 import reports_pb2 as pb
from smartcity.reports.v1 import reports_pb2_grpc

REPORTS = "reports.service:ReportsService"
REPORTS_SECRET = "bench-reports-secret"
CHEAP_HASH = {"PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1"}
LOOPBACK = {"GRPC_BIND_HOST": "127.0.0.1"}
TARGET_PER_SECOND, TARGET_P99_MS = 300.0, 50.0
CALL_TIMEOUT = 30          # seconds: a call slower than this counts as failed
READY_TIMEOUT = 120        # client processes importing grpcio and warming up
WARM_UP_CALLS = 2          # per client: connects, fills the service's pools
CATCH_UP_TIMEOUT = 120     # projection and relay after the last filing
DEPTH = pb.Question(code="depth_cm", label_vi="Độ sâu (cm)", label_en="Depth (cm)",
                    type="number", required=True)
FIRST_PERSON = 100_000     # phone and CCCD numbers from here: the administrator has low ones
DESCRIPTION = ("Mặt đường hư hỏng, nhiều ổ gà sâu khoảng 10-15 cm, xe máy đi qua rất nguy "
               "hiểm nhất là vào buổi tối; đề nghị cơ quan chức năng sớm khắc phục.")


# The platform -----------------------------------------------------------------------------
class Platform:
    """identity and reports running, with an administrator signed in."""

    def __init__(self, infra, identity, reports, identity_client):
        self.infra = infra
        self.identity = identity
        self.reports = reports
        self.identity_client = identity_client
        self.admin = identity_client.admin_session().access_token
        self.channel = channel(reports.target)
        self.stub = reports_pb2_grpc.ReportsStub(self.channel)
        dsn, self.schema = reports.env["EVENT_STORE_URL"].split("?schema=")
        self.sql = psycopg.connect(dsn, autocommit=True)

    def call(self, method, request, token=None):
        return getattr(self.stub, method)(request, metadata=metadata(token), timeout=CALL_TIMEOUT)

    def scalar(self, statement: str):
        return self.sql.execute(statement.replace("{schema}", f'"{self.schema}"')).fetchone()[0]

    def close(self):
        self.channel.close()
        self.sql.close()


@contextlib.contextmanager
def platform(infra):
    digest = hashlib.sha256(REPORTS_SECRET.encode()).hexdigest()
    identity_env = infra.identity_env("identity", BOOTSTRAP_ADMIN_PHONE=ADMIN_PHONE,
                                      MACHINE_CREDENTIALS=f"reports={digest}",
                                      **CHEAP_HASH, **LOOPBACK)
    reports_env = infra.service_env(
        "reports", SERVICE_CLIENT_SECRET=REPORTS_SECRET, HTTP_PORT=str(harness.free_port()),
        REPORTS_MEDIA_DIR=os.path.join(infra.scratch, "media"), **LOOPBACK)
    with contextlib.ExitStack() as stack:
        identity = stack.enter_context(running(harness.ServiceProcess(
            IDENTITY, identity_env, infra.log_path("identity"))))
        reports_env["IDENTITY_GRPC_TARGET"] = identity.target
        reports = stack.enter_context(running(harness.ServiceProcess(
            REPORTS, reports_env, infra.log_path("reports"))))
        identity_client = IdentityClient(identity, identity_env["OTP_OUTBOX_FILE"])
        stack.callback(identity_client.close)
        p = Platform(infra, identity, reports, identity_client)
        stack.callback(p.close)
        yield p


def define_categories(p: Platform):
    """The generator's categories, so filed reports join the stored ones' mix."""
    for code, agency, hours, _ in CATEGORIES:
        p.call("DefineCategory", pb.DefineCategoryRequest(category=pb.Category(
            code=code, name_vi=code.replace("_", " "), name_en=code.replace("_", " "),
            group="bench", questions=[DEPTH] if code == "pothole" else [], agency=agency,
            deadline_hours=hours, active=True)), token=p.admin)


# People ---------------------------------------------------------------------------------
def phone_of(number: int) -> str:
    return f"0914{number:06d}"


def register(identity: IdentityClient, number: int):
    return identity.call("RegisterCitizen", ipb.RegisterCitizenRequest(
        full_name="Nguyễn Văn An", phone=phone_of(number), national_id=f"001090{number:06d}",
        date_of_birth="1990-05-17", sex="male", home_address="12 Hoàng Văn Thụ",
        home_unit_code="05443"), timeout=CALL_TIMEOUT)


def latest_codes(outbox_path: str) -> dict[str, str]:
    """Each phone's latest OTP from the file sender's outbox."""
    with open(outbox_path, encoding="utf-8") as outbox:
        return {entry["phone"]: entry["code"] for entry in map(json.loads, outbox)}


def sign_in_all(identity: IdentityClient, numbers) -> list[str]:
    """Access tokens of these (registered) people, each signed in with their latest OTP."""
    codes = latest_codes(identity.otp_outbox)

    def sign_in(number):
        phone = phone_of(number)
        return identity.call("SignInWithOtp", ipb.SignInWithOtpRequest(
            phone=phone, code=codes["+84" + phone[1:]]), timeout=CALL_TIMEOUT).access_token

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(sign_in, numbers))


def citizens(p: Platform, numbers) -> list[str]:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda number: register(p.identity_client, number), numbers))
    return sign_in_all(p.identity_client, numbers)


def holders(p: Platform, numbers, grants: list[ipb.RoleGrant]) -> list[str]:
    """Tokens of people holding one grant each, signed in after the grant."""
    with ThreadPoolExecutor(8) as pool:
        people = list(pool.map(lambda number: register(p.identity_client, number), numbers))
    for person, grant in zip(people, grants):
        p.identity_client.call("GrantRole", ipb.RoleRequest(person_id=person.id, grant=grant),
                               token=p.admin)
        p.identity_client.call("RequestOtp", ipb.RequestOtpRequest(phone=person.phone))
    return sign_in_all(p.identity_client, numbers)


# 1. Stored reports --------------------------------------------------------------------------
def load_stored(p: Platform, province: Province, count: int) -> float:
    """COPYs count generated reports into the service's read-model table; the seconds taken."""
    started = time.perf_counter()
    now = time.time()
    table = f'"{p.schema}".reports'
    with p.sql.cursor().copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for _ in range(count):
            copy.write_row(province.report(now))
    p.sql.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


# 2. Filing ----------------------------------------------------------------------------------
def filing_request(number: int, rng: random.Random) -> pb.FileReportRequest:
    """A citizen's report around the city centre, in one of the generator's categories."""
    code = CATEGORIES[number % len(CATEGORIES)][0]
    answers = [pb.Answer(question="depth_cm", value=str(5 + number % 30))] \
        if code == "pothole" else []
    return pb.FileReportRequest(
        category=code, description=DESCRIPTION, address=f"{1 + number % 300} Hoàng Văn Thụ",
        location=pb.GeoPoint(latitude=CITY_CENTRE[0] + rng.gauss(0, 0.01),
                             longitude=CITY_CENTRE[1] + rng.gauss(0, 0.01)),
        answers=answers)


@dataclass(frozen=True)
class Pace:
    """How the clients call: back to back (interval 0), or each every `interval`
    seconds, phases spread evenly, timed from when a call was due (so a call
    that waits behind a slow one counts its wait)."""
    clients: int
    interval: float = 0.0

    def due(self, client: int, call: int, start: float) -> float:
        return start + self.interval * (call + client / self.clients)


def filing_client(target, tokens, client, count, pace, ready, go, start_at, results):
    """One client thread on its own connection: warm-up calls, then `count` timed filings."""
    numbers = itertools.count(client, pace.clients)
    rng = random.Random(client)
    times, failures = [], collections.Counter()
    with connect(target) as client_channel:
        stub = reports_pb2_grpc.ReportsStub(client_channel)

        def file_one():
            number = next(numbers)
            stub.FileReport(filing_request(number, rng),
                            metadata=metadata(tokens[number % len(tokens)]),
                            timeout=CALL_TIMEOUT)

        for _ in range(WARM_UP_CALLS):
            file_one()
        ready()
        go.wait()
        for call in range(count):
            started = time.monotonic()
            if pace.interval:
                started = pace.due(client, call, start_at.value)
                time.sleep(max(started - time.monotonic(), 0))
            try:
                file_one()
            except grpc.RpcError as error:
                failures[error.code().name] += 1
                continue
            times.append(time.monotonic() - started)
    results.append((times, failures, time.monotonic()))


def filing_process(target, tokens, clients, count, pace, reports, go, start_at):
    """A client process: threads for the given client numbers, `count` filings between them."""
    ready_threads = threading.Semaphore(0)
    results = []
    threads = [threading.Thread(target=filing_client, args=(
        target, tokens, client, count // len(clients) + (index < count % len(clients)), pace,
        ready_threads.release, go, start_at, results)) for index, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for _ in threads:
        if not ready_threads.acquire(timeout=READY_TIMEOUT):
            reports.put(("failed", "a client thread did not warm up"))
            return
    reports.put(("ready", None))
    for thread in threads:
        thread.join()
    reports.put(("done", ([t for r in results for t in r[0]],
                          sum((r[1] for r in results), collections.Counter()),
                          max(r[2] for r in results))))


@dataclass(frozen=True)
class Filed:
    times: list               # seconds per successful call
    failures: collections.Counter
    elapsed: float            # from the start to the last answer
    cores: dict               # cores busy per party, and the machine

    @property
    def per_second(self) -> float:
        return len(self.times) / self.elapsed


def file_reports(p: Platform, tokens, pace: Pace, processes: int, count: int) -> Filed:
    context = multiprocessing.get_context("spawn")
    reports, go, start_at = context.Queue(), context.Event(), context.Value("d", 0.0)
    clients = list(range(pace.clients))
    workers = [context.Process(target=filing_process, daemon=True, args=(
        p.reports.target, tokens, clients[index::processes],
        count * len(clients[index::processes]) // pace.clients, pace, reports, go, start_at))
        for index in range(processes)]
    try:
        for worker in workers:
            worker.start()
        expect(reports, "ready", len(workers), READY_TIMEOUT)
        meter = CpuMeter({"reports service": [p.reports.process.pid],
                          "identity": [p.identity.process.pid],
                          "postgres": pids_of("postgres", p.infra.database),
                          "rabbitmq": pids_of("beam.smp"),
                          "clients": [worker.pid for worker in workers]})
        begin = meter.mark()
        start_at.value = time.monotonic()
        go.set()
        done = expect(reports, "done", len(workers),
                      count * max(pace.interval / pace.clients, 0.1) + 2 * CALL_TIMEOUT)
        cores = CpuMeter.cores(begin, meter.mark())
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    return Filed([t for result in done for t in result[0]],
                 sum((result[1] for result in done), collections.Counter()),
                 max(result[2] for result in done) - start_at.value, cores)


def expect(reports, kind: str, count: int, timeout: float) -> list:
    received, deadline = [], time.monotonic() + timeout
    while len(received) < count:
        try:
            answer, payload = reports.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            raise SystemExit(f"client processes: not all '{kind}' within {timeout:.0f} s")
        if answer == "failed":
            raise SystemExit(f"a client process failed: {payload}")
        received.append(payload)
    return received


def caught_up_after(p: Platform) -> tuple[float, float]:
    """Seconds until the projection, then the outbox relay, had every stored event."""
    started = time.monotonic()
    last = p.scalar("SELECT max(notification_id) FROM {schema}.reportsapplication_events")
    waits = []
    for position in ("SELECT position FROM {schema}.projection_positions WHERE name = 'reports'",
                     "SELECT max(notification_id) FROM {schema}.reportsapplication_tracking"):
        harness.wait_for(lambda: (p.scalar(position) or 0) >= last, timeout=CATCH_UP_TIMEOUT,
                         interval=0.05, message=position)
        waits.append(time.monotonic() - started)
    return waits[0], waits[1]


def verdict(passed: bool) -> str:
    return "PASS" if passed else "BELOW"


def print_filed(label: str, filed: Filed, p: Platform, rate_target: bool):
    millis = sorted(t * 1e3 for t in filed.times)
    p50, p99 = percentile(millis, 0.5), percentile(millis, 0.99)
    failed = f", {sum(filed.failures.values())} failed {dict(filed.failures)}" \
        if filed.failures else ""
    print(f"{label}: {len(filed.times):,} filed in {filed.elapsed:.1f} s{failed}")
    rate = f"{filed.per_second:8.1f} filed/s"
    if rate_target:
        rate += f"   {verdict(filed.per_second >= TARGET_PER_SECOND)} " \
                f"(≥ {TARGET_PER_SECOND:.0f}/s per service process)"
    print(f"  {rate}")
    print(f"  p50 {p50:.1f} ms, p99 {p99:.1f} ms   {verdict(p99 <= TARGET_P99_MS)} "
          f"(p99 ≤ {TARGET_P99_MS:.0f} ms)   [{latency_summary(filed.times)}]")
    print("  cores busy: " + ", ".join(f"{name} {used:.2f}" for name, used in filed.cores.items()))
    projection, relay = caught_up_after(p)
    print(f"  after the last answer: projection caught up in {projection:.1f} s, "
          f"outbox relay in {relay:.1f} s")


def filing_runs(p: Platform, tokens, clients: int, processes: int, count: int, rate: float):
    """Back to back (the most the service files), then paced at `rate` filings/s."""
    saturated = file_reports(p, tokens, Pace(clients), processes, count)
    print_filed(f"FileReport, {clients} clients back to back ({processes} processes of "
                "threads), no media", saturated, p, rate_target=True)
    paced = file_reports(p, tokens, Pace(clients, clients / rate), processes, count)
    print_filed(f"FileReport, {clients} clients together offering {rate:.0f}/s "
                "(latency from when each call was due)", paced, p, rate_target=False)


# 3. Queries ---------------------------------------------------------------------------------
def timed_calls(calls: int, call) -> list[float]:
    """Milliseconds of `calls` calls of call(number), after a few unmeasured ones."""
    for number in range(5):
        call(number)
    times = []
    for number in range(calls):
        started = time.perf_counter()
        call(number)
        times.append((time.perf_counter() - started) * 1e3)
    return sorted(times)


def pick(values, number):
    return values[(number * 7919) % len(values)]


def box_request(box) -> pb.ListPublicReportsRequest:
    south, west, north, east = box
    return pb.ListPublicReportsRequest(south_west=pb.GeoPoint(latitude=south, longitude=west),
                                       north_east=pb.GeoPoint(latitude=north, longitude=east))


def query_plans(p: Platform, province: Province, staff: dict, calls: int, rng: random.Random):
    rows = p.sql.execute(f'SELECT id, filed_at, latitude, longitude FROM "{p.schema}".reports '
                         "WHERE NOT hidden").fetchall()
    tokens = [encode_token(NEWEST, {"id": row[0], "filed_at": row[1]})
              for row in rng.sample(rows, calls)]
    places = [(row[2], row[3]) for row in rng.sample(rows, calls)]
    south, west, north, east = PROVINCE_BOX
    anywhere = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(calls)]
    categories = [code for code, *_ in CATEGORIES]
    citizen = staff["citizen"]
    second_pages = [(token, p.call("ListStaffQueue", pb.ListStaffQueueRequest(),
                                   token).next_page_token) for token in staff["province"]]

    def feed(request):
        return p.call("ListPublicReports", request, citizen)

    def queue_(token, **fields):
        return p.call("ListStaffQueue", pb.ListStaffQueueRequest(**fields), token)

    return [
        ("public feed, first page", lambda n: feed(pb.ListPublicReportsRequest())),
        ("public feed, deep page (token, any depth)",
         lambda n: feed(pb.ListPublicReportsRequest(page_token=pick(tokens, n)))),
        ("public feed, map box 1 km", lambda n: feed(box_request(box_around(*pick(places, n),
                                                                            0.5)))),
        ("public feed, map box 10 km", lambda n: feed(box_request(box_around(*pick(places, n),
                                                                             5)))),
        ("public feed, map box 4 km anywhere",
         lambda n: feed(box_request(box_around(*pick(anywhere, n), 2)))),
        ("public feed, category + status", lambda n: feed(pb.ListPublicReportsRequest(
            category=pick(categories, n),
            status=pb.Status.Value(pick(STATUSES, n // len(categories)).upper())))),
        ("staff queue, agency staff of one commune",
         lambda n: queue_(pick(staff["commune"], n))),
        ("staff queue, agency staff province-wide",
         lambda n: queue_(pick(staff["province"], n))),
        ("staff queue, province-wide, page 2",
         lambda n: (lambda token, page: queue_(token, page_token=page))(
             *pick(second_pages, n))),
        ("staff queue, IOC operator (everything)", lambda n: queue_(staff["operator"])),
    ]


def staff_tokens(p: Platform, province: Province, first_number: int) -> dict:
    """Agency staff of three city communes and province-wide, per agency; an operator;
    a citizen."""
    communes = province.city[:3]
    commune_grants = [ipb.RoleGrant(role="agency_staff", agency=agency, jurisdiction=code)
                      for agency in AGENCIES for code in communes]
    province_grants = [ipb.RoleGrant(role="agency_staff", agency=agency, jurisdiction=PROVINCE)
                       for agency in AGENCIES]
    grants = [*commune_grants, *province_grants, ipb.RoleGrant(role="ioc_operator")]
    tokens = holders(p, range(first_number, first_number + len(grants)), grants)
    return {"commune": tokens[:len(commune_grants)],
            "province": tokens[len(commune_grants):-1], "operator": tokens[-1],
            "citizen": citizens(p, [first_number + len(grants)])[0]}


def query_run(p: Platform, province: Province, staff: dict, calls: int, rng: random.Random):
    stored = p.scalar("SELECT count(*) FROM {schema}.reports")
    print(f"Queries through the gRPC API, {stored:,} reports in the read model, one client, "
          f"{calls} calls each")
    for label, call in query_plans(p, province, staff, calls, rng):
        millis = timed_calls(calls, call)
        p50, p99 = percentile(millis, 0.5), percentile(millis, 0.99)
        print(f"  {label:<44} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   "
              f"{verdict(p99 <= TARGET_P99_MS)} (p99 ≤ {TARGET_P99_MS:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000, help="reports filed (default 5000)")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients (100)")
    parser.add_argument("--rate", type=float, default=TARGET_PER_SECOND,
                        help="filings/s the clients offer together in the paced run (300)")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="processes the client threads are spread over (default 2)")
    parser.add_argument("--citizens", type=int, default=200, help="citizens filing (200)")
    parser.add_argument("--stored", type=int, default=100_000,
                        help="reports COPY-loaded into the read model first (100,000)")
    parser.add_argument("--calls", type=int, default=300, help="calls timed per query (300)")
    parser.add_argument("--quick", action="store_true",
                        help="500 filed by 50 citizens, 10,000 stored, 50 calls per query")
    args = parser.parse_args()
    if args.quick:
        args.count, args.citizens, args.stored, args.calls = 500, 50, 10_000, 50
    rng = random.Random(311)

    with infrastructure() as infra, platform(infra) as p:
        province = Province(AdministrativeUnits.load(), rng)
        seconds = load_stored(p, province, args.stored)
        print(f"{args.stored:,} reports COPY-loaded into the running service's read-model "
              f"table in {seconds:.1f} s (no events behind them)")
        define_categories(p)
        started = time.monotonic()
        tokens = citizens(p, range(FIRST_PERSON, FIRST_PERSON + args.citizens))
        print(f"{len(tokens)} citizens registered and signed in (level 1) in "
              f"{time.monotonic() - started:.1f} s")
        filing_runs(p, tokens, args.clients, args.client_processes, args.count, args.rate)
        staff = staff_tokens(p, province, first_number=FIRST_PERSON + args.citizens)
        query_run(p, province, staff, args.calls, rng)


if __name__ == "__main__":
    main()
