"""The kit's event store on real PostgreSQL and SQLite."""
import base64
import os
import threading
import uuid

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event

import harness
from kit.eventstore import EventSourcedApplication, persistence_env, retry_on_conflict
from kit.projections import Projection, ReadModel


class Counter(Aggregate):
    @event("Created")
    def __init__(self, label: str):
        self.label = label
        self.count = 0

    @event("Incremented")
    def increment(self):
        self.count += 1


class CounterApplication(EventSourcedApplication):
    snapshotted = (Counter,)

    @retry_on_conflict
    def increment(self, counter_id):
        counter = self.repository.get(counter_id)
        counter.increment()
        self.save(counter)


@pytest.fixture(params=["postgres", "sqlite"])
def store_url(request, postgres_db, tmp_path):
    if request.param == "postgres":
        return f"{harness.POSTGRES_ADMIN_URL}/{postgres_db}?schema=es_{uuid.uuid4().hex[:8]}"
    return f"sqlite:///{tmp_path}/store.db"


def application(monkeypatch, url, **settings):
    monkeypatch.setenv("EVENT_STORE_URL", url)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return CounterApplication(persistence_env("counter"))


def test_an_integration_event_is_applied_once(monkeypatch, store_url):
    app = application(monkeypatch, store_url)
    counter = Counter(label="seen")
    app.save(counter)

    def decide():
        loaded = app.repository.get(counter.id)
        loaded.increment()
        return [loaded]

    assert app.save_once("event-1", decide) is True
    assert app.save_once("event-1", decide) is False
    assert app.repository.get(counter.id).count == 1
    assert app.is_processed("event-1") and not app.is_processed("event-2")


def test_one_save_of_several_aggregates_is_logged_in_the_order_given(monkeypatch, store_url):
    app = application(monkeypatch, store_url)
    first, second = Counter(label="first"), Counter(label="second " + "ổ gà " * 1000)
    first.increment()
    second.increment()
    second.increment()
    recordings = app.save(second, first)
    logged = app.recorder.select_notifications(1, 10)
    expected = [(second.id, 1), (second.id, 2), (second.id, 3), (first.id, 1), (first.id, 2)]
    assert [(n.originator_id, n.originator_version) for n in logged] == expected
    assert [n.id for n in logged] == [r.notification.id for r in recordings]
    assert [n.id for n in logged] == sorted(n.id for n in logged)
    assert app.repository.get(second.id).label == second.label
    assert app.repository.get(second.id).count == 2


def test_concurrent_commands_on_one_aggregate_all_land(monkeypatch, store_url):
    app = application(monkeypatch, store_url)
    counter = Counter(label="busy")
    app.save(counter)
    threads = [threading.Thread(target=lambda: [app.increment(counter.id) for _ in range(10)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert app.repository.get(counter.id).count == 40


def test_snapshots_are_taken_every_interval(monkeypatch, store_url):
    app = application(monkeypatch, store_url, SNAPSHOT_INTERVAL="5")
    counter = Counter(label="long-lived")
    app.save(counter)
    for _ in range(11):
        app.increment(counter.id)
    snapshots = list(app.snapshots.get(counter.id))
    assert [s.originator_version for s in snapshots] == [5, 10]
    assert app.repository.get(counter.id).count == 11


def test_events_are_encrypted_at_rest_when_a_key_is_set(monkeypatch, postgres_db):
    schema = f"es_{uuid.uuid4().hex[:8]}"
    url = f"{harness.POSTGRES_ADMIN_URL}/{postgres_db}?schema={schema}"
    key = base64.b64encode(os.urandom(32)).decode()
    app = application(monkeypatch, url, EVENT_STORE_CIPHER_KEY=key)
    app.save(Counter(label="Nguyễn Văn An 0912345678"))
    with psycopg.connect(f"{harness.POSTGRES_ADMIN_URL}/{postgres_db}") as conn:
        states = [bytes(row[0]) for row in conn.execute(
            f'SELECT state FROM "{schema}".counterapplication_events')]
    assert states and all(b"0912345678" not in s and "Nguyễn".encode() not in s for s in states)
    assert app.repository.get(app.recorder.select_notifications(1, 1)[0].originator_id).label \
        == "Nguyễn Văn An 0912345678"


def test_a_projection_tracks_its_position_and_rebuilds_the_same(monkeypatch, store_url):
    app = application(monkeypatch, store_url)
    model = ReadModel(app, LabelsProjection())
    for label in ("a", "b", "c"):
        app.save(Counter(label=label))
    assert model.catch_up() == 3 and model.catch_up() == 0      # nothing applied twice
    before = model.query("SELECT label FROM {schema}.labels ORDER BY label")
    model.rebuild()
    assert model.query("SELECT label FROM {schema}.labels ORDER BY label") == before
    assert [row["label"] for row in before] == ["a", "b", "c"]


class LabelsProjection(Projection):
    name = "labels"
    tables = ("CREATE TABLE IF NOT EXISTS {schema}.labels (label TEXT PRIMARY KEY)",)
    drop = ("DROP TABLE IF EXISTS {schema}.labels",)

    def process(self, sql, domain_event):
        if isinstance(domain_event, Counter.Created):
            sql.execute("INSERT INTO {schema}.labels (label) VALUES (%s)", (domain_event.label,))
