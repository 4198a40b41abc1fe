"""Latency fixes for nameko-grpc 1.3.0, applied once at import.

1. Wake-ups instead of polling. nameko-grpc's connection loop only notices
   outgoing data when `select` times out (SELECT_TIMEOUT = 10 ms), which
   costs ~13 ms per unary call; lowering the timeout burns CPU on every idle
   connection instead. Here each connection owns a pipe: queueing data on one
   of its send streams, or a new request, writes a byte to the pipe, and the
   loop selects on the socket and the pipe together, so it runs exactly when
   there is something to do (asking the kernel first, without the hub: under
   load something is nearly always ready).
2. Errors after messages. When a server stream fails, nameko-grpc sends
   the error trailers and drops the messages already serialised but not yet
   written; here those are written first.
3. No Nagle. Accepted and connected sockets get TCP_NODELAY: without it a
   small response can wait ~40 ms for the peer's delayed ACK.
4. Uncompressed answers. nameko-grpc deflates every response a client
   would accept compressed: CPU per message for a few bytes saved on a
   cluster network.
5. Deadline timers. nameko-grpc watches each deadline by waking every 1 ms
   for the whole call; here the watcher sleeps until the deadline in steps
   of at most 50 ms.
6. Large messages in few frames. h2 advertises 16 KiB frames and a 64 KiB
   window; here 256 KiB and 4 MiB, so a 40 KB message is one frame and no
   window update stalls it. h2 also formats every received frame for its
   trace log, hex-encoding all of a DATA frame's bytes to show the first
   ten: here only those ten are encoded.
"""
import binascii
import os
import select
import socket
import time
from queue import Queue

import eventlet
from eventlet.patcher import original
from grpc import StatusCode
from h2.settings import SettingCodes, Settings
from hyperframe import frame
from nameko_grpc import channel, client, connection, entrypoint
from nameko_grpc.errors import GrpcError

IDLE_SELECT_SECONDS = 1.0
RECEIVE_BYTES = 262_144     # a 1,000-reading batch (~40 KB) and more in one read
MAX_FRAME_BYTES = 262_144
FLOW_WINDOW_BYTES = 4 * 1024 * 1024
DEFAULT_WINDOW_BYTES = 65_535

# eventlet's green os.read/os.write wait on EAGAIN; a wake-up must never wait
raw_os = original("os")
blocking_select = original("select")
DEADLINE_STEP_SECONDS = 0.05


class Wakeup:
    """A non-blocking self-pipe."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)

    def set(self):
        try:
            raw_os.write(self.write_fd, b"!")
        except (BlockingIOError, OSError):
            pass   # pipe full (a wake-up is pending anyway) or closed

    def clear(self):
        try:
            raw_os.read(self.read_fd, 65536)
        except (BlockingIOError, OSError):
            pass

    def close(self):
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


class WakingQueue(Queue):
    def __init__(self, wakeup):
        super().__init__()
        self.wakeup = wakeup

    def put(self, item, block=True, timeout=None):
        super().put(item, block, timeout)
        self.wakeup.set()


class WakingConnectionMixin:
    def __init__(self, sock, *args, **kwargs):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, *args, **kwargs)
        self.wakeup = Wakeup()

    def adopt(self, send_stream):
        send_stream.queue = WakingQueue(self.wakeup)

    def initiate(self):
        """Settings that let a peer send large messages in few frames and
        without waiting on window updates (h2's defaults: 16 KiB frames, a
        64 KiB window, as small as HTTP/2 allows)."""
        self.conn.local_settings = Settings(client=self.conn.config.client_side, initial_values={
            SettingCodes.MAX_CONCURRENT_STREAMS: 100,
            SettingCodes.MAX_HEADER_LIST_SIZE: self.conn.DEFAULT_MAX_HEADER_LIST_SIZE,
            SettingCodes.INITIAL_WINDOW_SIZE: FLOW_WINDOW_BYTES,
            SettingCodes.MAX_FRAME_SIZE: MAX_FRAME_BYTES})
        self.conn.max_inbound_frame_size = MAX_FRAME_BYTES
        self.conn.initiate_connection()
        # the connection's own window starts at 64 KiB whatever the settings say
        self.conn.increment_flow_control_window(FLOW_WINDOW_BYTES - DEFAULT_WINDOW_BYTES)

    def run_forever(self):
        """nameko-grpc's loop, selecting on the socket and the wake-up pipe."""
        self.initiate()
        with self.cleanup_on_exit():
            while self.run:
                self.on_iteration()
                if not self.run:
                    break
                outgoing = self.conn.data_to_send()
                if outgoing:
                    self.sock.sendall(outgoing)
                ready = readable_now(self.sock, self.wakeup.read_fd) or select.select(
                    [self.sock, self.wakeup.read_fd], [], [], IDLE_SELECT_SECONDS)[0]
                if self.wakeup.read_fd in ready:
                    self.wakeup.clear()
                if self.sock not in ready:
                    continue
                data = self.sock.recv(RECEIVE_BYTES)
                if not data:
                    break
                self.dispatch(self.conn.receive_data(data))
        self.wakeup.close()

    def dispatch(self, events):
        for event in events:
            handler = self.EVENT_HANDLERS.get(type(event))
            if handler:
                getattr(self, handler)(event)

    def stop(self):
        self.wakeup.set()
        super().stop()


EVENT_HANDLERS = {
    connection.RequestReceived: "request_received",
    connection.ResponseReceived: "response_received",
    connection.DataReceived: "data_received",
    connection.StreamEnded: "stream_ended",
    connection.StreamReset: "stream_reset",
    connection.WindowUpdated: "window_updated",
    connection.RemoteSettingsChanged: "settings_changed",
    connection.SettingsAcknowledged: "settings_acknowledged",
    connection.TrailersReceived: "trailers_received",
    connection.ConnectionTerminated: "connection_terminated",
}


class ClientConnectionManager(WakingConnectionMixin, connection.ClientConnectionManager):
    EVENT_HANDLERS = EVENT_HANDLERS

    def send_request(self, request_headers):
        request_stream, response_stream = super().send_request(request_headers)
        self.adopt(request_stream)
        self.wakeup.set()
        return request_stream, response_stream


class ServerConnectionManager(WakingConnectionMixin, connection.ServerConnectionManager):
    EVENT_HANDLERS = EVENT_HANDLERS

    def request_received(self, event):
        # the response stream is created inside the parent's method and handed
        # to the entrypoint at once, so adopt it from the handle_request hook
        handle_request = self.handle_request

        def adopting(request_stream, response_stream):
            self.adopt(response_stream)
            handle_request(request_stream, response_stream)

        self.handle_request = adopting
        try:
            super().request_received(event)
        finally:
            self.handle_request = handle_request

    def send_data(self, stream_id):
        try:
            connection.ConnectionManager.send_data(self, stream_id)
        except GrpcError as error:
            send_stream = self.send_streams.get(stream_id)
            self.send_buffered(stream_id, send_stream)
            send_stream.trailers.set(*error.as_headers())
            self.end_stream(stream_id)

    def send_buffered(self, stream_id, send_stream):
        """Writes what the stream serialised before its error, window permitting."""
        if send_stream.buffer.empty():
            return
        self.send_headers(stream_id, immediate=True)
        window = self.conn.local_flow_control_window(stream_id)
        for chunk in send_stream.read(window, self.conn.max_outbound_frame_size):
            self.conn.send_data(stream_id=stream_id, data=chunk)


def outlived(stream_a, stream_b, deadline) -> bool:
    """Sleeps until both streams close (False) or the deadline passes (True).

    Checks often at first (most calls end quickly), then at most once a
    second: a long stream with a far deadline costs one wake-up a second."""
    started = time.monotonic()
    expires_at = started + deadline
    while not (stream_a.closed and stream_b.closed):
        now = time.monotonic()
        if now >= expires_at:
            return True
        step = min(1.0, max(DEADLINE_STEP_SECONDS, now - started))
        eventlet.sleep(min(expires_at - now, step))
    return False


def deadline_exceeded():
    return GrpcError(code=StatusCode.DEADLINE_EXCEEDED, message="Deadline Exceeded")


def server_timeout(self, request_stream, response_stream, deadline):
    if outlived(request_stream, response_stream, deadline):
        request_stream.close()
        response_stream.close(deadline_exceeded())


def client_timeout(self, send_stream, response_stream, deadline):
    if outlived(send_stream, response_stream, deadline):
        response_stream.close(deadline_exceeded())
        send_stream.close()


def readable_now(sock, read_fd) -> list:
    """Which of the two can be read without waiting: one poll() call. Under
    load one nearly always can, and then eventlet's select (which registers
    and unregisters both with the hub every time) is not needed."""
    poller = blocking_select.poll()
    poller.register(sock, blocking_select.POLLIN)
    poller.register(read_fd, blocking_select.POLLIN)
    ready = {fd for fd, _ in poller.poll(0)}
    return [item for item in (sock, read_fd)
            if (item if isinstance(item, int) else item.fileno()) in ready]


def short_data_repr(data) -> str:
    """hyperframe's _raw_data_repr, encoding only what it shows."""
    if not data:
        return "None"
    shown = binascii.hexlify(data[:11]).decode("ascii")
    return "<hex:" + (shown[:20] + "..." if len(shown) > 20 else shown) + ">"


def apply():
    frame._raw_data_repr = short_data_repr
    connection.select_algorithm = lambda accept_encoding, encoding: "identity"
    channel.ClientConnectionManager = ClientConnectionManager
    channel.ServerConnectionManager = ServerConnectionManager
    entrypoint.GrpcServer.timeout = server_timeout
    client.ClientBase.timeout = client_timeout


apply()
