"""Open311 GeoReport v2 (JSON) over HTTP, so existing Open311 clients can read
and file reports.

`Open311.handle(method, path, args, body, principal)` answers one request as
(status, headers, JSON text); the service's HTTP entrypoint only moves bytes.
It reads through the read model's queries and files through the application,
so it needs no gRPC. Errors are Open311 error arrays, `[{"code", "description"}]`,
with the description naming the Open311 field at fault.

Filing needs a citizen's access token: the spec's `api_key` parameter carries
it, or the Authorization header, which the entrypoint verifies into `principal`.
"""
import json
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from kit.errors import (Aborted, AlreadyExists, DomainError, FailedPrecondition, InvalidArgument,
                        NotFound, PermissionDenied, ResourceExhausted, Unauthenticated)
from reports.readmodel import CLOSED, MERGED, OPEN_STATUSES, REJECTED, RESOLVED

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00+07:00"      # when this endpoint's behaviour last changed
VIETNAM = timezone(timedelta(hours=7))       # times are shown as the province reads them
MAX_REQUESTS = 1000
MAX_SPAN = timedelta(days=90)

OPEN311_STATUSES = {"open": OPEN_STATUSES, "closed": (RESOLVED, REJECTED, CLOSED, MERGED)}
EMERGENCY_NOTICE = ("Trường hợp khẩn cấp: hãy gọi ngay 112 (cứu nạn), 113 (công an), "
                    "114 (cứu hỏa) hoặc 115 (cấp cứu).")
HEADERS = {"Content-Type": "application/json; charset=utf-8",
           "Access-Control-Allow-Origin": "*"}

# A question's type as an Open311 attribute: (datatype, hint for the person filling it in).
DATATYPES = {
    "text": ("string", "Văn bản / text"),
    "number": ("number", "Một số / a number"),
    "boolean": ("singlevaluelist", "Có hoặc không / yes or no"),
    "choice": ("singlevaluelist", "Chọn một / pick one"),
}
BOOLEAN_VALUES = [{"key": "true", "name": "Có / yes"}, {"key": "false", "name": "Không / no"}]

# The application's field names as Open311 calls them, for error descriptions.
OPEN311_FIELDS = {"category": "service_code", "location": "lat", "location.latitude": "lat",
                  "location.longitude": "long", "address": "address_string",
                  "media": "media_url", "answers": "attribute"}
HTTP_STATUSES = ((InvalidArgument, 400), (FailedPrecondition, 400), (AlreadyExists, 400),
                 (Unauthenticated, 403), (PermissionDenied, 403), (NotFound, 404),
                 (Aborted, 409), (ResourceExhausted, 429))

# Paths under PREFIX, each ending in .{format}: the method's handler.
ROUTES = (
    (re.compile(r"/discovery\.(\w+)"), {"GET": "discovery"}),
    (re.compile(r"/services\.(\w+)"), {"GET": "services"}),
    (re.compile(r"/services/(.+)\.(\w+)"), {"GET": "service_definition"}),
    (re.compile(r"/requests\.(\w+)"), {"GET": "requests", "POST": "create_request"}),
    (re.compile(r"/requests/(.+)\.(\w+)"), {"GET": "request"}),
)
ATTRIBUTE_KEY = re.compile(r"attribute\[([^\]]+)\](\[\])?")
SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class Open311Error(Exception):
    def __init__(self, status: int, description: str, allow=()):
        super().__init__(description)
        self.status = status
        self.description = description
        self.allow = allow      # the methods a 405 names


@dataclass(frozen=True)
class Call:
    """What a handler may read of the request."""
    args: object            # query parameters: a werkzeug MultiDict or a dict
    body: object            # form fields (MultiDict) or a JSON object (dict)
    principal: object       # verified from the Authorization header, or None


class Open311:
    """The router. `file(principal, **fields)` files a report and returns it (or its
    id); `authenticate(token)` turns an api_key into a principal; `media_url(sha256)`
    is where the public copy of a photo is served."""

    def __init__(self, queries, file, authenticate, media_url=lambda sha256: "", base_url="",
                 contact="", clock=time.time):
        self.queries = queries
        self.file = file
        self.authenticate = authenticate
        self.media_url = media_url
        self.base_url = base_url.rstrip("/")
        self.contact = contact
        self.clock = clock

    def handle(self, method: str, path: str, args, body=None, principal=None):
        """One request: (status, headers, JSON text)."""
        method = method.upper()
        try:
            handler, params = self._route(method, path)
            document = handler(Call(args or {}, body or {}, principal), *params)
        except Open311Error as error:
            return _error(error.status, error.description, error.allow)
        except DomainError as error:
            return _error(_http_status(error), _described(error))
        status = 201 if method == "POST" else 200
        return status, dict(HEADERS), json.dumps(document, ensure_ascii=False)

    def _route(self, method, path):
        """The handler for a request and the parameters its path holds."""
        relative = path[len(PREFIX):] if path.startswith(PREFIX + "/") else ""
        for pattern, handlers in ROUTES:
            match = pattern.fullmatch(relative)
            if match:
                break
        else:
            raise Open311Error(404, f"no such resource: {path}")
        if method not in handlers:
            raise Open311Error(405, f"method {method} is not allowed here", allow=tuple(handlers))
        *params, fmt = match.groups()
        if fmt != "json":
            raise Open311Error(400, f"format: only json is served, not {fmt}")
        return getattr(self, handlers[method]), params

    # Discovery and services -----------------------------------------------------
    def discovery(self, call):
        return {
            "changeset": CHANGESET,
            "contact": self.contact,
            "key_service": "Đăng nhập ứng dụng công dân; api_key là access token / "
                           "sign in as a citizen; the api_key is your access token",
            "endpoints": [{"specification": SPECIFICATION, "url": self.base_url + PREFIX,
                           "changeset": CHANGESET, "type": "production",
                           "formats": ["application/json"]}],
        }

    def services(self, call):
        return [{
            "service_code": category.code,
            "service_name": category.name_vi,
            "description": category.name_en,
            "metadata": bool(category.questions),
            "type": "realtime",
            "keywords": ", ".join(word for word in (category.group, category.name_en) if word),
            "group": category.group,
        } for category in self.queries.categories()]

    def service_definition(self, call, code):
        category = self._active_category(code, status=404)
        return {"service_code": category.code,
                "attributes": [_attribute(q, order) for order, q in
                               enumerate(category.questions, start=1)]}

    # Requests ---------------------------------------------------------------------
    def requests(self, call):
        args = call.args
        ids = _listed(_first(args, "service_request_id"))
        if ids:       # the spec: service_request_id overrides every other filter
            if len(ids) > MAX_REQUESTS:
                raise Open311Error(400, f"service_request_id: at most {MAX_REQUESTS} ids")
            found = self.queries.published_reports(ids=ids, limit=MAX_REQUESTS)
        else:
            filed_from, filed_to = self._date_range(args)
            found = self.queries.published_reports(
                categories=_listed(_first(args, "service_code")) or None,
                statuses=_statuses(_first(args, "status")), filed_from=filed_from,
                filed_to=filed_to, limit=MAX_REQUESTS)
        return self._described_requests(found)

    def request(self, call, report_id):
        found = self.queries.published_reports(ids=[report_id], limit=1)
        if not found:
            raise Open311Error(404, f"service_request_id: no request {report_id}")
        return self._described_requests(found)

    def create_request(self, call):
        principal = self._principal(call.body, call.principal)
        fields = _filing_fields(call.body)
        category = self._active_category(fields["category"], status=400)
        filed = self.file(principal, **fields)
        return [{"service_request_id": str(getattr(filed, "id", filed)),
                 "service_notice": _notice(category)}]

    # ----------------------------------------------------------------------------
    def _principal(self, body, principal):
        if principal is not None:
            return principal
        api_key = _first(body, "api_key")
        if not api_key:
            raise Open311Error(403, "api_key: a citizen's access token is required to file")
        return self.authenticate(api_key)

    def _active_category(self, code, status):
        category = self.queries.category(code)
        if category is None or not category.active:
            raise Open311Error(status, f"service_code: no service {code}")
        return category

    def _date_range(self, args):
        filed_to = _datetime(args, "end_date") or datetime.fromtimestamp(self.clock(),
                                                                         timezone.utc)
        filed_from = _datetime(args, "start_date") or filed_to - MAX_SPAN
        if filed_from > filed_to:
            raise Open311Error(400, "start_date: must not be after end_date")
        if filed_to - filed_from > MAX_SPAN:
            raise Open311Error(400, "start_date: the range may not span more than 90 days")
        return filed_from, filed_to

    def _described_requests(self, reports):
        categories = {category.code: category
                      for category in self.queries.categories(include_inactive=True)}
        return [self._described(report, categories.get(report.category)) for report in reports]

    def _described(self, report, category):
        return {
            "service_request_id": report.id,
            "status": "open" if report.status in OPEN_STATUSES else "closed",
            "status_notes": _status_notes(report),
            "service_name": category.name_vi if category else report.category,
            "service_code": report.category,
            "description": report.description,
            "agency_responsible": report.agency,
            "service_notice": _notice(category),
            "requested_datetime": _w3c(report.filed_at),
            "updated_datetime": _w3c(report.last_changed_at),
            "expected_datetime": _w3c(report.deadline),
            "address": report.address,
            "lat": report.latitude,
            "long": report.longitude,
            "media_url": self.media_url(report.media[0]) if report.media else "",
        }


# Parsing --------------------------------------------------------------------------
def _filing_fields(body) -> dict:
    """The application's filing fields from an Open311 POST (form or JSON)."""
    code = _first(body, "service_code")
    if not code:
        raise Open311Error(400, "service_code: required")
    return {
        "category": code,
        "description": _first(body, "description"),
        "latitude": _coordinate(body, "lat"),
        "longitude": _coordinate(body, "long"),
        "address": _first(body, "address_string"),
        "answers": _answers(body),
        "media": _media(_first(body, "media_url")),
    }


def _coordinate(body, name) -> float:
    text = _first(body, name)
    if not text:
        raise Open311Error(400, f"{name}: required; this service locates requests by lat/long")
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, f"{name}: not a number: {text}") from None
    if not math.isfinite(value):
        raise Open311Error(400, f"{name}: not a number: {text}")
    return value


def _answers(body) -> dict[str, str]:
    """attribute[code]=value pairs (attribute[code][]= for lists), or a JSON object."""
    nested = body.get("attribute")
    if isinstance(nested, dict):
        return {str(code): _text(value) for code, value in nested.items()}
    answers = {}
    for key in body.keys():
        match = ATTRIBUTE_KEY.fullmatch(key)
        if match:
            answers[match.group(1)] = ",".join(_text(v) for v in _values(body, key))
    return answers


def _media(url: str) -> list[str]:
    """Only media uploaded here first: its URL ends in its SHA-256 (and an extension).
    Fetching whatever URL a client names would let it point the service anywhere."""
    if not url:
        return []
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0]
    if not SHA256.fullmatch(name):
        raise Open311Error(400, "media_url: upload the photo to this service first and give "
                                "its URL, which ends in its SHA-256")
    return [name.lower()]


def _statuses(text: str):
    if not text:
        return None
    statuses = []
    for name in _listed(text):
        if name not in OPEN311_STATUSES:
            raise Open311Error(400, f"status: must be open or closed, not {name}")
        statuses += OPEN311_STATUSES[name]
    return statuses


def _datetime(args, name):
    text = _first(args, name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+"))   # a '+' that was not encoded
    except ValueError:
        raise Open311Error(400, f"{name}: not a W3C datetime: {text}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _values(mapping, key) -> list:
    """Every value of a key, from a werkzeug MultiDict or a plain (JSON) dict."""
    if hasattr(mapping, "getlist"):
        return mapping.getlist(key)
    value = mapping.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _first(mapping, key) -> str:
    values = _values(mapping, key)
    return _text(values[0]).strip() if values else ""


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _listed(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


# Rendering ------------------------------------------------------------------------
def _attribute(question: dict, order: int) -> dict:
    datatype, hint = DATATYPES.get(question.get("type", "text"), DATATYPES["text"])
    attribute = {
        "variable": True,
        "code": question["code"],
        "datatype": datatype,
        "required": bool(question.get("required")),
        "datatype_description": hint,
        "order": order,
        "description": " / ".join(label for label in
                                  (question.get("label_vi"), question.get("label_en")) if label),
    }
    if question.get("type") == "boolean":
        attribute["values"] = BOOLEAN_VALUES
    elif question.get("type") == "choice":
        attribute["values"] = [{"key": c, "name": c} for c in question.get("choices", [])]
    return attribute


def _status_notes(report) -> str:
    if report.status == MERGED:
        return f"Đã gộp vào phản ánh {report.merged_into} / merged into {report.merged_into}"
    return report.status_note


def _notice(category) -> str:
    return EMERGENCY_NOTICE if category is not None and category.emergency else ""


def _w3c(moment: datetime | None):
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds") if moment else None


def _http_status(error: DomainError) -> int:
    return next((status for kind, status in HTTP_STATUSES if isinstance(error, kind)), 400)


def _described(error: DomainError) -> str:
    """The error with the field named as Open311 names it."""
    field = error.field
    if not field:
        return error.message
    if field.startswith("answers."):
        return f"attribute[{field.removeprefix('answers.')}]: {error.message}"
    return f"{OPEN311_FIELDS.get(field, field)}: {error.message}"


def _error(status: int, description: str, allow=()):
    headers = dict(HEADERS)
    if allow:
        headers["Allow"] = ", ".join(allow)
    return status, headers, json.dumps([{"code": status, "description": description}],
                                       ensure_ascii=False)
