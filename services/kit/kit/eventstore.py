"""The event store every service keeps its state in.

An eventsourcing Application whose persistence is chosen by EVENT_STORE_URL:
a SQLite file by default, PostgreSQL (one schema per service) in production.
On top of the library it adds what services need from a store:

- a processed-event record written in the same transaction as the events a
  consumer saves, so a redelivered integration event changes nothing;
- the correlation id of the request stamped on every stored event;
- retries of commands that lose an optimistic-concurrency race;
- snapshots of long-lived aggregates and encryption at rest when a key is set.
"""
import functools
import logging
import os
import time
from urllib.parse import parse_qs, unquote, urlparse

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from eventsourcing.utils import retry
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier, Literal

from kit import context, settings
from kit.errors import Aborted

log = logging.getLogger(__name__)

CONFLICT_RETRIES = 8


def persistence_env(service: str) -> dict:
    """The eventsourcing environment for EVENT_STORE_URL."""
    url = settings.get("EVENT_STORE_URL")
    parsed = urlparse(url)
    env = {}
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///"):]) or f"var/{service}.db"
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=path,
            SQLITE_LOCK_TIMEOUT="10",
            APPLICATION_RECORDER_TOPIC="kit.eventstore:SQLiteRecorder",
        )
    elif parsed.scheme in ("postgres", "postgresql"):
        schema = parse_qs(parsed.query).get("schema", [service])[0]
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=parsed.path.lstrip("/") or "postgres",
            POSTGRES_HOST=parsed.hostname or "127.0.0.1",
            POSTGRES_PORT=str(parsed.port or 5432),
            POSTGRES_USER=unquote(parsed.username or "postgres"),
            POSTGRES_PASSWORD=unquote(parsed.password or ""),
            POSTGRES_SCHEMA=schema,
            POSTGRES_POOL_SIZE=settings.get("EVENT_STORE_POOL_SIZE"),
            POSTGRES_MAX_OVERFLOW="10",
            POSTGRES_CONNECT_TIMEOUT="10",
            POSTGRES_PRE_PING="n",   # a round trip per checkout; dead connections are retried
            APPLICATION_RECORDER_TOPIC="kit.eventstore:PostgresRecorder",
        )
        ensure_schema(env)
    else:
        raise ValueError(f"EVENT_STORE_URL: unsupported scheme {parsed.scheme!r}")
    key = settings.get("EVENT_STORE_CIPHER_KEY")
    if key:
        env.update(CIPHER_TOPIC="eventsourcing.cipher:AESCipher", CIPHER_KEY=key)
    return env


def postgres_conninfo(env: dict) -> dict:
    return dict(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"],
    )


def ensure_schema(env: dict) -> None:
    import psycopg

    with psycopg.connect(**postgres_conninfo(env), autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
            Identifier(env["POSTGRES_SCHEMA"])))


class SQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite events table plus the processed-events table."""

    processed_table = "processed_events"

    def construct_create_table_statements(self):
        return super().construct_create_table_statements() + [
            f"CREATE TABLE IF NOT EXISTS {self.processed_table} "
            "(event_id TEXT PRIMARY KEY, processed_at REAL NOT NULL)"
        ]

    def _insert_events(self, c, stored_events, **kwargs):
        event_id = kwargs.get("processed_event_id")
        if event_id:
            c.execute(f"INSERT INTO {self.processed_table} VALUES (?, ?)",
                      (event_id, time.time()))
        return super()._insert_events(c, stored_events, **kwargs)

    def is_processed(self, event_id: str) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT 1 FROM {self.processed_table} WHERE event_id = ?", (event_id,))
            return c.fetchone() is not None


class PostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL events table plus the processed-events table.

    Events are inserted by one database function call. The library's way
    holds the table's exclusive lock (which keeps notification ids in commit
    order, as the log followers need) across six round trips of a client
    transaction; inside a function it is held for the inserts alone, and a
    save costs one round trip.
    """

    def __init__(self, datastore, *, events_table_name="stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        processed = Identifier(events_table_name.removesuffix("_events") + "_processed")
        function = Identifier(f"kit_insert_{events_table_name}")
        self.sql_create_statements += [
            SQL("CREATE TABLE IF NOT EXISTS {}.{} (event_id text PRIMARY KEY, "
                "processed_at timestamptz NOT NULL DEFAULT now())").format(schema, processed),
            # replicas starting together must not replace the function at once
            SQL("SELECT pg_advisory_xact_lock(hashtext({}))").format(
                Literal(f"{self.datastore.schema}.{function.as_string()}")),
            SQL(INSERT_FUNCTION).format(
                schema=schema, function=function, events=Identifier(events_table_name),
                event_type=Identifier(self.stored_event_type_name), processed=processed,
                lock_timeout=Literal(f"{self.datastore.lock_timeout}s")),
        ]
        self.call_insert = SQL("SELECT * FROM {}.{}(%s, %s)").format(schema, function)
        self.select_processed = SQL("SELECT 1 FROM {}.{} WHERE event_id = %s").format(
            schema, processed)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events, **kwargs):
        events = [self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic,
                                                 e.state) for e in stored_events]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.call_insert, (events, kwargs.get("processed_event_id")),
                         prepare=True)
            return [row["notification_id"] for row in curs.fetchall()]

    def is_processed(self, event_id: str) -> bool:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_processed, (event_id,))
            return curs.fetchone() is not None


# Inserts a save's events (and the integration event it applies, if any) in
# notification-id order under the table's exclusive lock; returns their ids.
INSERT_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{function}(new_events {schema}.{event_type}[], processed text)
RETURNS TABLE (notification_id bigint) LANGUAGE plpgsql AS $body$
BEGIN
    SET LOCAL lock_timeout = {lock_timeout};
    IF processed IS NOT NULL THEN
        INSERT INTO {schema}.{processed} (event_id) VALUES (processed);
    END IF;
    IF cardinality(new_events) > 0 THEN
        LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE;
        RETURN QUERY
        INSERT INTO {schema}.{events} AS t (originator_id, originator_version, topic, state)
        SELECT e.originator_id, e.originator_version, e.topic, e.state FROM unnest(new_events) e
        RETURNING t.notification_id;
    END IF;
END;
$body$
"""


def retry_on_conflict(command):
    """Re-runs a command that lost an optimistic-concurrency race.

    The command reloads the aggregates each time, so the retry sees the
    winner's events. A uniqueness clash turns into the command's own
    AlreadyExists on the retry, because the command checks first.
    """

    @functools.wraps(command)
    def retrying(*args, **kwargs):
        for attempt in range(CONFLICT_RETRIES):
            try:
                return command(*args, **kwargs)
            except IntegrityError:
                time.sleep(0.002 * 2 ** attempt)
        raise Aborted("too many concurrent changes, try again")

    return retrying


def replay(aggregate, domain_events):
    """eventsourcing's project_aggregate without its per-event assertion that
    the event is a CanMutateProtocol: on Python 3.11 that runtime Protocol
    check walks the protocol's members every time, a sixth of the alerts
    process's CPU while it filled inboxes."""
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


class EventSourcedApplication(Application):
    """Base of every service's application (its commands and queries)."""

    # Aggregate classes whose histories grow long enough to need snapshots.
    snapshotted: tuple = ()
    # Aggregates kept in memory between commands (0: none). A cached one is
    # brought up to date with one query for newer events, so replicas agree.
    cached_aggregates: int = 0

    def __init__(self, env=None):
        env = dict(env or {})
        if self.cached_aggregates:
            env["AGGREGATE_CACHE_MAXSIZE"] = str(self.cached_aggregates)
        if self.snapshotted:
            env["IS_SNAPSHOTTING_ENABLED"] = "y"
            interval = settings.get_int("SNAPSHOT_INTERVAL")
            self.snapshotting_intervals = {cls: interval for cls in self.snapshotted}
        super().__init__(env)
        self.on_saved = []       # callbacks run after events are recorded (wake the followers)
        self.read_models = []    # kit.projections.ReadModel instances the service keeps

    def construct_repository(self):
        repository = super().construct_repository()
        repository.get = functools.partial(repository.get, projector_func=replay)
        return repository

    def _record(self, processing_event):
        cid = context.correlation_id()
        for event in processing_event.events:
            # not a dataclass field: rides along in the stored state only
            object.__setattr__(event, "correlation_id", cid)
        return super()._record(processing_event)

    def _notify(self, recordings):
        for callback in self.on_saved:
            callback()

    def is_processed(self, event_id: str) -> bool:
        return self.recorder.is_processed(event_id)

    def save_once(self, event_id: str, decide) -> bool:
        """Applies an integration event exactly once.

        `decide()` loads what it needs and returns the aggregates it changed;
        their events and the processed-event record commit together. Returns
        False when the event had been processed already.
        """
        for attempt in range(CONFLICT_RETRIES):
            if self.is_processed(event_id):
                return False
            try:
                self.save(*decide(), processed_event_id=event_id)
                return True
            except IntegrityError:
                time.sleep(0.002 * 2 ** attempt)
        raise Aborted(f"event {event_id}: too many concurrent changes")
