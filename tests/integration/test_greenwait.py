"""kit.greenwait: psycopg waiting through eventlet's hub, on a real PostgreSQL."""
import time

import eventlet
import psycopg
import pytest
from psycopg import waiting

import harness
from kit import greenwait


@pytest.fixture
def green_waits(monkeypatch):
    monkeypatch.setattr(waiting, "wait", greenwait.wait_green)


def sleep_in_postgres(seconds: float) -> tuple:
    with psycopg.connect(harness.POSTGRES_ADMIN_URL + "/postgres") as connection:
        with connection.transaction():
            connection.execute("SELECT pg_sleep(%s)", (seconds,))
            return connection.execute("SELECT 6 * 7, 'chè'").fetchone()


def test_queries_in_green_threads_wait_side_by_side(green_waits):
    started = time.monotonic()
    pool = eventlet.GreenPool()
    answers = list(pool.imap(sleep_in_postgres, [0.5] * 4))
    elapsed = time.monotonic() - started
    assert answers == [(42, "chè")] * 4
    assert elapsed < 1.5     # four 0.5 s sleeps one after another would take 2 s


def test_pipeline_mode_waits_for_reading_or_writing(green_waits):
    with psycopg.connect(harness.POSTGRES_ADMIN_URL + "/postgres") as connection:
        with connection.pipeline():
            cursors = [connection.execute("SELECT %s::int * 2", (n,)) for n in range(50)]
        assert [cursor.fetchone()[0] for cursor in cursors] == [n * 2 for n in range(50)]


def test_a_wait_past_its_timeout_raises_psycopgs_own_error(green_waits):
    connection = psycopg.connect(harness.POSTGRES_ADMIN_URL + "/postgres", autocommit=True)
    try:
        connection.pgconn.send_query(b"SELECT pg_sleep(2)")
        started = time.monotonic()
        with pytest.raises(psycopg.errors._WaitTimeout):
            waiting.wait(psycopg.generators.execute(connection.pgconn),
                         connection.pgconn.socket, timeout=0.2)
        assert time.monotonic() - started < 1.0
    finally:
        connection.close()
