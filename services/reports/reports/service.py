"""The reports nameko service: thin gRPC and HTTP entrypoints over
ReportsApplication (commands) and ReportsQueries (the read model)."""
import datetime
import json
import time

from nameko.timer import timer
from nameko.web.handlers import http
from smartcity.reports.v1 import reports_pb2 as pb
from smartcity.reports.v1 import reports_pb2_grpc
from werkzeug.wrappers import Response

from kit.auth import Role, require_authenticated, require_role
from kit.dependencies import EventStore
from kit.errors import DomainError, NotFound
from kit.grpc.clients import Auth, Caller
from kit.grpc.server import HealthMixin, rpc
from reports import integration, schemas
from reports.dependencies import Media, build_application
from reports.media import MediaLimits, MediaUpload
from reports.open311 import Open311

reports_rpc = rpc(reports_pb2_grpc.ReportsStub)
OFFICIALS = (Role.IOC_OPERATOR, Role.ADMINISTRATOR)
AUTO_CLOSE_AFTER_SECONDS = 7 * 86400


class ReportsService(HealthMixin):
    name = "reports"

    app = EventStore(build_application, translate=integration.translate)
    caller = Auth()
    media = Media()

    # Categories -----------------------------------------------------------------
    @reports_rpc
    def DefineCategory(self, request, context):
        category = self.app.define_category(self.caller.require(),
                                            **schemas.category_fields(request.category))
        return schemas.category(category)

    @reports_rpc
    def ListCategories(self, request, context):
        categories = self.app.categories(include_inactive=request.include_inactive)
        return pb.ListCategoriesResponse(categories=[schemas.category(c) for c in categories])

    # Media ------------------------------------------------------------------------
    @reports_rpc
    def UploadMedia(self, chunks, context):
        require_authenticated(self.caller.principal())
        upload = MediaUpload(MediaLimits.from_settings())
        for chunk in chunks:
            upload.add(chunk.data)
        return schemas.media(upload.finish(self.media))

    # Filing -----------------------------------------------------------------------
    @reports_rpc
    def FindNearby(self, request, context):
        nearby = self.app.queries.nearby_open(request.category, request.location.latitude,
                                              request.location.longitude)
        return pb.ReportPage(reports=[schemas.row(r.published()) for r in nearby])

    @reports_rpc
    def FileReport(self, request, context):
        caller = self.caller.require()
        report = self.file_report(
            caller, category=request.category, description=request.description,
            latitude=request.location.latitude, longitude=request.location.longitude,
            address=request.address, answers={a.question: a.value for a in request.answers},
            media=list(request.media), anonymous=request.anonymous)
        return self.shown(caller, report)

    def file_report(self, caller, **fields):
        """Files with the reporter's name, which staff see (identity's answer, cached)."""
        return self.app.file_report(caller, reporter_name=self.app.identity.name(caller),
                                    **fields)

    @reports_rpc
    def SupportReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.support(caller, request.report_id))

    # Lifecycle --------------------------------------------------------------------
    @reports_rpc
    def AcceptReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.accept(caller, request.report_id, request.agency,
                                                  request.unit_code))

    @reports_rpc
    def RejectReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.reject(caller, request.report_id, request.reason))

    @reports_rpc
    def AssignReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.assign(caller, request.report_id, request.staff_id))

    @reports_rpc
    def StartWork(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.start_work(caller, request.report_id))

    @reports_rpc
    def ResolveReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.resolve(caller, request.report_id, request.note,
                                                   list(request.media)))

    @reports_rpc
    def RateReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.rate(caller, request.report_id, request.rating,
                                                request.comment))

    @reports_rpc
    def ReopenReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.reopen(caller, request.report_id, request.reason))

    @reports_rpc
    def MergeReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.merge(caller, request.report_id,
                                                 request.into_report_id))

    @reports_rpc
    def ModerateReport(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.moderate(caller, request.report_id, request.hidden,
                                                    request.redacted_description, request.reason))

    @reports_rpc
    def AddInternalNote(self, request, context):
        caller = self.caller.require()
        return self.shown(caller, self.app.add_internal_note(caller, request.report_id,
                                                             request.note))

    def shown(self, caller, report):
        return schemas.report(self.app.view(caller, report))

    # Read side --------------------------------------------------------------------
    @reports_rpc
    def GetReport(self, request, context):
        return schemas.report(self.app.get_report(self.caller.principal(), request.report_id))

    @reports_rpc
    def ListMyReports(self, request, context):
        caller = self.caller.require()
        return schemas.page(self.app.queries.my_reports(caller.subject, request.page_size,
                                                        request.page_token))

    @reports_rpc
    def ListPublicReports(self, request, context):
        return schemas.page(self.app.queries.public_feed(
            schemas.box(request), request.category, schemas.status_name(request.status),
            request.page_size, request.page_token))

    @reports_rpc
    def ListStaffQueue(self, request, context):
        caller = self.caller.require()
        scopes = staff_scopes(caller, self.app.units, request.agency, request.unit_code)
        return schemas.page(self.app.queries.staff_queue(
            scopes, schemas.status_name(request.status), request.page_size, request.page_token))

    @reports_rpc
    def GetStatistics(self, request, context):
        require_role(self.caller.require(), *OFFICIALS, Role.AGENCY_STAFF)
        since = request.since.ToDatetime() if request.HasField("since") else None
        unit_codes = [request.unit_code] if request.unit_code else None
        if request.unit_code and request.unit_code not in self.app.units:
            raise NotFound("no such administrative unit", field="unit_code")
        return schemas.statistics(self.app.queries.statistics(unit_codes, since))

    # HTTP: Open311 GeoReport v2 and public media ------------------------------------
    @http("GET,POST", "/open311/v2/<path:rest>")
    def open311(self, request, rest):
        principal = self.http_principal(request)
        endpoint = Open311(self.app.queries, file=self.file_report,
                           media_url=lambda sha256: f"{request.host_url}media/{sha256}",
                           authenticate=lambda key: Caller(
                               self.caller.verifier, f"Bearer {key}").principal())
        body = request.form if request.method == "POST" else None
        status, headers, text = endpoint.handle(request.method, f"/open311/v2/{rest}",
                                                request.args, body, principal)
        return Response(text, status=status, headers=headers)

    def http_principal(self, request):
        try:
            return Caller(self.caller.verifier, request.headers.get("Authorization")).principal()
        except DomainError:
            return None   # Open311 answers 403 itself when a key is needed

    @http("GET", "/media/<sha256>")
    def public_media(self, request, sha256):
        """The public copy of an uploaded photo or video: no location in it."""
        record = self.media.record(sha256)
        if record is None:
            return Response(json.dumps({"error": "no such media"}), status=404,
                            mimetype="application/json")
        return Response(self.media.get(record.public_sha256), mimetype=record.content_type,
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})

    # Deadlines and closing ----------------------------------------------------------
    @timer(interval=60)
    def mark_overdue(self):
        now = time.time()
        due = [report_id for report_id, _ in self.app.queries.open_deadlines(
            datetime.datetime.fromtimestamp(now, datetime.timezone.utc))]
        if due:
            self.app.mark_overdue(now, due)

    @timer(interval=600)
    def auto_close(self):
        now = time.time()
        stale = self.app.queries.resolved_before(datetime.datetime.fromtimestamp(
            now - AUTO_CLOSE_AFTER_SECONDS, datetime.timezone.utc))
        if stale:
            self.app.auto_close(now, stale)


def staff_scopes(caller, units, agency="", unit_code=""):
    """The (agency, units) the caller may see in the queue, narrowed by the request."""
    if unit_code and unit_code not in units:
        raise NotFound("no such administrative unit", field="unit_code")
    if any(caller.has_role(role.value) for role in OFFICIALS):
        return [(agency or None, [unit_code] if unit_code else None)]
    require_role(caller, Role.AGENCY_STAFF)
    scopes = []
    for grant in caller.grants(Role.AGENCY_STAFF.value):
        if agency and grant.agency != agency:
            continue
        if not unit_code:
            scopes.append((grant.agency, [grant.jurisdiction]))
        elif units.contains(grant.jurisdiction, unit_code):
            scopes.append((grant.agency, [unit_code]))
    return scopes


