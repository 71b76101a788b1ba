"""faas-pool persistent-mode SDK for Python (standard library only, Python 3.9+).

Speaks control protocol version 2 (runtime-init/PROTOCOL.md, "persistent"; the contract shared by
every SDK is runtime-init/sdk/README.md): connects to $FAAS_CONTROL_SOCK (default /control.sock),
says ``HELLO 2 <pid> <concurrency> trace``, then takes client connections -- the byte ``F`` carrying
one descriptor (SCM_RIGHTS), or ``T`` and the request's 55-byte W3C ``traceparent`` with it --
answering ``ACK`` and ``RUN <pid>`` for each, runs the handler on it, closes it and says ``DONE 0 <n>``
(``DONE 1 <n>`` if the handler raised), ``n`` numbering the requests from 1. The interpreter starts
and imports once. While the handler runs, ``traceparent(sock)`` is its request's trace context.

Up to ``<concurrency>`` handlers run at once, each in a thread of its own: ``$FAAS_CONCURRENCY`` (1
when unset or not a positive integer, at most 1000), or fewer with ``serve(handler, concurrency=n)``.
With a concurrency of 1 the handler runs in the calling thread, one connection after another.

    import faas_sdk

    def handle(sock):                       # a blocking socket.socket, AF_INET or AF_INET6
        sock.recv(65536)
        sock.sendall(b"HTTP/1.0 200 OK\\r\\n\\r\\nhello\\n")

    faas_sdk.serve(handle)                  # returns when the pool closes the control connection

or, with an http.server.BaseHTTPRequestHandler subclass, ``faas_sdk.serve_http(MyHandler)``.

A protocol failure (a message without exactly one descriptor, an unknown message, a malformed trace
context, a failed recvmsg) is reported to the pool as ``FAIL <stage> <errno> <text>`` and ends the
process with exit code 1, after one line on stderr prefixed ``faas-sdk:``.
"""

import os
import re
import socket
import sys
import threading

__all__ = ["serve", "serve_http", "traceparent", "PROTOCOL_VERSION", "MAX_CONCURRENCY"]

PROTOCOL_VERSION = 2
DEFAULT_CONTROL_SOCK = "/control.sock"
MAX_CONCURRENCY = 1000  # caps what $FAAS_CONCURRENCY asks for
_MAX_LINE = 128  # bytes, with the newline (PROTOCOL.md)
_MAX_FDS = 4  # room to notice, and close, descriptors beyond the one expected
_TRACE_MESSAGE = 56  # b"T" and a traceparent (PROTOCOL.md, Trace context): the most one message has
# A traceparent of version 00 as the pool sends it: lower-case hex, neither id all zeros.
_TRACEPARENT = re.compile(rb"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")

# The trace context of each connection whose handler runs, by socket; an entry lives from the
# receive to the handler's return. Handler threads read it while the receiver adds to it.
_traces = {}
_traces_lock = threading.Lock()


def serve(handler, concurrency=None):
    """Serves client connections from the pool with ``handler(sock)``, up to ``$FAAS_CONCURRENCY``
    at once (1 when unset, empty or not a positive integer; at most ``MAX_CONCURRENCY``), or at most
    ``concurrency`` (below 1 counts as 1) when that is fewer.

    ``sock`` is a blocking ``socket.socket`` (SOCK_STREAM, AF_INET or AF_INET6), the client's TCP
    connection; the SDK closes it after the handler returns or raises. With a concurrency above 1
    each connection's handler runs in a thread of its own, concurrently with the others: state they
    share needs locking. An exception from the handler ends that request with ``DONE 1 <n>`` (and
    one line on stderr) and the SDK serves on. Returns when the pool closes the control connection,
    once the handlers still running have returned; exits the process with code 1 on a
    control-socket or protocol failure.
    """
    path = os.environ.get("FAAS_CONTROL_SOCK") or DEFAULT_CONTROL_SOCK
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # close-on-exec, as Python makes them
    with ctl:
        try:
            ctl.connect(path)
        except OSError as e:
            _die(None, None, e, f"connect to {path}")
        control = _Control(ctl)
        n = _concurrency(os.environ.get("FAAS_CONCURRENCY", ""), concurrency)
        pid = os.getpid()
        control.send(f"HELLO {PROTOCOL_VERSION} {pid} {n} trace", "HELLO")
        # A slot per running handler: the receiver takes one before it receives, so it never
        # receives while all of them run, however many descriptors the pool sends.
        slots = threading.BoundedSemaphore(n)
        request = 0
        while True:
            slots.acquire()
            received = _receive(control)
            if received is None:  # the pool is done with this container: let the handlers finish
                slots.release()
                for _ in range(n):
                    slots.acquire()
                return
            conn, trace = received
            if trace is not None:
                with _traces_lock:
                    _traces[conn] = trace
            request += 1
            control.send(f"ACK\nRUN {pid}", "ACK")  # two lines, one write (PROTOCOL.md)
            args = (control, slots, handler, conn, request)
            if n == 1:
                _run(*args)
            else:
                threading.Thread(target=_run, args=args, name=f"faas-request-{request}", daemon=True).start()


def serve_http(handler_class, concurrency=None):
    """Serves each connection with an ``http.server.BaseHTTPRequestHandler`` subclass.

    The handler is constructed as ``handler_class(sock, client_address, None)`` -- there is no
    server object -- and handles the request(s) on the connection; an exception from a ``do_*``
    method ends the request with ``DONE 1 <n>``. ``concurrency`` is ``serve``'s. A ``do_*`` method
    finds its trace context with ``traceparent(self.request)``.
    """

    def handle(sock):
        handler_class(sock, sock.getpeername(), None)

    serve(handle, concurrency)


def traceparent(sock):
    """The W3C ``traceparent`` of the request on ``sock``, the connection a handler of ``serve`` was
    given, while that handler runs: 55 characters, ``00-<trace id>-<parent id>-<flags>``, which a
    handler's own spans take as their parent. None when the request came without one (or ``sock`` is
    no running handler's connection)."""
    with _traces_lock:
        return _traces.get(sock)


def _run(control, slots, handler, conn, request):
    """Runs the handler on one connection, closes it, says DONE and frees the handler's slot."""
    status = 1
    try:
        handler(conn)
        status = 0
    except Exception as e:  # the request failed, the process serves on
        _log(f"handler failed: {type(e).__name__}: {e}")
    finally:
        with _traces_lock:
            _traces.pop(conn, None)  # the request is over: its context goes with it
        conn.close()
        try:
            control.send_line(f"DONE {status} {request}")
        except OSError:
            pass  # the pool went away: the receiver sees it
        slots.release()


def _concurrency(value, requested):
    """How many connections to serve at once: ``$FAAS_CONCURRENCY`` (``value``) when it is a positive
    decimal integer, at most MAX_CONCURRENCY, else 1; no more than ``requested`` unless None."""
    n = 1
    if re.fullmatch(r"[0-9]+", value):
        digits = value.lstrip("0")
        n = MAX_CONCURRENCY if len(digits) > 4 else max(1, min(int(digits or "0"), MAX_CONCURRENCY))
    if requested is not None:
        n = min(n, max(int(requested), 1))
    return n


class _Control:
    """The control connection: its lines go out whole, one write each, whichever thread sends."""

    def __init__(self, sock):
        self.sock = sock
        self.lock = threading.Lock()

    def send_line(self, line):
        data = line.encode("ascii", "replace")[: _MAX_LINE - 1] + b"\n"
        with self.lock:
            self.sock.sendall(data)

    def send(self, line, what):
        try:
            self.send_line(line)
        except OSError as e:
            _die(None, None, e, f"send {what}")


def _receive(ctl):
    """Blocks for the next client connection on ``ctl`` (a _Control): the socket and its traceparent
    (a str, or None after an ``F``), or None when the pool closed the control connection. Any
    descriptor beyond the first is closed; on a protocol failure the process exits."""
    try:
        msg, fds, flags, _ = socket.recv_fds(ctl.sock, _TRACE_MESSAGE, _MAX_FDS, socket.MSG_CMSG_CLOEXEC)
    except OSError as e:
        _die(ctl, "recv", e, "recvmsg")
    try:
        # A stream may split the 56 bytes of a T; the pool sends nothing more before our RUN.
        while msg[:1] == b"T" and len(msg) < _TRACE_MESSAGE:
            more = ctl.sock.recv(_TRACE_MESSAGE - len(msg))
            if not more:
                break  # EOF within the message: too short, so malformed below
            msg += more
    except OSError as e:
        _close_all(fds)
        _die(ctl, "recv", e, "recvmsg")
    if not msg:
        _close_all(fds)
        return None
    trace = None
    if msg[:1] == b"T":
        if not _TRACEPARENT.fullmatch(msg[1:]):
            _close_all(fds)
            _die(ctl, "proto", None, "bad trace context")
        trace = msg[1:].decode("ascii")
    elif msg != b"F":
        _close_all(fds)
        _die(ctl, "proto", None, "unexpected message from the pool")
    if len(fds) != 1 or flags & socket.MSG_CTRUNC:
        _close_all(fds)
        _die(ctl, "nofd", None, "message did not carry exactly one descriptor")
    try:
        conn = socket.socket(fileno=fds[0])  # family and type come from the descriptor
    except OSError as e:
        _close_all(fds)
        _die(ctl, "recv", e, "the client descriptor")
    conn.setblocking(True)  # clears O_NONBLOCK, which the pool's copy may have set
    return conn, trace


def _close_all(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _log(text):
    # One write per line: handler threads may log at once.
    sys.stderr.write("faas-sdk: " + " ".join(str(text).split()) + "\n")
    sys.stderr.flush()


def _die(ctl, stage, err, what):
    """Reports a failure to the pool (best effort, when ``ctl``, a _Control, and ``stage`` are
    given) and to stderr, then exits 1. ``err`` is an OSError, or None when ``what`` is the whole
    reason. Handler threads still running end with the process (they are daemon threads)."""
    errno = (err.errno or 0) if err is not None else 0
    reason = (err.strerror or str(err)) if err is not None else what
    if ctl is not None and stage is not None:
        try:
            ctl.send_line(f"FAIL {stage} {errno} {reason}")
        except OSError:
            pass
    _log(f"{what}: {reason}" if err is not None else what)
    sys.exit(1)
