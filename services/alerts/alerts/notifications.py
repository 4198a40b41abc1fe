"""The notification centre: each person's personal notifications, made from
other services' integration events. Plain Python: the service adapter passes
in plain values and the caller's Principal.

Built for a province's worth of app users (up to a million):

- One `Inbox` aggregate per person (its id: uuid5 of the person's id), so a
  notification to many people is many small appends to separate aggregates:
  no shared row that every delivery contends for.
- Everything one integration event changes, every inbox it reaches and the
  processed-event record, commits in one transaction (`save_once`): a
  redelivered event changes nothing and a crash leaves nothing half told.
- An inbox lives as long as its person, so it is snapshotted (the
  application lists `Inbox` in `snapshotted`) and its state keeps only the
  latest `Inbox.KEPT` notifications: loading an inbox, and its snapshot,
  stay the same size however many years the person uses the app. Older
  notifications stay in the inbox's history, which serves a stream resumed
  from further back.

Resume token of the notification stream: the notification's sequence
number in its inbox (1, 2, 3... in the order the inbox received them). It
only grows, so "everything after n" is exact, nothing missed and nothing
twice, where a time would not be (two notifications in one instant, a late
event that occurred earlier). The adapter sends str(sequence) as the
resume_token; on reconnect it replays `notifications_since(person, n)`, then
delivers new ones; a stream "from now on" starts after `notification_sequence`.

Events may arrive out of order: each one is applied by itself (no step
waits for an earlier event), and lists are ordered by when the event
occurred, so a late one takes its place in time, while its sequence still
says when it arrived, which is what a resumed stream needs.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from kit.auth import Principal, require_authenticated
from kit.errors import InvalidArgument
from kit.eventstore import retry_on_conflict

INBOX_NAMESPACE = uuid.UUID("8e4c2a61-3f0b-4d7e-9b15-6a2f8c0d4e93")
NOTIFICATION_NAMESPACE = uuid.UUID("c71d5e0a-94b2-4f38-a6e1-2d9b7f3c5a08")

REPORT_STATUS = "report_status"
REPORT_OVERDUE = "report_overdue"
IDENTITY_VERIFIED = "identity_verified"
ORDER_UPDATE = "order_update"
PRODUCT_REVIEW = "product_review"

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
ASSURANCE_VERIFIED = 2


# What each event tells whom ---------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    """One notification to one person, before it reaches the inbox."""
    person_id: str
    kind: str
    title: str
    body: str
    link: str


REPORT_STATUS_WORDS = {
    "submitted": "đã được gửi",
    "accepted": "đã được tiếp nhận",
    "rejected": "đã bị từ chối",
    "assigned": "đã được giao cho cán bộ xử lý",
    "in_progress": "đang được xử lý",
    "resolved": "đã được giải quyết",
    "closed": "đã được đóng",
    "merged": "đã được gộp vào một phản ánh trùng",
    "reopened": "đã được mở lại",
}
NOTE_LABELS = {"rejected": "Lý do", "reopened": "Lý do", "resolved": "Kết quả xử lý"}


def report_status(payload: dict) -> str:
    """The status as people see it: a resolved report back at work is reopened."""
    status = payload.get("status", "")
    if payload.get("previous_status") == "resolved" and status in ("accepted", "assigned"):
        return "reopened"
    return status


def report_audience(payload: dict) -> dict[str, str]:
    """Who hears of a status change, and how the title names the report to them.

    The reporter and every supporter, but not the person who made the change.
    A merged duplicate's reporter hears from ReportMerged instead, which links
    the report their own joined.
    """
    audience = {}
    if payload.get("status") != "merged":
        audience[payload.get("reporter_id", "")] = "Phản ánh của bạn"
    for supporter in payload.get("supporter_ids", []):
        audience.setdefault(supporter, "Phản ánh bạn ủng hộ")
    audience.pop("", None)
    audience.pop(payload.get("actor_id", ""), None)
    return audience


def report_status_changed(payload: dict) -> list[Outgoing]:
    status = report_status(payload)
    words = REPORT_STATUS_WORDS.get(status, "đã được cập nhật")
    note = payload.get("note", "")
    body = f"{NOTE_LABELS.get(status, 'Ghi chú')}: {note}" if note \
        else "Mở phản ánh để xem chi tiết."
    link = f"report:{payload.get('report_id', '')}"
    return [Outgoing(person, REPORT_STATUS, f"{named} {words}", body, link)
            for person, named in report_audience(payload).items()]


def report_overdue(payload: dict) -> list[Outgoing]:
    """The staff member working on a report, when it passes its deadline."""
    assignee = payload.get("assignee_id", "")
    if not assignee:
        return []   # not assigned yet: the agency's queue shows it overdue first
    deadline = datetime.fromisoformat(payload["deadline"]).strftime("%H:%M %d/%m/%Y")
    return [Outgoing(assignee, REPORT_OVERDUE, "Phản ánh được giao cho bạn đã quá hạn xử lý",
                     f"Hạn xử lý: {deadline}. Phản ánh đã được báo lên cấp tỉnh.",
                     f"report:{payload.get('report_id', '')}")]


def report_merged(payload: dict) -> list[Outgoing]:
    reporter = payload.get("reporter_id", "")
    if not reporter:
        return []
    return [Outgoing(
        reporter, REPORT_STATUS, "Phản ánh của bạn đã được gộp vào một phản ánh trùng",
        "Sự việc bạn phản ánh đã có người phản ánh trước: bạn sẽ nhận thông báo về tiến độ "
        "xử lý của phản ánh đó.",
        f"report:{payload.get('into_report_id', '')}")]


def citizen_assurance_raised(payload: dict) -> list[Outgoing]:
    citizen = payload.get("citizen_id", "")
    if int(payload.get("assurance_level", 0)) != ASSURANCE_VERIFIED or not citizen:
        return []   # a confirmed phone is the person's own step: nothing to tell them
    return [Outgoing(
        citizen, IDENTITY_VERIFIED, "Tài khoản của bạn đã được xác thực",
        "Cán bộ đã xác thực danh tính của bạn: bạn có thể dùng các dịch vụ dành cho tài "
        "khoản đã định danh.",
        f"account:{citizen}")]


# Orders: the buyer hears each step the seller (or the expiry timer) takes; the
# seller's members hear of a new order and of what the buyer or the timer did
# with it. Nobody hears of their own step.
TO_BUYER = {
    "confirmed": "Người bán đã xác nhận đơn hàng của bạn",
    "rejected": "Người bán đã từ chối đơn hàng của bạn",
    "expired": "Đơn hàng của bạn đã bị hủy",
    "shipped": "Đơn hàng của bạn đang được giao",
    "delivered": "Đơn hàng của bạn đã được giao",
}
TO_SELLER = {
    "cancelled": "Người mua đã hủy đơn hàng",
    "expired": "Đơn hàng đã hết hạn vì chưa được xác nhận",
    "completed": "Người mua đã xác nhận nhận hàng",
}
ORDER_BODIES = {
    ("buyer", "expired"): "Người bán không xác nhận đơn hàng kịp thời hạn.",
    ("buyer", "delivered"): "Hãy xác nhận đã nhận hàng và đánh giá sản phẩm.",
    ("seller", "expired"): "Các sản phẩm của đơn đã được trả lại kho.",
}
OPEN_ORDER = "Mở đơn hàng để xem chi tiết."


def vnd(amount) -> str:
    return f"{int(amount):,}".replace(",", ".") + " đ"


def order_audience(payload: dict, buyer_title: str | None, seller_title: str | None,
                   body_of) -> list[Outgoing]:
    """The buyer and the seller's members, each with their title, but not the actor."""
    link = f"order:{payload.get('order_id', '')}"
    told = [(payload.get("buyer_id", ""), "buyer", buyer_title)]
    told += [(member, "seller", seller_title) for member in payload.get("seller_member_ids", [])]
    return [Outgoing(person, ORDER_UPDATE, title, body_of(side), link)
            for person, side, title in told
            if person and title and person != payload.get("actor_id", "")]


def order_placed(payload: dict) -> list[Outgoing]:
    return order_audience(
        payload, None, "Cửa hàng của bạn có đơn hàng mới",
        lambda side: f"Tổng {vnd(payload.get('total_vnd', 0))}. Hãy xác nhận hoặc từ chối "
                     "đơn hàng trước khi đơn hết hạn.")


def order_status_changed(payload: dict) -> list[Outgoing]:
    status, reason = payload.get("status", ""), payload.get("reason", "")
    # the expiry's reason is the marketplace's own English: its bodies say it instead
    said = f"Lý do: {reason}" if reason and status in ("rejected", "cancelled") else ""
    return order_audience(payload, TO_BUYER.get(status), TO_SELLER.get(status),
                          lambda side: said or ORDER_BODIES.get((side, status), OPEN_ORDER))


def product_review(payload: dict, title: str, body: str) -> list[Outgoing]:
    """The seller's members, when an official approves or returns their listing."""
    return [Outgoing(member, PRODUCT_REVIEW, title, body,
                     f"product:{payload.get('product_id', '')}")
            for member in payload.get("seller_member_ids", [])]


def product_approved(payload: dict) -> list[Outgoing]:
    return product_review(payload, f"Sản phẩm \"{payload.get('name', '')}\" đã được duyệt",
                          "Sản phẩm đã hiển thị trên sàn và người mua có thể đặt hàng.")


def product_returned(payload: dict) -> list[Outgoing]:
    return product_review(
        payload, f"Sản phẩm \"{payload.get('name', '')}\" cần chỉnh sửa trước khi được duyệt",
        f"Lý do: {payload.get('reason', '')}")


# Integration event type (short name) -> builder(payload) -> list[Outgoing], at most
# one per person.
BUILDERS = {
    "ReportStatusChanged": report_status_changed,
    "ReportMerged": report_merged,
    "ReportOverdue": report_overdue,
    "CitizenAssuranceRaised": citizen_assurance_raised,
    "OrderPlaced": order_placed,
    "ProductApproved": product_approved,
    "ProductReturned": product_returned,
    "OrderStatusChanged": order_status_changed,
}


# The inbox ---------------------------------------------------------------------------
def inbox_id(person_id: str) -> uuid.UUID:
    return uuid.uuid5(INBOX_NAMESPACE, person_id)


def notification_id(source_event_id: str, person_id: str) -> str:
    """The same event tells the same person under the same id, however often it comes."""
    return str(uuid.uuid5(NOTIFICATION_NAMESPACE, f"{source_event_id}:{person_id}"))


def entry(sequence: int, notification_id: str, kind: str, title: str, body: str, link: str,
          occurred_at: float, read: bool = False) -> dict:
    """A notification as the inbox keeps it: plain values, so snapshots store it as is."""
    return dict(id=notification_id, sequence=sequence, kind=kind, title=title, body=body,
                link=link, created_at=occurred_at, read=read)


class Inbox(Aggregate):
    """One person's notifications: the latest KEPT in state, all in its history."""

    KEPT = 500

    @staticmethod
    def create_id(person_id: str) -> uuid.UUID:
        return inbox_id(person_id)

    @event("Opened")
    def __init__(self, person_id: str):
        self.person_id = person_id
        self.sequence = 0                      # the latest notification's: the resume token
        self.notifications: list[dict] = []    # entries, in the order received

    @event("Notified")
    def notify(self, notification_id: str, kind: str, title: str, body: str, link: str,
               source_event_id: str, occurred_at: float):
        self.sequence += 1
        self.notifications.append(entry(self.sequence, notification_id, kind, title, body,
                                        link, occurred_at))
        del self.notifications[:-self.KEPT]

    def mark_read(self, notification_ids: set | None):
        """Marks the given notifications read (None: all); unknown ids change nothing."""
        unread = [n["id"] for n in self.notifications if not n["read"]
                  and (notification_ids is None or n["id"] in notification_ids)]
        if unread:
            self._read(notification_ids=unread)

    @event("Read")
    def _read(self, notification_ids: list):
        read = set(notification_ids)
        for notification in self.notifications:
            if notification["id"] in read:
                notification["read"] = True

    @property
    def unread(self) -> int:
        """Of the kept notifications: older ones no longer count as waiting."""
        return sum(not notification["read"] for notification in self.notifications)


# Views -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Notification:
    id: str
    sequence: int           # in the person's inbox: the stream's resume token
    kind: str   # report_status, report_overdue, identity_verified, order_update, product_review
    title: str
    body: str
    link: str               # "report:<id>", "account:<id>"
    created_at: float       # when the event it tells of occurred, epoch seconds
    read: bool


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[Notification]    # newest first
    next_page_token: str                 # empty on the last page
    unread: int


@dataclass(frozen=True)
class Delivered:
    """A notification just saved, for the adapter to push to the person's open streams."""
    person_id: str
    notification: Notification


def newest_first(notification: dict) -> tuple[float, int]:
    return notification["created_at"], notification["sequence"]


def token_after(notification: dict) -> str:
    return f"{notification['created_at']!r}:{notification['sequence']}"


def parse_page_token(token: str) -> tuple[float, int] | None:
    if not token:
        return None
    try:
        created_at, sequence = token.rsplit(":", 1)
        return float(created_at), int(sequence)
    except (ValueError, AttributeError):
        raise InvalidArgument("not a page token this service gave", field="page_token") from None


def checked_page_size(page_size: int) -> int:
    if not isinstance(page_size, int) or page_size < 0:
        raise InvalidArgument("must be a whole number, 0 or more", field="page_size")
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


# Commands and queries ----------------------------------------------------------------
class NotificationCommands:
    """The notification centre's commands and queries, mixed into the application.

    Expects from it: `repository`, `events` and `save` (eventsourcing), and
    `save_once(event_id, decide)` and `clock()` (kit.eventstore, epoch seconds).
    """

    def on_integration_event(self, event_id: str, event_type: str, payload: dict,
                             occurred_at: float) -> list[Delivered]:
        """Tells the people an integration event concerns, exactly once.

        `event_type`: the payload's name, short or full ("ReportStatusChanged",
        "smartcity.events.v1.ReportStatusChanged"); `payload`: the message as
        MessageToDict(preserving_proto_field_name=True) gives it; `occurred_at`:
        the envelope's, in epoch seconds (0: unknown, taken as now). Returns
        what was delivered: nothing for a type nobody is told of or an event
        processed before.
        """
        build = BUILDERS.get(event_type.rsplit(".", 1)[-1])
        by_person = {item.person_id: item for item in build(payload)} if build else {}
        if not by_person:
            return []
        occurred_at = occurred_at or self.clock()
        changed: list[Inbox] = []

        def decide():
            changed[:] = [self.notified_inbox(item, event_id, occurred_at)
                          for item in by_person.values()]
            return changed

        if not self.save_once(event_id, decide):
            return []
        return [Delivered(inbox.person_id, view(inbox.notifications[-1])) for inbox in changed]

    def notified_inbox(self, item: Outgoing, event_id: str, occurred_at: float) -> Inbox:
        inbox = self.inbox(item.person_id) or Inbox(person_id=item.person_id)
        inbox.notify(notification_id=notification_id(event_id, item.person_id), kind=item.kind,
                     title=item.title, body=item.body, link=item.link,
                     source_event_id=event_id, occurred_at=occurred_at)
        return inbox

    def inbox(self, person_id: str) -> Inbox | None:
        try:
            return self.repository.get(inbox_id(person_id))
        except AggregateNotFoundError:
            return None

    def list_notifications(self, caller: Principal, unread_only: bool = False,
                           page_size: int = 0, page_token: str = "") -> NotificationPage:
        """The caller's notifications, newest first; the token is a keyset
        (occurred-at, sequence), so new arrivals do not shift later pages.
        Lists what the inbox keeps: its latest Inbox.KEPT."""
        caller = require_authenticated(caller)
        size = checked_page_size(page_size)
        after = parse_page_token(page_token)
        inbox = self.inbox(caller.subject)
        if inbox is None:
            return NotificationPage([], "", 0)
        shown = [n for n in sorted(inbox.notifications, key=newest_first, reverse=True)
                 if not (unread_only and n["read"])
                 and (after is None or newest_first(n) < after)]
        page = shown[:size]
        token = token_after(page[-1]) if len(shown) > size else ""
        return NotificationPage([view(n) for n in page], token, inbox.unread)

    @retry_on_conflict
    def mark_read(self, caller: Principal, notification_ids=()) -> int:
        """Marks the caller's notifications read (none named: all); returns how many
        are still unread. Ids not in the caller's inbox are ignored."""
        caller = require_authenticated(caller)
        inbox = self.inbox(caller.subject)
        if inbox is None:
            return 0
        inbox.mark_read(set(notification_ids) or None)
        self.save(inbox)
        return inbox.unread

    def notification_sequence(self, person_id: str) -> int:
        """The latest notification's sequence: a stream from now on resumes after it."""
        inbox = self.inbox(person_id)
        return inbox.sequence if inbox is not None else 0

    def notifications_since(self, person_id: str, sequence: int) -> list[Notification]:
        """The person's notifications after `sequence`, oldest first: a resumed stream's replay."""
        inbox = self.inbox(person_id)
        if inbox is None:
            return []
        kept = inbox.notifications
        if kept[0]["sequence"] <= sequence + 1:
            return [view(n) for n in kept if n["sequence"] > sequence]
        return self.notifications_from_history(inbox.id, sequence)

    def notifications_from_history(self, aggregate_id: uuid.UUID,
                                   sequence: int) -> list[Notification]:
        """For a stream resumed from before what the inbox keeps: its history has them all."""
        notified, read = [], set()
        for domain_event in self.events.get(aggregate_id):
            if isinstance(domain_event, Inbox.Notified):
                notified.append(domain_event)
            elif isinstance(domain_event, Inbox.Read):
                read.update(domain_event.notification_ids)
        return [view(entry(number, e.notification_id, e.kind, e.title, e.body, e.link,
                           e.occurred_at, e.notification_id in read))
                for number, e in enumerate(notified, start=1) if number > sequence]


def view(notification: dict) -> Notification:
    return Notification(**notification)
