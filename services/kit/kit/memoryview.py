"""Small read models held in memory: the aggregates behind a few topics (the
sensor registry, the report categories), kept current from the notification
log so every replica sees changes made through any other."""
import threading
import time


class AggregatesByKey:
    """`key(aggregate) -> str` → the aggregate, as of the last refresh."""

    def __init__(self, app, topics, key):
        self.app = app
        self.topics = topics
        self.key = key
        self.items: dict = {}
        self.position = 0
        self.refreshed_at = 0.0
        self.lock = threading.Lock()

    def catch_up(self):
        """Applies what the log holds now (waits for a refresh under way)."""
        with self.lock:
            self.refresh()

    def current(self, max_age_seconds: float) -> dict:
        """The items, refreshed first when older than max_age_seconds — unless
        another request is refreshing them: then the current ones do."""
        if time.monotonic() - self.refreshed_at > max_age_seconds and \
                self.lock.acquire(blocking=False):
            try:
                self.refresh()
            finally:
                self.lock.release()
        return self.items

    def refresh(self):
        # Read the log's end first: everything up to it is committed (PostgreSQL
        # numbers events under a table lock), so the scan never revisits it.
        end = self.app.recorder.max_notification_id() or 0
        updated = {}
        while self.position < end:
            notifications = self.app.recorder.select_notifications(
                self.position + 1, 1000, stop=end, topics=self.topics)
            for notification in notifications:
                aggregate = self.app.repository.get(notification.originator_id)
                updated[self.key(aggregate)] = aggregate
            if len(notifications) < 1000:
                break
            self.position = notifications[-1].id
        self.position = max(self.position, end)
        if updated:   # replaced, not changed in place: readers need no lock
            self.items = {**self.items, **updated}
        self.refreshed_at = time.monotonic()
