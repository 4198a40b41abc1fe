"""The reports read side: one row per report and per category, kept by a
projection of the reports' events, and the queries the API answers from them.

Events are matched by class name ("Report.Filed"), so the projection needs
nothing from the domain module but the events' fields. Times are stored as
epoch seconds (DOUBLE PRECISION on PostgreSQL, REAL on SQLite) so the same
SQL compares and subtracts them on both databases.

Every list is paged by keyset: a page token carries the last row's sort key,
and the next page starts strictly after it, so rows filed meanwhile neither
repeat nor shift a page. Each list's filter and order match an index below.
"""
import base64
import binascii
import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from kit.errors import InvalidArgument
from kit.projections import Projection

# The statuses a report passes through, as the projection records them from the
# events (the same words as the domain's and the API's).
SUBMITTED, ACCEPTED, REJECTED, ASSIGNED = "submitted", "accepted", "rejected", "assigned"
IN_PROGRESS, RESOLVED, CLOSED, MERGED = "in_progress", "resolved", "closed", "merged"
STATUSES = (SUBMITTED, ACCEPTED, REJECTED, ASSIGNED, IN_PROGRESS, RESOLVED, CLOSED, MERGED)
OPEN_STATUSES = (SUBMITTED, ACCEPTED, ASSIGNED, IN_PROGRESS)   # work still to do

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
METRES_PER_DEGREE = 111_320.0     # of latitude; of longitude times cos(latitude)
EARTH_RADIUS_M = 6_371_000.0

# The same text in the partial indexes and the queries, so the planners match them.
_OPEN = "status IN (" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"

TABLES = (
    """CREATE TABLE IF NOT EXISTS {schema}.reports (
        id TEXT PRIMARY KEY,
        category TEXT NOT NULL,
        status TEXT NOT NULL,
        description TEXT NOT NULL,
        latitude DOUBLE PRECISION NOT NULL,
        longitude DOUBLE PRECISION NOT NULL,
        address TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        agency TEXT NOT NULL,
        reporter_id TEXT NOT NULL,
        reporter_name TEXT NOT NULL,
        anonymous BOOLEAN NOT NULL,
        assignee_id TEXT NOT NULL DEFAULT '',
        media TEXT NOT NULL,
        filed_at DOUBLE PRECISION NOT NULL,
        deadline DOUBLE PRECISION NOT NULL,
        resolved_at DOUBLE PRECISION,
        closed_at DOUBLE PRECISION,
        overdue BOOLEAN NOT NULL DEFAULT FALSE,
        escalated BOOLEAN NOT NULL DEFAULT FALSE,
        hidden BOOLEAN NOT NULL DEFAULT FALSE,
        supporters INTEGER NOT NULL DEFAULT 0,
        rating INTEGER NOT NULL DEFAULT 0,
        emergency BOOLEAN NOT NULL,
        merged_into TEXT NOT NULL DEFAULT '',
        status_note TEXT NOT NULL DEFAULT '',
        last_changed_at DOUBLE PRECISION NOT NULL)""",
    # The public feed, newest first: whole province, by status, by category
    # (also the duplicate search's 14 days), by category and status. Partial on
    # NOT hidden so a page is read off the index in order, without a sort.
    # The first also covers the map box's filters, for the box's newest-first walk.
    "CREATE INDEX IF NOT EXISTS reports_feed ON {schema}.reports "
    "(filed_at DESC, id DESC, latitude, longitude, category, status) WHERE NOT hidden",
    "CREATE INDEX IF NOT EXISTS reports_feed_status ON {schema}.reports "
    "(status, filed_at DESC, id DESC) WHERE NOT hidden",
    "CREATE INDEX IF NOT EXISTS reports_feed_category ON {schema}.reports "
    "(category, filed_at DESC, id DESC) WHERE NOT hidden",
    "CREATE INDEX IF NOT EXISTS reports_feed_category_status ON {schema}.reports "
    "(category, status, filed_at DESC, id DESC) WHERE NOT hidden",
    # The map box: a latitude range, the rest checked in the index entry. A box
    # query picks its page's ids from an index alone (see `ids_first`): this one
    # for a box the planner thinks sparse, the feed walk for a dense one, so a
    # wrong guess costs an index scan, never a heap read per row.
    "CREATE INDEX IF NOT EXISTS reports_map ON {schema}.reports "
    "(latitude, longitude, category, status, filed_at, id) WHERE NOT hidden",
    "CREATE INDEX IF NOT EXISTS reports_mine ON {schema}.reports "
    "(reporter_id, filed_at DESC, id DESC)",
    # The staff queue: one agency and commune (and status) read in queue order;
    # wider scopes range over it and sort only their open reports.
    "CREATE INDEX IF NOT EXISTS reports_queue ON {schema}.reports "
    "(agency, unit_code, status, overdue DESC, deadline, id)",
    # The province-wide queue in order, and the overdue timer's open deadlines.
    "CREATE INDEX IF NOT EXISTS reports_queue_open ON {schema}.reports "
    f"(overdue DESC, deadline, id) WHERE {_OPEN}",
    # Statistics for a commune or a district, and queues of every agency there.
    "CREATE INDEX IF NOT EXISTS reports_commune ON {schema}.reports (unit_code, filed_at)",
    # Auto-close: resolved reports by resolution time.
    "CREATE INDEX IF NOT EXISTS reports_resolved ON {schema}.reports "
    "(resolved_at) WHERE status = 'resolved'",
    """CREATE TABLE IF NOT EXISTS {schema}.categories (
        code TEXT PRIMARY KEY,
        name_vi TEXT NOT NULL,
        name_en TEXT NOT NULL,
        group_name TEXT NOT NULL,
        questions TEXT NOT NULL,
        agency TEXT NOT NULL,
        deadline_hours INTEGER NOT NULL,
        deadline_working_days INTEGER NOT NULL,
        emergency BOOLEAN NOT NULL,
        active BOOLEAN NOT NULL)""",
)

REPORT_COLUMNS = (
    "id, category, status, description, latitude, longitude, address, unit_code, agency, "
    "reporter_id, reporter_name, anonymous, assignee_id, media, filed_at, deadline, "
    "resolved_at, closed_at, overdue, escalated, hidden, supporters, rating, emergency, "
    "merged_into, status_note, last_changed_at")


# Rows ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportRow:
    id: str
    category: str
    status: str
    description: str             # the public text: the redacted one once redacted
    latitude: float
    longitude: float
    address: str
    unit_code: str
    agency: str
    reporter_id: str
    reporter_name: str
    anonymous: bool
    assignee_id: str
    media: list[str]             # sha256 of the photos or video filed
    filed_at: datetime
    deadline: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    escalated: bool
    hidden: bool
    supporters: int
    rating: int                  # 0 until rated
    emergency: bool
    merged_into: str
    status_note: str             # the latest rejection reason, resolution note or reopen reason
    last_changed_at: datetime

    def published(self) -> "ReportRow":
        """As anyone may see it: no reporter when they asked to stay anonymous."""
        if not self.anonymous:
            return self
        return dataclasses.replace(self, reporter_id="", reporter_name="")


@dataclass(frozen=True)
class Page:
    reports: list[ReportRow]
    next_page_token: str         # empty on the last page


@dataclass(frozen=True)
class CategoryRow:
    code: str
    name_vi: str
    name_en: str
    group: str
    questions: list[dict]        # code, label_vi, label_en, type, required, choices
    agency: str
    deadline_hours: int
    deadline_working_days: int
    emergency: bool
    active: bool


@dataclass(frozen=True)
class Statistics:
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_commune: dict[str, int]
    median_hours_to_resolve: float
    share_resolved_on_time: float    # of the reports resolved, 0..1
    total: int
    overdue: int                     # open and past their deadline


# The projection -----------------------------------------------------------------
class ReportsProjection(Projection):
    name = "reports"
    tables = TABLES
    drop = ("DROP TABLE IF EXISTS {schema}.reports", "DROP TABLE IF EXISTS {schema}.categories")

    def process(self, sql, domain_event) -> None:
        handler = getattr(self, "_" + type(domain_event).__qualname__.replace(".", "_"), None)
        if handler is not None:
            handler(sql, domain_event)

    def _Category_Defined(self, sql, e):
        sql.execute(
            "INSERT INTO {schema}.categories (code, name_vi, name_en, group_name, questions, "
            "agency, deadline_hours, deadline_working_days, emergency, active) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET "
            "name_vi = excluded.name_vi, name_en = excluded.name_en, "
            "group_name = excluded.group_name, questions = excluded.questions, "
            "agency = excluded.agency, deadline_hours = excluded.deadline_hours, "
            "deadline_working_days = excluded.deadline_working_days, "
            "emergency = excluded.emergency, active = excluded.active",
            (e.code, e.name_vi, e.name_en, e.group, json.dumps(list(e.questions)), e.agency,
             e.deadline_hours or 0, e.deadline_working_days or 0, bool(e.emergency),
             bool(e.active)))

    _Category_Redefined = _Category_Defined

    def _Report_Filed(self, sql, e):
        filed_at = _epoch(e.timestamp)
        sql.execute(
            "INSERT INTO {schema}.reports (id, category, status, description, latitude, "
            "longitude, address, unit_code, agency, reporter_id, reporter_name, anonymous, "
            "media, filed_at, deadline, emergency, last_changed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), e.category, SUBMITTED, e.description, e.latitude,
             e.longitude, e.address or "", e.unit_code or "", e.agency or "",
             str(e.reporter_id), e.reporter_name or "", bool(e.anonymous),
             json.dumps(list(e.media or ())), filed_at, float(e.deadline), bool(e.emergency),
             filed_at))

    def _Report_Accepted(self, sql, e):
        _update(sql, e, status=ACCEPTED, agency=e.agency, unit_code=e.unit_code)

    def _Report_Rejected(self, sql, e):
        _update(sql, e, status=REJECTED, status_note=e.reason)

    def _Report_Assigned(self, sql, e):
        _update(sql, e, status=ASSIGNED, assignee_id=str(e.staff_id))

    def _Report_WorkStarted(self, sql, e):
        _update(sql, e, status=IN_PROGRESS)

    def _Report_Resolved(self, sql, e):
        _update(sql, e, status=RESOLVED, resolved_at=_epoch(e.timestamp), status_note=e.note)

    def _Report_Rated(self, sql, e):
        _update(sql, e, status=CLOSED, rating=e.rating, closed_at=_epoch(e.timestamp))

    def _Report_AutoClosed(self, sql, e):
        _update(sql, e, status=CLOSED, closed_at=_epoch(e.timestamp))

    def _Report_Reopened(self, sql, e):
        # back to whoever had it: assigned when someone was, else accepted
        sql.execute(
            "UPDATE {schema}.reports SET status = CASE WHEN assignee_id <> '' "
            "THEN 'assigned' ELSE 'accepted' END, resolved_at = NULL, closed_at = NULL, "
            "status_note = %s, last_changed_at = %s WHERE id = %s",
            (e.reason, _epoch(e.timestamp), str(e.originator_id)))

    def _Report_Supported(self, sql, e):
        sql.execute("UPDATE {schema}.reports SET supporters = supporters + 1, "
                    "last_changed_at = %s WHERE id = %s",
                    (_epoch(e.timestamp), str(e.originator_id)))

    def _Report_DuplicateMerged(self, sql, e):
        # the duplicate's reporter and supporters now back the original: its new count
        _update(sql, e, supporters=e.supporters)

    def _Report_MergedInto(self, sql, e):
        _update(sql, e, status=MERGED, merged_into=str(e.into_report_id))

    def _Report_Moderated(self, sql, e):
        redacted = {"description": e.redacted_description} if e.redacted_description else {}
        _update(sql, e, hidden=bool(e.hidden), **redacted)

    def _Report_BecameOverdue(self, sql, e):
        _update(sql, e, overdue=True, escalated=bool(e.escalated_to))


def _update(sql, event, **columns):
    assignments = ", ".join(f"{name} = %s" for name in columns)
    sql.execute(
        f"UPDATE {{schema}}.reports SET {assignments}, last_changed_at = %s WHERE id = %s",
        (*columns.values(), _epoch(event.timestamp), str(event.originator_id)))


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


# Keyset paging ------------------------------------------------------------------
@dataclass(frozen=True)
class _Order:
    name: str
    order_by: str
    after: str          # rows strictly after a key, with placeholders for `bind(key)`
    key_types: tuple    # (column, type) of the sort key, in order
    bind: Callable[[list], tuple]

    def key(self, row: dict) -> list:
        return [kind(row[column]) for column, kind in self.key_types]


NEWEST = _Order("newest", "filed_at DESC, id DESC", "(filed_at, id) < (%s, %s)",
                (("filed_at", float), ("id", str)), tuple)
# Overdue first, then the earliest deadline. The directions differ, so the
# keyset condition is spelt out rather than one row comparison.
QUEUE = _Order("queue", "overdue DESC, deadline, id",
               "(overdue < %s OR (overdue = %s AND (deadline, id) > (%s, %s)))",
               (("overdue", bool), ("deadline", float), ("id", str)),
               lambda key: (key[0], key[0], key[1], key[2]))


def encode_token(order: _Order, row: dict) -> str:
    text = json.dumps([order.name, *order.key(row)], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_token(order: _Order, token: str) -> list:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        name, *key = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise _bad_token() from None
    if name != order.name or len(key) != len(order.key_types):
        raise _bad_token()
    return [_key_value(value, kind) for value, (_, kind) in zip(key, order.key_types)]


def _key_value(value, kind):
    if kind is float:      # JSON may write a whole number without a point
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and abs(value) < 1e12:
            return float(value)
    elif isinstance(value, kind):
        return value
    raise _bad_token()


def _bad_token() -> InvalidArgument:
    return InvalidArgument("not a page token of this list", field="page_token")


def page_size_of(requested) -> int:
    if not requested:
        return DEFAULT_PAGE_SIZE
    if requested < 0:
        raise InvalidArgument("page size cannot be negative", field="page_size")
    return min(requested, MAX_PAGE_SIZE)


# Queries ------------------------------------------------------------------------
class ReportsQueries:
    """Answers from the read model; plain rows, no protobuf."""

    def __init__(self, read_model, units):
        self.read_model = read_model
        self.units = units

    def report(self, report_id: str) -> ReportRow | None:
        rows = self._select(["id = %s"], [str(report_id)])
        return _report(rows[0]) if rows else None

    def my_reports(self, reporter_id: str, page_size=0, page_token="") -> Page:
        return self._page(["reporter_id = %s"], [str(reporter_id)], NEWEST, page_size,
                          page_token)

    def public_feed(self, box=None, category="", status="", page_size=0, page_token="") -> Page:
        """Newest first, without hidden reports; box is (sw_lat, sw_lon, ne_lat, ne_lon)."""
        where, params = ["NOT hidden"], []
        if box is not None:
            where.append("latitude BETWEEN %s AND %s AND longitude BETWEEN %s AND %s")
            params += _box_bounds(box)
        if category:
            where.append("category = %s")
            params.append(category)
        if status:
            where.append("status = %s")
            params.append(_checked_status(status))
        page = self._page(where, params, NEWEST, page_size, page_token, ids_first=box is not None)
        return Page([report.published() for report in page.reports], page.next_page_token)

    def staff_queue(self, agency_unit_scopes, status="", page_size=0, page_token="") -> Page:
        """Reports within any of (agency or None for all, commune/district/province codes
        or None for all); open ones unless a status is asked for; overdue first."""
        scope = self._scope_condition(agency_unit_scopes)
        if scope is None:
            return Page([], "")
        where, params = [scope[0]], list(scope[1])
        if status:
            where.append("status = %s")
            params.append(_checked_status(status))
        else:
            where.append(_OPEN)
        return self._page(where, params, QUEUE, page_size, page_token)

    def nearby_open(self, category: str, lat: float, lon: float, radius_m=50.0,
                    days=14) -> list[ReportRow]:
        """Open, visible reports of the category filed in the last days within
        radius_m, nearest first: candidates for supporting instead of filing."""
        south, west, north, east = _box_around(lat, lon, radius_m)
        rows = self._select(
            ["NOT hidden", "category = %s", "filed_at >= %s", _OPEN,
             "latitude BETWEEN %s AND %s", "longitude BETWEEN %s AND %s"],
            [category, time.time() - days * 86400, south, north, west, east])
        distances = {row["id"]: haversine_m(lat, lon, row["latitude"], row["longitude"])
                     for row in rows}
        near = [row for row in rows if distances[row["id"]] <= radius_m]
        near.sort(key=lambda row: distances[row["id"]])
        return [_report(row).published() for row in near]

    def statistics(self, unit_codes=None, since: datetime | None = None) -> Statistics:
        where, params = [], []
        if unit_codes is not None:
            communes = self._communes(unit_codes)
            where.append(f"unit_code IN ({_marks(communes)})" if communes else "FALSE")
            params += communes
        if since is not None:
            where.append("filed_at >= %s")
            params.append(_epoch(since))
        groups = self.read_model.query(
            "SELECT status, category, unit_code, COUNT(*) AS reports, "
            f"COUNT(*) FILTER (WHERE overdue AND {_OPEN}) AS overdue, "
            "COUNT(resolved_at) AS resolved, "
            "COUNT(*) FILTER (WHERE resolved_at <= deadline) AS on_time "
            f"FROM {{schema}}.reports{_where(where)} GROUP BY status, category, unit_code",
            params)
        return _statistics(groups, self._median_hours_to_resolve(where, params, groups))

    def open_deadlines(self, before: datetime) -> list[tuple[str, datetime]]:
        """(id, deadline) of open reports not yet overdue whose deadline is
        before `before`, earliest first: the overdue timer's candidates."""
        rows = self.read_model.query(
            f"SELECT id, deadline FROM {{schema}}.reports WHERE {_OPEN} AND overdue = %s "
            "AND deadline < %s ORDER BY overdue DESC, deadline, id LIMIT 1000",
            (False, _epoch(before)))
        return [(row["id"], _moment(row["deadline"])) for row in rows]

    def resolved_before(self, moment: datetime) -> list[str]:
        """Ids of reports resolved (and not since closed or reopened) before moment."""
        rows = self.read_model.query(
            "SELECT id FROM {schema}.reports WHERE status = 'resolved' AND resolved_at < %s "
            "ORDER BY resolved_at", (_epoch(moment),))
        return [row["id"] for row in rows]

    def published_reports(self, ids=None, categories=None, statuses=None,
                          filed_from: datetime | None = None, filed_to: datetime | None = None,
                          limit=1000) -> list[ReportRow]:
        """Visible reports matching every filter given, newest first (Open311's search)."""
        where, params = ["NOT hidden"], []
        for column, values in (("id", ids), ("category", categories), ("status", statuses)):
            if values is not None:
                where.append(f"{column} IN ({_marks(values)})" if values else "FALSE")
                params += [str(value) for value in values]
        if filed_from is not None:
            where.append("filed_at >= %s")
            params.append(_epoch(filed_from))
        if filed_to is not None:
            where.append("filed_at <= %s")
            params.append(_epoch(filed_to))
        rows = self._select(where, params, order_by=NEWEST.order_by, limit=limit)
        return [_report(row).published() for row in rows]

    def categories(self, include_inactive=False) -> list[CategoryRow]:
        where = "" if include_inactive else " WHERE active = %s"
        rows = self.read_model.query(
            f"SELECT * FROM {{schema}}.categories{where} ORDER BY group_name, code",
            () if include_inactive else (True,))
        return [_category(row) for row in rows]

    def category(self, code: str) -> CategoryRow | None:
        rows = self.read_model.query("SELECT * FROM {schema}.categories WHERE code = %s",
                                     (code,))
        return _category(rows[0]) if rows else None

    # ----------------------------------------------------------------------------
    def _page(self, where, params, order: _Order, page_size, page_token, ids_first=False) -> Page:
        size = page_size_of(page_size)
        if page_token:
            where = [*where, order.after]
            params = [*params, *order.bind(decode_token(order, page_token))]
        rows = self._select(where, params, order_by=order.order_by, limit=size + 1,
                            ids_first=ids_first)
        token = encode_token(order, rows[size - 1]) if len(rows) > size else ""
        return Page([_report(row) for row in rows[:size]], token)

    def _select(self, where, params, order_by="", limit=None, ids_first=False) -> list[dict]:
        """Rows matching every condition. ids_first picks the page's ids in a subquery
        that a covering index answers alone, then reads just those rows."""
        tail = (f" ORDER BY {order_by}" if order_by else "") + \
            (" LIMIT %s" if limit is not None else "")
        params = [*params, limit] if limit is not None else params
        if ids_first:
            return self.read_model.query(
                f"SELECT {REPORT_COLUMNS} FROM {{schema}}.reports WHERE id IN "
                f"(SELECT id FROM {{schema}}.reports{_where(where)}{tail}) ORDER BY {order_by}",
                params)
        return self.read_model.query(
            f"SELECT {REPORT_COLUMNS} FROM {{schema}}.reports{_where(where)}{tail}", params)

    def _scope_condition(self, scopes):
        """SQL for 'within any scope', or None when the scopes cover nothing."""
        terms, params = [], []
        for agency, unit_codes in scopes:
            term = []
            if agency is not None:
                term.append("agency = %s")
                params.append(agency)
            if unit_codes is not None:
                communes = self._communes(unit_codes)
                if not communes:
                    continue
                term.append(f"unit_code IN ({_marks(communes)})")
                params += communes
            if not term:
                return "TRUE", []          # every agency, everywhere
            terms.append("(" + " AND ".join(term) + ")")
        if not terms:
            return None
        return "(" + " OR ".join(terms) + ")", params

    def _communes(self, unit_codes) -> list[str]:
        """The codes and every unit under them: reports carry their commune's code,
        grants and filters may name a district or the province."""
        found = set()
        for code in unit_codes:
            found.update(self._unit_and_below(code))
        return sorted(found)

    def _unit_and_below(self, code: str) -> list[str]:
        if code not in self.units:
            return [code]
        below = [c for child in self.units.children(code) for c in self._unit_and_below(child.code)]
        return [code, *below]

    def _median_hours_to_resolve(self, where, params, groups) -> float:
        resolved = sum(group["resolved"] for group in groups)
        if not resolved:
            return 0.0
        # the middle one or two durations; an even count averages the pair
        rows = self.read_model.query(
            "SELECT resolved_at - filed_at AS seconds FROM {schema}.reports"
            f"{_where([*where, 'resolved_at IS NOT NULL'])} ORDER BY seconds LIMIT %s OFFSET %s",
            [*params, 2 - resolved % 2, (resolved - 1) // 2])
        return sum(row["seconds"] for row in rows) / len(rows) / 3600


def _statistics(groups: list[dict], median_hours: float) -> Statistics:
    by_status, by_category, by_commune = {}, {}, {}
    for group in groups:
        for counts, key in ((by_status, "status"), (by_category, "category"),
                            (by_commune, "unit_code")):
            counts[group[key]] = counts.get(group[key], 0) + group["reports"]
    resolved = sum(group["resolved"] for group in groups)
    on_time = sum(group["on_time"] for group in groups)
    return Statistics(
        by_status=dict(sorted(by_status.items())), by_category=dict(sorted(by_category.items())),
        by_commune=dict(sorted(by_commune.items())), median_hours_to_resolve=median_hours,
        share_resolved_on_time=on_time / resolved if resolved else 0.0,
        total=sum(group["reports"] for group in groups),
        overdue=sum(group["overdue"] for group in groups))


def _report(row: dict) -> ReportRow:
    return ReportRow(
        id=row["id"], category=row["category"], status=row["status"],
        description=row["description"], latitude=row["latitude"], longitude=row["longitude"],
        address=row["address"], unit_code=row["unit_code"], agency=row["agency"],
        reporter_id=row["reporter_id"], reporter_name=row["reporter_name"],
        anonymous=bool(row["anonymous"]), assignee_id=row["assignee_id"],
        media=json.loads(row["media"]), filed_at=_moment(row["filed_at"]),
        deadline=_moment(row["deadline"]), resolved_at=_moment(row["resolved_at"]),
        closed_at=_moment(row["closed_at"]), overdue=bool(row["overdue"]),
        escalated=bool(row["escalated"]), hidden=bool(row["hidden"]),
        supporters=row["supporters"], rating=row["rating"], emergency=bool(row["emergency"]),
        merged_into=row["merged_into"], status_note=row["status_note"],
        last_changed_at=_moment(row["last_changed_at"]))


def _category(row: dict) -> CategoryRow:
    return CategoryRow(
        code=row["code"], name_vi=row["name_vi"], name_en=row["name_en"],
        group=row["group_name"], questions=json.loads(row["questions"]), agency=row["agency"],
        deadline_hours=row["deadline_hours"], deadline_working_days=row["deadline_working_days"],
        emergency=bool(row["emergency"]), active=bool(row["active"]))


def _moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)


def _where(conditions: list[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def _checked_status(status: str) -> str:
    if status not in STATUSES:
        raise InvalidArgument(f"unknown status {status!r}", field="status")
    return status


def _box_bounds(box) -> list[float]:
    """BETWEEN bounds (south, north, west, east) of a (sw_lat, sw_lon, ne_lat, ne_lon) box."""
    south, west, north, east = (float(value) for value in box)
    if south > north or west > east:
        raise InvalidArgument("the south-west corner must lie south-west of the north-east one",
                              field="south_west")
    return [south, north, west, east]


def _box_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) of a box that holds the circle: the SQL prefilter."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
