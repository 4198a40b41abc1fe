"""The marketplace nameko service: thin gRPC entrypoints over
MarketplaceApplication (commands) and MarketplaceQueries (the read model),
identity's organisation events, and the reservation-expiry timer."""
import time

from nameko.timer import timer
from smartcity.events.v1 import identity_pb2 as identity_events
from smartcity.marketplace.v1 import marketplace_pb2 as pb
from smartcity.marketplace.v1 import marketplace_pb2_grpc

from kit.auth import require_role
from kit.dependencies import EventStore
from kit.grpc.clients import Auth
from kit import settings
from kit.grpc.server import HealthMixin, rpc
from kit.messaging import consume_events
from marketplace import integration, schemas
from marketplace.application import OFFICIALS
from marketplace.dependencies import build_application
from marketplace.readmodel import ProductSearch

marketplace_rpc = rpc(marketplace_pb2_grpc.MarketplaceStub)
# How often the timer looks for reservations that ran out (read at import:
# nameko fixes a timer's interval when the class is defined).
EXPIRY_SWEEP_SECONDS = settings.get_float("MARKETPLACE_EXPIRY_SWEEP_SECONDS")
ORGANISATION_EVENTS = [identity_events.OrganisationVerified,
                       identity_events.OrganisationMemberAdded,
                       identity_events.OrganisationMemberRemoved]


class MarketplaceService(HealthMixin):
    name = "marketplace"

    app = EventStore(build_application, translate=integration.translate)
    caller = Auth()

    # Sellers ----------------------------------------------------------------------
    @marketplace_rpc
    def GetSeller(self, request, context):
        return self.shown_seller(self.app.seller(request.seller_id))

    @marketplace_rpc
    def UpdateSellerProfile(self, request, context):
        return self.shown_seller(self.app.update_seller_profile(
            self.caller.require(), request.seller_id, commune=request.commune,
            ocop_producer_code=request.ocop_producer_code, description=request.description))

    def shown_seller(self, seller):
        return schemas.seller(seller, self.app.queries.seller_rating(str(seller.id)))

    # Products ---------------------------------------------------------------------
    @marketplace_rpc
    def ListProduct(self, request, context):
        return self.shown_product(self.app.list_product(
            self.caller.require(), request.seller_id, name=request.name,
            description=request.description, category=request.category, unit=request.unit,
            price_vnd=request.price_vnd, photos=list(request.photos),
            ocop_stars=request.ocop.stars, certificate_number=request.ocop.certificate_number,
            certificate_expires_on=request.ocop.expires_on,
            geographical_indication=request.geographical_indication,
            origin_commune=request.origin_commune, stock=request.stock))

    @marketplace_rpc
    def UpdateProduct(self, request, context):
        return self.shown_product(self.app.update_product(
            self.caller.require(), request.product_id,
            {path: schemas.listing_field(request, path) for path in request.update_mask.paths}))

    @marketplace_rpc
    def ApproveProduct(self, request, context):
        return self.shown_product(self.app.approve_product(self.caller.require(),
                                                           request.product_id))

    @marketplace_rpc
    def ReturnProduct(self, request, context):
        return self.shown_product(self.app.return_product(self.caller.require(),
                                                          request.product_id, request.reason))

    @marketplace_rpc
    def RestockProduct(self, request, context):
        return self.shown_product(self.app.restock(self.caller.require(), request.product_id,
                                                   request.quantity))

    @marketplace_rpc
    def GetProduct(self, request, context):
        return self.shown_product(self.app.visible_product(self.caller.principal(),
                                                           request.product_id))

    @marketplace_rpc
    def SearchProducts(self, request, context):
        search = ProductSearch(
            text=request.text, category=request.category, origin_commune=request.origin_commune,
            min_stars=request.min_stars, min_price_vnd=request.min_price_vnd,
            max_price_vnd=request.max_price_vnd, sort=schemas.SORTS[request.sort])
        today = self.app.today()
        return schemas.product_page(self.app.queries.search(
            search, today.isoformat(), request.page_size, request.page_token), today)

    @marketplace_rpc
    def ListPendingProducts(self, request, context):
        require_role(self.caller.require(), *OFFICIALS)
        return schemas.product_page(self.app.queries.pending_products(
            request.page_size, request.page_token), self.app.today())

    @marketplace_rpc
    def ListSellerProducts(self, request, context):
        seller = self.app.member_seller(self.caller.require(), request.seller_id)
        return schemas.product_page(self.app.queries.seller_products(
            str(seller.id), request.status, request.page_size, request.page_token),
            self.app.today())

    def shown_product(self, product):
        return schemas.product(product, self.app.queries.product_rating(str(product.id)),
                               self.app.today())

    # Orders -----------------------------------------------------------------------
    @marketplace_rpc
    def PlaceOrders(self, request, context):
        orders = self.app.place_orders(
            self.caller.principal(), [(i.product_id, i.quantity) for i in request.items],
            request.payment_method, request.delivery_address)
        return pb.PlaceOrdersResponse(orders=[schemas.order(o) for o in orders])

    @marketplace_rpc
    def ConfirmOrder(self, request, context):
        return schemas.order(self.app.confirm(self.caller.require(), request.order_id))

    @marketplace_rpc
    def RejectOrder(self, request, context):
        return schemas.order(self.app.reject(self.caller.require(), request.order_id,
                                             request.reason))

    @marketplace_rpc
    def ShipOrder(self, request, context):
        return schemas.order(self.app.ship(self.caller.require(), request.order_id))

    @marketplace_rpc
    def MarkDelivered(self, request, context):
        return schemas.order(self.app.deliver(self.caller.require(), request.order_id))

    @marketplace_rpc
    def CompleteOrder(self, request, context):
        return schemas.order(self.app.complete(self.caller.require(), request.order_id))

    @marketplace_rpc
    def CancelOrder(self, request, context):
        return schemas.order(self.app.cancel(self.caller.require(), request.order_id,
                                             request.reason))

    @marketplace_rpc
    def PayOrder(self, request, context):
        return schemas.order(self.app.pay(self.caller.require(), request.order_id))

    @marketplace_rpc
    def ReviewOrder(self, request, context):
        return schemas.order(self.app.review(self.caller.require(), request.order_id,
                                             request.stars, request.comment))

    @marketplace_rpc
    def GetOrder(self, request, context):
        return schemas.order(self.app.visible_order(self.caller.require(), request.order_id))

    @marketplace_rpc
    def ListMyOrders(self, request, context):
        caller = self.caller.require()
        return schemas.order_page(self.app.queries.buyer_orders(
            caller.subject, request.page_size, request.page_token))

    @marketplace_rpc
    def ListSellerOrders(self, request, context):
        seller = self.app.member_seller(self.caller.require(), request.seller_id)
        return schemas.order_page(self.app.queries.seller_orders(
            str(seller.id), request.status, request.page_size, request.page_token))

    # identity's organisations ------------------------------------------------------
    @consume_events("identity", handles=ORGANISATION_EVENTS)
    def on_identity_event(self, envelope, payload):
        match payload:
            case identity_events.OrganisationVerified():
                self.app.on_organisation_verified(
                    envelope.event_id, payload.organisation_id, payload.name, payload.kind,
                    payload.unit_code, [payload.owner_id, *payload.member_ids],
                    payload.verified_by)
            case identity_events.OrganisationMemberAdded():
                self.app.on_member_changed(envelope.event_id, payload.organisation_id,
                                           payload.person_id, added=True)
            case identity_events.OrganisationMemberRemoved():
                self.app.on_member_changed(envelope.event_id, payload.organisation_id,
                                           payload.person_id, added=False)

    # Reservations -----------------------------------------------------------------
    @timer(interval=EXPIRY_SWEEP_SECONDS)
    def expire_reservations(self):
        due = self.app.queries.unconfirmed_before(time.time())
        if due:
            self.app.expire_orders(due)
