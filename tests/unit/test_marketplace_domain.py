"""The marketplace's aggregates, application and read model on SQLite: no
network. Times come from a clock the tests move."""
import threading
import uuid
from datetime import datetime

import pytest

from kit.adminunits import AdministrativeUnits
from kit.auth import Principal, RoleGrant
from kit.errors import (
    AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied,
    Unauthenticated,
)
from kit.projections import ReadModel
from marketplace import schemas
from marketplace.application import VIETNAM, MarketplaceApplication, OrganisationStanding
from marketplace.domainmodel import ocop_stars_shown
from marketplace.integration import translate
from marketplace.payments import FakePaymentProvider
from marketplace.readmodel import (
    MarketplaceProjection, MarketplaceQueries, ProductSearch, fold, words_of,
)
from smartcity.events.v1 import marketplace_pb2 as events

COMMUNE = "05443"          # Phan Đình Phùng, Thái Nguyên
MINUTE = 60


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM).timestamp()

    def __call__(self):
        return self.now


def person(*grants, level=1):
    return Principal(subject=str(uuid.uuid4()), kind="person",
                     roles=(RoleGrant("citizen"), *grants), assurance_level=level)


OFFICIAL = person(RoleGrant("agency_staff", "Sở Công Thương", "19"))


class Identity:
    """identity's fresh answers, as the tests set them: organisation id -> standing."""

    def __init__(self):
        self.standings: dict[str, OrganisationStanding] = {}

    def organisation(self, organisation_id: str) -> OrganisationStanding:
        return self.standings[organisation_id]

    def verified(self, organisation_id: str, *members: Principal):
        self.standings[organisation_id] = OrganisationStanding(
            verified=True, member_ids=tuple(m.subject for m in members))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def identity():
    return Identity()


@pytest.fixture
def app(tmp_path, clock, identity):
    app = MarketplaceApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
         "SQLITE_DBNAME": str(tmp_path / "marketplace.db"), "SQLITE_LOCK_TIMEOUT": "10",
         "APPLICATION_RECORDER_TOPIC": "kit.eventstore:SQLiteRecorder"},
        units=AdministrativeUnits.load(), payments=FakePaymentProvider(), identity=identity,
        clock=clock, reservation_minutes=15)
    app.read_model = ReadModel(app, MarketplaceProjection())
    app.queries = MarketplaceQueries(app.read_model)
    yield app
    app.close()


def verified_seller(app, name="HTX Chè Tân Cương"):
    """A cooperative identity verified (as its event and its fresh answer say), and its owner."""
    owner = person()
    organisation_id = str(uuid.uuid4())
    app.on_organisation_verified(str(uuid.uuid4()), organisation_id, name, "cooperative",
                                 COMMUNE, [owner.subject], OFFICIAL.subject)
    app.identity.verified(organisation_id, owner)
    return organisation_id, owner


@pytest.fixture
def seller(app):
    return verified_seller(app)


def listed(app, seller, approve=True, **fields):
    organisation_id, owner = seller
    values = dict(name="Chè Thái Nguyên đặc biệt", description="Búp chè non Tân Cương",
                  category="tea", unit="hộp 200g", price_vnd=150_000, photos=["ab" * 32],
                  ocop_stars=4, certificate_number="OCOP-TN-0012",
                  certificate_expires_on="2027-12-31", geographical_indication="Chè Thái Nguyên",
                  origin_commune=COMMUNE, stock=10)
    values.update(fields)
    product = app.list_product(owner, organisation_id, **values)
    if approve:
        product = app.approve_product(OFFICIAL, str(product.id))
    return product


def place(app, buyer, product, quantity=1, **options):
    return app.place_orders(buyer, [(str(product.id), quantity)],
                            delivery_address="12 Hoàng Văn Thụ", **options)


def stock_of(app, product):
    return app.product(str(product.id)).stock


# Sellers ------------------------------------------------------------------------
def test_identity_events_make_a_seller_exactly_once(app):
    owner, member = person(), person()
    event_id, organisation_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert app.on_organisation_verified(event_id, organisation_id, "HTX", "cooperative",
                                        COMMUNE, [owner.subject], OFFICIAL.subject)
    assert not app.on_organisation_verified(event_id, organisation_id, "HTX", "cooperative",
                                            COMMUNE, [owner.subject], OFFICIAL.subject)
    added = str(uuid.uuid4())
    assert app.on_member_changed(added, organisation_id, member.subject, added=True)
    assert not app.on_member_changed(added, organisation_id, member.subject, added=True)
    assert app.seller(organisation_id).member_ids == [owner.subject, member.subject]
    app.on_member_changed(str(uuid.uuid4()), organisation_id, member.subject, added=False)
    assert app.seller(organisation_id).member_ids == [owner.subject]
    # members of an organisation not verified yet come with its verification
    assert app.on_member_changed(str(uuid.uuid4()), str(uuid.uuid4()), member.subject, True)


def test_only_members_update_the_profile_and_bad_input_names_the_field(app, seller):
    organisation_id, owner = seller
    with pytest.raises(PermissionDenied):
        app.update_seller_profile(person(), organisation_id, commune=COMMUNE,
                                  ocop_producer_code="TN-01", description="")
    with pytest.raises(InvalidArgument) as error:
        app.update_seller_profile(owner, organisation_id, commune="99999",
                                  ocop_producer_code="TN-01", description="")
    assert error.value.field == "commune"
    updated = app.update_seller_profile(owner, organisation_id, commune=COMMUNE,
                                        ocop_producer_code="TN-01", description="Chè ngon")
    assert updated.ocop_producer_code == "TN-01"


# Products -----------------------------------------------------------------------
@pytest.mark.parametrize("field, value, named", [
    ("price_vnd", 0, "price_vnd"), ("price_vnd", 1.5, "price_vnd"), ("stock", -1, "stock"),
    ("ocop_stars", 2, "ocop.stars"), ("certificate_expires_on", "31/12/2027", "ocop.expires_on"),
    ("origin_commune", "nowhere", "origin_commune"), ("photos", ["not-a-sha"], "photos"),
    ("name", " ", "name"),
])
def test_bad_listings_are_refused_naming_the_field(app, seller, field, value, named):
    before = app.recorder.max_notification_id()
    with pytest.raises(InvalidArgument) as error:
        listed(app, seller, approve=False, **{field: value})
    assert error.value.field == named
    assert app.recorder.max_notification_id() == before


def test_listings_are_public_once_an_official_approves(app, seller):
    product = listed(app, seller, approve=False)
    with pytest.raises(NotFound):
        app.visible_product(None, str(product.id))
    with pytest.raises(PermissionDenied):
        app.approve_product(seller[1], str(product.id))
    assert app.visible_product(seller[1], str(product.id)).status == "pending"
    app.approve_product(OFFICIAL, str(product.id))
    assert app.visible_product(None, str(product.id)).status == "approved"
    with pytest.raises(FailedPrecondition):
        app.approve_product(OFFICIAL, str(product.id))


def test_an_official_returns_a_listing_with_what_to_change_and_an_edit_resubmits_it(
        app, seller):
    product = listed(app, seller, approve=False)
    product_id = str(product.id)
    before = app.recorder.max_notification_id()
    with pytest.raises(PermissionDenied):
        app.return_product(seller[1], product_id, "Ảnh chưa rõ")
    with pytest.raises(InvalidArgument) as error:
        app.return_product(OFFICIAL, product_id, "  ")
    assert error.value.field == "reason"
    assert app.recorder.max_notification_id() == before
    returned = app.return_product(OFFICIAL, product_id, "Giấy chứng nhận OCOP đã hết hạn")
    assert (returned.status, returned.review_note) == (
        "returned", "Giấy chứng nhận OCOP đã hết hạn")
    with pytest.raises(NotFound):
        app.visible_product(None, product_id)
    assert app.visible_product(seller[1], product_id).status == "returned"
    for refused in (lambda: app.approve_product(OFFICIAL, product_id),
                    lambda: app.return_product(OFFICIAL, product_id, "again")):
        with pytest.raises(FailedPrecondition):
            refused()
    app.read_model.catch_up()
    assert product_id not in [row["id"] for row in app.queries.pending_products().rows]

    app.update_product(seller[1], product_id, {"ocop": (4, "OCOP-TN-0013", "2029-12-31")})
    app.read_model.catch_up()
    assert product_id in [row["id"] for row in app.queries.pending_products().rows]
    approved = app.approve_product(OFFICIAL, product_id)
    assert (approved.status, approved.review_note) == ("approved", "")


def test_a_seller_lists_its_own_listings_of_every_status(app, seller, clock):
    other = verified_seller(app, "HTX Mật ong Võ Nhai")
    approved = listed(app, seller)
    clock.now += MINUTE
    pending = listed(app, seller, approve=False)
    clock.now += MINUTE
    returned = listed(app, seller, approve=False)
    app.return_product(OFFICIAL, str(returned.id), "Thiếu ảnh")
    listed(app, other)
    app.read_model.catch_up()

    def ids(status=""):
        return [row["id"] for row in app.queries.seller_products(seller[0], status).rows]

    assert ids() == [str(returned.id), str(pending.id), str(approved.id)]      # newest first
    assert ids("returned") == [str(returned.id)] and ids("approved") == [str(approved.id)]
    for listing in (lambda: app.queries.seller_products(seller[0], "sold"),
                    lambda: app.queries.seller_orders(seller[0], "lost")):
        with pytest.raises(InvalidArgument) as error:
            listing()
        assert error.value.field == "status"


def test_identity_is_asked_afresh_before_listing_editing_and_approving(app, seller):
    organisation_id, owner = seller
    pending, approved = listed(app, seller, approve=False), listed(app, seller)
    before = app.recorder.max_notification_id()
    # identity removed the owner; its event has not reached the marketplace yet
    app.identity.standings[organisation_id] = OrganisationStanding(True, ())
    assert app.seller(organisation_id).is_member(owner.subject)
    with pytest.raises(PermissionDenied):
        listed(app, seller, approve=False)
    with pytest.raises(PermissionDenied):
        app.update_product(owner, str(approved.id), {"price_vnd": 1_000})
    # identity no longer has the organisation verified
    app.identity.standings[organisation_id] = OrganisationStanding(False, (owner.subject,))
    for refused in (lambda: listed(app, seller, approve=False),
                    lambda: app.approve_product(OFFICIAL, str(pending.id))):
        with pytest.raises(FailedPrecondition) as error:
            refused()
        assert error.value.field in ("seller_id", "product_id")
    assert app.recorder.max_notification_id() == before
    assert app.product(str(pending.id)).status == "pending"


def test_edits_change_only_the_masked_fields_and_reviewed_ones_go_back_to_review(app, seller):
    organisation_id, owner = seller
    product = listed(app, seller)
    product_id = str(product.id)
    edited = app.update_product(owner, product_id, {"price_vnd": 120_000, "unit": "hộp 250g",
                                                    "category": "tea-premium"})
    assert (edited.price_vnd, edited.unit, edited.category, edited.status) == (
        120_000, "hộp 250g", "tea-premium", "approved")
    assert edited.name == product.name and edited.stock == 10
    edited = app.update_product(owner, product_id, {"name": "Chè Tân Cương móc câu",
                                                    "ocop": (5, "OCOP-TN-0099", "2028-12-31")})
    assert (edited.name, edited.ocop_stars, edited.status) == (
        "Chè Tân Cương móc câu", 5, "pending")
    with pytest.raises(NotFound):
        app.visible_product(None, product_id)
    with pytest.raises(FailedPrecondition):
        place(app, person(), edited)                    # not on sale while under review
    app.read_model.catch_up()
    assert app.queries.search(ProductSearch(text="moc cau"), "2026-03-02").rows == []
    app.approve_product(OFFICIAL, product_id)
    app.read_model.catch_up()

    def found(text):
        return [(r["name"], r["price_vnd"], r["ocop_stars"])
                for r in app.queries.search(ProductSearch(text=text), "2026-03-02").rows]

    assert found("che tan cuong moc cau") == [("Chè Tân Cương móc câu", 120_000, 5)]
    assert found("dac biet") == []                      # the old name's words are gone
    app.read_model.rebuild()
    assert found("moc cau") == [("Chè Tân Cương móc câu", 120_000, 5)]


@pytest.mark.parametrize("changes, field", [
    ({}, "update_mask"), ({"unit": "túi 1kg", "stock": 5}, "update_mask"),
    ({"unit": "túi 1kg", "price_vnd": 0}, "price_vnd"), ({"price_vnd": 1.5}, "price_vnd"),
    ({"ocop": (2, "OCOP-1", "2028-01-01")}, "ocop.stars"), ({"name": "x"}, "name"),
    ({"origin_commune": "nowhere"}, "origin_commune"), ({"photos": ["nope"]}, "photos"),
])
def test_bad_edits_name_the_field_and_change_nothing(app, seller, changes, field):
    product = listed(app, seller)
    before = app.recorder.max_notification_id()
    with pytest.raises(InvalidArgument) as error:
        app.update_product(seller[1], str(product.id), changes)
    assert error.value.field == field
    with pytest.raises(PermissionDenied):
        app.update_product(person(), str(product.id), {"unit": "túi 1kg"})
    assert app.recorder.max_notification_id() == before


def test_search_ignores_diacritics_and_filters(app, seller):
    assert fold("Chè Thái Nguyên ĐẶC BIỆT") == "che thai nguyen dac biet"
    tea = listed(app, seller)
    listed(app, seller, name="Mật ong rừng", category="honey", price_vnd=300_000,
           geographical_indication="", description="", ocop_stars=0, certificate_number="",
           certificate_expires_on="")
    listed(app, seller, approve=False, name="Chè chưa duyệt")
    app.read_model.catch_up()
    today = "2026-03-02"

    def found(**filters):
        page = app.queries.search(ProductSearch(**filters), today)
        return [row["name"] for row in page.rows]

    assert found(text="che thai nguyen") == [tea.name]
    assert found(text="CHÈ") == [tea.name]
    assert found(text="thai nguy") == [tea.name]          # a word's beginning is enough
    assert found(text="hai") == [] and found(text="khong co san pham nay") == []
    assert words_of("Chè (hộp 200g), chè!") == ["che", "hop", "200g"]
    with pytest.raises(InvalidArgument) as error:
        found(text="a b c d e f g h i")
    assert error.value.field == "text"
    assert found(category="honey") == ["Mật ong rừng"]
    assert found(min_stars=4) == [tea.name]
    assert found(min_price_vnd=200_000) == ["Mật ong rừng"]
    assert found(sort="price_ascending") == [tea.name, "Mật ong rừng"]
    assert app.queries.search(ProductSearch(min_stars=4), "2028-01-01").rows == []


def test_search_pages_by_keyset(app, seller):
    names = {listed(app, seller, name=f"Gạo Bao Thai {i}").name for i in range(5)}
    app.read_model.catch_up()
    seen, token = [], ""
    while True:
        page = app.queries.search(ProductSearch(text="gao"), "2026-03-02", 2, token)
        seen += [row["name"] for row in page.rows]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(names)
    with pytest.raises(InvalidArgument) as error:
        app.queries.search(ProductSearch(), "2026-03-02", 2, "garbage")
    assert error.value.field == "page_token"


# Orders -------------------------------------------------------------------------
def test_a_cart_across_sellers_splits_into_one_order_per_seller(app, seller):
    other = verified_seller(app, "HTX Nhãn")
    tea, longan = listed(app, seller), listed(app, other, name="Nhãn lồng", price_vnd=50_000)
    orders = app.place_orders(person(), [(str(tea.id), 2), (str(longan.id), 3),
                                         (str(tea.id), 1)], delivery_address="Đồng Hỷ")
    assert sorted((o.seller_id, o.total_vnd) for o in orders) == sorted(
        [(seller[0], 450_000), (other[0], 150_000)])
    assert stock_of(app, tea) == 7 and stock_of(app, longan) == 7


def test_orders_never_oversell_and_refusals_change_nothing(app, seller):
    product = listed(app, seller, stock=3)
    place(app, person(), product, 2)
    before = app.recorder.max_notification_id()
    with pytest.raises(FailedPrecondition) as error:
        place(app, person(), product, 2)
    assert error.value.field == "items"
    for items, field in (([], "items"), ([("x", 1)], "items[0].product_id"),
                         ([(str(product.id), 0)], "items[0].quantity")):
        with pytest.raises(InvalidArgument) as error:
            app.place_orders(person(), items, delivery_address="Đồng Hỷ")
        assert error.value.field == field
    with pytest.raises(Unauthenticated):
        place(app, None, product)
    assert app.recorder.max_notification_id() == before


def test_concurrent_buyers_get_exactly_the_stock(app, seller):
    product = listed(app, seller, stock=10)
    sold, refused = [], []

    def buy():
        try:
            sold.append(place(app, person(), product))
        except FailedPrecondition:
            refused.append(1)

    threads = [threading.Thread(target=buy) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sold) == 10 and len(refused) == 20
    assert stock_of(app, product) == 0


def test_lifecycle_permissions_payment_and_review(app, seller):
    organisation_id, owner = seller
    product = listed(app, seller)
    buyer, stranger = person(), person()
    [order] = place(app, buyer, product, 2)
    order_id = str(order.id)
    with pytest.raises(PermissionDenied):
        app.confirm(stranger, order_id)
    with pytest.raises(PermissionDenied):
        app.confirm(buyer, order_id)
    with pytest.raises(FailedPrecondition):
        app.review(buyer, order_id, 5)
    app.confirm(owner, order_id)
    with pytest.raises(FailedPrecondition):
        app.reject(owner, order_id, "hết hàng")        # confirmed: only the buyer may cancel
    app.ship(owner, order_id)
    with pytest.raises(FailedPrecondition):
        app.cancel(buyer, order_id)                    # shipped: too late
    delivered = app.deliver(owner, order_id)
    assert delivered.paid and delivered.payment_ids == ["cod"]
    with pytest.raises(PermissionDenied):
        app.review(stranger, order_id, 5)
    app.review(buyer, order_id, 4, "Chè thơm")
    with pytest.raises(AlreadyExists):
        app.review(buyer, order_id, 5)
    assert app.complete(buyer, order_id).status == "completed"
    assert stock_of(app, product) == 8
    app.read_model.catch_up()
    assert app.queries.product_rating(str(product.id)) == (4, 1)
    assert app.queries.seller_rating(organisation_id) == (4, 1)


def test_online_payment_is_idempotent(app, seller):
    buyer = person()
    [order] = place(app, buyer, listed(app, seller), payment_method="online")
    paid = app.pay(buyer, str(order.id))
    again = app.pay(buyer, str(order.id))
    assert paid.payment_ids == again.payment_ids and len(again.payment_ids) == 1
    app.record_payment(str(order.id), paid.payment_ids[0], order.total_vnd)   # a callback
    paid_events = [e for e in app.events.get(order.id) if type(e).__name__ == "Paid"]
    assert len(paid_events) == 1


def test_cancelling_and_rejecting_return_stock(app, seller):
    owner = seller[1]
    product = listed(app, seller, stock=5)
    buyer = person()
    [first], [second] = place(app, buyer, product, 2), place(app, buyer, product, 3)
    assert stock_of(app, product) == 0
    app.cancel(buyer, str(first.id), "đổi ý")
    app.reject(owner, str(second.id), "hết hàng")
    assert stock_of(app, product) == 5
    with pytest.raises(FailedPrecondition):
        app.cancel(buyer, str(first.id))


def test_unconfirmed_reservations_expire_and_release_stock(app, seller, clock):
    product = listed(app, seller, stock=4)
    [late], [confirmed] = place(app, person(), product, 3), place(app, person(), product, 1)
    app.confirm(seller[1], str(confirmed.id))
    app.read_model.catch_up()
    assert app.queries.unconfirmed_before(clock.now) == []
    clock.now += 15 * MINUTE
    due = app.queries.unconfirmed_before(clock.now)
    assert due == [str(late.id)]
    assert [str(o.id) for o in app.expire_orders(due)] == [str(late.id)]
    assert stock_of(app, product) == 3
    with pytest.raises(FailedPrecondition):
        app.confirm(seller[1], str(late.id))


def test_reservations_end_when_units_are_sold_or_returned(app, seller, clock):
    """Shipping settles an order's reservation as sold; ending unsold releases it;
    confirmed orders keep theirs (the buyer may still cancel). Every unit stays
    accounted for: in stock, reserved or sold."""
    owner = seller[1]
    product = listed(app, seller, stock=10)
    buyer = person()
    [shipped], [cancelled], [confirmed], [late] = (
        place(app, buyer, product, quantity) for quantity in (2, 3, 1, 1))
    for order in (shipped, confirmed):
        app.confirm(owner, str(order.id))
    app.ship(owner, str(shipped.id))
    app.cancel(buyer, str(cancelled.id))
    clock.now += 15 * MINUTE
    app.expire_orders([str(late.id)])
    held = app.product(str(product.id))
    assert held.reservations == {str(confirmed.id): 1}
    assert (held.stock, held.units_sold) == (7, 2)
    app.deliver(owner, str(shipped.id))
    app.complete(buyer, str(shipped.id))
    app.cancel(buyer, str(confirmed.id))
    held = app.product(str(product.id))
    assert (held.reservations, held.stock, held.units_sold) == ({}, 8, 2)
    app.read_model.catch_up()
    assert app.queries.search(ProductSearch(), "2026-03-02").rows[0]["stock"] == 8


def test_expired_certificates_hide_the_rating(app, seller):
    product = listed(app, seller, certificate_expires_on="2026-03-01")
    shown = schemas.product(product, (0, 0), app.today())
    assert shown.ocop_stars == 0 and shown.certificate_number == "OCOP-TN-0012"
    assert ocop_stars_shown(4, "2026-03-02", app.today()) == 4


def test_integration_events(app, seller):
    buyer = person()
    [order] = place(app, buyer, listed(app, seller))
    app.confirm(seller[1], str(order.id))

    def load(aggregate_id, version):
        return app.repository.get(aggregate_id, version=version)

    published = [translate(e, load) for e in app.events.get(order.id)]
    placed, confirmed = published
    assert isinstance(placed, events.OrderPlaced) and placed.seller_id == seller[0]
    assert (confirmed.status, confirmed.previous_status, confirmed.buyer_id,
            confirmed.seller_id) == ("confirmed", "placed", buyer.subject, seller[0])
    members = app.seller(seller[0]).member_ids        # who the notification centre tells
    assert members and placed.seller_member_ids == confirmed.seller_member_ids == members

    returned = listed(app, seller, approve=False)
    app.return_product(OFFICIAL, str(returned.id), "Thiếu ảnh sản phẩm")
    [_, sent_back] = [translate(e, load) for e in app.events.get(returned.id)]
    assert sent_back == events.ProductReturned(
        product_id=str(returned.id), seller_id=seller[0], name=returned.name,
        returned_by=OFFICIAL.subject, reason="Thiếu ảnh sản phẩm", seller_member_ids=members)
