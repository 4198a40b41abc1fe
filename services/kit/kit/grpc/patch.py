"""Latency fixes for nameko-grpc 1.3.0, applied once at import.

1. Wake-ups instead of polling. nameko-grpc's connection loop only notices
   outgoing data when `select` times out (SELECT_TIMEOUT = 10 ms), which
   costs ~13 ms per unary call; lowering the timeout burns CPU on every idle
   connection instead. Here queueing data on one of a connection's send
   streams, or a new request, sets the connection's Wakeup, and the loop
   runs exactly when there is something to do: it asks the kernel first
   whether the socket can be read (under load it nearly always can), and
   otherwise waits in the hub for the socket or the wake-up, whichever comes
   first (a self-pipe did this before, at two system calls and a second hub
   registration per wake-up).
2. Errors after messages. When a server stream fails, nameko-grpc sends
   the error trailers and drops the messages already serialised but not yet
   written; here those are written first.
3. No Nagle. Accepted and connected sockets get TCP_NODELAY: without it a
   small response can wait ~40 ms for the peer's delayed ACK.
4. Uncompressed answers. nameko-grpc deflates every response a client
   would accept compressed: CPU per message for a few bytes saved on a
   cluster network.
5. Deadline timers. nameko-grpc watches each deadline with a greenthread
   per call that wakes every 1 ms; here a call's deadline is one hub timer
   (on the server cancelled when the call's response ends; a client's
   fires and finds the call over).
6. Only streams with something to send. nameko-grpc's loop visits every
   open stream of its connection on every pass; with 100 long-lived streams
   on a connection, a fan-out of one message to each paid ~100 visits per
   message. Here queueing on a send stream marks it ready, and a pass visits
   the ready streams (and those still held back by flow control). Send
   queues are deques rather than queue.Queue (whose green locks and
   conditions cost more than the message), a wake-up already pending is not
   written again, and serialising a stream's queue yields to other
   greenthreads every few hundred messages rather than after each.
7. Large messages in few frames. h2 advertises 16 KiB frames and a 64 KiB
   window; here 256 KiB and 4 MiB, so a 40 KB message is one frame and no
   window update stalls it. h2 also formats every received frame for its
   trace log, hex-encoding all of a DATA frame's bytes to show the first
   ten: here only those ten are encoded.
8. Outgoing headers unchecked. h2 validates and normalises every header
   block it sends (a few percent of a unary call's CPU); the only headers
   sent are nameko-grpc's own, well-formed ones. Received headers are still
   checked.
"""
import binascii
import collections
import itertools
import socket
import struct
from queue import Empty

import eventlet
import greenlet
from eventlet.patcher import original
from eventlet.hubs import get_hub
from grpc import StatusCode
from h2.settings import SettingCodes, Settings
from hyperframe import frame
from nameko_grpc import channel, client, connection, entrypoint, streams
from nameko_grpc.compression import SUPPORTED_ENCODINGS, compress
from nameko_grpc.errors import GrpcError
from nameko_grpc.timeout import unbucket_timeout

IDLE_SELECT_SECONDS = 1.0
RECEIVE_BYTES = 262_144     # a 1,000-reading batch (~40 KB) and more in one read
MAX_FRAME_BYTES = 262_144
FLOW_WINDOW_BYTES = 4 * 1024 * 1024
DEFAULT_WINDOW_BYTES = 65_535

blocking_select = original("select")   # poll(0) asks without the hub


READABLE, WOKEN, TIMED_OUT = "readable", "woken", "timed out"


class Wakeup:
    """Wakes a connection's loop from wait(): set by other greenthreads (or
    the hub) when they queue something for the connection."""

    def __init__(self):
        self.pending = False
        self.waiter = None      # the loop's greenlet, while it waits
        self.call = None        # the hub's pending switch into it

    def set(self):
        if self.pending:
            return   # one wake-up serves: a fan-out makes thousands of puts
        self.pending = True
        if self.waiter is not None:
            self.call = get_hub().schedule_call_global(0, self.waiter.switch, WOKEN)

    def wait(self, sock, timeout: float) -> bool:
        """Returns True when `sock` can be read, False when set() was called
        (before or during the wait) or `timeout` seconds passed. Whatever
        woke it, the other wake-ups are withdrawn before it returns, so none
        can switch into the loop later."""
        if self.pending:
            return False
        hub = get_hub()
        loop = greenlet.getcurrent()
        listener = hub.add(hub.READ, sock.fileno(), lambda fileno: loop.switch(READABLE),
                           loop.throw, None)
        timer = hub.schedule_call_global(timeout, loop.switch, TIMED_OUT)
        self.waiter = loop
        try:
            return hub.switch() is READABLE
        finally:
            self.waiter = None
            hub.remove(listener)
            timer.cancel()
            if self.call is not None:
                self.call.cancel()
                self.call = None


class SendQueue:
    """A send stream's queue. Only the stream's own greenthread and its
    connection's use it, both green, so a deque does what queue.Queue's
    locks and conditions did at a fraction of the cost; a put marks the
    stream ready and wakes the connection."""

    def __init__(self, connection, stream_id):
        self.items = collections.deque()
        self.connection = connection
        self.stream_id = stream_id

    def put(self, item):
        self.items.append(item)
        self.connection.ready.add(self.stream_id)
        self.connection.wakeup.set()

    def get_nowait(self):
        try:
            return self.items.popleft()
        except IndexError:
            raise Empty from None

    def empty(self) -> bool:
        return not self.items


class WakingConnectionMixin:
    def __init__(self, sock, *args, **kwargs):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, *args, **kwargs)
        self.conn.config.validate_outbound_headers = False
        self.conn.config.normalize_outbound_headers = False
        self.wakeup = Wakeup()
        self.ready = set()     # ids of send streams that may have something to send

    def adopt(self, send_stream):
        send_stream.queue = SendQueue(self, send_stream.stream_id)

    def on_iteration(self):
        """nameko-grpc's pass, over the ready streams only. A stream that
        keeps bytes back (its flow-control window is full) stays ready."""
        ready, self.ready = self.ready, set()
        for stream_id in sorted(ready):
            self.send_headers(stream_id)
            self.send_data(stream_id)
            send_stream = self.send_streams.get(stream_id)
            if send_stream is not None and not send_stream.buffer.empty():
                self.ready.add(stream_id)
        if self.terminating and all(
                stream.exhausted for streams in (self.send_streams, self.receive_streams)
                for stream in streams.values()):
            self.run = False

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
        """nameko-grpc's loop, waiting on the socket and the wake-up together."""
        self.initiate()
        with self.cleanup_on_exit():
            while self.run:
                self.wakeup.pending = False   # what is queued from here on wakes the next wait
                self.on_iteration()
                if not self.run:
                    break
                outgoing = self.conn.data_to_send()
                if outgoing:
                    self.sock.sendall(outgoing)
                if readable_now(self.sock):
                    eventlet.sleep(0)   # a loop that never waits must still let others run
                elif not self.wakeup.wait(self.sock, IDLE_SELECT_SECONDS):
                    continue
                data = self.sock.recv(RECEIVE_BYTES)
                if not data:
                    break
                self.dispatch(self.conn.receive_data(data))

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

    def on_iteration(self):
        self.send_pending_requests()
        super().on_iteration()

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

    def end_stream(self, stream_id):
        deadline = getattr(self.send_streams.get(stream_id), "deadline", None)
        super().end_stream(stream_id)
        if deadline is not None:
            deadline.cancel()

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


MESSAGE_PREFIX = struct.Struct(">?I")   # gRPC's: compressed flag, length
MESSAGES_BETWEEN_YIELDS = 256


def flush_queue_to_buffer(self):
    """nameko-grpc's SendStream method, yielding to other greenthreads every
    few hundred messages instead of after each one: a fan-out queues one
    message on each of thousands of streams, and a switch per message cost
    a trip through the hub each."""
    for count in itertools.count(1):
        try:
            message = self.queue.get_nowait()
        except Empty:
            return
        if isinstance(message, GrpcError):
            raise message
        if message and message is not streams.STREAM_END:
            compressed, body = compress(self.serialize_message(message), self.encoding)
            self.buffer.write(MESSAGE_PREFIX.pack(compressed, len(body)) + body)
        if count % MESSAGES_BETWEEN_YIELDS == 0:
            eventlet.sleep(0)


def deadline_exceeded():
    return GrpcError(code=StatusCode.DEADLINE_EXCEEDED, message="Deadline Exceeded")


def handle_request(self, request_stream, response_stream):
    """GrpcServer's, with the deadline kept by a hub timer on the response
    stream (ServerConnectionManager.end_stream cancels it)."""
    try:
        entrypoint = self.entrypoints[request_stream.headers.get(":path")]
    except KeyError:
        raise GrpcError(code=StatusCode.UNIMPLEMENTED, message="Method not found!") from None
    encoding = request_stream.headers.get("grpc-encoding", "identity")
    if encoding not in SUPPORTED_ENCODINGS:
        raise GrpcError(code=StatusCode.UNIMPLEMENTED,
                        message=f"Algorithm not supported: {encoding}")
    timeout = request_stream.headers.get("grpc-timeout")
    if timeout:
        response_stream.deadline = expire_after(unbucket_timeout(timeout), request_stream,
                                                response_stream)
    self.container.spawn_managed_thread(
        lambda: entrypoint.handle_request(request_stream, response_stream))


def invoke(self, request_headers, request, timeout):
    """ClientBase's, with the deadline kept by a hub timer."""
    send_stream, response_stream = self.channel.send_request(request_headers)
    if timeout:
        expire_after(timeout, send_stream, response_stream)
    self.spawn_thread(target=send_stream.populate, args=(request,),
                      name=f"populate request [{request}]")
    return response_stream


def expire_after(seconds: float, outgoing, incoming):
    """A hub timer that, if the call is still open then, closes `outgoing`
    and ends `incoming` with DEADLINE_EXCEEDED; returns it (cancellable)."""
    return get_hub().schedule_call_global(seconds, eventlet.spawn_n, expire, outgoing, incoming)


def expire(outgoing, incoming):
    if not (outgoing.closed and incoming.closed):
        outgoing.close()
        incoming.close(deadline_exceeded())


def readable_now(sock) -> bool:
    """Whether the socket can be read without waiting: one poll() call,
    without the hub's registration and switches."""
    poller = blocking_select.poll()
    poller.register(sock, blocking_select.POLLIN)
    return bool(poller.poll(0))


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
    entrypoint.GrpcServer.handle_request = handle_request
    client.ClientBase.invoke = invoke
    streams.SendStream.flush_queue_to_buffer = flush_queue_to_buffer


apply()
