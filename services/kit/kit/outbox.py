"""The outbox relay: integration events from the notification log to RabbitMQ.

The application's notification log is the outbox: events commit with the
state they describe, and the relay publishes them afterwards, tracking its
position in the same database. A crash between publishing and tracking
republishes a few events with the same ids, which consumers deduplicate
(at-least-once). One relay per service is active across replicas: the one
holding a leader lock (a PostgreSQL advisory lock, or a file lock for
SQLite); a standby takes over within OUTBOX_LEADER_RETRY_SECONDS of the
leader dying, because the database releases the lock with its connection.
"""
import fcntl
import hashlib
import logging
import os
import threading
import time

from eventsourcing.persistence import Tracking

from kit import settings
from kit.envelopes import envelope_for
from kit.eventstore import postgres_conninfo

log = logging.getLogger(__name__)

TRACKING_NAME = "outbox-relay"


class PostgresLeaderLock:
    """A session-level advisory lock on a dedicated connection, named per task."""

    def __init__(self, env: dict, name: str):
        self.conninfo = postgres_conninfo(env)
        digest = hashlib.sha256(f"{env['POSTGRES_SCHEMA']}:{name}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self.conn = None

    def acquire(self) -> bool:
        import psycopg

        try:
            if self.conn is None:
                self.conn = psycopg.connect(**self.conninfo, autocommit=True)
            return self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]
        except psycopg.Error:
            self.release()
            return False

    def held(self) -> bool:
        """Still ours: the connection that holds the lock is alive."""
        import psycopg

        try:
            return self.conn is not None and self.conn.execute("SELECT 1").fetchone() == (1,)
        except psycopg.Error:
            self.release()
            return False

    def release(self):
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


class FileLeaderLock:
    """An exclusive flock beside the SQLite file: one relay per host."""

    def __init__(self, path: str):
        self.path = path
        self.fd = None

    def acquire(self) -> bool:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def held(self) -> bool:
        return self.fd is not None

    def release(self):
        if self.fd is not None:
            os.close(self.fd)   # closing drops the flock
            self.fd = None


class Leadership:
    """Asks the database whether the lock is still ours at most every
    `interval` seconds, not on every pass: a busy follower wakes on every
    save. A leader that lost its connection learns it within the interval;
    what it published meanwhile, the new leader may publish again, and
    consumers drop the copies."""

    def __init__(self, lock, interval: float):
        self.lock = lock
        self.interval = interval
        self.last_check = time.monotonic()

    def checked(self):
        self.last_check = time.monotonic()

    def still_held(self) -> bool:
        if time.monotonic() - self.last_check < self.interval:
            return True
        self.checked()
        return self.lock.held()


# After a wake-up, a moment for the saves of concurrent requests to land, so
# one pass carries many events instead of one pass per save.
SETTLE_SECONDS = 0.01


def wait_for_more(wakeup: threading.Event, poll_seconds: float):
    if wakeup.wait(poll_seconds):
        time.sleep(SETTLE_SECONDS)
    wakeup.clear()


def leader_lock_for(env: dict, task: str):
    """The lock that lets one replica run `task` (the relay, a projection)."""
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        return PostgresLeaderLock(env, task)
    return FileLeaderLock(f"{env['SQLITE_DBNAME']}.{task}.lock")


class LeaderTask:
    """Follows the notification log on the one replica holding `lock`: runs
    `pass_once()` (how many notifications it read) after each save of this
    process or each poll (others' saves), until a pass reads less than a
    full batch."""

    name = "task"
    full_batch = 500

    def __init__(self, app, lock):
        self.lock = lock
        self.poll_seconds = settings.get_float("OUTBOX_POLL_SECONDS")
        self.leader_retry_seconds = settings.get_float("OUTBOX_LEADER_RETRY_SECONDS")
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.is_leader = False
        self.leadership = Leadership(lock, self.leader_retry_seconds)
        app.on_saved.append(self.wakeup.set)

    def pass_once(self) -> int:
        raise NotImplementedError

    def run(self):
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception:
                log.exception("%s pass failed; retrying", self.name)
                self.stopping.wait(self.leader_retry_seconds)
        self.lock.release()

    def step(self):
        if not self.ensure_leadership():
            self.stopping.wait(self.leader_retry_seconds)
            return
        if self.pass_once() < self.full_batch:
            wait_for_more(self.wakeup, self.poll_seconds)

    def ensure_leadership(self) -> bool:
        was_leader = self.is_leader
        self.is_leader = self.leadership.still_held() if was_leader else self.lock.acquire()
        if self.is_leader != was_leader:
            log.info("%s %s", self.name, "active" if self.is_leader else "standby")
            self.leadership.checked()
        return self.is_leader

    def stop(self):
        self.stopping.set()
        self.wakeup.set()


class OutboxRelay(LeaderTask):
    """Publishes what `translate` makes of each stored domain event.

    `translate(domain_event, load)` returns a payload message, or None for
    events that stay inside the service; `load(aggregate_id, version)` gives
    the aggregate as of an event (or as it is now, without a version), for
    payloads that need more than the event.
    `publish(envelopes)` must return only once the broker has confirmed every
    message.
    """

    name = "outbox relay"

    def __init__(self, app, service, translate, publish, lock):
        super().__init__(app, lock)
        self.app = app
        self.service = service
        self.translate = translate
        self.publish = publish
        self.tracking = app.factory.tracking_recorder()
        self.full_batch = settings.get_int("OUTBOX_BATCH_SIZE")

    def position(self) -> int:
        return self.tracking.max_tracking_id(TRACKING_NAME) or 0

    def pass_once(self) -> int:
        """Publishes the next batch; returns how many notifications it read."""
        start = self.position() + 1
        notifications = self.app.recorder.select_notifications(start, self.full_batch)
        batch = []
        for notification in notifications:
            domain_event = self.app.mapper.to_domain_event(notification)
            payload = self.translate(domain_event, self.load)
            if payload is not None:
                batch.append(envelope_for(self.service, notification.id, domain_event, payload))
        self.publish(batch)
        if notifications:
            self.tracking.insert_tracking(Tracking(TRACKING_NAME, notifications[-1].id))
        return len(notifications)

    def load(self, aggregate_id, version=None):
        """The aggregate as of the event (its latest state without a version).
        Usually nothing has happened to it since: then the latest state serves,
        from the application's cache when it keeps one."""
        latest = self.app.repository.get(aggregate_id)
        if version is None or latest.version == version:
            return latest
        return self.app.repository.get(aggregate_id, version=version)
