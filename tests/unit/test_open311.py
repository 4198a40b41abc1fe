"""The Open311 GeoReport v2 router, against a fake read model."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.datastructures import MultiDict

from kit.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from reports.open311 import EMERGENCY_NOTICE, Open311
from reports.readmodel import OPEN_STATUSES, STATUSES, CategoryRow, ReportRow

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)
PHOTO = "ab" * 32
ROADS = "Sở Xây dựng"


def category(code="pothole", **fields):
    defaults = dict(code=code, name_vi="Ổ gà", name_en="Pothole", group="roads",
                    questions=[], agency=ROADS, deadline_hours=48, deadline_working_days=0,
                    emergency=False, active=True)
    return CategoryRow(**{**defaults, **fields})


QUESTIONS = [
    {"code": "depth_cm", "label_vi": "Độ sâu (cm)", "label_en": "Depth (cm)", "type": "number",
     "required": True, "choices": []},
    {"code": "note", "label_vi": "Ghi chú", "label_en": "", "type": "text", "required": False,
     "choices": []},
    {"code": "blocking", "label_vi": "Cản trở giao thông", "label_en": "Blocks traffic",
     "type": "boolean", "required": False, "choices": []},
    {"code": "size", "label_vi": "Kích thước", "label_en": "Size", "type": "choice",
     "required": True, "choices": ["nhỏ", "lớn"]},
]
CATEGORIES = [
    category(questions=QUESTIONS),
    category("fire", name_vi="Cháy", name_en="Fire", group="safety", emergency=True),
    category("old", name_vi="Cũ", name_en="Retired", active=False),
]


def report(number=1, **fields):
    filed = NOW - timedelta(days=number)
    defaults = dict(
        id=f"r{number}", category="pothole", status="submitted", description="Ổ gà lớn",
        latitude=21.5928, longitude=105.8442, address="12 Hoàng Văn Thụ", unit_code="05443",
        agency=ROADS, reporter_id="citizen-1", reporter_name="", anonymous=False, assignee_id="",
        media=[PHOTO], filed_at=filed, deadline=filed + timedelta(hours=48), resolved_at=None,
        closed_at=None, overdue=False, escalated=False, hidden=False, supporters=0, rating=0,
        emergency=False, merged_into="", status_note="",
        last_changed_at=filed + timedelta(hours=1))
    return ReportRow(**{**defaults, **fields})


class FakeQueries:
    """The read model's queries the router uses; records each search."""

    def __init__(self, reports=()):
        self.reports = list(reports)
        self.searches = []

    def categories(self, include_inactive=False):
        return [c for c in CATEGORIES if include_inactive or c.active]

    def category(self, code):
        return next((c for c in CATEGORIES if c.code == code), None)

    def published_reports(self, ids=None, categories=None, statuses=None, filed_from=None,
                          filed_to=None, limit=1000):
        self.searches.append(dict(ids=ids, categories=categories, statuses=statuses,
                                  filed_from=filed_from, filed_to=filed_to, limit=limit))
        return [r for r in self.reports if not r.hidden and (ids is None or r.id in ids)][:limit]


class Filer:
    """Stands in for the application's FileReport."""

    def __init__(self, error=None):
        self.calls = []
        self.error = error

    def __call__(self, principal, **fields):
        self.calls.append((principal, fields))
        if self.error:
            raise self.error
        return "new-report-id"


def authenticate(token):
    if token != "good-token":
        raise Unauthenticated("bad token")
    return {"subject": "citizen-1"}


@pytest.fixture
def queries():
    return FakeQueries()


@pytest.fixture
def filer():
    return Filer()


@pytest.fixture
def router(queries, filer):
    return Open311(queries, filer, authenticate,
                   media_url=lambda sha256: f"https://tinh.example/media/{sha256}.jpg",
                   base_url="https://tinh.example/", contact="ioc@tinh.example",
                   clock=NOW.timestamp)


def call(router, method, path, args=None, body=None, principal=None):
    status, headers, text = router.handle(method, path, args or {}, body, principal)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    return status, json.loads(text), headers


def error_of(router, method, path, **request):
    status, document, _ = call(router, method, path, **request)
    [error] = document
    assert error["code"] == status
    return status, error["description"]


# Discovery and services -----------------------------------------------------------
def test_discovery_names_the_endpoint_and_its_format(router):
    status, document, headers = call(router, "GET", "/open311/v2/discovery.json")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    [endpoint] = document["endpoints"]
    assert endpoint["url"] == "https://tinh.example/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["application/json"] and document["contact"]


def test_services_list_the_active_categories(router):
    status, services, _ = call(router, "GET", "/open311/v2/services.json")
    assert status == 200
    assert [s["service_code"] for s in services] == ["pothole", "fire"]
    assert services[0] == {"service_code": "pothole", "service_name": "Ổ gà",
                           "description": "Pothole", "metadata": True, "type": "realtime",
                           "keywords": "roads, Pothole", "group": "roads"}
    assert services[1]["metadata"] is False


def test_a_service_definition_turns_questions_into_attributes(router):
    status, definition, _ = call(router, "GET", "/open311/v2/services/pothole.json")
    assert status == 200 and definition["service_code"] == "pothole"
    depth, note, blocking, size = definition["attributes"]
    assert depth == {"variable": True, "code": "depth_cm", "datatype": "number",
                     "required": True, "datatype_description": "Một số / a number", "order": 1,
                     "description": "Độ sâu (cm) / Depth (cm)"}
    assert (note["datatype"], note["required"], note["order"]) == ("string", False, 2)
    assert note["description"] == "Ghi chú" and "values" not in note
    assert blocking["datatype"] == "singlevaluelist"
    assert [v["key"] for v in blocking["values"]] == ["true", "false"]
    assert size["values"] == [{"key": "nhỏ", "name": "nhỏ"}, {"key": "lớn", "name": "lớn"}]


@pytest.mark.parametrize("code", ["nothing", "old"])
def test_an_unknown_or_retired_service_is_not_found(router, code):
    status, description = error_of(router, "GET", f"/open311/v2/services/{code}.json")
    assert status == 404 and description.startswith("service_code:")


# Reading requests -------------------------------------------------------------------
def test_requests_default_to_the_last_90_days_and_describe_each_request(router, queries):
    queries.reports = [report(1, status="in_progress", supporters=3),
                       report(2, category="fire", media=[])]
    status, requests, _ = call(router, "GET", "/open311/v2/requests.json")

    assert status == 200
    assert queries.searches == [dict(ids=None, categories=None, statuses=None,
                                     filed_from=NOW - timedelta(days=90), filed_to=NOW,
                                     limit=1000)]
    assert requests[0] == {
        "service_request_id": "r1", "status": "open", "status_notes": "",
        "service_name": "Ổ gà", "service_code": "pothole", "description": "Ổ gà lớn",
        "agency_responsible": ROADS, "service_notice": "",
        "requested_datetime": "2026-03-09T12:00:00+07:00",
        "updated_datetime": "2026-03-09T13:00:00+07:00",
        "expected_datetime": "2026-03-11T12:00:00+07:00",
        "address": "12 Hoàng Văn Thụ", "lat": 21.5928, "long": 105.8442,
        "media_url": f"https://tinh.example/media/{PHOTO}.jpg"}
    assert (requests[1]["service_name"], requests[1]["media_url"]) == ("Cháy", "")
    assert requests[1]["service_notice"] == EMERGENCY_NOTICE


@pytest.mark.parametrize("status", STATUSES)
def test_statuses_map_to_open_or_closed(router, queries, status):
    queries.reports = [report(status=status, status_note="ghi chú", merged_into="r9")]
    _, [request], _ = call(router, "GET", "/open311/v2/requests/r1.json")
    assert request["status"] == ("open" if status in OPEN_STATUSES else "closed")
    notes = "Đã gộp vào phản ánh r9 / merged into r9" if status == "merged" else "ghi chú"
    assert request["status_notes"] == notes


def test_requests_filter_by_code_status_and_dates(router, queries):
    args = MultiDict({"service_code": "pothole,fire", "status": "closed",
                      "start_date": "2026-02-01T00:00:00Z",
                      "end_date": "2026-03-01T00:00:00 07:00"})     # '+' arrives as a space
    assert call(router, "GET", "/open311/v2/requests.json", args)[0] == 200
    assert queries.searches[-1] == dict(
        ids=None, categories=["pothole", "fire"],
        statuses=["resolved", "rejected", "closed", "merged"],
        filed_from=datetime(2026, 2, 1, tzinfo=timezone.utc),
        filed_to=datetime(2026, 2, 28, 17, tzinfo=timezone.utc), limit=1000)

    call(router, "GET", "/open311/v2/requests.json", {"status": "open",
                                                       "end_date": "2026-01-31"})
    assert queries.searches[-1]["statuses"] == list(OPEN_STATUSES)
    assert queries.searches[-1]["filed_from"] == datetime(2025, 11, 2, tzinfo=timezone.utc)


def test_request_ids_override_every_other_filter(router, queries):
    queries.reports = [report(1), report(2), report(3)]
    args = {"service_request_id": "r1, r3", "status": "closed", "service_code": "fire"}
    _, requests, _ = call(router, "GET", "/open311/v2/requests.json", args)
    assert [r["service_request_id"] for r in requests] == ["r1", "r3"]
    assert queries.searches[-1]["ids"] == ["r1", "r3"]
    assert queries.searches[-1]["statuses"] is None


@pytest.mark.parametrize("args, field", [
    ({"status": "pending"}, "status"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-01"}, "end_date"),
    ({"start_date": "2025-01-01T00:00:00Z"}, "start_date"),              # over 90 days
    ({"start_date": "2026-03-05", "end_date": "2026-03-01"}, "start_date"),
    ({"service_request_id": ",".join(f"r{n}" for n in range(1001))}, "service_request_id"),
])
def test_bad_request_filters_are_400_naming_the_field(router, args, field):
    status, description = error_of(router, "GET", "/open311/v2/requests.json", args=args)
    assert status == 400 and description.startswith(f"{field}:")


def test_one_request_is_an_array_of_one_and_hidden_ones_are_not_found(router, queries):
    queries.reports = [report(1), report(2, hidden=True)]
    status, requests, _ = call(router, "GET", "/open311/v2/requests/r1.json")
    assert status == 200 and [r["service_request_id"] for r in requests] == ["r1"]
    for missing in ("r2", "r404"):
        assert error_of(router, "GET", f"/open311/v2/requests/{missing}.json")[0] == 404


# Filing requests ----------------------------------------------------------------------
def test_a_form_post_files_a_report_with_its_attributes(router, filer):
    form = MultiDict([
        ("api_key", "good-token"), ("service_code", "pothole"), ("lat", "21.5928"),
        ("long", "105.8442"), ("address_string", "12 Hoàng Văn Thụ"),
        ("description", "Ổ gà sâu"), ("attribute[depth_cm]", "15"), ("attribute[size]", "lớn"),
        ("attribute[kinds][]", "a"), ("attribute[kinds][]", "b"),
        ("media_url", f"https://tinh.example/media/{PHOTO.upper()}.jpg"),
        ("email", "ignored@example.com"),
    ])
    status, document, _ = call(router, "POST", "/open311/v2/requests.json", body=form)

    assert status == 201
    assert document == [{"service_request_id": "new-report-id", "service_notice": ""}]
    assert filer.calls == [({"subject": "citizen-1"}, dict(
        category="pothole", description="Ổ gà sâu", latitude=21.5928, longitude=105.8442,
        address="12 Hoàng Văn Thụ", answers={"depth_cm": "15", "size": "lớn", "kinds": "a,b"},
        media=[PHOTO]))]


def test_a_json_post_with_a_bearer_principal_and_an_emergency_notice(router, filer):
    body = {"service_code": "fire", "lat": 21.6, "long": 105.8, "description": "Khói",
            "attribute": {"people_inside": True}}
    status, document, _ = call(router, "POST", "/open311/v2/requests.json", body=body,
                               principal="bearer-principal")
    assert status == 201 and document[0]["service_notice"] == EMERGENCY_NOTICE
    principal, fields = filer.calls[0]
    assert principal == "bearer-principal"
    assert (fields["answers"], fields["media"], fields["address"]) == (
        {"people_inside": "true"}, [], "")


GOOD_POST = {"api_key": "good-token", "service_code": "pothole", "lat": "21.59",
             "long": "105.84", "description": "Ổ gà"}


@pytest.mark.parametrize("changes, status, field", [
    ({"service_code": ""}, 400, "service_code"),
    ({"service_code": "old"}, 400, "service_code"),
    ({"lat": ""}, 400, "lat"),
    ({"long": "east"}, 400, "long"),
    ({"lat": "nan"}, 400, "lat"),
    ({"media_url": "https://elsewhere.example/cat.jpg"}, 400, "media_url"),
    ({"api_key": ""}, 403, "api_key"),
])
def test_bad_posts_are_refused_naming_the_field(router, filer, changes, status, field):
    got, description = error_of(router, "POST", "/open311/v2/requests.json",
                                body={**GOOD_POST, **changes})
    assert (got, description.split(":")[0]) == (status, field)
    assert filer.calls == []


def test_a_bad_api_key_is_403(router):
    status, description = error_of(router, "POST", "/open311/v2/requests.json",
                                   body={**GOOD_POST, "api_key": "forged"})
    assert (status, description) == (403, "bad token")


@pytest.mark.parametrize("error, status, description", [
    (InvalidArgument("required", field="answers.depth_cm"), 400, "attribute[depth_cm]: required"),
    (InvalidArgument("outside the province", field="location"), 400,
     "lat: outside the province"),
    (InvalidArgument("must be a number", field="location.longitude"), 400,
     "long: must be a number"),
    (InvalidArgument("no such question", field="answers"), 400, "attribute: no such question"),
    (InvalidArgument("too long", field="description"), 400, "description: too long"),
    (PermissionDenied("requires assurance level 1"), 403, "requires assurance level 1"),
    (NotFound("no such media", field="media"), 404, "media_url: no such media"),
])
def test_the_applications_refusals_become_open311_errors(queries, error, status, description):
    router = Open311(queries, Filer(error), authenticate, clock=NOW.timestamp)
    assert error_of(router, "POST", "/open311/v2/requests.json", body=GOOD_POST) \
        == (status, description)


# Routing ----------------------------------------------------------------------------
def test_unknown_paths_methods_and_formats(router):
    assert error_of(router, "GET", "/open311/v2/nothing.json")[0] == 404
    assert error_of(router, "GET", "/elsewhere/services.json")[0] == 404
    status, document, headers = call(router, "DELETE", "/open311/v2/requests.json")
    assert status == 405 and headers["Allow"] == "GET, POST"
    assert error_of(router, "POST", "/open311/v2/services.json")[0] == 405
    assert error_of(router, "GET", "/open311/v2/services.xml") \
        == (400, "format: only json is served, not xml")
