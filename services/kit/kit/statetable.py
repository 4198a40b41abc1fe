"""A small key → JSON table in the service's own database, beside its events.

For state that changes too often to be event-sourced but must survive a
restart: ingestion positions, rule trackers' working state.
"""
import json

from eventsourcing.postgres import PostgresApplicationRecorder


class StateTable:
    def __init__(self, app, name: str):
        self.datastore = app.recorder.datastore
        self.postgres = isinstance(app.recorder, PostgresApplicationRecorder)
        table = f"{app.name.lower()}_{name}"
        if self.postgres:
            table = f'"{self.datastore.schema}"."{table}"'
            mark = "%s"
        else:
            mark = "?"
        self.create = (f"CREATE TABLE IF NOT EXISTS {table} "
                       "(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.select = f"SELECT value FROM {table} WHERE key = {mark}"
        self.select_all = f"SELECT key, value FROM {table}"
        self.upsert = (f"INSERT INTO {table} (key, value) VALUES ({mark}, {mark}) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self.create)

    def get(self, key: str):
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.select, (key,))
            row = cursor.fetchone()
        return json.loads(row["value"]) if row else None

    def put(self, key: str, value) -> None:
        self.put_many({key: value})

    def put_many(self, values: dict) -> None:
        rows = [(key, json.dumps(value)) for key, value in values.items()]
        if rows:
            with self.datastore.transaction(commit=True) as cursor:
                cursor.executemany(self.upsert, rows)

    def items(self) -> dict:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.select_all)
            rows = cursor.fetchall()
        # both dialects' rows (psycopg dict rows, sqlite3.Row) index by column name
        return {row["key"]: json.loads(row["value"]) for row in rows}
