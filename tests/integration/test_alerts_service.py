"""The alerts service end to end: identity, reports, sensors (on InfluxDB) and
alerts as processes over TCP, PostgreSQL and a real RabbitMQ; grpcio clients
in this process, each server stream read in a thread of its own.

A gauge's readings cross the flood stage → the sensors service publishes
ThresholdBreached → the alerts service publishes a warning to the streams of
subscribers inside its area only, and ends it when the levels fall. A
report's status change reaches its reporter's notification stream; an
order's steps reach its buyer and its seller's members. Streams
resumed with their last token get exactly what they missed. Refused requests
name the field at fault and leave the alerts store as it was.
"""
import math
import os
import time
import uuid

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from lxml import etree

import harness
from alerts_fixtures import (  # noqa: F401  (alerts_tap, platforms and vhost are fixtures)
    ESCALATE_SECONDS, HOUR, alerts_platform, alerts_tap, area, circle, infos, market, ref,
    sensors_service, timestamp, vhost,
)
from reports_fixtures import (  # noqa: F401  (reports_platform is a fixture)
    CENTRE_OF, GIA_SANG, PHAN_DINH_PHUNG, QUYET_THANG, ROADS, offset, reports_platform, token,
    unique,
)
from kit.client import metadata
from smartcity.alerts.v1 import alerts_pb2 as pb
from smartcity.events.v1 import alerts_pb2 as alert_events
from smartcity.identity.v1 import identity_pb2 as ipb
from smartcity.marketplace.v1 import marketplace_pb2 as mpb
from smartcity.reports.v1 import reports_pb2 as rpb
from smartcity.sensors.v1 import sensors_pb2 as spb

pytestmark = pytest.mark.timeout(300)

INVALID, DENIED = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION

CAP_SCHEMA = os.path.join(harness.ROOT, "services", "alerts", "alerts", "data", "CAP-v1.2.xsd")
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
GAUGE = "tn-wl-gia-bay"                        # the shipped mappings name this gauge
GIA_BAY = CENTRE_OF[PHAN_DINH_PHUNG]           # where the test registers it
PHUC_LOC = "01894"                             # a commune some 98 km north of the gauge


@pytest.fixture(scope="module")
def operators(alerts_platform):
    """Two IOC operators: one drafts, the other approves."""
    return alerts_platform.operator(), alerts_platform.operator()


def subscribed_citizen(p, **place):
    """A citizen following one place: (person, session, subscription)."""
    person, session = p.citizen()
    return person, session, p.subscribe(session.access_token, **place)


def point(latitude, longitude) -> pb.Point:
    return pb.Point(latitude=latitude, longitude=longitude)


def states(deliveries) -> list[tuple[str, str]]:
    return [(d.warning.id, d.warning.state) for d in deliveries]


# Sensor events become warnings -----------------------------------------------------------
def water_levels(sensor_id, first_seq, values, start, step=60):
    def reading_time(seconds):
        moment = spb.Reading().time
        moment.FromNanoseconds(int(seconds * 1e9))
        return moment

    return [spb.Reading(seq=first_seq + i, sensor_id=sensor_id, kind="water_level", value=v,
                        unit="m", time=reading_time(start + i * step))
            for i, v in enumerate(values)]


def ingest(sensors, readings):
    """One batch on the gateway's Ingest stream, every reading accepted."""
    acks = list(sensors.stub.Ingest(iter([spb.ReadingBatch(readings=readings)]),
                                    metadata=metadata(sensors.gateway_token()), timeout=30))
    assert acks[-1].accepted == len(readings), acks


def test_a_flood_stage_breach_warns_the_subscribers_inside_its_area_until_it_clears(
        alerts_platform, sensors_service, alerts_tap):
    p, sensors = alerts_platform, sensors_service
    _, inside, near_gauge = subscribed_citizen(
        p, kind="current_location", location=point(*offset(GIA_BAY, north_m=1000)))
    _, outside, _ = subscribed_citizen(p, kind="home_commune", unit_code=PHUC_LOC)
    inside_stream = p.follow("FollowWarnings", inside.access_token)
    outside_stream = p.follow("FollowWarnings", outside.access_token)
    sensors.register(GAUGE, spb.ENVIRONMENTAL, ["water_level"], latitude=GIA_BAY[0],
                     longitude=GIA_BAY[1], unit_code=PHAN_DINH_PHUNG, name="Sông Cầu - Gia Bảy")

    start = time.time() - 3 * HOUR
    # above báo động I (25.0 m) for 14 minutes: the sensors rule wants 10
    rising = [24.0, 24.5] + [25.2, 25.1, 25.3, 25.05, 25.2] * 3 + [24.95, 25.1, 24.92, 25.0]
    ingest(sensors, water_levels(GAUGE, 1, rising, start))
    raised = inside_stream.next(timeout=60)
    warning = raised.warning
    assert (warning.state, warning.msg_type, warning.scope, warning.source) == (
        "published", "Alert", "Public", f"flood-cau-gia-bay@{GAUGE}")
    assert list(raised.matched_subscriptions) == [near_gauge.id]
    vietnamese = warning.infos[0]
    assert (vietnamese.language, vietnamese.severity) == ("vi-VN", "Moderate")
    assert "báo động I" in vietnamese.headline
    assert [(c.latitude, c.longitude, c.radius_km) for c in vietnamese.areas[0].circles] == [
        (*GIA_BAY, 5.0)]
    published = alerts_tap.payload(alert_events.WarningPublished,
                                   lambda e: warning.id.endswith(e.warning_id))
    assert (published.severity, published.source) == ("Moderate", warning.source)

    falling = [24.5, 24.6, 24.4] * 5
    ingest(sensors, water_levels(GAUGE, len(rising) + 1, falling, start + len(rising) * 60))
    ended = inside_stream.next(timeout=60)
    assert (ended.warning.id, ended.warning.state, ended.warning.active) == (
        warning.id, "ended", False)
    assert int(ended.resume_token) > int(raised.resume_token)
    assert alerts_tap.payload(alert_events.WarningEnded,
                              lambda e: warning.id.endswith(e.warning_id)).reason == "cleared"
    assert outside_stream.quiet_for(2) and outside_stream.received == []
    for stream in (inside_stream, outside_stream):
        stream.cancel()


# Operators -------------------------------------------------------------------------------
def test_four_eyes_update_and_cancel_chains_acknowledge_and_resolve(alerts_platform,
                                                                      operators):
    p, (anh, binh) = alerts_platform, operators
    _, citizen = p.citizen()
    p.refused(DENIED, "DraftWarning", pb.DraftWarningRequest(
        status="Actual", msg_type="Alert", scope="Public", infos=infos()),
        token=citizen.access_token)
    draft = p.call("DraftWarning", pb.DraftWarningRequest(
        status="Actual", msg_type="Alert", scope="Public", infos=infos()), token=token(anh))
    assert (draft.state, draft.active, draft.drafted_by, draft.msg_type) == (
        "draft", False, anh[0].id, "Alert")
    p.refused(DENIED, "ApproveWarning", ref(draft), token=token(anh))        # the drafter
    p.refused(DENIED, "ApproveWarning", ref(draft), token=citizen.access_token)
    original = p.approve(binh, draft)
    assert (original.state, original.active, original.approved_by) == (
        "published", True, binh[0].id)
    p.refused(PRECONDITION, "ApproveWarning", ref(draft), token=p.admin.access_token)

    update = p.call("UpdateWarning", pb.UpdateWarningRequest(
        warning_id=original.id, infos=infos("Lũ lên báo động III", severity="Extreme")),
        token=token(anh))
    assert (update.msg_type, update.state) == ("Update", "draft")
    assert len(update.references) == 1 and original.id in update.references[0]
    assert p.call("GetWarning", ref(original)).state == "published"   # until approved
    update = p.approve(binh, update)
    assert p.call("GetWarning", ref(original)).state == "superseded"
    p.refused(PRECONDITION, "UpdateWarning", pb.UpdateWarningRequest(
        warning_id=original.id, infos=infos()), token=token(anh))

    cancel = p.call("CancelWarning", pb.CancelWarningRequest(
        warning_id=update.id, reason="Nước đã rút"), token=token(binh))
    assert (cancel.msg_type, cancel.state) == ("Cancel", "draft")
    assert len(cancel.references) == 2 and original.id in cancel.references[0] \
        and update.id in cancel.references[1]
    p.refused(DENIED, "ApproveWarning", ref(cancel), token=token(binh))
    cancel = p.approve(anh, cancel)
    assert (cancel.state, cancel.active) == ("published", False)
    assert p.call("GetWarning", ref(update)).state == "cancelled"

    acknowledged = p.call("AcknowledgeWarning", ref(original), token=token(anh))
    assert (acknowledged.state, acknowledged.acknowledged) == ("superseded", True)
    p.refused(PRECONDITION, "AcknowledgeWarning", ref(original), token=token(binh))
    p.refused(DENIED, "AcknowledgeWarning", ref(update), token=citizen.access_token)

    standing = p.publish(anh, binh, infos("Sạt lở đất"))
    resolved = p.call("ResolveWarning", ref(standing), token=token(binh))
    assert (resolved.state, resolved.active, resolved.ended_at.seconds > 0) == (
        "ended", False, True)
    p.refused(PRECONDITION, "ResolveWarning", ref(standing), token=token(binh))
    p.eventually(lambda: update.id in [w.id for w in p.call(
        "ListWarnings", pb.ListWarningsRequest(state="cancelled")).warnings])
    assert standing.id not in [w.id for w in p.call("ListWarnings",
                                                     pb.ListWarningsRequest()).warnings]


def test_cap_export_validates_against_the_cap_1_2_schema(alerts_platform, operators):
    p, (anh, binh) = alerts_platform, operators
    shapes = area("Ven sông Cầu", unit_codes=[PHAN_DINH_PHUNG], circles=[circle(*GIA_BAY, 3)],
                  polygons=[pb.Polygon(points=[point(21.58, 105.82), point(21.60, 105.82),
                                               point(21.60, 105.85)])])
    original = p.publish(anh, binh, infos("Lũ & sạt lở <khẩn cấp>", areas=[shapes]))
    cancel = p.approve(anh, p.call("CancelWarning", pb.CancelWarningRequest(
        warning_id=original.id, reason="Báo nhầm"), token=token(binh)))

    schema = etree.XMLSchema(etree.parse(CAP_SCHEMA))
    for warning in (original, cancel):
        xml = p.call("ExportCap", ref(warning)).xml
        document = etree.fromstring(xml.encode("utf-8"))
        schema.assertValid(document)
        assert document.findtext("cap:identifier", namespaces=CAP) == warning.id
        assert document.findtext("cap:msgType", namespaces=CAP) == warning.msg_type
        assert [i.findtext("cap:language", namespaces=CAP)
                for i in document.findall("cap:info", CAP)] == ["vi-VN", "en-US"]
    cap_area = document.find("cap:info/cap:area", CAP)
    assert cap_area.findtext("cap:geocode/cap:valueName", namespaces=CAP) == "VN-ADMIN"
    assert cap_area.findtext("cap:geocode/cap:value", namespaces=CAP) == PHAN_DINH_PHUNG
    assert cap_area.findtext("cap:circle", namespaces=CAP) == f"{GIA_BAY[0]},{GIA_BAY[1]} 3"
    assert len(cap_area.findtext("cap:polygon", namespaces=CAP).split()) == 4   # closed ring
    assert original.id in document.findtext("cap:references", namespaces=CAP)
    assert document.findtext("cap:note", namespaces=CAP) == "Báo nhầm"
    assert document.findtext("cap:info/cap:headline", namespaces=CAP) == \
        "Lũ & sạt lở <khẩn cấp>"                                 # escaped, not broken


def test_receipts_and_i_am_safe_are_counted_per_commune(alerts_platform, operators):
    p, (anh, binh) = alerts_platform, operators
    warning = p.publish(anh, binh, infos("Bão số 3", severity="Extreme"))
    _, reader, _ = subscribed_citizen(p, kind="home_commune", unit_code=PHAN_DINH_PHUNG)
    _, moved, _ = subscribed_citizen(p, kind="home_commune", unit_code=PHAN_DINH_PHUNG)
    _, at_home, _ = subscribed_citizen(p, kind="home_commune", unit_code=QUYET_THANG)

    delivered = p.call("ConfirmDelivery", pb.ReceiptRequest(warning_id=warning.id),
                       token=reader.access_token)
    assert (delivered.delivered, delivered.read, delivered.safe) == (True, False, False)
    read = p.call("ConfirmDelivery", pb.ReceiptRequest(warning_id=warning.id, read=True),
                  token=reader.access_token)
    assert (read.read, read.safe) == (True, False)
    # where the person checks in from counts, not their home commune
    safe = p.call("CheckInSafe", pb.CheckInSafeRequest(
        warning_id=warning.id, location=point(*CENTRE_OF[GIA_SANG])), token=moved.access_token)
    assert (safe.delivered, safe.read, safe.safe) == (True, True, True)
    p.call("CheckInSafe", pb.CheckInSafeRequest(warning_id=warning.id),
           token=at_home.access_token)
    p.call("CheckInSafe", pb.CheckInSafeRequest(warning_id=warning.id),
           token=at_home.access_token)                                   # twice counts once

    expected = {PHAN_DINH_PHUNG: (0, 1, 1), GIA_SANG: (1, 1, 1), QUYET_THANG: (1, 1, 1)}

    def counts():
        answer = p.call("GetSafetyCounts", ref(warning), token=token(anh))
        return {a.unit_code: (a.safe, a.delivered, a.read) for a in answer.areas}

    p.eventually(lambda: counts() == expected, message=f"safety counts {expected}")
    p.refused(DENIED, "GetSafetyCounts", ref(warning), token=reader.access_token)


# Places ------------------------------------------------------------------------------------
def square(centre, half_side_degrees) -> pb.Polygon:
    latitude, longitude = centre
    corners = [(-1, -1), (-1, 1), (1, 1), (1, -1)]
    return pb.Polygon(points=[point(latitude + a * half_side_degrees,
                                    longitude + b * half_side_degrees) for a, b in corners])


def test_a_warning_reaches_the_places_its_area_touches(alerts_platform, operators):
    p, (anh, binh) = alerts_platform, operators
    _, session = p.citizen()
    citizen = session.access_token
    home = p.subscribe(citizen, kind="home_commune", unit_code=QUYET_THANG, name="Nhà")
    p.subscribe(citizen, kind="current_location", location=point(*CENTRE_OF[GIA_SANG]))
    here = p.subscribe(citizen, kind="current_location",      # replaces the one before
                       location=point(*CENTRE_OF[PHAN_DINH_PHUNG]))
    dropped = p.subscribe(citizen, kind="area", polygon=square((22.4712, 105.825), 0.02))
    drawn = p.subscribe(citizen, kind="area", circle=circle(22.4712, 105.825, 2))
    assert p.call("Unsubscribe", pb.SubscriptionRef(subscription_id=dropped.id),
                  token=citizen).active is False
    p.refused(grpc.StatusCode.NOT_FOUND, "Unsubscribe", pb.SubscriptionRef(
        subscription_id=dropped.id), token=citizen, field="subscription_id")
    listed = p.call("ListSubscriptions", pb.ListSubscriptionsRequest(), token=citizen)
    assert {s.id for s in listed.subscriptions} == {home.id, here.id, drawn.id}

    stream = p.follow("FollowWarnings", citizen)
    by_area = {name: p.publish(anh, binh, infos(name, areas=[shape])) for name, shape in [
        ("Gia Sàng only", area(circles=[circle(*CENTRE_OF[GIA_SANG], 1)])),
        ("far north", area(polygons=[square((22.4712, 105.825), 0.01)])),
        ("Phan Đình Phùng", area(unit_codes=[PHAN_DINH_PHUNG]))]}
    p.publish(anh, binh, infos("for the IOC only"), scope="Restricted")
    by_area["province"] = p.publish(anh, binh, infos("province"))
    expected = [(by_area["far north"].id, [drawn.id]),
                (by_area["Phan Đình Phùng"].id, [here.id]),
                (by_area["province"].id, sorted([home.id, here.id, drawn.id]))]
    assert [(d.warning.id, sorted(d.matched_subscriptions))
            for d in stream.take(len(expected))] == expected
    assert stream.quiet_for(1.5)
    stream.cancel()


# Resuming streams ------------------------------------------------------------------------
def test_a_resumed_warning_stream_gets_exactly_what_it_missed(alerts_platform, operators):
    p, (anh, binh) = alerts_platform, operators
    _, citizen, home = subscribed_citizen(p, kind="home_commune", unit_code=GIA_SANG)
    far_away = [area("Miền núi phía Bắc", circles=[circle(22.4712, 105.825, 5)])]
    first_stream = p.follow("FollowWarnings", citizen.access_token)
    first = p.publish(anh, binh, infos("Cảnh báo 1"))
    [delivered] = first_stream.take(1)
    assert (delivered.warning.id, list(delivered.matched_subscriptions)) == (first.id, [home.id])
    first_stream.cancel()

    second = p.publish(binh, anh, infos("Cảnh báo 2"))
    p.publish(anh, binh, infos("Không liên quan", areas=far_away))
    third = p.publish(anh, binh, infos("Cảnh báo 3"))
    update = p.approve(binh, p.call("UpdateWarning", pb.UpdateWarningRequest(
        warning_id=second.id, infos=infos("Cảnh báo 2, cập nhật")), token=token(anh)))
    cancel = p.approve(anh, p.call("CancelWarning", pb.CancelWarningRequest(
        warning_id=third.id, reason="Hết nguy cơ"), token=token(binh)))
    missed = [(second.id, "published"), (third.id, "published"), (update.id, "published"),
              (second.id, "superseded"), (cancel.id, "published"), (third.id, "cancelled")]

    resumed = p.follow("FollowWarnings", citizen.access_token,
                       resume_token=first_stream.last_token, settle=False)
    assert states(resumed.take(len(missed))) == missed
    assert resumed.quiet_for(1.5)
    fourth = p.publish(binh, anh, infos("Cảnh báo 4"))
    assert states(resumed.take(1)) == [(fourth.id, "published")]
    assert resumed.quiet_for(1.5)
    tokens = [int(d.resume_token) for d in first_stream.received + resumed.received]
    assert tokens == sorted(set(tokens))                                 # none twice
    resumed.cancel()


def test_a_status_change_notifies_the_reporter_and_a_resumed_stream_misses_nothing(
        alerts_platform):
    p, reports = alerts_platform, alerts_platform.reports
    category = reports.define(unique("pothole"), agency=ROADS)
    lead, crew = reports.staff(ROADS, PHAN_DINH_PHUNG), reports.staff(ROADS, PHAN_DINH_PHUNG)
    _, session = p.citizen()
    report = reports.file(session.access_token, category.code, CENTRE_OF[PHAN_DINH_PHUNG])
    report_ref = rpb.ReportRef(report_id=report.id)

    first_stream = p.follow("FollowNotifications", session.access_token)
    reports.call("AcceptReport", rpb.AcceptReportRequest(report_id=report.id), token=token(lead))
    [accepted] = first_stream.take(1, timeout=30)
    note = accepted.notification
    assert (note.kind, note.title, note.link, note.read, accepted.resume_token) == (
        "report_status", "Phản ánh của bạn đã được tiếp nhận", f"report:{report.id}", False, "1")
    first_stream.cancel()

    reports.call("AssignReport", rpb.AssignReportRequest(report_id=report.id,
                                                         staff_id=crew[0].id), token=token(lead))
    reports.call("StartWork", report_ref, token=token(crew))
    resumed = p.follow("FollowNotifications", session.access_token, resume_token="1",
                       settle=False)
    missed = resumed.take(2, timeout=30)
    assert [(d.resume_token, d.notification.title) for d in missed] == [
        ("2", "Phản ánh của bạn đã được giao cho cán bộ xử lý"),
        ("3", "Phản ánh của bạn đang được xử lý")]
    reports.call("ResolveReport", rpb.ResolveReportRequest(
        report_id=report.id, note="Đã vá xong"), token=token(crew))
    [resolved] = resumed.take(1, timeout=30)
    assert (resolved.resume_token, resolved.notification.body) == ("4", "Kết quả xử lý: Đã vá xong")
    assert resumed.quiet_for(1.5)
    resumed.cancel()

    listed = p.call("ListNotifications", pb.ListNotificationsRequest(), token=session.access_token)
    assert [n.id for n in listed.notifications] == [
        d.notification.id for d in reversed(first_stream.received + resumed.received)]
    assert listed.unread == 4
    unread = p.call("MarkNotificationsRead", pb.MarkNotificationsReadRequest(
        notification_ids=[note.id]), token=session.access_token).unread
    assert unread == 3
    only_unread = p.call("ListNotifications", pb.ListNotificationsRequest(unread_only=True),
                         token=session.access_token)
    assert note.id not in [n.id for n in only_unread.notifications]
    _, stranger = p.citizen()
    assert not p.call("ListNotifications", pb.ListNotificationsRequest(),
                      token=stranger.access_token).notifications


def test_an_identity_verification_notifies_the_citizen(alerts_platform):
    p = alerts_platform
    person, session = p.citizen()                 # a confirmed phone tells them nothing
    stream = p.follow("FollowNotifications", session.access_token)
    p.identity.call("VerifyPerson", ipb.VerifyPersonRequest(
        person_id=person.id, evidence="CCCD seen at the commune office"),
        token=p.admin.access_token)
    [told] = stream.take(1)
    assert (told.resume_token, told.notification.kind, told.notification.title,
            told.notification.link) == ("1", "identity_verified",
                                        "Tài khoản của bạn đã được xác thực",
                                        f"account:{person.id}")
    assert stream.quiet_for(1.5)
    stream.cancel()


def test_buyer_and_seller_hear_what_the_other_does_with_an_order(alerts_platform, market):
    seller, official, buyer = market.seller(), market.official(), market.citizen()
    product = market.product(seller, official)
    stream = alerts_platform.follow("FollowNotifications", token(buyer))
    refused, kept = market.order(buyer, product), market.order(buyer, product)
    market.call("RejectOrder", mpb.ReasonRequest(order_id=refused.id, reason="Hết hàng"),
                token=token(seller[1]))
    for method in ("ConfirmOrder", "ShipOrder", "MarkDelivered"):
        market.call(method, mpb.OrderRef(order_id=kept.id), token=token(seller[1]))
    market.call("CompleteOrder", mpb.OrderRef(order_id=kept.id), token=token(buyer))
    told = [(d.resume_token, d.notification.kind, d.notification.title, d.notification.body,
             d.notification.link) for d in stream.take(4)]
    assert told == [
        ("1", "order_update", "Người bán đã từ chối đơn hàng của bạn", "Lý do: Hết hàng",
         f"order:{refused.id}"),
        ("2", "order_update", "Người bán đã xác nhận đơn hàng của bạn",
         "Mở đơn hàng để xem chi tiết.", f"order:{kept.id}"),
        ("3", "order_update", "Đơn hàng của bạn đang được giao", "Mở đơn hàng để xem chi tiết.",
         f"order:{kept.id}"),
        ("4", "order_update", "Đơn hàng của bạn đã được giao",
         "Hãy xác nhận đã nhận hàng và đánh giá sản phẩm.", f"order:{kept.id}"),
    ]
    assert stream.quiet_for(1.5)            # completing is the buyer's own step
    stream.cancel()

    def sellers_inbox():
        notifications = alerts_platform.call("ListNotifications", pb.ListNotificationsRequest(),
                                             token=token(seller[1])).notifications
        return [(n.title, n.link) for n in reversed(notifications)]

    alerts_platform.eventually(lambda: len(sellers_inbox()) == 4, "the seller's notifications")
    assert sellers_inbox() == [(f'Sản phẩm "{product.name}" đã được duyệt',
                                f"product:{product.id}"),
                               ("Cửa hàng của bạn có đơn hàng mới", f"order:{refused.id}"),
                               ("Cửa hàng của bạn có đơn hàng mới", f"order:{kept.id}"),
                               ("Người mua đã xác nhận nhận hàng", f"order:{kept.id}")]


def test_a_sellers_members_hear_how_an_official_reviewed_their_listing(alerts_platform, market):
    seller, official = market.seller(), market.official()
    stream = alerts_platform.follow("FollowNotifications", token(seller[1]))
    listed = market.call("ListProduct", market.listing(seller), token=token(seller[1]))
    market.call("ReturnProduct", mpb.ReturnProductRequest(
        product_id=listed.id, reason="Ảnh chưa rõ nét"), token=token(official))
    market.call("UpdateProduct", mpb.UpdateProductRequest(
        product_id=listed.id, update_mask=FieldMask(paths=["description"]),
        description="Mật ong hoa rừng, ảnh chụp lại"), token=token(seller[1]))
    market.call("ApproveProduct", mpb.ProductRef(product_id=listed.id), token=token(official))
    told = [(d.notification.kind, d.notification.title, d.notification.body,
             d.notification.link) for d in stream.take(2)]
    assert told == [
        ("product_review", f'Sản phẩm "{listed.name}" cần chỉnh sửa trước khi được duyệt',
         "Lý do: Ảnh chưa rõ nét", f"product:{listed.id}"),
        ("product_review", f'Sản phẩm "{listed.name}" đã được duyệt',
         "Sản phẩm đã hiển thị trên sàn và người mua có thể đặt hàng.", f"product:{listed.id}"),
    ]
    stream.cancel()


# Emergency response ----------------------------------------------------------------------
def handled(steps) -> list:
    """A case's steps but its escalation: on a loaded machine the 2-second
    escalation may come before an operator's first step."""
    return [step for step in steps if step.step != "escalated"]


def statuses_of(stream, case_id, last_status, timeout=30) -> list[str]:
    """The statuses the stream shows for one case, up to last_status."""
    seen = stream.until(lambda d: d.emergency_case.id == case_id
                        and d.emergency_case.status == last_status, timeout=timeout)
    return [d.emergency_case.status for d in seen if d.emergency_case.id == case_id
            and handled(d.emergency_case.steps[-1:])]


def test_an_sos_is_followed_from_the_call_to_closing(alerts_platform, operators, alerts_tap):
    p, (anh, _) = alerts_platform, operators
    caller, session = p.citizen()
    cases = p.follow("FollowCases", token(anh))
    sos = p.call("SendSos", pb.SendSosRequest(kind="flood", location=point(
        *CENTRE_OF[GIA_SANG]), note="Nước ngập đến ngực"), token=session.access_token)
    assert (sos.status, sos.unit_code, sos.caller_id, sos.escalated) == (
        "open", GIA_SANG, caller.id, False)
    assert statuses_of(cases, sos.id, "open") == ["open"]

    case_ref = pb.CaseRef(case_id=sos.id)
    moved_to = offset(CENTRE_OF[GIA_SANG], north_m=300)
    p.call("UpdateSosLocation", pb.UpdateSosLocationRequest(
        case_id=sos.id, location=point(*moved_to)), token=session.access_token)
    moved = cases.until(lambda d: d.emergency_case.id == sos.id
                        and d.emergency_case.location.latitude == moved_to[0])[-1]
    assert moved.emergency_case.steps[-1].step == "location_updated"
    p.refused(DENIED, "AcknowledgeCase", case_ref, token=session.access_token)
    p.refused(PRECONDITION, "DispatchUnit", pb.DispatchUnitRequest(
        case_id=sos.id, unit="PCCC Thái Nguyên - xe 03"), token=token(anh))
    p.call("AcknowledgeCase", case_ref, token=token(anh))
    p.call("DispatchUnit", pb.DispatchUnitRequest(case_id=sos.id, unit="PCCC Thái Nguyên - xe 03"),
           token=token(anh))
    for step in ("en_route", "on_scene", "closed"):
        p.call("AdvanceCase", pb.AdvanceCaseRequest(case_id=sos.id, step=step, note=step),
               token=token(anh))
    assert statuses_of(cases, sos.id, "closed") == [
        "acknowledged", "dispatched", "en_route", "on_scene", "closed"]

    seen_by_caller = p.call("GetCase", case_ref, token=session.access_token)
    assert [(s.step, s.actor) for s in handled(seen_by_caller.steps)] == [
        ("opened", caller.id), ("location_updated", caller.id), ("acknowledged", anh[0].id),
        ("dispatched", anh[0].id),
        ("en_route", anh[0].id), ("on_scene", anh[0].id), ("closed", anh[0].id)]
    _, stranger = p.citizen()
    p.refused(DENIED, "GetCase", case_ref, token=stranger.access_token)
    assert alerts_tap.payload(alert_events.EmergencyCaseOpened,
                              lambda e: e.case_id == sos.id).unit_code == GIA_SANG
    cases.cancel()


def test_an_unacknowledged_sos_is_escalated(alerts_platform, operators, alerts_tap):
    p, (anh, _) = alerts_platform, operators
    _, session = p.citizen()
    cases = p.follow("FollowCases", token(anh))
    sos = p.call("SendSos", pb.SendSosRequest(kind="medical", location=point(
        *CENTRE_OF[QUYET_THANG])), token=session.access_token)
    # the escalation timer runs every 5 s: a case waits ESCALATE_SECONDS and up to one tick
    escalated = cases.until(lambda d: d.emergency_case.id == sos.id
                            and d.emergency_case.escalated, timeout=ESCALATE_SECONDS + 20)[-1]
    assert escalated.emergency_case.status == "open"
    assert escalated.emergency_case.steps[-1].step == "escalated"
    event = alerts_tap.payload(alert_events.EmergencyCaseEscalated, lambda e: e.case_id == sos.id)
    assert event.unacknowledged_seconds >= ESCALATE_SECONDS
    acknowledged = p.call("AcknowledgeCase", pb.CaseRef(case_id=sos.id), token=token(anh))
    assert (acknowledged.status, acknowledged.escalated) == ("acknowledged", True)
    cases.cancel()


def test_only_operators_follow_cases(alerts_platform):
    p = alerts_platform
    _, session = p.citizen()
    stream = p.follow("FollowCases", session.access_token, settle=False)
    stream.read_done.wait(10)
    assert stream.ended.code() == DENIED


# Bad input -------------------------------------------------------------------------------
def bad_info(**changes):
    blocks = infos()
    for name, value in changes.items():
        blocks[0].ClearField(name)
        if isinstance(value, list):
            getattr(blocks[0], name).extend(value)
        elif isinstance(value, str):
            setattr(blocks[0], name, value)
        else:
            getattr(blocks[0], name).CopyFrom(value)
    return blocks


BAD_WARNINGS = [
    ("infos[0].severity", bad_info(severity="Terrible")),
    ("infos[0].urgency", bad_info(urgency="")),
    ("infos[0].categories[0]", bad_info(categories=["Weather"])),
    ("infos[0].headline", bad_info(headline="")),
    ("infos[0].expires", bad_info(expires=timestamp(time.time() - HOUR))),
    ("infos[0].language", bad_info(language="fr-FR")),
    ("infos", infos()[1:]),                                                  # no vi-VN
    ("infos[0].areas", bad_info(areas=[])),
    ("infos[0].areas[0]", bad_info(areas=[area()])),                         # no shape
    ("infos[0].areas[0].unit_codes[0]", bad_info(areas=[area(unit_codes=["99999"])])),
    ("infos[0].areas[0].circles[0].radius_km", bad_info(areas=[area(circles=[
        circle(21.59, 105.84, 0)])])),
    ("infos[0].areas[0].polygons[0]", bad_info(areas=[area(polygons=[pb.Polygon(points=[
        point(21.5, 105.8), point(21.6, 105.8)])])])),
    ("infos[0].areas[0].polygons[0].points[1].latitude", bad_info(areas=[area(polygons=[
        pb.Polygon(points=[point(21.5, 105.8), point(95, 105.8), point(21.6, 105.9)])])])),
]


@pytest.mark.parametrize("field, blocks", BAD_WARNINGS, ids=[f for f, _ in BAD_WARNINGS])
def test_a_bad_info_block_or_area_is_refused_naming_the_field(alerts_platform, operators,
                                                               field, blocks):
    p, (anh, _) = alerts_platform, operators
    p.refused(INVALID, "DraftWarning", pb.DraftWarningRequest(
        status="Actual", msg_type="Alert", scope="Public", infos=blocks), token=token(anh),
        field=field)


def test_bad_warning_envelopes_are_refused_naming_the_field(alerts_platform, operators):
    p, (anh, binh) = alerts_platform, operators
    for field, request in [
            ("status", pb.DraftWarningRequest(status="Rumour", scope="Public", infos=infos())),
            ("msg_type", pb.DraftWarningRequest(status="Actual", msg_type="Update",
                                                scope="Public", infos=infos())),
            ("scope", pb.DraftWarningRequest(status="Actual", scope="Everyone",
                                             infos=infos()))]:
        p.refused(INVALID, "DraftWarning", request, token=token(anh), field=field)
    p.refused(INVALID, "ApproveWarning", pb.WarningRef(warning_id="not-a-warning"),
              token=token(binh), field="warning_id")
    p.refused(grpc.StatusCode.NOT_FOUND, "GetWarning", pb.WarningRef(
        warning_id=str(uuid.uuid4())), field="warning_id")


BAD_SUBSCRIPTIONS = [
    ("kind", dict(kind="everywhere")),
    ("unit_code", dict(kind="home_commune", unit_code="99999")),
    ("unit_code", dict(kind="home_commune", unit_code="19")),               # a province
    ("location.latitude", dict(kind="current_location", location=point(95, 105.8))),
    ("location.longitude", dict(kind="current_location", location=point(21.5, math.inf))),
    ("polygon.points", dict(kind="area", polygon=pb.Polygon(points=[point(21.5, 105.8),
                                                                    point(21.6, 105.8)]))),
    ("circle.radius_km", dict(kind="area", circle=circle(21.59, 105.84, 0))),
    ("polygon", dict(kind="area")),                                           # nothing drawn
]


@pytest.mark.parametrize("field, place", BAD_SUBSCRIPTIONS,
                         ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_SUBSCRIPTIONS)])
def test_a_bad_subscription_is_refused_naming_the_field(alerts_platform, field, place):
    p = alerts_platform
    _, session = p.citizen()
    p.refused(INVALID, "Subscribe", pb.SubscribeRequest(**place), token=session.access_token,
              field=field)
    assert not p.call("ListSubscriptions", pb.ListSubscriptionsRequest(),
                      token=session.access_token).subscriptions


def test_a_current_location_subscription_needs_a_location(alerts_platform):
    p = alerts_platform
    _, session = p.citizen()
    p.refused(INVALID, "Subscribe", pb.SubscribeRequest(kind="current_location"),
              token=session.access_token, field="location")


def test_a_bad_sos_is_refused_naming_the_field(alerts_platform):
    p = alerts_platform
    _, session = p.citizen()
    for field, request in [
            ("kind", pb.SendSosRequest(kind="alien", location=point(21.59, 105.84))),
            ("kind", pb.SendSosRequest(location=point(21.59, 105.84))),
            ("location.latitude", pb.SendSosRequest(kind="fire", location=point(91, 105.8))),
            ("location.longitude", pb.SendSosRequest(kind="fire", location=point(21.5, math.nan))),
            ("note", pb.SendSosRequest(kind="fire", location=point(21.5, 105.8),
                                       note="x" * 1001))]:
        p.refused(INVALID, "SendSos", request, token=session.access_token, field=field)


def test_a_bad_resume_token_is_refused(alerts_platform):
    p = alerts_platform
    _, session = p.citizen()
    stream = p.follow("FollowWarnings", session.access_token, resume_token="yesterday",
                      settle=False)
    stream.read_done.wait(10)
    assert stream.ended.code() == INVALID and "resume_token" in stream.ended.details()
