"""The marketplace's commands and single-item queries. No gRPC or nameko here:
the service adapter passes in plain values and the caller's Principal.

Who may do what: a seller's members (the people identity lists for the
organisation) manage its profile, products and orders; officials (agency
staff, IOC operators, administrators) approve listings; buyers are citizens
with a confirmed phone, and act on their own orders.

Sellers come from identity's events, which arrive a little late. Where a
stale answer would matter (a member listing or editing a product, an official
approving one) the command also asks identity itself: the organisation must
still be verified and the member still one of its members.

Stock is never oversold: placing a cart loads every product in it, reserves
the units on each and saves the orders with the products in one
transaction. Two buyers who loaded the same product version cannot both
save; the loser reloads and decides again (`retry_on_conflict`).
"""
import re
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from eventsourcing.application import AggregateNotFoundError

from kit.auth import Principal, Role, require_assurance, require_authenticated, require_role
from kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from kit.eventstore import EventSourcedApplication, retry_on_conflict
from marketplace.domainmodel import (
    APPROVED, CONFIRMED, DELIVERED, EXPIRED, ONLINE, PAYMENT_METHODS, PLACED, SHIPPED, Order,
    Product, Seller, moment,
)

OFFICIALS = (Role.AGENCY_STAFF, Role.IOC_OPERATOR, Role.ADMINISTRATOR)
ASSURANCE_PHONE_CONFIRMED = 1
RESERVATION_MINUTES = 15
VIETNAM = timezone(timedelta(hours=7))
MAX_PRICE_VND = 1_000_000_000
MAX_STOCK = 1_000_000
MAX_QUANTITY = 1_000
MAX_CART_ITEMS = 50
MAX_PHOTOS = 8
SHA256 = re.compile(r"^[0-9a-f]{64}$")
OCOP_CODE = re.compile(r"^[A-Za-z0-9\-./]{0,40}$")
# A listing's fields as requests name them; `ocop` is (stars, certificate number, expiry).
LISTING_FIELDS = ("name", "description", "category", "unit", "price_vnd", "photos", "ocop",
                  "geographical_indication", "origin_commune")


@dataclass(frozen=True)
class OrganisationStanding:
    """identity's answer about an organisation at the moment of asking."""
    verified: bool
    member_ids: tuple[str, ...]


def parse_uuid(value, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument("not a valid id", field=field) from None


def today_in_vietnam(now: float) -> date:
    return datetime.fromtimestamp(now, VIETNAM).date()


# Validation ------------------------------------------------------------------------
def checked_text(value, field: str, maximum: int, minimum: int = 1) -> str:
    if not isinstance(value, str):
        raise InvalidArgument("must be text", field=field)
    value = value.strip()
    if not minimum <= len(value) <= maximum:
        raise InvalidArgument(f"must be {minimum} to {maximum} characters", field=field)
    return value


def checked_whole(value, field: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidArgument(f"must be a whole number from {minimum} to {maximum}", field=field)
    return value


def checked_photos(photos) -> list[str]:
    photos = [sha.lower() if isinstance(sha, str) else sha for sha in photos or ()]
    if len(photos) > MAX_PHOTOS:
        raise InvalidArgument(f"at most {MAX_PHOTOS} photos", field="photos")
    if not all(isinstance(sha, str) and SHA256.match(sha) for sha in photos):
        raise InvalidArgument("name each photo by its SHA-256 (64 hex digits)", field="photos")
    return photos


def checked_ocop(stars, certificate_number, expires_on) -> dict:
    """No rating (0 stars and nothing else), or 3–5 stars with a certificate."""
    stars = checked_whole(stars, "ocop.stars", 0, 5)
    if not stars:
        if certificate_number or expires_on:
            raise InvalidArgument("a certificate needs its stars (3 to 5)", field="ocop.stars")
        return dict(ocop_stars=0, certificate_number="", certificate_expires_on="")
    if stars < 3:
        raise InvalidArgument("OCOP ratings are 3 to 5 stars", field="ocop.stars")
    try:
        expires = date.fromisoformat(expires_on).isoformat()
    except (TypeError, ValueError):
        raise InvalidArgument("must be a date YYYY-MM-DD", field="ocop.expires_on") from None
    return dict(ocop_stars=stars,
                certificate_number=checked_text(certificate_number, "ocop.certificate_number",
                                                40),
                certificate_expires_on=expires)


def checked_cart(items) -> dict[str, int]:
    """product id -> quantity; a product named twice adds up."""
    items = list(items or ())
    if not 1 <= len(items) <= MAX_CART_ITEMS:
        raise InvalidArgument(f"a cart holds 1 to {MAX_CART_ITEMS} items", field="items")
    cart: dict[str, int] = {}
    for index, (product_id, quantity) in enumerate(items):
        key = str(parse_uuid(product_id, f"items[{index}].product_id"))
        quantity = checked_whole(quantity, f"items[{index}].quantity", 1, MAX_QUANTITY)
        cart[key] = cart.get(key, 0) + quantity
    return cart


# The application -------------------------------------------------------------------
class MarketplaceApplication(EventSourcedApplication):
    """Commands and single-item queries of the marketplace.

    `units`: the administrative units (communes are checked against them);
    `payments`: a PaymentProvider for online payment; `identity.organisation(id)
    -> OrganisationStanding`: identity's fresh answer; `clock()`: epoch seconds.
    """

    snapshotted = (Product,)
    cached_aggregates = 10_000   # products and sellers are loaded by every order

    def __init__(self, env=None, *, units, payments, identity, clock=None,
                 reservation_minutes=RESERVATION_MINUTES):
        super().__init__(env)
        self.units = units
        self.payments = payments
        self.identity = identity
        self.clock = clock or time.time
        self.reservation_seconds = reservation_minutes * 60

    # Loading ---------------------------------------------------------------------
    def load(self, kind, aggregate_id, field: str, what: str):
        try:
            aggregate = self.repository.get(parse_uuid(aggregate_id, field))
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no such {what}", field=field)
        return aggregate

    def seller(self, seller_id, field="seller_id") -> Seller:
        return self.load(Seller, seller_id, field, "seller")

    def product(self, product_id, field="product_id") -> Product:
        return self.load(Product, product_id, field, "product")

    def order(self, order_id, field="order_id") -> Order:
        return self.load(Order, order_id, field, "order")

    def member_seller(self, caller: Principal | None, seller_id, field="seller_id") -> Seller:
        require_authenticated(caller)
        seller = self.seller(seller_id, field)
        if not seller.is_member(caller.subject):
            raise PermissionDenied("only the seller's members may do this")
        return seller

    def require_standing(self, seller: Seller, field: str, member: Principal | None = None):
        """identity, asked now, still has the organisation verified and, when a member
        acts for it, that member in it (the events saying otherwise may be on their way)."""
        standing = self.identity.organisation(str(seller.id))
        if not standing.verified:
            raise FailedPrecondition("identity does not list the seller's organisation as "
                                     "verified", field=field)
        if member is not None and member.subject not in standing.member_ids:
            raise PermissionDenied("identity no longer lists you as a member of the seller")

    def require_commune(self, code, field: str) -> str:
        if not isinstance(code, str) or code not in self.units or not self.units.is_commune(code):
            raise InvalidArgument("not a commune code", field=field)
        return code

    # Identity's events, exactly once -----------------------------------------------
    def on_organisation_verified(self, event_id: str, organisation_id: str, name: str,
                                 kind: str, unit_code: str, member_ids: list,
                                 verified_by: str) -> bool:
        def decide():
            if self.exists(Seller.create_id(organisation_id)):
                return []
            return [Seller(organisation_id=organisation_id, name=name, kind=kind,
                           commune=unit_code, member_ids=list(dict.fromkeys(member_ids)),
                           verified_by=verified_by, timestamp=moment(self.clock()))]
        return self.save_once(event_id, decide)

    def on_member_changed(self, event_id: str, organisation_id: str, person_id: str,
                          added: bool) -> bool:
        """A member joined or left; nothing for an organisation not verified yet
        (the verification event lists its members then)."""
        def decide():
            if not self.exists(Seller.create_id(organisation_id)):
                return []
            seller = self.seller(organisation_id)
            change = seller.add_member if added else seller.remove_member
            change(person_id, self.clock())
            return [seller]
        return self.save_once(event_id, decide)

    def exists(self, aggregate_id: uuid.UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
            return True
        except AggregateNotFoundError:
            return False

    # Sellers -----------------------------------------------------------------------
    @retry_on_conflict
    def update_seller_profile(self, caller, seller_id, *, commune, ocop_producer_code,
                              description) -> Seller:
        seller = self.member_seller(caller, seller_id)
        commune = self.require_commune(commune, "commune")
        if not isinstance(ocop_producer_code, str) or not OCOP_CODE.match(ocop_producer_code):
            raise InvalidArgument("up to 40 letters, digits and - . /", field="ocop_producer_code")
        seller.update_profile(commune, ocop_producer_code,
                              checked_text(description, "description", 2000, minimum=0),
                              caller.subject, self.clock())
        self.save(seller)
        return seller

    # Products ----------------------------------------------------------------------
    def checked_listing(self, fields: dict) -> dict:
        """Listing fields as requests name them (LISTING_FIELDS), checked, as the
        Product's attributes."""
        checks = {
            "name": lambda v: dict(name=checked_text(v, "name", 200, minimum=2)),
            "description": lambda v: dict(
                description=checked_text(v, "description", 4000, minimum=0)),
            "category": lambda v: dict(category=checked_text(v, "category", 60)),
            "unit": lambda v: dict(unit=checked_text(v, "unit", 40)),
            "price_vnd": lambda v: dict(price_vnd=checked_whole(v, "price_vnd", 1,
                                                                MAX_PRICE_VND)),
            "photos": lambda v: dict(photos=checked_photos(v)),
            "ocop": lambda v: checked_ocop(*v),
            "geographical_indication": lambda v: dict(geographical_indication=checked_text(
                v, "geographical_indication", 200, minimum=0)),
            "origin_commune": lambda v: dict(
                origin_commune=self.require_commune(v, "origin_commune")),
        }
        checked = {}
        for field, value in fields.items():
            checked.update(checks[field](value))
        return checked

    def list_product(self, caller, seller_id, *, name, description, category, unit, price_vnd,
                     photos, ocop_stars, certificate_number, certificate_expires_on,
                     geographical_indication, origin_commune, stock) -> Product:
        """A new listing, pending until an official approves it."""
        seller = self.member_seller(caller, seller_id)
        listing = self.checked_listing(dict(
            name=name, description=description, category=category, unit=unit,
            price_vnd=price_vnd, photos=photos,
            ocop=(ocop_stars, certificate_number, certificate_expires_on),
            geographical_indication=geographical_indication, origin_commune=origin_commune))
        stock = checked_whole(stock, "stock", 0, MAX_STOCK)
        self.require_standing(seller, "seller_id", member=caller)
        product = Product(seller_id=str(seller.id), **listing, stock=stock,
                          listed_by=caller.subject, timestamp=moment(self.clock()))
        self.save(product)
        return product

    @retry_on_conflict
    def update_product(self, caller, product_id, changes: dict) -> Product:
        """Edits the fields `changes` names (LISTING_FIELDS; stock changes by restocking).
        Which edits send an approved listing back to review: Product.edit."""
        product = self.product(product_id)
        seller = self.member_seller(caller, product.seller_id, field="product_id")
        if not changes:
            raise InvalidArgument("name the fields to change", field="update_mask")
        unknown = [field for field in changes if field not in LISTING_FIELDS]
        if unknown:
            raise InvalidArgument(f"cannot edit {', '.join(unknown)}; editable: "
                                  f"{', '.join(LISTING_FIELDS)} (stock: RestockProduct)",
                                  field="update_mask")
        listing = self.checked_listing(changes)
        self.require_standing(seller, "product_id", member=caller)
        product.edit(listing, caller.subject, self.clock())
        self.save(product)
        return product

    @retry_on_conflict
    def approve_product(self, caller, product_id) -> Product:
        require_role(caller, *OFFICIALS)
        product = self.product(product_id)
        self.require_standing(self.seller(product.seller_id), "product_id")
        product.approve(caller.subject, self.clock())
        self.save(product)
        return product

    @retry_on_conflict
    def return_product(self, caller, product_id, reason) -> Product:
        """A pending listing back to its seller, saying what to change."""
        require_role(caller, *OFFICIALS)
        reason = checked_text(reason, "reason", 1000)
        product = self.product(product_id)
        product.return_to_seller(reason, caller.subject, self.clock())
        self.save(product)
        return product

    @retry_on_conflict
    def restock(self, caller, product_id, quantity) -> Product:
        product = self.product(product_id)
        self.member_seller(caller, product.seller_id, field="product_id")
        product.restock(checked_whole(quantity, "quantity", 1, MAX_STOCK), caller.subject,
                        self.clock())
        self.save(product)
        return product

    def visible_product(self, caller: Principal | None, product_id) -> Product:
        """Approved products for everyone; pending and returned ones for their
        seller and officials."""
        product = self.product(product_id)
        if product.status != APPROVED and not self.may_see_pending(caller, product):
            raise NotFound("no such product", field="product_id")
        return product

    def may_see_pending(self, caller: Principal | None, product: Product) -> bool:
        if caller is None:
            return False
        if any(caller.has_role(role) for role in OFFICIALS):
            return True
        return self.seller(product.seller_id).is_member(caller.subject)

    def today(self) -> date:
        return today_in_vietnam(self.clock())

    # Orders ------------------------------------------------------------------------
    def place_orders(self, caller, items, payment_method="", delivery_address="") -> list[Order]:
        """One order per seller of the cart's products, all placed or none.
        `items`: (product_id, quantity) pairs."""
        require_assurance(caller, ASSURANCE_PHONE_CONFIRMED)
        cart = checked_cart(items)
        payment_method = payment_method or "cod"
        if payment_method not in PAYMENT_METHODS:
            raise InvalidArgument(f"must be one of {', '.join(PAYMENT_METHODS)}",
                                  field="payment_method")
        address = checked_text(delivery_address, "delivery_address", 300)
        return self.reserve_and_place(caller.subject, cart, payment_method, address)

    @retry_on_conflict
    def reserve_and_place(self, buyer_id, cart, payment_method, address) -> list[Order]:
        now = self.clock()
        products = [self.product(product_id, "items") for product_id in cart]
        orders = []
        for seller_id in dict.fromkeys(product.seller_id for product in products):
            mine = [product for product in products if product.seller_id == seller_id]
            orders.append(self.placed_order(buyer_id, seller_id, mine, cart, payment_method,
                                            address, now))
        self.save(*orders, *products)
        return orders

    def placed_order(self, buyer_id, seller_id, products, cart, payment_method, address,
                     now) -> Order:
        items = [dict(product_id=str(p.id), name=p.name, quantity=cart[str(p.id)],
                      unit_price_vnd=p.price_vnd) for p in products]
        order = Order(buyer_id=buyer_id, seller_id=seller_id, items=items,
                      total_vnd=sum(i["quantity"] * i["unit_price_vnd"] for i in items),
                      payment_method=payment_method, delivery_address=address,
                      expires_at=now + self.reservation_seconds, timestamp=moment(now))
        for product in products:
            product.reserve(str(order.id), cart[str(product.id)], "items", now)
        return order

    @retry_on_conflict
    def change_order(self, order_id, change) -> Order:
        """Applies change(order, now), ending the order's reservations when their units'
        fate is decided: back to stock when it ends unsold, sold when it ships."""
        order = self.order(order_id)
        was_unsold, was_shipped = order.ended_unsold, order.shipped
        change(order, self.clock())
        if order.ended_unsold and not was_unsold:
            products = self.reservations_ended(order, Product.release)
        elif order.shipped and not was_shipped:
            products = self.reservations_ended(order, Product.settle)
        else:
            products = []
        self.save(order, *products)
        return order

    def reservations_ended(self, order: Order, end) -> list[Product]:
        """The order's products, each after `end(product, order_id, now)`."""
        products = [self.product(product_id) for product_id in order.product_ids]
        for product in products:
            end(product, str(order.id), self.clock())
        return products

    def seller_action(self, caller, order_id, change) -> Order:
        def as_seller(order, now):
            self.member_seller(caller, order.seller_id, field="order_id")
            change(order, caller.subject, now)
        return self.change_order(order_id, as_seller)

    def buyer_action(self, caller, order_id, change) -> Order:
        def as_buyer(order, now):
            require_authenticated(caller)
            if caller.subject != order.buyer_id:
                raise PermissionDenied("only the buyer may do this")
            change(order, now)
        return self.change_order(order_id, as_buyer)

    def confirm(self, caller, order_id) -> Order:
        return self.seller_action(caller, order_id, lambda o, actor, now: o.confirm(actor, now))

    def reject(self, caller, order_id, reason) -> Order:
        reason = checked_text(reason, "reason", 1000)
        return self.seller_action(caller, order_id,
                                  lambda o, actor, now: o.reject(reason, actor, now))

    def ship(self, caller, order_id) -> Order:
        return self.seller_action(caller, order_id, lambda o, actor, now: o.ship(actor, now))

    def deliver(self, caller, order_id) -> Order:
        return self.seller_action(caller, order_id, lambda o, actor, now: o.deliver(actor, now))

    def cancel(self, caller, order_id, reason="") -> Order:
        reason = checked_text(reason, "reason", 1000, minimum=0)
        return self.buyer_action(caller, order_id,
                                 lambda o, now: o.cancel(reason, caller.subject, now))

    def complete(self, caller, order_id) -> Order:
        return self.buyer_action(caller, order_id, lambda o, now: o.complete(caller.subject, now))

    def review(self, caller, order_id, stars, comment="") -> Order:
        stars = checked_whole(stars, "stars", 1, 5)
        comment = checked_text(comment, "comment", 2000, minimum=0)
        return self.buyer_action(caller, order_id, lambda o, now: o.review(stars, comment, now))

    def pay(self, caller, order_id) -> Order:
        """Charges an online order through the provider; paying twice charges once."""
        order = self.order(order_id)
        require_authenticated(caller)
        if caller.subject != order.buyer_id:
            raise PermissionDenied("only the buyer may do this")
        if order.payment_method != ONLINE:
            raise FailedPrecondition("this order is paid in cash on delivery", field="order_id")
        order.require_status("pay", PLACED, CONFIRMED, SHIPPED, DELIVERED)
        payment_id = self.payments.charge(str(order.id), order.total_vnd,
                                          idempotency_key=f"order:{order.id}")
        return self.record_payment(str(order.id), payment_id, order.total_vnd)

    def record_payment(self, order_id, payment_id: str, amount_vnd: int) -> Order:
        """A provider's payment (also its callback, however often it repeats)."""
        return self.change_order(order_id, lambda o, now: o.record_payment(payment_id,
                                                                          amount_vnd, now))

    def visible_order(self, caller, order_id) -> Order:
        require_authenticated(caller)
        order = self.order(order_id)
        if caller.subject == order.buyer_id or any(caller.has_role(r) for r in OFFICIALS):
            return order
        if self.seller(order.seller_id).is_member(caller.subject):
            return order
        raise NotFound("no such order", field="order_id")

    # The timer ---------------------------------------------------------------------
    def expire_orders(self, candidate_ids) -> list[Order]:
        """Expires the candidates still unconfirmed past their reservation, returning
        their stock; the candidates (the read model's) that are expired now."""
        orders = [self.change_order(str(order_id), lambda o, now: o.expire(now))
                  for order_id in candidate_ids]
        return [order for order in orders if order.status == EXPIRED]
