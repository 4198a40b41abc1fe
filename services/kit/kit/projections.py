"""Read models: SQL tables beside a service's events, kept by projections that
track their position.

A projection follows the application's notification log. For each batch it
applies the events to its tables and records the position it reached in the
same transaction, so a crash repeats nothing and skips nothing. One replica
runs each projection (the same leader lock as the outbox relay); every
replica reads the tables. Dropping the tables and the position rebuilds the
read model from the events (`rebuild`).

SQL is written once with `%s` placeholders; on SQLite they become `?`.
"""
import contextlib

from eventsourcing.postgres import PostgresApplicationRecorder

from kit.outbox import LeaderTask

BATCH = 500   # events a projection applies per transaction


class Projection:
    """Subclasses name their tables and apply events to them."""

    name = "projection"
    tables: tuple[str, ...] = ()        # CREATE TABLE/INDEX IF NOT EXISTS statements
    drop: tuple[str, ...] = ()          # DROP statements, for rebuilding
    topics: tuple[str, ...] = ()        # event topics it needs; empty: all

    def process(self, sql, domain_event) -> None:
        """Applies one event: `sql.execute(statement, params)`."""
        raise NotImplementedError


class Sql:
    """One transaction's cursor, speaking `%s` on both databases."""

    def __init__(self, cursor, postgres: bool, schema: str):
        self.cursor = cursor
        self.postgres = postgres
        self.schema = schema

    def statement(self, text: str) -> str:
        text = text.replace("{schema}.", f'"{self.schema}".' if self.postgres else "")
        return text if self.postgres else text.replace("%s", "?")

    def execute(self, text: str, params=()):
        self.cursor.execute(self.statement(text), params)
        return self.cursor

    def executemany(self, text: str, rows):
        self.cursor.executemany(self.statement(text), rows)

    def rows(self, text: str, params=()) -> list:
        return [dict(row) for row in self.execute(text, params).fetchall()]

    def pipeline(self):
        """On PostgreSQL, statements go out without waiting for each answer
        (a query's rows are waited for when read)."""
        return self.cursor.connection.pipeline() if self.postgres else contextlib.nullcontext()


class ReadModel:
    """Access to a service's read-model tables, and the projection runner."""

    POSITIONS = ("CREATE TABLE IF NOT EXISTS {schema}.projection_positions "
                 "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)")

    def __init__(self, app, projection: Projection):
        self.app = app
        self.projection = projection
        self.postgres = isinstance(app.recorder, PostgresApplicationRecorder)
        self.schema = getattr(app.recorder.datastore, "schema", "")
        with self.transaction() as sql:
            for statement in (self.POSITIONS, *projection.tables):
                sql.execute(statement)

    def transaction(self, commit=True):
        datastore = self.app.recorder.datastore
        model = self

        class Transaction:
            def __enter__(self):
                self.context = datastore.transaction(commit=commit)
                return Sql(self.context.__enter__(), model.postgres, model.schema)

            def __exit__(self, *exc_info):
                return self.context.__exit__(*exc_info)

        return Transaction()

    def query(self, text: str, params=()) -> list[dict]:
        with self.transaction(commit=False) as sql:
            return sql.rows(text, params)

    def position(self, sql) -> int:
        rows = sql.rows("SELECT position FROM {schema}.projection_positions WHERE name = %s",
                        (self.projection.name,))
        return rows[0]["position"] if rows else 0

    def catch_up(self, batch_size=BATCH) -> int:
        """Applies the next batch of events; returns how many it read."""
        with self.transaction() as sql, sql.pipeline():
            start = self.position(sql) + 1
            notifications = self.app.recorder.select_notifications(
                start, batch_size, topics=self.projection.topics)
            for notification in notifications:
                self.projection.process(sql, self.app.mapper.to_domain_event(notification))
            if notifications:
                sql.execute("INSERT INTO {schema}.projection_positions (name, position) "
                            "VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
                            "SET position = excluded.position",
                            (self.projection.name, notifications[-1].id))
        return len(notifications)

    def rebuild(self):
        """Drops the tables and the position, then replays every event."""
        with self.transaction() as sql:
            for statement in self.projection.drop:
                sql.execute(statement)
            sql.execute("DELETE FROM {schema}.projection_positions WHERE name = %s",
                        (self.projection.name,))
            for statement in self.projection.tables:
                sql.execute(statement)
        while self.catch_up() > 0:
            pass


class ProjectionRunner(LeaderTask):
    """Keeps a read model current on the replica holding the leader lock."""

    def __init__(self, read_model: ReadModel, lock):
        super().__init__(read_model.app, lock)
        self.read_model = read_model
        self.name = f"projection {read_model.projection.name}"
        self.full_batch = BATCH

    def pass_once(self) -> int:
        return self.read_model.catch_up()
