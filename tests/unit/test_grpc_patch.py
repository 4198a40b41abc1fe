"""The nameko-grpc fixes in kit.grpc.patch, on nameko-grpc's own stream objects."""
import binascii

import eventlet
from grpc import StatusCode
from hyperframe import frame
from nameko_grpc.errors import GrpcError
from nameko_grpc.streams import ReceiveStream, SendStream

from kit.grpc import patch


def test_a_call_past_its_deadline_ends_with_deadline_exceeded():
    request, response = ReceiveStream(1), SendStream(1)
    patch.server_timeout(None, request, response, deadline=0.05)
    assert request.closed and response.closed
    error = response.queue.get_nowait()
    assert isinstance(error, GrpcError) and error.code == StatusCode.DEADLINE_EXCEEDED


def test_a_call_that_finishes_in_time_is_left_alone():
    request, response = ReceiveStream(1), SendStream(1)
    eventlet.spawn_after(0.01, lambda: (request.close(), response.close()))
    patch.server_timeout(None, request, response, deadline=1.0)
    assert response.queue.get_nowait() is not None   # STREAM_END, not an error
    assert response.queue.empty()


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
        assert patch.raw_os.read(manager.wakeup.read_fd, 16) == b"!"
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
        manager.wakeup.close()
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

    wakeup = patch.Wakeup()
    ours, theirs = socket.socketpair()
    try:
        assert patch.readable_now(ours, wakeup.read_fd) == []
        theirs.send(b"x")
        assert patch.readable_now(ours, wakeup.read_fd) == [ours]
        wakeup.set()
        assert patch.readable_now(ours, wakeup.read_fd) == [ours, wakeup.read_fd]
    finally:
        for end in (ours, theirs, wakeup):
            end.close()
