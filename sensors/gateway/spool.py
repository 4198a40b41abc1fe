"""The durable local spool: readings wait here, numbered, until the sensors
service acknowledges them.

SQLite in WAL mode with synchronous=FULL: once append() returns, the readings
survive a crash or a power cut. The sequence counter has a row of its own, so
numbers are never reused, even after every reading was acknowledged and
deleted. Only prefixes are ever deleted (acknowledged or dropped readings), so
the pending readings always have consecutive numbers. A producer may record a
checkpoint with its readings (the simulator: its clock) to resume from after a
restart.
"""
import logging
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from gateway.readings import Reading

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 1_000_000    # ~50 MB on disk (measured: ~51 bytes a reading)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    seq INTEGER PRIMARY KEY, sensor_id TEXT NOT NULL, kind TEXT NOT NULL,
    value REAL NOT NULL, unit TEXT NOT NULL, time_us INTEGER NOT NULL, label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value);
INSERT OR IGNORE INTO state VALUES ('last_seq', 0), ('dropped', 0), ('checkpoint', NULL);
"""


@dataclass(frozen=True)
class Spooled:
    seq: int
    reading: Reading


def to_row(seq: int, reading: Reading) -> tuple:
    time_us = (reading.time - EPOCH) // MICROSECOND
    return (seq, reading.sensor_id, reading.kind, reading.value, reading.unit, time_us,
            reading.label)


def from_row(row) -> Spooled:
    seq, sensor_id, kind, value, unit, time_us, label = row
    time = EPOCH + time_us * MICROSECOND
    return Spooled(seq, Reading(sensor_id, kind, value, unit, time, label))


class Spool:
    """Thread-safe: producers append while the sender reads and acknowledges.

    When full, the oldest readings are dropped (and counted): the newest data
    matters most to a city's operations centre after a long outage.
    """

    def __init__(self, path: str, capacity: int = DEFAULT_CAPACITY):
        self.capacity = capacity
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._appended = threading.Condition(self._lock)
        self._last_seq = self._state("last_seq")

    @property
    def last_seq(self) -> int:
        """The number given to the latest reading (0: none yet)."""
        return self._last_seq

    @property
    def dropped(self) -> int:
        """Readings dropped because the spool was full, since it was created."""
        with self._lock:
            return self._state("dropped")

    @property
    def checkpoint(self) -> str | None:
        """What the producer recorded with its latest readings."""
        with self._lock:
            return self._state("checkpoint")

    def append(self, readings: list[Reading], checkpoint: str | None = None) -> list[int]:
        """Numbers and stores readings in one durable transaction; their numbers."""
        if not readings and checkpoint is None:
            return []
        with self._lock:
            last = self._last_seq + len(readings)
            seqs = list(range(self._last_seq + 1, last + 1))
            with self._transaction():
                self._db.executemany("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     map(to_row, seqs, readings))
                self._set_state("last_seq", last)
                if checkpoint is not None:
                    self._set_state("checkpoint", checkpoint)
                dropped = self._drop_beyond_capacity(last)
            self._last_seq = last
            self._appended.notify_all()
        if dropped:
            log.warning("spool full (%d readings): dropped the %d oldest, %d dropped in all",
                        self.capacity, dropped, self.dropped)
        return seqs

    def pending(self, after_seq: int = 0, limit: int = 500) -> list[Spooled]:
        """Unacknowledged readings numbered after after_seq, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM readings WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (after_seq, limit)).fetchall()
        return [from_row(row) for row in rows]

    def count(self) -> int:
        with self._lock:
            first = self._db.execute("SELECT MIN(seq) FROM readings").fetchone()[0]
            return 0 if first is None else self._last_seq - first + 1

    def acknowledge(self, up_to_seq: int) -> int:
        """Deletes the readings the service has stored; how many."""
        with self._lock, self._transaction():
            return self._delete_up_to(up_to_seq)

    def align(self, acked_seq: int):
        """Agrees with the service's position for this gateway.

        Normally it acknowledges up to there. A position beyond the spool's
        counter means the spool is newer than the service's memory of the
        gateway (a lost volume, a replaced device): the service would take its
        readings for replays and skip them, so they are renumbered after it.
        """
        with self._lock:
            with self._transaction():
                last = (self._renumber_after(acked_seq) if acked_seq > self._last_seq
                        else self._last_seq)
                self._delete_up_to(acked_seq)
            if last != self._last_seq:
                log.warning("the service's position %d is beyond this spool's counter %d: "
                            "pending readings renumbered to follow it", acked_seq, self._last_seq)
            self._last_seq = last

    def wait_for_pending(self, after_seq: int, count: int, timeout: float) -> bool:
        """Waits until at least count readings follow after_seq, or timeout."""
        with self._appended:
            return self._appended.wait_for(lambda: self._last_seq - after_seq >= count, timeout)

    def close(self):
        with self._lock:
            self._db.close()

    # ----------------------------------------------------------------------------
    @contextmanager
    def _transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _state(self, name: str):
        return self._db.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()[0]

    def _set_state(self, name: str, value):
        self._db.execute("UPDATE state SET value = ? WHERE name = ?", (value, name))

    def _delete_up_to(self, seq: int) -> int:
        return self._db.execute("DELETE FROM readings WHERE seq <= ?", (seq,)).rowcount

    def _renumber_after(self, acked_seq: int) -> int:
        """Moves the pending readings to just after acked_seq; the new last number."""
        first = self._db.execute("SELECT MIN(seq) FROM readings").fetchone()[0]
        if first is None:
            last = acked_seq
        else:
            # the shift exceeds last - first: old and new numbers never collide mid-update
            shift = acked_seq - first + 1
            self._db.execute("UPDATE readings SET seq = seq + ?", (shift,))
            last = self._last_seq + shift
        self._set_state("last_seq", last)
        return last

    def _drop_beyond_capacity(self, last_seq: int) -> int:
        dropped = self._delete_up_to(last_seq - self.capacity)
        if dropped:
            self._set_state("dropped", self._state("dropped") + dropped)
        return dropped
