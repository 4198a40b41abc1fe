"""Streams that resume: warnings, notifications and emergency cases, live.

Every replica follows the alerts application's notification log (its own
writes and the other replicas', through the shared database) and hands each
new event to the streams open on it. A stream's resume token is the log
position of the last item it delivered; on reconnect the stream first
replays the log from there, then goes live, skipping what the replay
already covered: nothing missed, nothing twice, whichever replica the
client reconnects to.
"""
import logging
import threading

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from kit.dependencies import EventStore

log = logging.getLogger(__name__)

STREAM_BUFFER = 10_000
POLL_SECONDS = 0.2
BATCH = 500
# How often an idle stream checks whether its client left: every check of
# 10,000 idle streams is a wake-up, so not often.
CLOSED_CHECK_SECONDS = 15.0


class OpenStream:
    """One client's stream: what it wants, and a queue of (token, item).

    `wants(position, event, loaded)` returns (token, item) or None; a token
    only grows along a stream (a log position, or a per-person sequence)."""

    def __init__(self, follower, wants):
        self.follower = follower
        self.wants = wants
        self.queue = LightQueue(STREAM_BUFFER)
        self.opened_at = follower.position
        self.overflowed = False

    def offer(self, position, event, loaded):
        wanted = self.wants(position, event, loaded)
        if wanted is None:
            return
        if self.queue.qsize() >= STREAM_BUFFER:
            # a client this far behind reconnects and resumes from its token
            self.overflowed = True
            return
        self.queue.put_nowait(wanted)

    def live(self, after: int, closed):
        """(token, item) as they come, after token `after`, until closed()."""
        while not closed() and not self.overflowed:
            try:
                token, item = self.queue.get(timeout=CLOSED_CHECK_SECONDS)
            except Empty:
                continue
            if token > after:
                after = token
                yield token, item

    def close(self):
        self.follower.streams.discard(self)


class LogFollower:
    """Follows the notification log from its current end, for live streams."""

    def __init__(self, app, topics):
        self.app = app
        self.topics = topics
        self.position = app.recorder.max_notification_id() or 0
        self.streams: set[OpenStream] = set()
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        app.on_saved.append(self.wakeup.set)

    def open(self, wants) -> OpenStream:
        stream = OpenStream(self, wants)
        self.streams.add(stream)
        return stream

    def history(self, after: int, until: int):
        """(position, domain event) of the followed topics in (after, until]."""
        while after < until:
            notifications = self.app.recorder.select_notifications(
                after + 1, BATCH, stop=until, topics=self.topics)
            if not notifications:
                return
            for notification in notifications:
                yield notification.id, self.app.mapper.to_domain_event(notification)
            after = notifications[-1].id

    def run(self):
        while not self.stopping.is_set():
            try:
                if self.step() == 0:
                    self.wakeup.wait(POLL_SECONDS)
                    self.wakeup.clear()
            except Exception:
                log.exception("following the log failed; retrying")
                self.stopping.wait(1.0)

    def step(self) -> int:
        notifications = self.app.recorder.select_notifications(
            self.position + 1, BATCH, topics=self.topics)
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            loaded = self.app.loaded_for_streams(event)
            for stream in list(self.streams):
                stream.offer(notification.id, event, loaded)
            self.position = notification.id
        return len(notifications)

    def stop(self):
        self.stopping.set()
        self.wakeup.set()


class Feed(DependencyProvider):
    """The process's log follower, started with the service."""

    def start(self):
        app = next(d.app for d in self.container.dependencies if isinstance(d, EventStore))
        self.follower = LogFollower(app, app.stream_topics)
        self.container.spawn_managed_thread(self.follower.run, identifier="alerts-feed")

    def stop(self):
        self.follower.stop()

    def get_dependency(self, worker_ctx):
        return self.follower
