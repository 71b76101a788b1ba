#!/usr/bin/env python3
"""faas-init, Python variant: takes client connections from the faas-pool control socket and runs the
handler on them.

    faas-init.py <command> [args...]

Speaks control protocol version 2 (runtime-init/PROTOCOL.md) exactly as the C init
(runtime-init/faas-init.c) does. FAAS_MODE picks the mode:
  oneshot (default)  connect -> HELLO 2 <pid> 1 trace -> recvmsg -> ACK -> exec the handler on the
                     connection.
  fork               connect -> HELLO 2 <pid> 1 trace, then per connection n = 1, 2, ...: recvmsg -> ACK ->
                     fork, exec the handler -> RUN <pid> -> waitpid -> DONE <status> <n>; EOF from the
                     pool ends it.
  persistent         exec the handler at once; it speaks the protocol itself through an SDK.
Oneshot and fork mode serve one connection at a time, so HELLO announces a concurrency of 1.
They take trace context ("trace" in HELLO): the pool sends each descriptor with 'F', or with 'T' and a
55-byte W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, lower case, neither id all zeros), and the
handler runs with TRACEPARENT set to it after a 'T' and with no TRACEPARENT at all after an 'F',
whatever this process's own environment holds. A 'T' whose 55 bytes are anything else is
FAIL proto 0 bad trace context, exit 1.
The handler finds the connection at descriptor 3: FAAS_CLIENT_FD=3, and LISTEN_FDS=1, LISTEN_PID,
LISTEN_FDNAMES=connection for sd_listen_fds(); with FAAS_STDIO=1 also as stdin and stdout.
The control connection is close-on-exec (Python's descriptors are non-inheritable): in oneshot mode a
successful exec shows up as EOF.

FAAS_ISOLATION (fork mode): container (default, also when unset or empty) lets requests share the
container; request, after each handler's waitpid and before its DONE, kills every other process of the
container (kill(-1, SIGKILL), then reaps until ECHILD) and empties /tmp and /dev/shm (see isolate).
request refuses to start (exit 2) unless this process is PID 1 of its PID namespace: kill(-1) anywhere
else would kill the machine, and the host's /tmp is not ours to empty. Oneshot and persistent mode
accept either value and ignore it; any other value exits 2.

In fork mode the init makes itself non-dumpable before it connects (prctl(PR_SET_DUMPABLE, 0), through
ctypes when the interpreter has it; best effort): a handler of the same uid then cannot ptrace the init
or open its /proc/<pid>/mem or environ. Exec makes a process dumpable again, so handlers are not
affected. (The C and Go inits do it in every mode; in oneshot and persistent mode this process execs
before any handler runs, and importing ctypes would cost 3-5 ms of the start.)

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
TRACEPARENT_LEN = 55  # "00-" 32 hex "-" 16 hex "-" 2 hex: the bytes after a 'T'
HEX = frozenset(b"0123456789abcdef")
CONTROL_FD_MIN = 10  # keeps the control connection clear of 0-3, which the handler gets
MAX_LINE = 128
EXIT_CONTROL, EXIT_USAGE, EXIT_NOEXEC, EXIT_NOTFOUND = 1, 2, 126, 127
PR_SET_DUMPABLE = 4
WIPE_DEPTH = 32  # directories open at once while emptying one; deeper ones are moved up
WIPE_PASSES = 1000000  # bounds the passes over the top directory (each hoist shortens a chain)
ISOLATED_DIRS = ("/tmp", "/dev/shm")


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


def not_dumpable():
    """prctl(PR_SET_DUMPABLE, 0), best effort: Python has no prctl of its own, and ctypes is not in
    every image (Debian's python3-minimal lacks it)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (ImportError, OSError, AttributeError):
        pass


class Wipe:
    """Emptying one top directory (/tmp, /dev/shm): one pass over it, and what it could not remove."""

    def __init__(self, root):
        self.root = root  # the top directory's descriptor, where deep directories are moved to
        self.dev = None  # its device: a directory on another one is a mount, never entered
        self.readonly = False  # a read-only file system: no request can have left anything there
        self.hoisted = 0  # directories moved up to the top this pass
        self.left = 0  # entries this pass could not remove
        self.first = None  # (name, errno) of the first of them

    def failed(self, depth, name, err):
        if self.left == 0:
            self.first = ((".../" if depth else "") + name, err)
        self.left += 1


hoist_seq = 0


def wipe_dir(w, fd, depth):
    """Removes every entry of the directory fd, at depth below the top, as the C init's wipe_dir does:
    unlink with dir_fd, never following a symlink and never entering another mount; a directory
    WIPE_DEPTH levels down is moved up into the top directory for a later pass, so that at most
    WIPE_DEPTH directories are open at once however deep a chain a handler made; a directory whose
    owner took away its own write or search permission is given it back (chmod u+rwx) first."""
    global hoist_seq
    try:
        entries = os.scandir(fd)  # a duplicate of fd; the names are used with dir_fd=fd
    except OSError as e:
        w.failed(depth, ".", e.errno)
        return
    with entries:
        for entry in entries:
            name = entry.name
            if w.dev is None:  # the first entry of the first pass: is there anything to do at all?
                try:
                    w.dev = os.fstat(w.root).st_dev
                    w.readonly = bool(os.fstatvfs(w.root).f_flag & os.ST_RDONLY)
                except OSError as e:
                    w.failed(depth, ".", e.errno)
                    return
                if w.readonly:
                    return
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if not is_dir:
                try:
                    os.unlink(name, dir_fd=fd)
                    continue
                except IsADirectoryError:
                    pass
                except OSError as e:
                    w.failed(depth, name, e.errno)
                    continue
            try:
                os.rmdir(name, dir_fd=fd)  # an empty directory: one call
                continue
            except OSError as e:
                if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):  # EBUSY: a mount point
                    w.failed(depth, name, e.errno)
                    continue
            # A directory now (rmdir said ENOTEMPTY), so chmod, which follows symlinks, is safe on it.
            if depth + 1 >= WIPE_DEPTH:
                hoist_seq += 1
                to = ".faas-init-%d" % hoist_seq
                try:
                    try:
                        os.rename(name, to, src_dir_fd=fd, dst_dir_fd=w.root)
                    except PermissionError:  # its .. changes: it must be writable
                        os.chmod(name, 0o700, dir_fd=fd)
                        os.rename(name, to, src_dir_fd=fd, dst_dir_fd=w.root)
                    w.hoisted += 1
                except OSError as e:
                    w.failed(depth, name, e.errno)
                continue
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
            try:
                try:
                    sub = os.open(name, flags, dir_fd=fd)
                except PermissionError:  # no r or x for its owner
                    os.chmod(name, 0o700, dir_fd=fd)
                    sub = os.open(name, flags, dir_fd=fd)
            except OSError as e:
                w.failed(depth, name, e.errno)
                continue
            try:
                st = os.fstat(sub)
                if st.st_dev != w.dev:
                    w.failed(depth, name, errno.EXDEV)
                    continue
                if st.st_mode & 0o700 != 0o700:  # chmod 0500 does not keep its entries: same uid
                    try:
                        os.fchmod(sub, (st.st_mode & 0o7777) | 0o700)
                    except OSError:
                        pass
                wipe_dir(w, sub, depth + 1)
            except OSError as e:
                w.failed(depth, name, e.errno)
                continue
            finally:
                os.close(sub)
            try:
                os.rmdir(name, dir_fd=fd)
            except OSError as e:
                w.failed(depth, name, e.errno)


def wipe(top):
    """Empties the directory top (not top itself). Returns how many entries could not be removed and
    the first of them ("" for none). A top that does not exist is fine."""
    try:
        root = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return 0, ""
    except OSError as e:
        return 1, "%s: %s" % (top, os.strerror(e.errno))
    w = Wipe(root)
    try:
        for _ in range(WIPE_PASSES):
            w.left = w.hoisted = 0
            wipe_dir(w, root, 0)
            if not w.hoisted or w.readonly:
                break
    finally:
        os.close(root)
    if w.left:
        return w.left, "%s/%s: %s" % (top, w.first[0], os.strerror(w.first[1]))
    return 0, ""


def isolate(req):
    """After request req's handler was reaped: kills every other process of the container and reaps
    them all, then empties /tmp and /dev/shm, as the C init's isolate does. As PID 1 of the container's
    PID namespace, kill(-1) reaches every process in it but this one, and every process in it descends
    from this one, so with no child left there is nothing to kill. What could not be removed is said in
    one line on stderr."""
    if os.getpid() != 1:  # main refuses to start so; checked again because of what kill(-1) would do
        return
    try:
        os.waitpid(-1, os.WNOHANG)
        children = True
    except ChildProcessError:
        children = False
    if children:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
            except InterruptedError:
                continue
    left, what = 0, ""
    for top in ISOLATED_DIRS:
        n, first = wipe(top)
        if n and not left:
            what = first
        left += n
    if left:
        say("isolation: after request %d, %d entries of /tmp and /dev/shm could not be removed (first: %s)"
            % (req, left, what))


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


def valid_traceparent(t):
    """Whether the bytes t are a traceparent the pool may send (PROTOCOL.md, Trace context): version
    00, lower-case hex, neither the trace id nor the parent id all zeros."""
    parts = t.split(b"-")
    return (len(t) == TRACEPARENT_LEN and [len(p) for p in parts] == [2, 32, 16, 2] and parts[0] == b"00"
            and all(c in HEX for p in parts for c in p)
            and parts[1] != b"0" * 32 and parts[2] != b"0" * 16)


def receive_client(ctl):
    """Blocks until the pool sends 'F' with exactly one descriptor, or 'T', 55 bytes of trace context
    and exactly one descriptor, and returns (descriptor, traceparent as str or None); the descriptor is
    blocking. The 56 bytes of a 'T' come in one sendmsg but a stream may split them: it reads on until
    it has them all (and never past them: the pool sends nothing else before this hand-off's RUN). Any
    other descriptors that arrive are closed: the handler must inherit only its own. Returns
    (None, None) when the pool closed the control connection."""
    fds = array.array("i")
    data, need, truncated = b"", 1, False
    while len(data) < need:
        try:
            msg, ancdata, flags, _ = ctl.recvmsg(1 + TRACEPARENT_LEN - len(data),
                                                 socket.CMSG_SPACE(4 * fds.itemsize), socket.MSG_CMSG_CLOEXEC)
        except OSError as e:
            fail(ctl, EXIT_CONTROL, "recv", e.errno, "recvmsg")
        for level, kind, cdata in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(cdata[:len(cdata) - len(cdata) % fds.itemsize])
        truncated = truncated or bool(flags & socket.MSG_CTRUNC)
        if not msg:
            if not data:
                return None, None
            break  # EOF inside a 'T': what came is no traceparent
        if not data and msg[:1] == b"T":
            need = 1 + TRACEPARENT_LEN
        data += msg
    for extra in fds[1:]:
        os.close(extra)

    def refuse(stage, what):
        if fds:
            os.close(fds[0])
        fail(ctl, EXIT_CONTROL, stage, 0, what)

    if data[:1] == b"T":
        if not valid_traceparent(data[1:]):
            refuse("proto", "bad trace context")
    elif data != b"F":  # another byte, or 'F' and more
        refuse("proto", "unexpected message from the pool")
    if len(fds) != 1 or truncated:
        refuse("nofd", "message did not carry exactly one descriptor")
    try:
        os.set_blocking(fds[0], True)
    except OSError as e:
        fail(ctl, EXIT_CONTROL, "recv", e.errno, "fcntl on the client descriptor")
    return fds[0], data[1:].decode("ascii") if data[:1] == b"T" else None


def hand_to_handler(fd, stdio, trace):
    """In the process about to exec the handler: puts the connection at descriptor 3 (and 0 and 1 with
    stdio), inheritable, and sets the handler's environment: TRACEPARENT is trace, or unset for None.
    (In fork mode this is the forked child: the init's own environment stays as it was.) Raises
    OSError."""
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
    if trace is None:
        os.environ.pop("TRACEPARENT", None)
    else:
        os.environ["TRACEPARENT"] = trace


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


def serve_forked(ctl, fd, trace, argv, stdio, isolation, req):
    """fork mode: runs the handler on connection req (the req-th descriptor on this control
    connection, from 1), reporting RUN or FAIL, then DONE <status> <req>. With request isolation,
    isolate runs between the handler's end and its DONE."""
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
            hand_to_handler(fd, stdio, trace)
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
    status = wait_handler(child)
    if isolation:
        isolate(req)
    try_send_line(ctl, "DONE %d %d" % (status, req))


def main():
    argv = sys.argv[1:]
    if not argv:
        say("usage: faas-init <command> [args...]")
        return EXIT_USAGE
    mode = os.environ.get("FAAS_MODE") or "oneshot"
    if mode not in ("oneshot", "fork", "persistent"):
        say("unknown FAAS_MODE '%s' (oneshot, fork or persistent)" % mode)
        return EXIT_USAGE
    isolation = os.environ.get("FAAS_ISOLATION") or "container"
    if isolation not in ("container", "request"):
        say("unknown FAAS_ISOLATION '%s' (container or request)" % isolation)
        return EXIT_USAGE
    # request isolation: only fork mode has requests after the first to isolate
    isolation = isolation == "request" and mode == "fork"
    if isolation and os.getpid() != 1:
        say("isolation: request needs faas-init to be PID 1 of its container")
        return EXIT_USAGE
    stdio = os.environ.get("FAAS_STDIO") == "1"
    undo_interpreter_state()
    if mode == "fork":
        not_dumpable()

    if mode == "persistent":
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            say("exec %s: %s" % (argv[0], os.strerror(e.errno)))
            return exec_exit_code(e.errno)

    path = os.environ.get("FAAS_CONTROL_SOCK") or DEFAULT_CONTROL_SOCK
    ctl = connect_control(path)
    try:
        send_line(ctl, "HELLO %d %d %d trace" % (PROTOCOL_VERSION, os.getpid(), CONCURRENCY))
    except OSError as e:
        fail(None, EXIT_CONTROL, "hello", e.errno, "send HELLO")

    if mode == "fork":
        req = 0
        while True:
            fd, trace = receive_client(ctl)
            if fd is None:
                return 0  # the pool is done with this container
            try:
                send_line(ctl, "ACK")
            except OSError as e:
                fail(None, EXIT_CONTROL, "ack", e.errno, "send ACK")
            req += 1
            serve_forked(ctl, fd, trace, argv, stdio, isolation, req)

    fd, trace = receive_client(ctl)
    if fd is None:
        fail(None, EXIT_CONTROL, "recv", 0, "control socket closed before a descriptor arrived")
    try:
        send_line(ctl, "ACK")
    except OSError as e:
        fail(None, EXIT_CONTROL, "ack", e.errno, "send ACK")
    try:
        hand_to_handler(fd, stdio, trace)
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
