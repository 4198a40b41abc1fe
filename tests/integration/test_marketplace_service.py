"""The marketplace end to end: a grpcio client in this process, identity and
marketplace as processes over TCP, PostgreSQL and RabbitMQ.

Sellers appear once identity publishes OrganisationVerified: the tests use
identity's real RPCs (a citizen registers an organisation, the administrator
verifies it). Listing, editing and approving also ask identity over gRPC, as
the marketplace's machine (MACHINE_CREDENTIALS / SERVICE_CLIENT_SECRET).
Reservations run out after a few seconds here (MARKETPLACE_RESERVATION_MINUTES),
so the expiry timer acts during the run.
The read side is a projection: reads that follow a command poll until they
reflect it.
"""
import contextlib
import threading
import uuid

import grpc
import pytest

import harness
from google.protobuf.field_mask_pb2 import FieldMask
from marketplace_fixtures import COMMUNE, start_marketplace
from reports_fixtures import base_env, root_conftest, start, token
from smartcity.identity.v1 import identity_pb2 as ipb
from smartcity.marketplace.v1 import marketplace_pb2 as pb

pytestmark = pytest.mark.timeout(240)

INVALID, DENIED = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND, PRECONDITION = grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION
ABORTED = grpc.StatusCode.ABORTED
RESERVATION_SECONDS = 6


@pytest.fixture(scope="module")
def market(request, tmp_path_factory, postgres_db, vhost):
    conftest = root_conftest(request.config)
    scratch = tmp_path_factory.mktemp("marketplace")
    identity_env = base_env(conftest, scratch, postgres_db, vhost, "identity")
    with contextlib.ExitStack() as stack:
        identity_service = start(identity_env, stack, "identity.service:IdentityService",
                                 scratch / "identity.log")
        identity = conftest.IdentityClient(identity_service, identity_env["OTP_OUTBOX_FILE"])
        stack.callback(identity.close)
        yield start_marketplace(
            conftest, scratch, postgres_db, vhost, identity, stack,
            MARKETPLACE_RESERVATION_MINUTES=str(RESERVATION_SECONDS / 60),
            MARKETPLACE_EXPIRY_SWEEP_SECONDS="0.5")


@pytest.fixture(scope="module")
def official(market):
    return market.official()


@pytest.fixture(scope="module")
def seller(market):
    return market.seller()


def test_order_lifecycle_and_permissions(market, seller, official):
    product = market.product(seller, official)
    buyer, stranger = market.citizen(), market.citizen()
    order = market.order(buyer, product, 2)
    assert (order.status, order.total_vnd, order.seller_id) == ("placed", 300_000, seller[0])
    ref = pb.OrderRef(order_id=order.id)
    market.refused(DENIED, "ConfirmOrder", ref, token=token(stranger))
    market.refused(DENIED, "ConfirmOrder", ref, token=token(buyer))
    market.refused(PRECONDITION, "ReviewOrder", pb.ReviewOrderRequest(order_id=order.id, stars=5),
                   token=token(buyer), field="order_id")
    market.call("ConfirmOrder", ref, token=token(seller[1]))
    market.refused(PRECONDITION, "RejectOrder", pb.ReasonRequest(order_id=order.id, reason="x"),
                   token=token(seller[1]), field="order_id")
    market.call("ShipOrder", ref, token=token(seller[1]))
    market.refused(PRECONDITION, "CancelOrder", pb.ReasonRequest(order_id=order.id),
                   token=token(buyer), field="order_id")
    delivered = market.call("MarkDelivered", ref, token=token(seller[1]))
    assert delivered.paid and delivered.payment_id == "cod"
    market.refused(INVALID, "ReviewOrder", pb.ReviewOrderRequest(order_id=order.id, stars=6),
                   token=token(buyer), field="stars")
    market.call("ReviewOrder", pb.ReviewOrderRequest(order_id=order.id, stars=4),
                token=token(buyer))
    assert market.call("CompleteOrder", ref, token=token(buyer)).status == "completed"
    assert market.stock(product) == 8
    rated = harness.wait_for(lambda: market.call(
        "GetProduct", pb.ProductRef(product_id=product.id)).rating_count == 1 and
        market.call("GetSeller", pb.SellerRef(seller_id=seller[0])), message="the rating")
    assert rated.rating_average == 4.0
    def my_statuses():
        return [o.status for o in market.call("ListMyOrders", pb.ListOrdersRequest(),
                                              token=token(buyer)).orders]

    # the read model may still show an earlier step: wait for it to settle
    harness.wait_for(lambda: my_statuses() == ["completed"], message="my orders")


def test_an_official_returns_a_listing_and_the_sellers_edit_resubmits_it(market, seller,
                                                                          official):
    listed = market.call("ListProduct", market.listing(seller), token=token(seller[1]))
    ref = pb.ReturnProductRequest(product_id=listed.id, reason="Thiếu giấy chứng nhận OCOP")
    market.refused(DENIED, "ReturnProduct", ref, token=token(seller[1]))
    market.refused(INVALID, "ReturnProduct", pb.ReturnProductRequest(product_id=listed.id),
                   token=token(official), field="reason")
    market.refused(NOT_FOUND, "ReturnProduct", pb.ReturnProductRequest(
        product_id=str(uuid.uuid4()), reason="x"), token=token(official), field="product_id")
    returned = market.call("ReturnProduct", ref, token=token(official))
    assert (returned.status, returned.review_note) == ("returned", "Thiếu giấy chứng nhận OCOP")
    mine = pb.ListSellerProductsRequest(seller_id=seller[0], status="returned")
    assert harness.wait_for(lambda: [p.id for p in market.call(
        "ListSellerProducts", mine, token=token(seller[1])).products] == [listed.id],
        message="the returned listing in the seller's list")
    market.refused(DENIED, "ListSellerProducts", mine, token=token(official))
    market.refused(INVALID, "ListSellerProducts", pb.ListSellerProductsRequest(
        seller_id=seller[0], status="sold"), token=token(seller[1]), field="status")
    assert market.call("GetProduct", pb.ProductRef(product_id=listed.id),
                       token=token(seller[1])).review_note == "Thiếu giấy chứng nhận OCOP"
    market.refused(PRECONDITION, "ApproveProduct", pb.ProductRef(product_id=listed.id),
                   token=token(official), field="product_id")
    market.call("UpdateProduct", edit(listed, "ocop", ocop=pb.OcopRating(
        stars=3, certificate_number="OCOP-TN-7", expires_on="2030-01-01")),
        token=token(seller[1]))

    def pending_ids():
        return [p.id for p in market.call("ListPendingProducts", pb.ListPendingProductsRequest(),
                                          token=token(official)).products]

    harness.wait_for(lambda: listed.id in pending_ids(), message="the resubmitted listing")
    approved = market.call("ApproveProduct", pb.ProductRef(product_id=listed.id),
                           token=token(official))
    assert (approved.status, approved.review_note) == ("approved", "")


def test_bad_input_names_the_field_and_changes_nothing(market, seller, official):
    market.refused(INVALID, "ListProduct", pb.ListProductRequest(
        seller_id=seller[0], name="Chè", category="tea", unit="hộp", price_vnd=0,
        origin_commune=COMMUNE), token=token(seller[1]), field="price_vnd")
    market.refused(DENIED, "ListProduct", pb.ListProductRequest(
        seller_id=seller[0], name="Chè", category="tea", unit="hộp", price_vnd=1000,
        origin_commune=COMMUNE), token=token(market.citizen()))
    product = market.product(seller, official)
    market.refused(INVALID, "PlaceOrders", pb.PlaceOrdersRequest(
        items=[pb.CartItem(product_id=product.id, quantity=0)], delivery_address="x"),
        token=token(market.citizen()), field="items[0].quantity")


def test_cancelling_returns_stock_and_a_cart_splits_per_seller(market, seller, official):
    other = market.seller()
    tea, longan = market.product(seller, official), market.product(other, official,
                                                                    name="Nhãn lồng")
    buyer = market.citizen()
    orders = market.call("PlaceOrders", pb.PlaceOrdersRequest(
        items=[pb.CartItem(product_id=tea.id, quantity=3),
               pb.CartItem(product_id=longan.id, quantity=1)],
        delivery_address="Đồng Hỷ"), token=token(buyer)).orders
    assert sorted(o.seller_id for o in orders) == sorted([seller[0], other[0]])
    assert market.stock(tea) == 7
    tea_order = next(o for o in orders if o.seller_id == seller[0])
    market.call("CancelOrder", pb.ReasonRequest(order_id=tea_order.id, reason="đổi ý"),
                token=token(buyer))
    assert market.stock(tea) == 10


def test_concurrent_buyers_never_oversell_and_unconfirmed_reservations_expire(
        market, seller, official):
    product = market.product(seller, official, stock=10)
    buyers = [market.citizen() for _ in range(50)]
    outcomes, start_line = [], threading.Barrier(len(buyers))

    def buy(buyer):
        start_line.wait()
        while True:   # a lost optimistic-concurrency race may answer ABORTED: try again
            try:
                outcomes.append(market.order(buyer, product).id)
                return
            except grpc.RpcError as error:
                if error.code() != ABORTED:
                    outcomes.append(error.code())
                    return

    threads = [threading.Thread(target=buy, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sold = [o for o in outcomes if isinstance(o, str)]
    assert len(sold) == 10, outcomes
    assert outcomes.count(PRECONDITION) == 40, outcomes
    assert market.stock(product) == 0
    # the seller confirms one; the other nine run out and return their units
    market.call("ConfirmOrder", pb.OrderRef(order_id=sold[0]), token=token(seller[1]))
    harness.wait_for(lambda: market.stock(product) == 9, timeout=RESERVATION_SECONDS + 20,
                     message="expired reservations to return their stock")
    expired = market.call("GetOrder", pb.OrderRef(order_id=sold[1]), token=token(seller[1]))
    assert expired.status == "expired"


def test_search_ignores_diacritics(market, seller, official):
    category = f"tea-{uuid.uuid4().hex[:6]}"
    tea = market.product(seller, official, category=category, name="Chè Thái Nguyên Tân Cương")
    market.product(seller, official, category=category, name="Mật ong rừng", price_vnd=300_000)
    harness.wait_for(lambda: len(market.search(category=category).products) == 2,
                     message="both products in search")
    found = market.search(text="che thai nguyen tan cuong", category=category).products
    assert [p.id for p in found] == [tea.id]
    assert [p.name for p in market.search(category=category, sort=pb.PRICE_DESCENDING).products
            ] == ["Mật ong rừng", tea.name]
    assert [p.id for p in market.search(text="ĐẶC", category=category).products] == []


def test_expired_certificates_hide_the_rating(market, seller, official):
    category = f"honey-{uuid.uuid4().hex[:6]}"
    expired = market.product(seller, official, category=category, ocop=pb.OcopRating(
        stars=5, certificate_number="OCOP-TN-9", expires_on="2020-01-01"))
    assert market.call("GetProduct", pb.ProductRef(product_id=expired.id)).ocop_stars == 0
    rows = harness.wait_for(lambda: market.search(category=category).products,
                            message="the product in search")
    assert rows[0].ocop_stars == 0 and rows[0].certificate_number == "OCOP-TN-9"
    assert market.search(category=category, min_stars=3).products == []


def edit(product, *paths, **fields):
    return pb.UpdateProductRequest(product_id=product.id, update_mask=FieldMask(paths=paths),
                                   **fields)


def test_edits_reach_search_and_reviewed_ones_go_back_to_review(market, seller, official):
    category = f"rice-{uuid.uuid4().hex[:6]}"
    product = market.product(seller, official, category=category, name="Gạo Bao Thai")
    repriced = market.call("UpdateProduct", edit(product, "price_vnd", "unit",
                                                 price_vnd=90_000, unit="túi 5kg"),
                           token=token(seller[1]))
    assert (repriced.price_vnd, repriced.unit, repriced.status) == (90_000, "túi 5kg", "approved")
    harness.wait_for(lambda: [p.price_vnd for p in market.search(
        text="gao bao thai", category=category).products] == [90_000], message="the new price")
    renamed = market.call("UpdateProduct", edit(product, "name", name="Gạo nếp Định Hóa"),
                          token=token(seller[1]))
    assert (renamed.name, renamed.price_vnd, renamed.status) == (
        "Gạo nếp Định Hóa", 90_000, "pending")
    harness.wait_for(lambda: market.search(category=category).products == [],
                     message="the edited listing out of search")
    market.refused(NOT_FOUND, "GetProduct", pb.ProductRef(product_id=product.id))
    market.call("ApproveProduct", pb.ProductRef(product_id=product.id), token=token(official))
    found = harness.wait_for(lambda: market.search(text="gao nep dinh hoa").products,
                             message="the approved edit in search")
    assert [p.id for p in found] == [product.id]
    assert market.search(text="bao thai", category=category).products == []


def test_bad_edits_name_the_field_and_change_nothing(market, seller, official):
    product = market.product(seller, official)
    for request, field in ((edit(product, "price_vnd", price_vnd=-1), "price_vnd"),
                           (edit(product, "stock"), "update_mask"),
                           (edit(product), "update_mask"),
                           (edit(product, "unit", "ocop", unit="hộp", ocop=pb.OcopRating(
                               stars=2, certificate_number="X", expires_on="2030-01-01")),
                            "ocop.stars")):
        market.refused(INVALID, "UpdateProduct", request, token=token(seller[1]), field=field)
    market.refused(DENIED, "UpdateProduct", edit(product, "price_vnd", price_vnd=1),
                   token=token(market.citizen()))
    assert market.call("GetProduct", pb.ProductRef(product_id=product.id)).price_vnd == 150_000


def test_a_member_identity_removed_can_no_longer_list(market, seller):
    """identity is asked at the moment of listing, whatever its events said so far."""
    member = market.citizen()
    organisation = pb.SellerRef(seller_id=seller[0])
    membership = ipb.OrganisationMemberRequest(organisation_id=seller[0], person_id=member[0].id)
    market.identity.call("AddOrganisationMember", membership, token=token(seller[1]))
    harness.wait_for(lambda: member[0].id in market.call("GetSeller", organisation).member_ids,
                     message="the new member from identity's event")
    market.call("ListProduct", market.listing(seller), token=token(member))
    listings = market.log_position("%Product.Listed")
    assert listings > 0
    market.identity.call("RemoveOrganisationMember", membership, token=token(seller[1]))
    with pytest.raises(grpc.RpcError) as error:   # identity's event may land meanwhile
        market.call("ListProduct", market.listing(seller), token=token(member))
    assert error.value.code() == DENIED
    assert market.log_position("%Product.Listed") == listings
