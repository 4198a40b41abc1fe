"""The notification centre, on an SQLite event store in tmp_path (save_once
needs its processed-events table): no broker, no network."""
import uuid

import pytest
from google.protobuf.json_format import MessageToDict

from alerts.notifications import Inbox, NotificationCommands, inbox_id
from kit.auth import Principal, RoleGrant
from kit.errors import InvalidArgument, Unauthenticated
from kit.eventstore import EventSourcedApplication, persistence_env
from smartcity.events.v1 import identity_pb2, marketplace_pb2, reports_pb2

T0 = 1_767_000_000.0


class NotificationsApp(NotificationCommands, EventSourcedApplication):
    snapshotted = (Inbox,)

    def __init__(self, env):
        super().__init__(env)
        self.clock = lambda: T0


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENT_STORE_URL", f"sqlite:///{tmp_path / 'alerts.db'}")
    monkeypatch.setenv("SNAPSHOT_INTERVAL", "5")
    monkeypatch.delenv("EVENT_STORE_CIPHER_KEY", raising=False)
    return persistence_env("alerts")


@pytest.fixture
def app(store):
    return NotificationsApp(store)


def person():
    return Principal(subject=str(uuid.uuid4()), kind="person", roles=(RoleGrant("citizen"),),
                     assurance_level=1)


def deliver(app, message, event_id=None, occurred_at=T0):
    """As the adapter does: the payload as a dict, the type by its full name."""
    return app.on_integration_event(
        event_id or str(uuid.uuid4()), message.DESCRIPTOR.full_name,
        MessageToDict(message, preserving_proto_field_name=True), occurred_at)


def status_changed(reporter, status="accepted", supporters=(), note="", previous="submitted",
                   actor=None, report_id="r-1"):
    return reports_pb2.ReportStatusChanged(
        report_id=report_id, status=status, previous_status=previous,
        actor_id=actor or str(uuid.uuid4()), actor_role="agency_staff", note=note,
        reporter_id=reporter.subject, supporter_ids=[s.subject for s in supporters],
        category="pothole", unit_code="05443", agency="Sở Xây dựng")


def titles(app, caller):
    return [n.title for n in app.list_notifications(caller).notifications]


# Who hears what ------------------------------------------------------------------------
def test_a_status_change_reaches_the_reporter_and_every_supporter(app):
    reporter, supporters = person(), [person(), person()]
    delivered = deliver(app, status_changed(reporter, "accepted", supporters))
    assert {d.person_id for d in delivered} == {reporter.subject, *(s.subject for s in supporters)}
    mine = app.list_notifications(reporter).notifications
    assert [(n.kind, n.title, n.link) for n in mine] == [
        ("report_status", "Phản ánh của bạn đã được tiếp nhận", "report:r-1")]
    assert mine[0].created_at == T0 and not mine[0].read
    assert titles(app, supporters[0]) == ["Phản ánh bạn ủng hộ đã được tiếp nhận"]


def test_the_note_tells_the_reason_or_the_resolution(app):
    reporter = person()
    deliver(app, status_changed(reporter, "rejected", note="Không thuộc thẩm quyền"))
    deliver(app, status_changed(reporter, "resolved", previous="in_progress",
                                note="Đã vá ổ gà"), occurred_at=T0 + 1)
    deliver(app, status_changed(reporter, "assigned", previous="resolved",
                                note="Vẫn còn ổ gà"), occurred_at=T0 + 2)
    deliver(app, status_changed(reporter, "in_progress", previous="assigned"),
            occurred_at=T0 + 3)
    shown = [(n.title, n.body) for n in app.list_notifications(reporter).notifications]
    assert shown == [
        ("Phản ánh của bạn đang được xử lý", "Mở phản ánh để xem chi tiết."),
        ("Phản ánh của bạn đã được mở lại", "Lý do: Vẫn còn ổ gà"),
        ("Phản ánh của bạn đã được giải quyết", "Kết quả xử lý: Đã vá ổ gà"),
        ("Phản ánh của bạn đã bị từ chối", "Lý do: Không thuộc thẩm quyền"),
    ]


def test_nobody_is_told_what_they_did_themselves(app):
    reporter, supporter = person(), person()
    delivered = deliver(app, status_changed(reporter, "closed", [supporter], previous="resolved",
                                            note="Cảm ơn", actor=reporter.subject))
    assert [d.person_id for d in delivered] == [supporter.subject]
    assert titles(app, reporter) == []


def test_a_merge_tells_the_duplicates_reporter_once_with_a_link_to_the_original(app):
    reporter, supporter = person(), person()
    deliver(app, status_changed(reporter, "merged", [supporter], previous="accepted"))
    deliver(app, reports_pb2.ReportMerged(report_id="r-1", into_report_id="r-0",
                                          reporter_id=reporter.subject))
    mine = app.list_notifications(reporter).notifications
    assert [(n.title, n.link) for n in mine] == [
        ("Phản ánh của bạn đã được gộp vào một phản ánh trùng", "report:r-0")]
    assert titles(app, supporter) == ["Phản ánh bạn ủng hộ đã được gộp vào một phản ánh trùng"]


def test_an_overdue_report_tells_its_assignee_and_an_unassigned_one_nobody(app):
    worker = person()
    overdue = dict(report_id="r-1", deadline="2026-03-02T11:00:00+07:00", agency="Sở Xây dựng",
                   unit_code="05443", escalated_to="19")
    assert deliver(app, reports_pb2.ReportOverdue(**overdue)) == []
    deliver(app, reports_pb2.ReportOverdue(**overdue, assignee_id=worker.subject))
    [told] = app.list_notifications(worker).notifications
    assert (told.kind, told.title, told.body, told.link) == (
        "report_overdue", "Phản ánh được giao cho bạn đã quá hạn xử lý",
        "Hạn xử lý: 11:00 02/03/2026. Phản ánh đã được báo lên cấp tỉnh.", "report:r-1")


def test_identity_verification_is_told_and_a_confirmed_phone_is_not(app):
    citizen = person()
    assert deliver(app, identity_pb2.CitizenAssuranceRaised(
        citizen_id=citizen.subject, assurance_level=1)) == []
    deliver(app, identity_pb2.CitizenAssuranceRaised(
        citizen_id=citizen.subject, assurance_level=2, verified_by="official"))
    [notification] = app.list_notifications(citizen).notifications
    assert (notification.kind, notification.title, notification.link) == (
        "identity_verified", "Tài khoản của bạn đã được xác thực", f"account:{citizen.subject}")


def order_changed(buyer, status, previous, actor=None, reason="", order_id="o-1", members=()):
    return marketplace_pb2.OrderStatusChanged(
        order_id=order_id, status=status, previous_status=previous, buyer_id=buyer.subject,
        seller_id="seller-1", actor_id=str(uuid.uuid4()) if actor is None else actor,
        reason=reason, seller_member_ids=[member.subject for member in members])


def test_the_buyer_hears_each_step_the_seller_takes(app):
    buyer, owner, packer = person(), person(), person()
    for offset, (status, previous) in enumerate([("confirmed", "placed"),
                                                 ("shipped", "confirmed"),
                                                 ("delivered", "shipped")]):
        deliver(app, order_changed(buyer, status, previous, actor=packer.subject,
                                   members=[owner, packer]), occurred_at=T0 + offset)
    shown = [(n.kind, n.title, n.body, n.link)
             for n in app.list_notifications(buyer).notifications]
    assert shown == [
        ("order_update", "Đơn hàng của bạn đã được giao",
         "Hãy xác nhận đã nhận hàng và đánh giá sản phẩm.", "order:o-1"),
        ("order_update", "Đơn hàng của bạn đang được giao", "Mở đơn hàng để xem chi tiết.",
         "order:o-1"),
        ("order_update", "Người bán đã xác nhận đơn hàng của bạn",
         "Mở đơn hàng để xem chi tiết.", "order:o-1"),
    ]
    assert titles(app, owner) == titles(app, packer) == []


def test_a_rejection_gives_the_sellers_reason_and_an_expiry_tells_both_sides(app):
    buyer, owner = person(), person()
    deliver(app, order_changed(buyer, "rejected", "placed", actor=owner.subject,
                               reason="Hết hàng", members=[owner]))
    deliver(app, order_changed(buyer, "expired", "placed", actor="", order_id="o-2",
                               reason="the seller did not confirm in time", members=[owner]),
            occurred_at=T0 + 1)
    shown = [(n.title, n.body, n.link) for n in app.list_notifications(buyer).notifications]
    assert shown == [
        ("Đơn hàng của bạn đã bị hủy", "Người bán không xác nhận đơn hàng kịp thời hạn.",
         "order:o-2"),
        ("Người bán đã từ chối đơn hàng của bạn", "Lý do: Hết hàng", "order:o-1"),
    ]
    [expired] = app.list_notifications(owner).notifications
    assert (expired.title, expired.body, expired.link) == (
        "Đơn hàng đã hết hạn vì chưa được xác nhận", "Các sản phẩm của đơn đã được trả lại kho.",
        "order:o-2")


def test_a_member_buying_from_their_own_seller_is_not_told_what_they_did(app):
    member, other = person(), person()
    deliver(app, order_changed(member, "cancelled", "placed", actor=member.subject,
                               members=[member, other]))
    assert titles(app, member) == []
    assert titles(app, other) == ["Người mua đã hủy đơn hàng"]


def test_every_member_of_the_seller_hears_of_a_new_order_and_the_buyer_does_not(app):
    buyer, owner, packer = person(), person(), person()
    delivered = deliver(app, marketplace_pb2.OrderPlaced(
        order_id="o-1", buyer_id=buyer.subject, seller_id="seller-1", total_vnd=1_250_000,
        payment_method="cod", seller_member_ids=[owner.subject, packer.subject]))
    assert {d.person_id for d in delivered} == {owner.subject, packer.subject}
    [placed] = app.list_notifications(packer).notifications
    assert (placed.kind, placed.title, placed.body, placed.link) == (
        "order_update", "Cửa hàng của bạn có đơn hàng mới",
        "Tổng 1.250.000 đ. Hãy xác nhận hoặc từ chối đơn hàng trước khi đơn hết hạn.",
        "order:o-1")
    assert titles(app, buyer) == []


def test_the_seller_hears_what_the_buyer_does_and_the_buyer_does_not(app):
    buyer, owner = person(), person()
    deliver(app, order_changed(buyer, "cancelled", "placed", actor=buyer.subject,
                               reason="Đặt nhầm", members=[owner]))
    deliver(app, order_changed(buyer, "completed", "delivered", actor=buyer.subject,
                               order_id="o-2", members=[owner]), occurred_at=T0 + 1)
    shown = [(n.title, n.body, n.link) for n in app.list_notifications(owner).notifications]
    assert shown == [
        ("Người mua đã xác nhận nhận hàng", "Mở đơn hàng để xem chi tiết.", "order:o-2"),
        ("Người mua đã hủy đơn hàng", "Lý do: Đặt nhầm", "order:o-1"),
    ]
    assert titles(app, buyer) == []


def test_the_sellers_members_hear_how_an_official_reviewed_their_listing(app):
    owner, packer, official = person(), person(), person()
    listing = dict(product_id="p-1", seller_id="seller-1", name="Chè Tân Cương",
                   seller_member_ids=[owner.subject, packer.subject])
    deliver(app, marketplace_pb2.ProductReturned(
        **listing, returned_by=official.subject, reason="Ảnh chưa rõ nét"))
    deliver(app, marketplace_pb2.ProductApproved(**listing, approved_by=official.subject),
            occurred_at=T0 + 1)
    for member in (owner, packer):
        shown = [(n.kind, n.title, n.body, n.link)
                 for n in app.list_notifications(member).notifications]
        assert shown == [
            ("product_review", 'Sản phẩm "Chè Tân Cương" đã được duyệt',
             "Sản phẩm đã hiển thị trên sàn và người mua có thể đặt hàng.", "product:p-1"),
            ("product_review", 'Sản phẩm "Chè Tân Cương" cần chỉnh sửa trước khi được duyệt',
             "Lý do: Ảnh chưa rõ nét", "product:p-1"),
        ]
    assert titles(app, official) == []


def test_unknown_event_types_are_ignored(app):
    event_id = str(uuid.uuid4())
    assert app.on_integration_event(event_id, "smartcity.events.v1.ReportSupported",
                                    {"report_id": "r-1", "supporter_id": "x"}, T0) == []
    assert not app.is_processed(event_id)


# Exactly once, in any order ----------------------------------------------------------
def test_a_redelivered_event_changes_nothing(app):
    reporter, supporter = person(), person()
    event = status_changed(reporter, "accepted", [supporter])
    first = deliver(app, event, event_id="e-1")
    assert len(first) == 2
    assert deliver(app, event, event_id="e-1") == []
    assert deliver(app, event, event_id="e-1") == []
    assert len(app.list_notifications(reporter).notifications) == 1
    assert len(app.list_notifications(supporter).notifications) == 1
    assert app.notification_sequence(reporter.subject) == 1


def test_a_late_event_takes_its_place_in_time_and_its_sequence_says_when_it_came(app):
    reporter = person()
    deliver(app, status_changed(reporter, "resolved", previous="in_progress"),
            occurred_at=T0 + 60)
    deliver(app, status_changed(reporter, "accepted"), occurred_at=T0)
    listed = app.list_notifications(reporter).notifications
    assert [(n.title, n.sequence) for n in listed] == [
        ("Phản ánh của bạn đã được giải quyết", 1), ("Phản ánh của bạn đã được tiếp nhận", 2)]


def test_a_fan_out_is_one_save_with_the_processed_event(app):
    reporter, supporters = person(), [person() for _ in range(30)]
    saves = []
    save = app.save

    def spy(*aggregates, **kwargs):
        saves.append((len(aggregates), kwargs))
        return save(*aggregates, **kwargs)

    app.save = spy
    deliver(app, status_changed(reporter, "accepted", supporters), event_id="e-fan")
    assert saves == [(31, {"processed_event_id": "e-fan"})]
    assert all(titles(app, s) == ["Phản ánh bạn ủng hộ đã được tiếp nhận"] for s in supporters)


def test_a_failed_fan_out_leaves_nothing_and_is_processed_on_redelivery(app):
    reporter, supporter = person(), person()
    save = app.save

    def failing(*aggregates, **kwargs):
        app.save = save
        raise ConnectionError("database gone")

    app.save = failing
    event = status_changed(reporter, "accepted", [supporter])
    with pytest.raises(ConnectionError):
        deliver(app, event, event_id="e-2")
    assert titles(app, reporter) == [] and not app.is_processed("e-2")
    assert len(deliver(app, event, event_id="e-2")) == 2


# Listing and marking read --------------------------------------------------------------
def test_pages_run_newest_first_with_keyset_tokens(app):
    reporter = person()
    for minute in range(45):
        deliver(app, status_changed(reporter, "accepted", report_id=f"r-{minute}"),
                occurred_at=T0 + 60 * minute)
    first = app.list_notifications(reporter, page_size=20)
    # arrivals between pages do not shift the next page
    deliver(app, status_changed(reporter, "accepted", report_id="r-new"), occurred_at=T0 + 9999)
    second = app.list_notifications(reporter, page_size=20, page_token=first.next_page_token)
    third = app.list_notifications(reporter, page_size=20, page_token=second.next_page_token)
    links = [n.link for page in (first, second, third) for n in page.notifications]
    assert links == [f"report:r-{minute}" for minute in reversed(range(45))]
    assert third.next_page_token == "" and third.unread == 46


def test_page_sizes_default_and_cap_and_bad_requests_are_refused(app):
    reporter = person()
    for number in range(25):
        deliver(app, status_changed(reporter, report_id=f"r-{number}"), occurred_at=T0 + number)
    assert len(app.list_notifications(reporter).notifications) == 20
    assert len(app.list_notifications(reporter, page_size=1000).notifications) == 25
    with pytest.raises(InvalidArgument) as refused:
        app.list_notifications(reporter, page_size=-1)
    assert refused.value.field == "page_size"
    with pytest.raises(InvalidArgument) as refused:
        app.list_notifications(reporter, page_token="nonsense")
    assert refused.value.field == "page_token"
    with pytest.raises(Unauthenticated):
        app.list_notifications(None)


def test_a_person_with_no_notifications_has_an_empty_inbox(app):
    nobody = person()
    page = app.list_notifications(nobody)
    assert (page.notifications, page.next_page_token, page.unread) == ([], "", 0)
    assert app.mark_read(nobody) == 0
    assert app.notifications_since(nobody.subject, 0) == []
    assert app.notification_sequence(nobody.subject) == 0


def test_mark_read_by_id_or_all_returns_what_is_left_unread(app):
    reporter, other = person(), person()
    for number in range(4):
        deliver(app, status_changed(reporter, report_id=f"r-{number}"), occurred_at=T0 + number)
    deliver(app, status_changed(other))
    [newest, second, *_] = app.list_notifications(reporter).notifications
    [others] = app.list_notifications(other).notifications
    assert app.mark_read(reporter, [newest.id, second.id, others.id, "unknown"]) == 2
    assert app.list_notifications(other).unread == 1
    unread = app.list_notifications(reporter, unread_only=True).notifications
    assert [n.link for n in unread] == ["report:r-1", "report:r-0"]
    assert app.mark_read(reporter, [newest.id]) == 2
    assert app.mark_read(reporter) == 0
    assert app.list_notifications(reporter, unread_only=True).notifications == []


# Resuming a stream ---------------------------------------------------------------------
def test_a_stream_resumes_after_the_sequence_it_last_delivered(app):
    reporter = person()
    for number in range(3):
        deliver(app, status_changed(reporter, report_id=f"r-{number}"), occurred_at=T0 + number)
    seen = app.notification_sequence(reporter.subject)
    for number in range(3, 6):
        deliver(app, status_changed(reporter, report_id=f"r-{number}"), occurred_at=T0 + number)
    missed = app.notifications_since(reporter.subject, seen)
    assert [(n.sequence, n.link) for n in missed] == [
        (4, "report:r-3"), (5, "report:r-4"), (6, "report:r-5")]
    assert app.notifications_since(reporter.subject, 6) == []


def test_the_inbox_keeps_the_latest_and_its_history_serves_older_resumes(app, monkeypatch):
    monkeypatch.setattr(Inbox, "KEPT", 5)
    reporter = person()
    for number in range(12):
        deliver(app, status_changed(reporter, report_id=f"r-{number}"), occurred_at=T0 + number)
    app.mark_read(reporter, [app.list_notifications(reporter).notifications[-1].id])
    inbox = app.repository.get(inbox_id(reporter.subject))
    assert [n["sequence"] for n in inbox.notifications] == [8, 9, 10, 11, 12]
    assert inbox.unread == 4
    assert [n.sequence for n in app.notifications_since(reporter.subject, 9)] == [10, 11, 12]
    everything = app.notifications_since(reporter.subject, 0)
    assert [n.link for n in everything] == [f"report:r-{number}" for number in range(12)]
    assert [n.read for n in everything].count(True) == 1 and everything[7].read


def test_a_snapshotted_inbox_reloads_the_same(app, store):
    reporter = person()
    for number in range(12):
        deliver(app, status_changed(reporter, report_id=f"r-{number}"), occurred_at=T0 + number)
    app.mark_read(reporter)
    assert list(app.snapshots.get(inbox_id(reporter.subject)))   # every 5 events
    reopened = NotificationsApp(store)
    assert reopened.list_notifications(reporter) == app.list_notifications(reporter)
    assert reopened.notification_sequence(reporter.subject) == 12
