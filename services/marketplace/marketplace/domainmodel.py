"""The marketplace's aggregates and their events. Plain Python: times are
passed in.

Methods decorated with @event run both when the event happens and when the
aggregate is replayed, so they only apply state; the checks sit in the
undecorated methods around them.

Consistency boundaries:
- a Seller is an organisation identity verified, with its members;
- a Product holds its own stock and the reservations against it, so two
  buyers racing for the last unit both load the same version and the store's
  optimistic concurrency lets exactly one of them save. A reservation lasts
  only while its units may still come back: an order that ends unsold
  releases it to stock, an order that ships settles it as sold (no rule
  returns a shipped order's units), so a product never holds more
  reservations than its open orders;
- an Order moves through its lifecycle, and the command that places, cancels,
  rejects or expires it saves the order and its products together.

The order lifecycle, as the transitions each command allows:

    confirm    placed                        -> confirmed   (seller)
    reject     placed                        -> rejected    (seller; stock returned)
    cancel     placed, confirmed             -> cancelled   (buyer; stock returned)
    expire     placed, reservation run out   -> expired     (timer; stock returned)
    ship       confirmed                     -> shipped     (seller; reservation settled)
    deliver    shipped                       -> delivered   (seller; cash on delivery is paid)
    complete   delivered                     -> completed   (buyer)
    review     delivered, completed, once    (buyer)
"""
import uuid
from datetime import date, datetime, timezone

from eventsourcing.domain import Aggregate, event

from kit.errors import AlreadyExists, FailedPrecondition

PENDING, APPROVED, RETURNED = "pending", "approved", "returned"
PRODUCT_STATUSES = (PENDING, APPROVED, RETURNED)
PLACED, CONFIRMED, REJECTED, CANCELLED = "placed", "confirmed", "rejected", "cancelled"
EXPIRED, SHIPPED, DELIVERED, COMPLETED = "expired", "shipped", "delivered", "completed"
ORDER_STATUSES = (PLACED, CONFIRMED, REJECTED, CANCELLED, EXPIRED, SHIPPED, DELIVERED, COMPLETED)
COD, ONLINE = "cod", "online"
PAYMENT_METHODS = (COD, ONLINE)
COD_PAYMENT_ID = "cod"


def moment(now: float) -> datetime:
    return datetime.fromtimestamp(now, timezone.utc)


# What a citizen relies on when buying: editing any of these sends an approved
# listing back to an official. Price, unit and category are terms and shelving
# the buyer sees as they order, so they change at once.
REVIEWED_FIELDS = frozenset({"name", "description", "photos", "ocop_stars", "certificate_number",
                             "certificate_expires_on", "geographical_indication",
                             "origin_commune"})
EDITABLE_FIELDS = REVIEWED_FIELDS | {"price_vnd", "unit", "category"}


def ocop_stars_shown(stars: int, expires_on: str, today: date) -> int:
    """The star rating as anyone may see it: none once the certificate expired."""
    if not stars or not expires_on or date.fromisoformat(expires_on) < today:
        return 0
    return stars


class Seller(Aggregate):
    """An organisation identity verified, selling on the marketplace."""

    @staticmethod
    def create_id(organisation_id: str) -> uuid.UUID:
        return uuid.UUID(organisation_id)

    @event("Verified")
    def __init__(self, organisation_id: str, name: str, kind: str, commune: str,
                 member_ids: list, verified_by: str, timestamp: datetime):
        self.name = name
        self.kind = kind
        self.commune = commune
        self.member_ids = list(member_ids)
        self.ocop_producer_code = ""
        self.description = ""

    def is_member(self, person_id: str) -> bool:
        return person_id in self.member_ids

    def add_member(self, person_id: str, now: float):
        if person_id not in self.member_ids:
            self._member_added(person_id=person_id, timestamp=moment(now))

    @event("MemberAdded")
    def _member_added(self, person_id: str, timestamp: datetime):
        self.member_ids.append(person_id)

    def remove_member(self, person_id: str, now: float):
        if person_id in self.member_ids:
            self._member_removed(person_id=person_id, timestamp=moment(now))

    @event("MemberRemoved")
    def _member_removed(self, person_id: str, timestamp: datetime):
        self.member_ids.remove(person_id)

    def update_profile(self, commune: str, ocop_producer_code: str, description: str,
                       updated_by: str, now: float):
        self._profile_updated(commune=commune, ocop_producer_code=ocop_producer_code,
                              description=description, updated_by=updated_by,
                              timestamp=moment(now))

    @event("ProfileUpdated")
    def _profile_updated(self, commune: str, ocop_producer_code: str, description: str,
                         updated_by: str, timestamp: datetime):
        self.commune = commune
        self.ocop_producer_code = ocop_producer_code
        self.description = description


class Product(Aggregate):
    """A listing and its stock: the boundary that decides every reservation.

    Every unit is always in exactly one place: `stock` (for sale),
    `reservations` (held for an open order) or `units_sold` (shipped).
    """

    units_sold = 0   # snapshots taken before settling existed lack it
    review_note = ""  # likewise for snapshots taken before listings could be returned

    @event("Listed")
    def __init__(self, seller_id: str, name: str, description: str, category: str, unit: str,
                 price_vnd: int, photos: list, ocop_stars: int, certificate_number: str,
                 certificate_expires_on: str, geographical_indication: str,
                 origin_commune: str, stock: int, listed_by: str, timestamp: datetime):
        self.seller_id = seller_id
        self.name = name
        self.description = description
        self.category = category
        self.unit = unit
        self.price_vnd = price_vnd
        self.photos = list(photos)
        self.ocop_stars = ocop_stars
        self.certificate_number = certificate_number
        self.certificate_expires_on = certificate_expires_on
        self.geographical_indication = geographical_indication
        self.origin_commune = origin_commune
        self.stock = stock
        self.status = PENDING
        self.reservations: dict[str, int] = {}   # order id -> units held for it
        self.units_sold = 0

    def approve(self, official_id: str, now: float):
        if self.status != PENDING:
            raise FailedPrecondition(f"the product is {self.status} already", field="product_id")
        self._approved(official_id=official_id, timestamp=moment(now))

    @event("Approved")
    def _approved(self, official_id: str, timestamp: datetime):
        self.status = APPROVED
        self.review_note = ""

    def return_to_seller(self, reason: str, official_id: str, now: float):
        """Sends a pending listing back to its seller with what to change; the
        seller's next edit puts it up for review again."""
        if self.status != PENDING:
            raise FailedPrecondition(f"the product is {self.status}", field="product_id")
        self._returned(reason=reason, official_id=official_id, timestamp=moment(now))

    @event("Returned")
    def _returned(self, reason: str, official_id: str, timestamp: datetime):
        self.status = RETURNED
        self.review_note = reason

    def edit(self, changes: dict, edited_by: str, now: float):
        """Applies the attributes that differ; an approved listing whose reviewed
        content changed, or a returned one, goes back to pending. Values are
        checked already."""
        unknown = changes.keys() - EDITABLE_FIELDS
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        changed = {name: value for name, value in changes.items()
                   if getattr(self, name) != value}
        if changed:
            self._edited(changes=changed,
                         back_to_review=self.status == RETURNED or (
                             self.status == APPROVED
                             and not changed.keys().isdisjoint(REVIEWED_FIELDS)),
                         edited_by=edited_by, timestamp=moment(now))

    @event("Edited")
    def _edited(self, changes: dict, back_to_review: bool, edited_by: str,
                timestamp: datetime):
        for name, value in changes.items():
            setattr(self, name, value)
        if back_to_review:
            self.status = PENDING

    def restock(self, quantity: int, restocked_by: str, now: float):
        self._restocked(quantity=quantity, restocked_by=restocked_by, timestamp=moment(now))

    @event("Restocked")
    def _restocked(self, quantity: int, restocked_by: str, timestamp: datetime):
        self.stock += quantity

    def reserve(self, order_id: str, quantity: int, field: str, now: float):
        if self.status != APPROVED:
            raise FailedPrecondition("the product is not on sale", field=field)
        if quantity > self.stock:
            raise FailedPrecondition(f"only {self.stock} left", field=field)
        self._reserved(order_id=order_id, quantity=quantity, timestamp=moment(now))

    @event("Reserved")
    def _reserved(self, order_id: str, quantity: int, timestamp: datetime):
        self.stock -= quantity
        self.reservations[order_id] = quantity

    def release(self, order_id: str, now: float):
        """Returns an order's units to stock; a second release changes nothing."""
        if order_id in self.reservations:
            self._released(order_id=order_id, quantity=self.reservations[order_id],
                           timestamp=moment(now))

    @event("Released")
    def _released(self, order_id: str, quantity: int, timestamp: datetime):
        self.stock += quantity
        del self.reservations[order_id]

    def settle(self, order_id: str, now: float):
        """Counts a shipped order's units as sold; a second settle changes nothing."""
        if order_id in self.reservations:
            self._settled(order_id=order_id, quantity=self.reservations[order_id],
                          timestamp=moment(now))

    @event("Settled")
    def _settled(self, order_id: str, quantity: int, timestamp: datetime):
        self.units_sold += quantity
        del self.reservations[order_id]


class Order(Aggregate):
    """One buyer's order of one seller's products."""

    @event("Placed")
    def __init__(self, buyer_id: str, seller_id: str, items: list, total_vnd: int,
                 payment_method: str, delivery_address: str, expires_at: float,
                 timestamp: datetime):
        self.buyer_id = buyer_id
        self.seller_id = seller_id
        self.items = items          # dicts: product_id, name, quantity, unit_price_vnd
        self.total_vnd = total_vnd
        self.payment_method = payment_method
        self.delivery_address = delivery_address
        self.expires_at = expires_at
        self.placed_at = timestamp.timestamp()
        self.status = PLACED
        self.previous_status = ""
        self.status_reason = ""
        self.payment_ids: list[str] = []
        self.review_stars = 0

    @property
    def product_ids(self) -> list[str]:
        return [item["product_id"] for item in self.items]

    @property
    def paid(self) -> bool:
        return bool(self.payment_ids)

    @property
    def shipped(self) -> bool:
        """Shipped or later: no rule returns its units to stock any more."""
        return self.status in (SHIPPED, DELIVERED, COMPLETED)

    @property
    def ended_unsold(self) -> bool:
        """Rejected, cancelled or expired: its units belong back in stock."""
        return self.status in (REJECTED, CANCELLED, EXPIRED)

    def require_status(self, action: str, *allowed: str):
        if self.status not in allowed:
            raise FailedPrecondition(f"cannot {action} an order that is {self.status}",
                                     field="order_id")

    def _move_to(self, status: str, reason: str = ""):
        self.previous_status, self.status = self.status, status
        self.status_reason = reason

    # The seller ------------------------------------------------------------------
    def confirm(self, actor_id: str, now: float):
        self.require_status("confirm", PLACED)
        self._confirmed(actor_id=actor_id, timestamp=moment(now))

    @event("Confirmed")
    def _confirmed(self, actor_id: str, timestamp: datetime):
        self._move_to(CONFIRMED)

    def reject(self, reason: str, actor_id: str, now: float):
        self.require_status("reject", PLACED)
        self._rejected(reason=reason, actor_id=actor_id, timestamp=moment(now))

    @event("Rejected")
    def _rejected(self, reason: str, actor_id: str, timestamp: datetime):
        self._move_to(REJECTED, reason)

    def ship(self, actor_id: str, now: float):
        self.require_status("ship", CONFIRMED)
        self._shipped(actor_id=actor_id, timestamp=moment(now))

    @event("Shipped")
    def _shipped(self, actor_id: str, timestamp: datetime):
        self._move_to(SHIPPED)

    def deliver(self, actor_id: str, now: float):
        """Delivered; cash on delivery counts as paid with it."""
        self.require_status("mark delivered", SHIPPED)
        self._delivered(actor_id=actor_id, timestamp=moment(now))
        if self.payment_method == COD:
            self.record_payment(COD_PAYMENT_ID, self.total_vnd, now)

    @event("Delivered")
    def _delivered(self, actor_id: str, timestamp: datetime):
        self._move_to(DELIVERED)

    # The buyer -------------------------------------------------------------------
    def cancel(self, reason: str, actor_id: str, now: float):
        self.require_status("cancel", PLACED, CONFIRMED)
        self._cancelled(reason=reason, actor_id=actor_id, timestamp=moment(now))

    @event("Cancelled")
    def _cancelled(self, reason: str, actor_id: str, timestamp: datetime):
        self._move_to(CANCELLED, reason)

    def complete(self, actor_id: str, now: float):
        self.require_status("complete", DELIVERED)
        self._completed(actor_id=actor_id, timestamp=moment(now))

    @event("Completed")
    def _completed(self, actor_id: str, timestamp: datetime):
        self._move_to(COMPLETED)

    def review(self, stars: int, comment: str, now: float):
        self.require_status("review", DELIVERED, COMPLETED)
        if self.review_stars:
            raise AlreadyExists("this order is reviewed already", field="order_id")
        self._reviewed(stars=stars, comment=comment, product_ids=self.product_ids,
                       timestamp=moment(now))

    @event("Reviewed")
    def _reviewed(self, stars: int, comment: str, product_ids: list, timestamp: datetime):
        self.review_stars = stars

    # Payment ---------------------------------------------------------------------
    def record_payment(self, payment_id: str, amount_vnd: int, now: float) -> bool:
        """Records a provider's payment once: a repeated payment id changes nothing."""
        if payment_id in self.payment_ids:
            return False
        if self.paid:
            raise FailedPrecondition("the order is paid already", field="order_id")
        if amount_vnd != self.total_vnd:
            raise FailedPrecondition(f"paid {amount_vnd} VND of {self.total_vnd}",
                                     field="order_id")
        self._paid(payment_id=payment_id, amount_vnd=amount_vnd, timestamp=moment(now))
        return True

    @event("Paid")
    def _paid(self, payment_id: str, amount_vnd: int, timestamp: datetime):
        self.payment_ids.append(payment_id)

    # The timer -------------------------------------------------------------------
    def expire(self, now: float) -> bool:
        """Ends an order its seller did not confirm in time; False if it is not due."""
        if self.status != PLACED or now < self.expires_at:
            return False
        self._expired(timestamp=moment(now))
        return True

    @event("Expired")
    def _expired(self, timestamp: datetime):
        self._move_to(EXPIRED, "the seller did not confirm in time")
