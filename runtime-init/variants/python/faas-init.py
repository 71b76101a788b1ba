#!/usr/bin/env python3
"""faas-init, Python variant: takes client connections from the faas-pool control socket and runs the
handler on them.

    faas-init.py <command> [args...]

Speaks control protocol version 2 (runtime-init/PROTOCOL.md) exactly as the C init
(runtime-init/faas-init.c) does. FAAS_MODE picks the mode:
  oneshot (default)  connect -> HELLO 2 <pid> 1 -> recvmsg -> ACK -> exec the handler on the connection.
  fork               connect -> HELLO 2 <pid> 1, then per connection n = 1, 2, ...: recvmsg -> ACK ->
                     fork, exec the handler -> RUN <pid> -> waitpid -> DONE <status> <n>; EOF from the
                     pool ends it.
  persistent         exec the handler at once; it speaks the protocol itself through an SDK.
Oneshot and fork mode serve one connection at a time, so HELLO announces a concurrency of 1.
The handler finds the connection at descriptor 3: FAAS_CLIENT_FD=3, and LISTEN_FDS=1, LISTEN_PID,
LISTEN_FDNAMES=connection for sd_listen_fds(); with FAAS_STDIO=1 also as stdin and stdout.
The control connection is close-on-exec (Python's descriptors are non-inheritable): in oneshot mode a
successful exec shows up as EOF.

Exit codes: 0 fork mode ended by the pool, 1 control-socket failure, 2 usage,
126 handler not executable, 127 handler not found.

Grown from "Approach 1: Python Implementation" of the design document (faas-runtime-design.md).
Standard library only.
"""
import array
import errno
import fcntl
import os
import signal
import socket
import sys

PROTOCOL_VERSION = 2
CONCURRENCY = 1  # connections served at once: one, in oneshot and fork mode
DEFAULT_CONTROL_SOCK = "/control.sock"
CLIENT_FD = 3
CONTROL_FD_MIN = 10  # keeps the control connection clear of 0-3, which the handler gets
MAX_LINE = 128
EXIT_CONTROL, EXIT_USAGE, EXIT_NOEXEC, EXIT_NOTFOUND = 1, 2, 126, 127


def say(text):
    """One line on stderr, prefixed, like every other error exit of this program."""
    sys.stderr.write("faas-init: " + text + "\n")
    sys.stderr.flush()


def send_line(ctl, text):
    """Writes one protocol line (at most 128 bytes with its newline); raises OSError."""
    line = (text[:MAX_LINE - 2] + "\n").encode("ascii", "replace")
    while line:
        line = line[ctl.send(line, socket.MSG_NOSIGNAL):]


def try_send_line(ctl, text):
    """send_line, best effort: a pool that went away shows up at the next recvmsg."""
    try:
        send_line(ctl, text)
    except OSError:
        pass


def fail(ctl, code, stage, err, what):
    """Reports a failure to the pool (best effort) and to stderr, then exits."""
    reason = os.strerror(err) if err else what
    if ctl is not None:
        try_send_line(ctl, "FAIL %s %d %s" % (stage, err, reason))
    say("%s: %s" % (what, reason) if err else what)
    sys.exit(code)


def exec_exit_code(err):
    return EXIT_NOTFOUND if err in (errno.ENOENT, errno.ENOTDIR) else EXIT_NOEXEC


def undo_interpreter_state():
    """Undoes what the interpreter changed in its own process, so that the handler starts as it would
    under the C init: Python ignores SIGPIPE and SIGXFSZ (ignored signals survive exec), and in the C
    locale it sets LC_CTYPE=C.UTF-8 in its environment (PEP 538). /proc/self/environ still holds the
    environment this process was started with."""
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        with open("/proc/self/environ", "rb") as f:
            given = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
    except OSError:
        return
    if b"LC_CTYPE" in given:
        os.environb[b"LC_CTYPE"] = given[b"LC_CTYPE"]
    else:
        os.environb.pop(b"LC_CTYPE", None)


def connect_control(path):
    if len(os.fsencode(path)) >= 108:  # sizeof(sockaddr_un.sun_path)
        say("control socket path too long: %s" % path)
        sys.exit(EXIT_CONTROL)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # non-inheritable: SOCK_CLOEXEC
    except OSError as e:
        say("socket: %s" % os.strerror(e.errno))
        sys.exit(EXIT_CONTROL)
    try:
        s.connect(path)
    except OSError as e:
        say("connect to %s: %s" % (path, os.strerror(e.errno)))
        sys.exit(EXIT_CONTROL)
    try:
        fd = fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, CONTROL_FD_MIN)
    except OSError as e:
        say("fcntl on the control socket: %s" % os.strerror(e.errno))
        sys.exit(EXIT_CONTROL)
    s.close()
    return socket.socket(fileno=fd)


def receive_client(ctl):
    """Blocks until the pool sends 'F' with exactly one descriptor and returns it, blocking. Any other
    descriptors that arrive are closed: the handler must inherit only its own. Returns None when the
    pool closed the control connection."""
    fds = array.array("i")
    try:
        msg, ancdata, flags, _ = ctl.recvmsg(1, socket.CMSG_SPACE(4 * fds.itemsize),
                                             socket.MSG_CMSG_CLOEXEC)
    except OSError as e:
        fail(ctl, EXIT_CONTROL, "recv", e.errno, "recvmsg")
    if not msg:
        return None
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    for extra in fds[1:]:
        os.close(extra)
    if msg != b"F":
        if fds:
            os.close(fds[0])
        fail(ctl, EXIT_CONTROL, "proto", 0, "unexpected message from the pool")
    if len(fds) != 1 or flags & socket.MSG_CTRUNC:
        if fds:
            os.close(fds[0])
        fail(ctl, EXIT_CONTROL, "nofd", 0, "message did not carry exactly one descriptor")
    try:
        os.set_blocking(fds[0], True)
    except OSError as e:
        fail(ctl, EXIT_CONTROL, "recv", e.errno, "fcntl on the client descriptor")
    return fds[0]


def hand_to_handler(fd, stdio):
    """In the process about to exec the handler: puts the connection at descriptor 3 (and 0 and 1 with
    stdio), inheritable, and sets the handler's environment. Raises OSError."""
    if fd != CLIENT_FD:
        os.dup2(fd, CLIENT_FD, inheritable=True)
        os.close(fd)
    else:
        os.set_inheritable(fd, True)
    if stdio:
        os.dup2(CLIENT_FD, 0)
        os.dup2(CLIENT_FD, 1)
    os.environ.update(FAAS_CLIENT_FD=str(CLIENT_FD), LISTEN_FDS="1", LISTEN_PID=str(os.getpid()),
                      LISTEN_FDNAMES="connection")


def wait_handler(child):
    """Waits for the handler, reaping any orphan that ends meanwhile; returns its status as a shell
    would."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except OSError:
            return EXIT_CONTROL
        if pid == child:
            if os.WIFEXITED(status):
                return os.WEXITSTATUS(status)
            return 128 + os.WTERMSIG(status)


def serve_forked(ctl, fd, argv, stdio, req):
    """fork mode: runs the handler on connection req (the req-th descriptor on this control
    connection, from 1), reporting RUN or FAIL, then DONE <status> <req>."""
    try:
        report_r, report_w = os.pipe()  # non-inheritable: O_CLOEXEC
    except OSError as e:
        fail(ctl, EXIT_CONTROL, "fork", e.errno, "pipe")
    try:
        child = os.fork()
    except OSError as e:
        os.close(fd)
        try_send_line(ctl, "FAIL fork %d %s" % (e.errno, os.strerror(e.errno)))
        try_send_line(ctl, "DONE %d %d" % (EXIT_CONTROL, req))
        os.close(report_r)
        os.close(report_w)
        return
    if child == 0:
        err = errno.EINVAL
        try:
            os.close(report_r)
            hand_to_handler(fd, stdio)
            os.execvp(argv[0], argv)
        except OSError as e:
            err = e.errno
        finally:  # whatever happened, the child never returns into the init's loop
            try:
                os.write(report_w, err.to_bytes(4, sys.byteorder))
            finally:  # losing the reason still leaves the exit code
                os._exit(exec_exit_code(err))
    os.close(report_w)
    os.close(fd)
    report = os.read(report_r, 4)
    os.close(report_r)
    if len(report) == 4:
        err = int.from_bytes(report, sys.byteorder)
        try_send_line(ctl, "FAIL exec %d %s" % (err, os.strerror(err)))
    else:
        try_send_line(ctl, "RUN %d" % child)
    try_send_line(ctl, "DONE %d %d" % (wait_handler(child), req))


def main():
    argv = sys.argv[1:]
    if not argv:
        say("usage: faas-init <command> [args...]")
        return EXIT_USAGE
    mode = os.environ.get("FAAS_MODE") or "oneshot"
    if mode not in ("oneshot", "fork", "persistent"):
        say("unknown FAAS_MODE '%s' (oneshot, fork or persistent)" % mode)
        return EXIT_USAGE
    stdio = os.environ.get("FAAS_STDIO") == "1"
    undo_interpreter_state()

    if mode == "persistent":
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            say("exec %s: %s" % (argv[0], os.strerror(e.errno)))
            return exec_exit_code(e.errno)

    path = os.environ.get("FAAS_CONTROL_SOCK") or DEFAULT_CONTROL_SOCK
    ctl = connect_control(path)
    try:
        send_line(ctl, "HELLO %d %d %d" % (PROTOCOL_VERSION, os.getpid(), CONCURRENCY))
    except OSError as e:
        fail(None, EXIT_CONTROL, "hello", e.errno, "send HELLO")

    if mode == "fork":
        req = 0
        while True:
            fd = receive_client(ctl)
            if fd is None:
                return 0  # the pool is done with this container
            try:
                send_line(ctl, "ACK")
            except OSError as e:
                fail(None, EXIT_CONTROL, "ack", e.errno, "send ACK")
            req += 1
            serve_forked(ctl, fd, argv, stdio, req)

    fd = receive_client(ctl)
    if fd is None:
        fail(None, EXIT_CONTROL, "recv", 0, "control socket closed before a descriptor arrived")
    try:
        send_line(ctl, "ACK")
    except OSError as e:
        fail(None, EXIT_CONTROL, "ack", e.errno, "send ACK")
    try:
        hand_to_handler(fd, stdio)
    except OSError as e:
        fail(ctl, EXIT_CONTROL, "recv", e.errno, "moving the client descriptor to 3")
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        try_send_line(ctl, "FAIL exec %d %s" % (e.errno, os.strerror(e.errno)))
        say("exec %s: %s" % (argv[0], os.strerror(e.errno)))
        return exec_exit_code(e.errno)


if __name__ == "__main__":
    sys.exit(main())
