"""The nameko-grpc fixes in kit.grpc.patch, on nameko-grpc's own stream objects."""
import binascii
import time
import types

import eventlet
import pytest
from eventlet.hubs import get_hub
from grpc import StatusCode
from h2.config import H2Configuration
from h2.connection import H2Connection
from hyperframe import frame
from nameko_grpc import streams
from nameko_grpc.errors import GrpcError
from nameko_grpc.streams import ReceiveStream, SendStream

from kit.grpc import patch


class Server:
    """What GrpcServer.handle_request uses of itself: one entrypoint, and a
    container that keeps the spawned calls rather than running them."""

    def __init__(self, path):
        self.entrypoints = {path: None}
        self.spawned = []
        self.container = self

    def spawn_managed_thread(self, fn):
        self.spawned.append(fn)


def call(server, path, timeout):
    request, response = ReceiveStream(1), SendStream(1)
    request.headers.set((":path", path), ("grpc-timeout", timeout))
    patch.handle_request(server, request, response)
    return request, response


def test_a_call_past_its_deadline_ends_with_deadline_exceeded():
    server = Server("/smartcity.Test/Slow")
    request, response = call(server, "/smartcity.Test/Slow", "50m")
    assert len(server.spawned) == 1 and not response.closed
    eventlet.sleep(0.1)
    assert request.closed and response.closed
    error = response.queue.get_nowait()
    assert isinstance(error, GrpcError) and error.code == StatusCode.DEADLINE_EXCEEDED


def test_a_client_call_past_its_deadline_ends_with_deadline_exceeded():
    sent, answer = SendStream(1), ReceiveStream(1)
    populated = []
    caller = types.SimpleNamespace(
        channel=types.SimpleNamespace(send_request=lambda headers: (sent, answer)),
        spawn_thread=lambda target, args, name: populated.append(args))
    assert patch.invoke(caller, [], "request", 0.05) is answer
    assert populated == [("request",)] and not answer.closed
    eventlet.sleep(0.1)
    assert sent.closed and answer.closed
    error = answer.queue.get_nowait()
    assert isinstance(error, GrpcError) and error.code == StatusCode.DEADLINE_EXCEEDED


def test_a_deadline_that_passes_after_the_call_ended_changes_nothing():
    outgoing, incoming = SendStream(1), ReceiveStream(1)
    patch.expire_after(0.02, outgoing, incoming)
    outgoing.close()
    incoming.close()
    eventlet.sleep(0.05)
    assert incoming.queue.get_nowait() is streams.STREAM_END
    assert incoming.queue.empty()


def test_a_call_that_ends_in_time_cancels_its_deadline():
    server, client = tcp_pair()
    manager = patch.ServerConnectionManager(server, handle_request=None)
    peer = H2Connection(H2Configuration(client_side=True))
    peer.initiate_connection()
    peer.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", "test"),
                          (":path", "/smartcity.Test/Quick")])
    manager.conn.initiate_connection()
    manager.conn.receive_data(peer.data_to_send())
    try:
        request, response = call(Server("/smartcity.Test/Quick"), "/smartcity.Test/Quick",
                                 "50m")
        manager.send_streams[1] = response
        request.close()
        response.close()
        manager.end_stream(1)
        assert response.deadline.called, "end_stream cancelled the timer"
        eventlet.sleep(0.1)
        assert response.queue.get_nowait() is streams.STREAM_END
        assert response.queue.empty()
    finally:
        server.close()
        client.close()


def test_an_unknown_method_is_unimplemented():
    with pytest.raises(GrpcError) as raised:
        call(Server("/smartcity.Test/Known"), "/smartcity.Test/Unknown", "1S")
    assert raised.value.code == StatusCode.UNIMPLEMENTED


def tcp_pair():
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    return server, client


def test_queueing_on_a_stream_wakes_its_connection_and_a_pass_visits_only_ready_streams():
    server, client = tcp_pair()
    manager = patch.ServerConnectionManager(server, handle_request=None)
    visited = []
    manager.send_headers = lambda stream_id: None
    manager.send_data = visited.append
    idle, busy = SendStream(1), SendStream(3)
    manager.send_streams = {1: idle, 3: busy}
    for stream in (idle, busy):
        manager.adopt(stream)
    try:
        busy.queue.put("message")
        assert manager.wakeup.pending
        manager.on_iteration()
        assert visited == [3]
        manager.on_iteration()
        assert visited == [3], "a stream with nothing to send is not visited again"
        idle.queue.put("message")
        idle.buffer.write(b"held back by flow control")   # send_data left it unsent
        manager.on_iteration()
        manager.on_iteration()
        assert visited == [3, 1, 1], "a stream holding bytes back stays ready"
    finally:
        server.close()
        client.close()


def test_frame_trace_text_is_what_hyperframe_writes_without_encoding_it_all():
    def hyperframes_own(data):   # hyperframe 6's _raw_data_repr
        if not data:
            return "None"
        text = binascii.hexlify(data).decode("ascii")
        return "<hex:" + (text[:20] + "..." if len(text) > 20 else text) + ">"

    for data in (b"", b"\x00", bytes(range(10)), bytes(range(11)), bytes(256_000)):
        assert patch.short_data_repr(data) == hyperframes_own(data)
    assert frame._raw_data_repr is patch.short_data_repr


def test_what_can_be_read_now_is_found_without_waiting():
    import socket

    ours, theirs = socket.socketpair()
    try:
        assert not patch.readable_now(ours)
        theirs.send(b"x")
        assert patch.readable_now(ours)
    finally:
        ours.close()
        theirs.close()


def test_a_connection_waits_for_its_socket_or_its_wakeup_whichever_comes_first():
    from eventlet.green import socket

    ours, theirs = socket.socketpair()
    wakeup = patch.Wakeup()
    try:
        started = time.monotonic()
        assert wakeup.wait(ours, 0.05) is False, "nothing came: the timeout"
        assert time.monotonic() - started >= 0.05

        eventlet.spawn_after(0.01, wakeup.set)
        assert wakeup.wait(ours, 5) is False and wakeup.pending, "woken"
        assert wakeup.wait(ours, 5) is False, "a wake-up still pending does not wait"

        wakeup.pending = False
        eventlet.spawn_after(0.01, theirs.send, b"x")
        assert wakeup.wait(ours, 5) is True, "the socket can be read"

        # readable and woken at once: whichever wins, the other is withdrawn,
        # so nothing switches into the loop once it has moved on
        wakeup.pending = False
        eventlet.spawn_after(0.01, lambda: (wakeup.set(), theirs.send(b"y")))
        wakeup.wait(ours, 5)
        hub = get_hub()
        assert ours.fileno() not in hub.listeners[hub.READ], "the socket's listener is removed"
        assert wakeup.call is None and wakeup.waiter is None
        started = time.monotonic()
        eventlet.sleep(0.05)
        assert time.monotonic() - started >= 0.05, "a stray switch cut the sleep short"
    finally:
        ours.close()
        theirs.close()
