"""Marketplace figures: stock contention, orders per second, search latency.

    .venv/bin/python bench/bench_marketplace.py [--quick]

1. 200 concurrent buyers (grpcio threads, one connection each) race for a
   product with 50 units on a marketplace process (PostgreSQL, RabbitMQ,
   identity for the seller and the buyers' sessions): exactly 50 must be
   sold, none oversold; prints the time until every buyer has an answer.
2. Orders placed per second by 16 clients over 20 well-stocked products of
   one process (target ≥ 200/s).
3. Search p99 with 50,000 products (target ≤ 50 ms), per kind of query,
   among them free text that matches nothing. The products and their words
   are COPY-loaded straight into the read model's tables (the projection's
   schema and indexes), not listed through the API; queries run in this
   process through MarketplaceQueries, as the service runs them.

Everything runs in a throw-away database and vhost, removed afterwards.
--quick: 20,000 products for the search and 1,000 orders timed.
"""
import argparse
import hashlib
import json
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from _common import (
    IDENTITY, connect, harness, infrastructure, latency_summary, percentile, running,
)
from kit.client import metadata
from kit.eventstore import EventSourcedApplication, persistence_env
from kit.projections import ReadModel
from marketplace.readmodel import (
    MarketplaceProjection, MarketplaceQueries, ProductSearch, fold, searchable_words,
)
from smartcity.identity.v1 import identity_pb2 as ipb
from smartcity.identity.v1 import identity_pb2_grpc
from smartcity.marketplace.v1 import marketplace_pb2 as pb
from smartcity.marketplace.v1 import marketplace_pb2_grpc

MARKETPLACE = "marketplace.service:MarketplaceService"
COMMUNE = "05443"
ADMIN_PHONE = "0912000001"
MARKETPLACE_SECRET = "bench-marketplace-secret"   # it asks identity as this machine
CHEAP_HASH = {"PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1"}
TARGET_ORDERS_PER_SECOND = 200
TARGET_SEARCH_P99_MS = 50
BUYERS, UNITS = 200, 50


# People, through identity's API ------------------------------------------------------
class People:
    """Citizens registered and signed in with the OTP identity wrote to its outbox."""

    def __init__(self, target: str, outbox: str):
        self.stub = identity_pb2_grpc.IdentityStub(connect(target))
        self.outbox = outbox
        self.numbers = iter(range(100_000, 999_999))
        self.lock = threading.Lock()

    def call(self, method, request, token=None):
        return getattr(self.stub, method)(request, metadata=metadata(token), timeout=30)

    def otp(self, phone: str) -> str:
        wanted = "+84" + phone[1:]
        with open(self.outbox, encoding="utf-8") as outbox:
            return [json.loads(line)["code"] for line in outbox
                    if json.loads(line)["phone"] == wanted][-1]

    def signed_in(self, phone: str, national_id: str):
        try:
            person = self.call("RegisterCitizen", ipb.RegisterCitizenRequest(
                full_name="Nguyễn Văn An", phone=phone, national_id=national_id,
                date_of_birth="1990-05-17", sex="male", home_address="12 Hoàng Văn Thụ",
                home_unit_code=COMMUNE))
        except Exception:
            self.call("RequestOtp", ipb.RequestOtpRequest(phone=phone))   # the admin, again
            person = None
        session = self.call("SignInWithOtp", ipb.SignInWithOtpRequest(
            phone=phone, code=self.otp(phone)))
        return person, session.access_token

    def citizen(self):
        with self.lock:
            number = next(self.numbers)
        return self.signed_in(f"0913{number:06d}", f"001090{number:06d}")

    def citizens(self, count: int) -> list:
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(lambda _: self.citizen(), range(count)))


def tax_code() -> str:
    while True:
        head = f"{random.randrange(10 ** 8, 10 ** 9):09d}"
        check = 10 - sum(int(d) * w for d, w in zip(head, (31, 29, 23, 19, 17, 13, 7, 5, 3))) % 11
        if check < 10:
            return head + str(check)


def verified_seller(people: People, market) -> tuple[str, str]:
    """(seller id, owner's token) once marketplace knows identity's verification."""
    _, admin = people.signed_in(ADMIN_PHONE, "001090000001")
    _, owner = people.citizen()
    organisation = people.call("RegisterOrganisation", ipb.RegisterOrganisationRequest(
        name="HTX Chè Tân Cương", tax_code=tax_code(), kind="cooperative", unit_code=COMMUNE,
        address="Xóm Nam Đồng"), token=owner)
    people.call("VerifyOrganisation", ipb.VerifyOrganisationRequest(
        organisation_id=organisation.id), token=admin)

    def known():
        try:
            return market.GetSeller(pb.SellerRef(seller_id=organisation.id), timeout=5)
        except Exception:
            return None

    harness.wait_for(known, timeout=30, message="the seller from identity's event")
    return organisation.id, owner, admin


def approved_product(market, seller_id, owner, admin, stock: int) -> str:
    listed = market.ListProduct(pb.ListProductRequest(
        seller_id=seller_id, name="Chè Thái Nguyên", category="tea", unit="hộp 200g",
        price_vnd=150_000, origin_commune=COMMUNE, stock=stock),
        metadata=metadata(owner), timeout=10)
    market.ApproveProduct(pb.ProductRef(product_id=listed.id), metadata=metadata(admin),
                          timeout=10)
    return listed.id


def place(market, token, product_id, quantity=1):
    """Places an order, trying again after a lost concurrency race (ABORTED)."""
    while True:
        try:
            return market.PlaceOrders(pb.PlaceOrdersRequest(
                items=[pb.CartItem(product_id=product_id, quantity=quantity)],
                delivery_address="12 Hoàng Văn Thụ"), metadata=metadata(token), timeout=60)
        except Exception as error:
            if getattr(error, "code", None) is None or error.code().name != "ABORTED":
                raise


# 1. Contention ----------------------------------------------------------------------
def contention(target, market, seller, buyers):
    seller_id, owner, admin = seller
    product_id = approved_product(market, seller_id, owner, admin, UNITS)
    start_line = threading.Barrier(len(buyers) + 1)
    outcomes = []

    def buy(token):
        stub = marketplace_pb2_grpc.MarketplaceStub(connect(target))
        start_line.wait()
        try:
            place(stub, token, product_id)
            outcomes.append("sold")
        except Exception as error:
            outcomes.append(error.code().name)

    threads = [threading.Thread(target=buy, args=(token,)) for _, token in buyers]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    settled = time.perf_counter() - started
    sold = outcomes.count("sold")
    stock = market.GetProduct(pb.ProductRef(product_id=product_id), timeout=10).stock
    ok = sold == UNITS and stock == 0
    print(f"{len(buyers)} buyers for {UNITS} units: {sold} sold, "
          f"{outcomes.count('FAILED_PRECONDITION')} told it is sold out, stock now {stock}; "
          f"settled in {settled:.2f} s  {'PASS' if ok else 'BELOW'} (exactly {UNITS}, none oversold)")


# 2. Throughput ----------------------------------------------------------------------
def throughput(target, market, seller, buyers, count):
    seller_id, owner, admin = seller
    products = [approved_product(market, seller_id, owner, admin, 1_000_000) for _ in range(20)]

    clients, times, failures = 16, [], []
    start_line = threading.Barrier(clients + 1)

    def client(index):
        stub = marketplace_pb2_grpc.MarketplaceStub(connect(target))
        place(stub, buyers[index][1], products[index % len(products)])   # warm up
        start_line.wait()
        for number in range(index, count, clients):
            began = time.perf_counter()
            try:
                place(stub, buyers[number % len(buyers)][1], products[number % len(products)])
                times.append(time.perf_counter() - began)
            except Exception as error:
                failures.append(error.code().name)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    per_second = len(times) / (time.perf_counter() - started)
    verdict = "PASS" if per_second >= TARGET_ORDERS_PER_SECOND else "BELOW"
    failed = f", {len(failures)} failed" if failures else ""
    print(f"PlaceOrders, {clients} clients, 20 products: {len(times)} orders, "
          f"{per_second:,.1f}/s, {latency_summary(times)}{failed}  "
          f"{verdict} (≥ {TARGET_ORDERS_PER_SECOND}/s)")


# 3. Search --------------------------------------------------------------------------
WORDS = ["Chè", "Thái Nguyên", "Tân Cương", "Mật ong", "rừng", "Gạo", "Bao Thai", "Nhãn",
         "lồng", "Miến", "dong", "Rượu", "men lá", "Bánh chưng", "Trám", "Na", "Võ Nhai",
         "Đồng Hỷ", "Định Hóa", "đặc sản", "hữu cơ", "La Bằng", "Phú Lương", "măng"]
CATEGORIES = ["tea", "honey", "rice", "fruit", "noodles", "wine", "cake", "vegetables"]
COMMUNES = ["05443", "05467", "05455", "05860", "05500", "05521"]
COLUMNS = ("id", "seller_id", "name", "description", "category", "unit", "price_vnd", "photos",
           "ocop_stars", "certificate_number", "certificate_expires_on",
           "geographical_indication", "origin_commune", "stock", "status", "listed_at")


def product_row(rng: random.Random, now: float) -> tuple:
    name = " ".join(rng.sample(WORDS, 3))
    description = " ".join(rng.sample(WORDS, 6))
    stars = rng.choice([0, 0, 3, 4, 5])
    return (str(uuid.uuid4()), str(uuid.uuid4()), name, description, rng.choice(CATEGORIES),
            "gói", rng.randrange(20, 2000) * 1000, "[]", stars,
            f"OCOP-{rng.randrange(10_000)}" if stars else "",
            rng.choice(["2025-06-30", "2027-12-31", "2028-06-30"]) if stars else "", "",
            rng.choice(COMMUNES), rng.randrange(0, 500),
            "approved" if rng.random() < 0.95 else "pending", now - rng.uniform(0, 365 * 86400))


def search_latency(infra, count: int, calls: int):
    os.environ["EVENT_STORE_URL"] = infra.store_url("marketplace_search")
    app = EventSourcedApplication(persistence_env("marketplace"))
    model = ReadModel(app, MarketplaceProjection())
    rng, now = random.Random(6), time.time()
    started = time.perf_counter()
    rows = [product_row(rng, now) for _ in range(count)]
    words = [(word, row[0]) for row in rows for word in searchable_words(row[2], row[3], row[11])]
    with model.transaction() as sql:
        with sql.cursor.copy(f'COPY "marketplace_search".products ({", ".join(COLUMNS)}) '
                             "FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        with sql.cursor.copy('COPY "marketplace_search".product_words (word, product_id) '
                             "FROM STDIN") as copy:
            for row in words:
                copy.write_row(row)
        sql.execute('ANALYZE "marketplace_search".products')
        sql.execute('ANALYZE "marketplace_search".product_words')
    print(f"{count:,} products ({len(words):,} words) COPY-loaded into the read model's tables "
          f"in {time.perf_counter() - started:.1f} s (straight into the tables, not via the API)")
    queries, today = MarketplaceQueries(model), time.strftime("%Y-%m-%d")
    searches = [
        ("text, 2 words", lambda: ProductSearch(text=fold(" ".join(rng.sample(WORDS, 2))))),
        ("text, no match", lambda: ProductSearch(text="khong co san pham nay")),
        ("text, typed prefix", lambda: ProductSearch(text="thai ngu")),
        ("category + price", lambda: ProductSearch(
            category=rng.choice(CATEGORIES), min_price_vnd=100_000, max_price_vnd=500_000,
            sort="price_ascending")),
        ("origin + stars", lambda: ProductSearch(origin_commune=rng.choice(COMMUNES),
                                                 min_stars=4)),
        ("text + category", lambda: ProductSearch(text="che", category=rng.choice(CATEGORIES))),
    ]
    everything = []
    for label, make in searches:
        millis = []
        for number in range(calls + 5):
            search = make()
            began = time.perf_counter()
            page = queries.search(search, today, 20)
            if page.next_page_token and number % 2:
                queries.search(search, today, 20, page.next_page_token)
            if number >= 5:
                millis.append((time.perf_counter() - began) * 1e3)
        millis.sort()
        everything += millis
        print(f"  {label:<18} p50 {percentile(millis, 0.5):6.2f} ms, "
              f"p99 {percentile(millis, 0.99):6.2f} ms")
    everything.sort()
    p99 = percentile(everything, 0.99)
    print(f"search p99 over all {len(everything)} calls: {p99:.2f} ms  "
          f"{'PASS' if p99 <= TARGET_SEARCH_P99_MS else 'BELOW'} (≤ {TARGET_SEARCH_P99_MS} ms)")
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="20,000 products searched, 1,000 orders timed")
    args = parser.parse_args()
    products, orders = (20_000, 1_000) if args.quick else (50_000, 3_000)

    with infrastructure() as infra:
        digest = hashlib.sha256(MARKETPLACE_SECRET.encode()).hexdigest()
        identity = harness.ServiceProcess(IDENTITY, infra.identity_env(
            "identity", BOOTSTRAP_ADMIN_PHONE=ADMIN_PHONE,
            MACHINE_CREDENTIALS=f"marketplace={digest}", **CHEAP_HASH),
            infra.log_path("identity"))
        with running(identity):
            service = harness.ServiceProcess(MARKETPLACE, infra.service_env(
                "marketplace", IDENTITY_GRPC_TARGET=identity.target,
                SERVICE_CLIENT_SECRET=MARKETPLACE_SECRET), infra.log_path("marketplace"))
            with running(service):
                people = People(identity.target,
                                os.path.join(infra.scratch, "otp-outbox.jsonl"))
                market = marketplace_pb2_grpc.MarketplaceStub(connect(service.target))
                seller = verified_seller(people, market)
                buyers = people.citizens(BUYERS)
                contention(service.target, market, seller, buyers)
                throughput(service.target, market, seller, buyers, orders)
        search_latency(infra, products, 100 if args.quick else 300)


if __name__ == "__main__":
    main()
