"""The alerts service's read model: warnings and emergency cases by state,
for listings and the timers, and receipts counted per commune for the IOC."""
from kit.projections import Projection




class AlertsProjection(Projection):
    name = "alerts"
    tables = (
        "CREATE TABLE IF NOT EXISTS {schema}.warnings (id TEXT PRIMARY KEY, state TEXT NOT NULL, "
        "active BOOLEAN NOT NULL, acknowledged BOOLEAN NOT NULL, expires DOUBLE PRECISION, "
        "sent DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX IF NOT EXISTS warnings_state ON {schema}.warnings (state, sent DESC, id)",
        "CREATE TABLE IF NOT EXISTS {schema}.cases (id TEXT PRIMARY KEY, status TEXT NOT NULL, "
        "acknowledged BOOLEAN NOT NULL, escalated BOOLEAN NOT NULL, "
        "opened_at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX IF NOT EXISTS cases_waiting ON {schema}.cases (acknowledged, escalated, "
        "opened_at)",
        "CREATE TABLE IF NOT EXISTS {schema}.receipts (id TEXT PRIMARY KEY, "
        "warning_id TEXT NOT NULL, unit_code TEXT NOT NULL, is_read BOOLEAN NOT NULL, "
        "safe BOOLEAN NOT NULL)",
        "CREATE INDEX IF NOT EXISTS receipts_warning ON {schema}.receipts (warning_id, unit_code)",
    )
    drop = tuple(f"DROP TABLE IF EXISTS {{schema}}.{t}" for t in ("warnings", "cases", "receipts"))

    def process(self, sql, e):
        handler = getattr(self, "on_" + type(e).__qualname__.replace(".", "_"), None)
        if handler:
            handler(sql, e, str(e.originator_id))

    # Warnings ------------------------------------------------------------------------
    def on_Warning_Drafted(self, sql, e, warning_id):
        expires = max((info.get("expires") or 0 for info in e.infos), default=0) or None
        sql.execute("INSERT INTO {schema}.warnings (id, state, active, acknowledged, expires, "
                    "sent) VALUES (%s, 'draft', FALSE, FALSE, %s, %s) ON CONFLICT (id) DO NOTHING",
                    (warning_id, expires, e.timestamp.timestamp()))

    def on_Warning_Approved(self, sql, e, warning_id):
        self.set_warning(sql, warning_id, "state = 'published', active = TRUE, sent = %s",
                         e.timestamp.timestamp())

    def on_Warning_Superseded(self, sql, e, warning_id):
        self.set_warning(sql, warning_id, "state = 'superseded', active = FALSE")

    def on_Warning_Cancelled(self, sql, e, warning_id):
        self.set_warning(sql, warning_id, "state = 'cancelled', active = FALSE")

    def on_Warning_Ended(self, sql, e, warning_id):
        self.set_warning(sql, warning_id, "state = 'ended', active = FALSE")

    def on_Warning_Resolved(self, sql, e, warning_id):
        self.set_warning(sql, warning_id, "active = FALSE")

    def on_Warning_Acknowledged(self, sql, e, warning_id):
        self.set_warning(sql, warning_id, "acknowledged = TRUE")

    @staticmethod
    def set_warning(sql, warning_id, assignments, *params):
        sql.execute(f"UPDATE {{schema}}.warnings SET {assignments} WHERE id = %s",
                    (*params, warning_id))

    # Emergency cases ------------------------------------------------------------------
    def on_EmergencyCase_Opened(self, sql, e, case_id):
        sql.execute("INSERT INTO {schema}.cases (id, status, acknowledged, escalated, opened_at) "
                    "VALUES (%s, 'open', FALSE, FALSE, %s) ON CONFLICT (id) DO NOTHING",
                    (case_id, e.timestamp.timestamp()))

    def on_EmergencyCase_Acknowledged(self, sql, e, case_id):
        self.set_case(sql, case_id, "status = 'acknowledged', acknowledged = TRUE")

    def on_EmergencyCase_Escalated(self, sql, e, case_id):
        self.set_case(sql, case_id, "escalated = TRUE")

    def on_EmergencyCase_Dispatched(self, sql, e, case_id):
        self.set_case(sql, case_id, "status = 'dispatched'")

    def on_EmergencyCase_EnRoute(self, sql, e, case_id):
        self.set_case(sql, case_id, "status = 'en_route'")

    def on_EmergencyCase_OnScene(self, sql, e, case_id):
        self.set_case(sql, case_id, "status = 'on_scene'")

    def on_EmergencyCase_Closed(self, sql, e, case_id):
        self.set_case(sql, case_id, "status = 'closed'")

    @staticmethod
    def set_case(sql, case_id, assignments):
        sql.execute(f"UPDATE {{schema}}.cases SET {assignments} WHERE id = %s", (case_id,))

    # Receipts -------------------------------------------------------------------------
    def on_Receipt_Delivered(self, sql, e, receipt_id):
        sql.execute("INSERT INTO {schema}.receipts (id, warning_id, unit_code, is_read, safe) "
                    "VALUES (%s, %s, %s, FALSE, FALSE) ON CONFLICT (id) DO NOTHING",
                    (receipt_id, e.warning_id, e.unit_code))

    def on_Receipt_Read(self, sql, e, receipt_id):
        sql.execute("UPDATE {schema}.receipts SET is_read = TRUE WHERE id = %s", (receipt_id,))

    def on_Receipt_CheckedInSafe(self, sql, e, receipt_id):
        sql.execute("UPDATE {schema}.receipts SET safe = TRUE, is_read = TRUE, "
                    "unit_code = CASE WHEN %s = '' THEN unit_code ELSE %s END WHERE id = %s",
                    (e.unit_code, e.unit_code, receipt_id))


class AlertsQueries:
    def __init__(self, read_model):
        self.read_model = read_model

    def warning_ids(self, state="", page_size=20, page_token=""):
        """Newest first; empty state: the published and active ones."""
        condition = "state = %s" if state else "state = 'published' AND active"
        params = [state] if state else []
        if page_token:
            condition += " AND sent < %s"
            params.append(float(page_token))
        rows = self.read_model.query(
            f"SELECT id, sent FROM {{schema}}.warnings WHERE {condition} "
            "ORDER BY sent DESC, id LIMIT %s", (*params, page_size + 1))
        more = len(rows) > page_size
        rows = rows[:page_size]
        return [r["id"] for r in rows], (repr(rows[-1]["sent"]) if more else "")

    def expired_warnings(self, now):
        return [r["id"] for r in self.read_model.query(
            "SELECT id FROM {schema}.warnings WHERE state = 'published' AND expires < %s", (now,))]

    def waiting_cases(self, opened_before):
        return [r["id"] for r in self.read_model.query(
            "SELECT id FROM {schema}.cases WHERE NOT acknowledged AND NOT escalated "
            "AND status = 'open' AND opened_at <= %s", (opened_before,))]

    def open_case_ids(self):
        return [r["id"] for r in self.read_model.query(
            "SELECT id FROM {schema}.cases WHERE status != 'closed' ORDER BY opened_at")]

    def safety_counts(self, warning_id):
        return self.read_model.query(
            "SELECT unit_code, COUNT(*) FILTER (WHERE safe) AS safe, COUNT(*) AS delivered, "
            "COUNT(*) FILTER (WHERE is_read) AS is_read FROM {schema}.receipts "
            "WHERE warning_id = %s GROUP BY unit_code ORDER BY unit_code", (warning_id,))
