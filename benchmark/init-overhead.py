#!/usr/bin/env python3
"""What each faas-init costs by itself, on the host (no Docker), against a control socket of our own.

    benchmark/init-overhead.py N OUT.json

For each init (C, Go, Rust, Python: target/runtime-init/faas-init, faas-init-go, faas-init-rust,
faas-init.py under /usr/bin/python3 or $PYTHON) and each of N rounds, the inits taking turns so that a busy machine
disturbs them alike:

  oneshot mode, handler target/runtime-init/hello (the static C hello)
    hello_ms   spawn of the init (fork + exec of its binary or interpreter) to its HELLO line: the
               init's start-up, i.e. the time before a container with this init could be warm
    cpu_ms     CPU time (all threads, /proc/<pid>/task/*/schedstat) the init used up to HELLO
    rss_kib    its VmRSS at HELLO: the memory of a warm slot's init while it waits in recvmsg
    anon_kib   its RssAnon then: the part that is its own (RSS less the file pages it shares, such as
               the interpreter's binary and libraries)
    exec_ms    the pool's 'F' + descriptor sent to EOF on the control connection: the init received
               the descriptor, said ACK and exec'd the handler (the control connection is
               close-on-exec); the init's share of a warm request
  fork mode, handler /bin/true
    run_ms     'F' sent to 'RUN <pid>': the init forked (the Go init re-execs itself) and the handler
               was exec'd

init_ms = hello_ms + exec_ms per round is the whole "exec of the init to exec of the handler" of a
cold oneshot container, minus the wait for a request. Writes medians, p99s and the raw samples.
"""
import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../target/runtime-init"))
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
INITS = {
    "C": [BUILD + "/faas-init"],
    "Go": [BUILD + "/faas-init-go"],
    "Rust": [BUILD + "/faas-init-rust"],
    "Python": [PYTHON, BUILD + "/faas-init.py"],
}
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


def line(conn):
    buf = b""
    while not buf.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            raise EOFError("control connection closed after %r" % buf)
        buf += b
    return buf.decode().rstrip("\n")


def rss_kib(pid, key="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":"))


def cpu_ns(pid):
    total = 0
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def spawn(cmd, handler, path, mode, server):
    env = dict(os.environ, FAAS_CONTROL_SOCK=path, FAAS_MODE=mode)
    start = time.perf_counter()
    p = subprocess.Popen(cmd + [handler], env=env)
    conn, _ = server.accept()
    hello = line(conn)
    took = time.perf_counter() - start
    fields = hello.split(" ")  # HELLO 2 <pid> 1, and "trace" from an init that takes trace context
    assert fields[:2] == ["HELLO", "2"] and fields[3:4] == ["1"], hello
    return p, conn, took


def oneshot(cmd, path, server):
    p, conn, hello = spawn(cmd, BUILD + "/hello", path, "oneshot", server)
    rss, anon, cpu = rss_kib(p.pid), rss_kib(p.pid, "RssAnon"), cpu_ns(p.pid)
    a, b = socket.socketpair()
    b.sendall(REQUEST)
    start = time.perf_counter()
    socket.send_fds(conn, [b"F"], [a.fileno()])
    a.close()
    assert line(conn) == "ACK"
    assert conn.recv(1) == b"", "expected EOF (handler exec'd)"
    exec_s = time.perf_counter() - start
    response = b""
    while True:
        chunk = b.recv(4096)
        if not chunk:
            break
        response += chunk
    assert response.startswith(b"HTTP/1.1 200"), response
    for s in (b, conn):
        s.close()
    assert p.wait() == 0
    return {"hello_ms": hello * 1e3, "cpu_ms": cpu / 1e6, "rss_kib": rss, "anon_kib": anon, "exec_ms": exec_s * 1e3,
            "init_ms": (hello + exec_s) * 1e3}


def fork(cmd, path, server):
    p, conn, _ = spawn(cmd, "/bin/true", path, "fork", server)
    a, b = socket.socketpair()
    start = time.perf_counter()
    socket.send_fds(conn, [b"F"], [a.fileno()])
    assert line(conn) == "ACK"
    assert line(conn).startswith("RUN ")
    run = time.perf_counter() - start
    assert line(conn) == "DONE 0 1"
    for s in (a, b, conn):
        s.close()
    assert p.wait() == 0
    return {"run_ms": run * 1e3}


def pct(values, p):
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    samples = {name: [] for name in INITS}
    with tempfile.TemporaryDirectory(prefix="bench-init-") as d:
        servers = {}
        for name in INITS:
            path = os.path.join(d, name + ".sock")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen()
            s.settimeout(30)
            servers[name] = (path, s)
        for _ in range(n):
            for name, cmd in INITS.items():
                path, s = servers[name]
                r = oneshot(cmd, path, s)
                r.update(fork(cmd, path, s))
                samples[name].append(r)
        for _, s in servers.values():
            s.close()
    result = {"n": n, "python": subprocess.run([PYTHON, "--version"], capture_output=True, text=True).stdout.strip(),
              "inits": {}}
    for name, rows in samples.items():
        stats = {}
        for key in rows[0]:
            vals = [r[key] for r in rows]
            stats[key] = {"p50": pct(vals, 50), "p99": pct(vals, 99), "max": max(vals)}
        result["inits"][name] = {"stats": stats, "samples": rows}
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    for name, r in result["inits"].items():
        print("%-7s " % name + " ".join("%s=%.2f/%.2f" % (k, v["p50"], v["p99"]) for k, v in r["stats"].items()))


if __name__ == "__main__":
    main()
