"""Streams that resume: warnings, notifications and emergency cases, live.

Every replica follows the alerts application's notification log (its own
writes and the other replicas', through the shared database) and hands each
new event to the streams open on it. A stream's resume token is the log
position of the last item it delivered; on reconnect the stream first
replays the log from there, then goes live, skipping what the replay
already covered: nothing missed, nothing twice, whichever replica the
client reconnects to. Live items are pushed onto the client's stream by
the follower itself (kit.grpc.server.StreamSender): one warning to 10,000
streams is 10,000 queue puts, not 10,000 greenthread switches.
"""
import collections
import logging
import threading
from functools import cache, partial

from eventlet.event import Event
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
    """One client's stream: what it wants, and where it goes.

    `wants(position, event, load)` returns (token, item) or None, calling
    load() for the aggregate as of the event only when the event's type and
    originator could interest the stream; a token only grows along a stream
    (a log position, or a per-person sequence).
    While the stream replays, what the follower offers waits in line;
    once live, it is pushed straight to the client's stream."""

    def __init__(self, follower, wants):
        self.follower = follower
        self.wants = wants
        self.waiting = collections.deque()   # offered while the stream replays
        self.opened_at = follower.position
        self.push = None
        self.ending = Event()

    def offer(self, position, event, load):
        wanted = self.wants(position, event, load)
        if wanted is None:
            return
        if self.push is not None:
            self.push(*wanted)
        elif len(self.waiting) >= STREAM_BUFFER:
            self.end()
        else:
            self.waiting.append(wanted)

    def live(self, after: int, sender, message):
        """From now on pushes what is offered after token `after` to the
        client, as message(token, item); returns when the client has gone
        or reads too far behind (it reconnects and resumes from its token)."""

        def push(token, item):
            nonlocal after
            if token <= after or sender.closed or self.ending.ready():
                return
            if sender.backlogged:
                self.end()
                return
            after = token
            sender.push(message(token, item))

        while self.waiting:
            push(*self.waiting.popleft())
        self.push = push
        while not (sender.closed or self.ending.ready()):
            self.ending.wait(CLOSED_CHECK_SECONDS)

    def end(self):
        if not self.ending.ready():
            self.ending.send()

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
            # The position moves first: loading the event's aggregate for a
            # stream waits for the database, and a stream that opens meanwhile
            # replays up to this event rather than missing it.
            self.position = notification.id
            self.offer(notification.id, event, partial(self.app.loaded_for_streams, event))
        return len(notifications)

    def offer(self, position, event, load):
        """To every stream open when the offer starts (see step)."""
        # Loaded when a stream first asks, and once for all: most events
        # (another person's notification) interest no open stream.
        load = cache(load)
        for stream in list(self.streams):
            try:
                stream.offer(position, event, load)
            except Exception:
                log.exception("offering to a stream failed; ending the stream")
                stream.end()

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
