"""The alerts feed's open streams: what waits during a replay is pushed once
live, in order and only once; a client that reads too far behind ends its
stream (it resumes from its token); a failing stream does not stop the
others."""
import eventlet

from alerts.feed import LogFollower, OpenStream


class Sender:
    """The send side of a server stream, as kit.grpc.server.StreamSender offers it."""

    def __init__(self, backlog_limit=100):
        self.pushed = []
        self.closed = False
        self.backlog_limit = backlog_limit

    @property
    def backlogged(self):
        return len(self.pushed) >= self.backlog_limit

    def push(self, message):
        self.pushed.append(message)


class Follower:
    position = 10
    streams = set()


def every_event(position, event, loaded):
    return position, event


def go_live(stream, after, sender):
    live = eventlet.spawn(stream.live, after, sender, lambda token, item: (token, item))
    eventlet.sleep(0)
    return live


def test_what_was_offered_during_the_replay_is_pushed_once_live_after_the_replay():
    stream, sender = OpenStream(Follower(), every_event), Sender()
    for position in (11, 12, 13):
        stream.offer(position, f"event {position}", None)
    live = go_live(stream, 12, sender)         # the replay reached 12
    stream.offer(13, "event 13", None)           # offered again: not twice
    stream.offer(14, "event 14", None)
    assert sender.pushed == [(13, "event 13"), (14, "event 14")]
    sender.closed = True
    stream.offer(15, "event 15", None)
    assert sender.pushed[-1] == (14, "event 14"), "nothing goes to a closed stream"
    stream.end()
    live.wait()


def test_a_client_too_far_behind_ends_its_stream():
    stream, sender = OpenStream(Follower(), every_event), Sender(backlog_limit=2)
    live = go_live(stream, 10, sender)
    for position in (11, 12, 13, 14):
        stream.offer(position, f"event {position}", None)
    with eventlet.Timeout(1):
        live.wait()                              # live() returned: the stream ends
    assert [token for token, _ in sender.pushed] == [11, 12]


class App:
    on_saved = []

    class recorder:
        @staticmethod
        def max_notification_id():
            return 10


def test_a_stream_that_fails_is_ended_and_the_others_still_get_the_event():
    follower = LogFollower(App(), topics=[])

    def broken(position, event, loaded):
        raise ValueError("a bug in one matcher")

    failing, healthy = follower.open(broken), follower.open(every_event)
    sender = Sender()
    live = go_live(healthy, 10, sender)
    follower.offer(11, "event 11", lambda: None)
    assert failing.ending.ready()
    assert sender.pushed == [(11, "event 11")]
    healthy.end()
    live.wait()


def test_an_events_aggregate_is_loaded_only_when_a_stream_asks_and_then_once():
    follower, loads = LogFollower(App(), topics=[]), []

    def load():
        loads.append("loaded")
        return "the warning"

    def asks(position, event, load):
        return position, load()

    follower.open(lambda position, event, load: None)       # another person's stream
    follower.offer(11, "event 11", load)
    assert loads == []
    first, second = follower.open(asks), follower.open(asks)
    follower.offer(12, "event 12", load)
    assert loads == ["loaded"]
    assert list(first.waiting) == list(second.waiting) == [(12, "the warning")]


def test_a_stream_opening_while_an_offer_loads_replays_that_event_instead_of_missing_it():
    class Notification:
        id = 11

    class LoggedApp(App):
        class recorder(App.recorder):
            @staticmethod
            def select_notifications(start, limit, topics):
                return [Notification()] if start == 11 else []

        class mapper:
            @staticmethod
            def to_domain_event(notification):
                return f"event {notification.id}"

        @staticmethod
        def loaded_for_streams(event):
            eventlet.sleep(0)                   # the database: other greenthreads run
            return "the warning"

    follower = LogFollower(LoggedApp(), topics=[])
    follower.open(lambda position, event, load: (position, load()))
    opened = []
    eventlet.spawn(lambda: opened.append(follower.open(every_event)))
    follower.step()
    [late] = opened
    assert late.opened_at == 11 and not late.waiting   # its replay covers event 11
