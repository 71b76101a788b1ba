#!/usr/bin/env python3
"""Rough start cost of each faas-init, on the host (no Docker): the time from spawning it to its HELLO,
its resident memory while it waits for a connection (VmRSS at HELLO), in fork mode the time from
handing it a connection to its RUN (the handler, /bin/true, has been exec'd), and the CPU time (user +
system) of the whole run: start, HELLO, that one request with its handler, exit. Medians of N runs.
Wall times depend on the machine's load; CPU times much less.

    runtime-init/variants/startup.py [N]     (default 50; after building the C init and
                                               runtime-init/variants/build.sh)

PYTHON picks the interpreter of the Python init (default /usr/bin/python3, Debian's).
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../target/runtime-init"))
INITS = {
    "C": [BUILD + "/faas-init"],
    "Go": [BUILD + "/faas-init-go"],
    "Python": [os.environ.get("PYTHON", "/usr/bin/python3"), BUILD + "/faas-init.py"],
}


def line(conn):
    buf = b""
    while not buf.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            raise EOFError("control connection closed after %r" % buf)
        buf += b
    return buf.decode().rstrip("\n")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def once(cmd, path, server):
    env = dict(os.environ, FAAS_CONTROL_SOCK=path, FAAS_MODE="fork")
    start = time.perf_counter()
    p = subprocess.Popen(cmd + ["/bin/true"], env=env)
    conn, _ = server.accept()
    assert line(conn).startswith("HELLO 1 ")
    hello = time.perf_counter() - start
    rss = rss_kib(p.pid)
    a, b = socket.socketpair()
    start = time.perf_counter()
    socket.send_fds(conn, [b"F"], [a.fileno()])
    assert line(conn) == "ACK"
    assert line(conn).startswith("RUN ")
    run = time.perf_counter() - start
    assert line(conn) == "DONE 0"
    for s in (a, b, conn):
        s.close()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0
    return hello, rss, run, usage.ru_utime + usage.ru_stime


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    print("medians of %d runs" % n)
    print("%-7s %9s %9s %15s %8s" % ("init", "HELLO ms", "RSS KiB", "fork F->RUN ms", "CPU ms"))
    with tempfile.TemporaryDirectory() as d:
        for name, cmd in INITS.items():
            path = os.path.join(d, name + ".sock")
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
                server.bind(path)
                server.listen()
                server.settimeout(10)
                runs = [once(cmd, path, server) for _ in range(n)]
            hello, rss, run, cpu = (statistics.median(r[i] for r in runs) for i in range(4))
            print("%-7s %9.1f %9d %15.1f %8.1f" % (name, hello * 1e3, rss, run * 1e3, cpu * 1e3))


if __name__ == "__main__":
    main()
