"""faas-pool persistent-mode SDK for Python (standard library only, Python 3.9+).

Speaks control protocol version 1 (runtime-init/PROTOCOL.md, "persistent"; the contract shared by
every SDK is runtime-init/sdk/README.md): connects to $FAAS_CONTROL_SOCK (default /control.sock),
says ``HELLO 1 <pid>``, then takes one client connection at a time -- the byte ``F`` carrying one
descriptor (SCM_RIGHTS) -- and answers ``ACK``, ``RUN <pid>``, runs the handler on it, closes it and
says ``DONE 0`` (``DONE 1`` if the handler raised). The interpreter starts and imports once.

    import faas_sdk

    def handle(sock):                       # a blocking socket.socket, AF_INET or AF_INET6
        sock.recv(65536)
        sock.sendall(b"HTTP/1.0 200 OK\\r\\n\\r\\nhello\\n")

    faas_sdk.serve(handle)                  # returns when the pool closes the control connection

or, with an http.server.BaseHTTPRequestHandler subclass, ``faas_sdk.serve_http(MyHandler)``.

A protocol failure (a message without exactly one descriptor, an unknown message, a failed recvmsg)
is reported to the pool as ``FAIL <stage> <errno> <text>`` and ends the process with exit code 1,
after one line on stderr prefixed ``faas-sdk:``.
"""

import os
import socket
import sys

__all__ = ["serve", "serve_http", "PROTOCOL_VERSION"]

PROTOCOL_VERSION = 1
DEFAULT_CONTROL_SOCK = "/control.sock"
_MAX_LINE = 128  # bytes, with the newline (PROTOCOL.md)
_MAX_FDS = 4  # room to notice, and close, descriptors beyond the one expected


def serve(handler):
    """Serves client connections from the pool with ``handler(sock)``, one at a time.

    ``sock`` is a blocking ``socket.socket`` (SOCK_STREAM, AF_INET or AF_INET6), the client's TCP
    connection; the SDK closes it after the handler returns or raises. An exception from the handler
    ends that request with ``DONE 1`` (and one line on stderr) and the SDK takes the next connection.
    Returns when the pool closes the control connection; exits the process with code 1 on a
    control-socket or protocol failure.
    """
    path = os.environ.get("FAAS_CONTROL_SOCK") or DEFAULT_CONTROL_SOCK
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # close-on-exec, as Python makes them
    with ctl:
        try:
            ctl.connect(path)
        except OSError as e:
            _die(None, None, e, f"connect to {path}")
        pid = os.getpid()
        _send(ctl, f"HELLO {PROTOCOL_VERSION} {pid}", "HELLO")
        while True:
            conn = _receive(ctl)
            if conn is None:
                return  # the pool is done with this container
            _send(ctl, f"ACK\nRUN {pid}", "ACK")  # two lines, one write (PROTOCOL.md)
            status = 0
            try:
                handler(conn)
            except Exception as e:  # the request failed, the process serves on
                status = 1
                _log(f"handler failed: {type(e).__name__}: {e}")
            finally:
                conn.close()
            try:
                _send_line(ctl, f"DONE {status}")
            except OSError:
                pass  # the pool went away: the next receive sees it


def serve_http(handler_class):
    """Serves each connection with an ``http.server.BaseHTTPRequestHandler`` subclass.

    The handler is constructed as ``handler_class(sock, client_address, None)`` -- there is no
    server object -- and handles the request(s) on the connection; an exception from a ``do_*``
    method ends the request with ``DONE 1``.
    """

    def handle(sock):
        handler_class(sock, sock.getpeername(), None)

    serve(handle)


def _receive(ctl):
    """Blocks for the next client connection: a socket, or None when the pool closed the control
    connection. Any descriptor beyond the first is closed; on a protocol failure the process exits."""
    try:
        msg, fds, flags, _ = socket.recv_fds(ctl, 1, _MAX_FDS, socket.MSG_CMSG_CLOEXEC)
    except OSError as e:
        _die(ctl, "recv", e, "recvmsg")
    if not msg:
        _close_all(fds)
        return None
    if msg != b"F":
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
    return conn


def _close_all(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _send_line(ctl, line):
    data = line.encode("ascii", "replace")[: _MAX_LINE - 1] + b"\n"
    ctl.sendall(data)


def _send(ctl, line, what):
    try:
        _send_line(ctl, line)
    except OSError as e:
        _die(None, None, e, f"send {what}")


def _log(text):
    print("faas-sdk: " + " ".join(str(text).split()), file=sys.stderr, flush=True)


def _die(ctl, stage, err, what):
    """Reports a failure to the pool (best effort, when ``ctl`` and ``stage`` are given) and to
    stderr, then exits 1. ``err`` is an OSError, or None when ``what`` is the whole reason."""
    errno = (err.errno or 0) if err is not None else 0
    reason = (err.strerror or str(err)) if err is not None else what
    if ctl is not None and stage is not None:
        try:
            _send_line(ctl, f"FAIL {stage} {errno} {reason}")
        except OSError:
            pass
    _log(f"{what}: {reason}" if err is not None else what)
    sys.exit(1)
