"""The marketplace as a process for end-to-end tests, on an identity the test
module runs: a grpcio client and the people who act on it (sellers identity
verified, officials, buyers), each with a real session.

Identity knows the marketplace's machine credentials (reports_fixtures.base_env),
since listing, editing and approving ask identity over gRPC.
"""
import random
import uuid

import grpc
import psycopg
import pytest

import harness
from kit.client import channel, field_violations, metadata
from reports_fixtures import MARKETPLACE_SECRET, base_env, start, token, unique_phone_and_cccd
from smartcity.identity.v1 import identity_pb2 as ipb
from smartcity.marketplace.v1 import marketplace_pb2 as pb
from smartcity.marketplace.v1 import marketplace_pb2_grpc

NOT_FOUND = grpc.StatusCode.NOT_FOUND
COMMUNE = "05443"
TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_code() -> str:
    """A fresh enterprise tax code with a valid check digit."""
    while True:
        head = f"{random.randrange(10 ** 8, 10 ** 9):09d}"
        check = 10 - sum(int(d) * w for d, w in zip(head, TAX_CODE_WEIGHTS)) % 11
        if check < 10:
            return head + str(check)


class Marketplace:
    """identity and marketplace running; a grpcio client of marketplace."""

    def __init__(self, identity, service):
        self.identity = identity
        self.service = service
        self.channel = channel(service.target)
        self.stub = marketplace_pb2_grpc.MarketplaceStub(self.channel)
        self.admin = identity.admin_session()

    def call(self, method, request, token=None, timeout=20):
        return getattr(self.stub, method)(request, metadata=metadata(token), timeout=timeout)

    def refused(self, code, method, request, token=None, field=None):
        before = self.log_position()
        with pytest.raises(grpc.RpcError) as error:
            self.call(method, request, token=token)
        assert error.value.code() == code, (error.value.code(), error.value.details())
        if field is not None:
            assert field in [name for name, _ in field_violations(error.value)]
        assert self.log_position() == before, "a refused request changed the store"

    def log_position(self, topic="%") -> int:
        """How many events the store holds (of topics LIKE `topic`)."""
        dsn, schema = self.service.env["EVENT_STORE_URL"].split("?schema=")
        with psycopg.connect(dsn) as conn:
            return conn.execute(f'SELECT count(*) FROM "{schema}".marketplaceapplication_events '
                                "WHERE topic LIKE %s", (topic,)).fetchone()[0]

    def citizen(self):
        return self.identity.citizen(*unique_phone_and_cccd())

    def official(self):
        person, _ = self.citizen()
        self.identity.call("GrantRole", ipb.RoleRequest(person_id=person.id, grant=ipb.RoleGrant(
            role="agency_staff", agency="Sở Công Thương", jurisdiction="19")),
            token=self.admin.access_token)
        self.identity.call("RequestOtp", ipb.RequestOtpRequest(phone=person.phone))
        return person, self.identity.sign_in_with_otp(person.phone)

    def seller(self):
        """A cooperative identity verified, as marketplace knows it: (seller id, owner)."""
        owner = self.citizen()
        organisation = self.identity.call("RegisterOrganisation", ipb.RegisterOrganisationRequest(
            name="HTX Chè Tân Cương", tax_code=tax_code(), kind="cooperative",
            unit_code=COMMUNE, address="Xóm Nam Đồng"), token=token(owner))
        self.identity.call("VerifyOrganisation", ipb.VerifyOrganisationRequest(
            organisation_id=organisation.id), token=self.admin.access_token)
        harness.wait_for(lambda: self.exists("GetSeller", pb.SellerRef(seller_id=organisation.id)),
                         message="the seller from identity's event")
        return organisation.id, owner

    def exists(self, method, request):
        try:
            return self.call(method, request)
        except grpc.RpcError as error:
            if error.code() != NOT_FOUND:
                raise
            return None

    def product(self, seller, official, stock=10, **fields):
        """A listing approved by the official."""
        values = dict(name="Chè Thái Nguyên đặc biệt", description="Búp chè non",
                      category=f"tea-{uuid.uuid4().hex[:6]}", unit="hộp 200g",
                      price_vnd=150_000, origin_commune=COMMUNE, stock=stock,
                      geographical_indication="Chè Thái Nguyên",
                      ocop=pb.OcopRating(stars=4, certificate_number="OCOP-TN-1",
                                         expires_on="2099-12-31"))
        values.update(fields)
        listed = self.call("ListProduct", pb.ListProductRequest(seller_id=seller[0], **values),
                           token=token(seller[1]))
        return self.call("ApproveProduct", pb.ProductRef(product_id=listed.id),
                         token=token(official))

    def order(self, buyer, product, quantity=1):
        [order] = self.call("PlaceOrders", pb.PlaceOrdersRequest(
            items=[pb.CartItem(product_id=product.id, quantity=quantity)],
            delivery_address="12 Hoàng Văn Thụ"), token=token(buyer)).orders
        return order

    def stock(self, product) -> int:
        return self.call("GetProduct", pb.ProductRef(product_id=product.id)).stock

    def search(self, **fields):
        return self.call("SearchProducts", pb.SearchProductsRequest(**fields))

    def listing(self, seller, **fields):
        return pb.ListProductRequest(seller_id=seller[0], name="Mật ong rừng", category="honey",
                                     unit="chai 500ml", price_vnd=250_000,
                                     origin_commune=COMMUNE, **fields)

    def close(self):
        self.channel.close()


def start_marketplace(conftest, scratch, database: str, vhost: str, identity, stack,
                      **overrides) -> Marketplace:
    """The marketplace on `identity` (a conftest.IdentityClient), stopped with the stack."""
    env = base_env(conftest, scratch, database, vhost, "marketplace",
                   IDENTITY_GRPC_TARGET=identity.service.target,
                   SERVICE_CLIENT_SECRET=MARKETPLACE_SECRET, **overrides)
    service = start(env, stack, "marketplace.service:MarketplaceService",
                    scratch / "marketplace.log")
    platform = Marketplace(identity, service)
    stack.callback(platform.close)
    return platform
