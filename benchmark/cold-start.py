#!/usr/bin/env python3
"""Cold start through faas-pool: requests to functions that keep no warm container, one request at a
time, the functions taking turns (so that a busy machine disturbs them alike).

    benchmark/cold-start.py ROUNDS SPACING_S OUT.json NAME=PORT...

Each round sends one request to each NAME (HTTP/1.1 GET, Connection: close, on 127.0.0.1:PORT), at
least SPACING_S seconds after the previous request was sent, and times it from the send (connect) to
the end of the response (EOF): container create and start, init start-up, HELLO, hand-off, handler
exec, answer. The first round is a warm-up and is not counted. Writes p50/p99/max and the samples.
"""
import json
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


def once(port):
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(REQUEST)
        head = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            if len(head) < 16:
                head += b
    return (time.perf_counter() - start) * 1e3, head.startswith(b"HTTP/1.1 200")


def pct(values, p):
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))] if v else None


def main():
    rounds, spacing, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    targets = [(a.split("=")[0], int(a.split("=")[1])) for a in sys.argv[4:]]
    samples = {name: [] for name, _ in targets}
    failed = {name: 0 for name, _ in targets}
    last = 0.0
    for r in range(rounds + 1):
        for name, port in targets:
            wait = last + spacing - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            last = time.perf_counter()
            try:
                ms, ok = once(port)
            except OSError:
                ms, ok = None, False
            if r == 0:
                continue
            if ok:
                samples[name].append(ms)
            else:
                failed[name] += 1
    result = {"rounds": rounds, "spacing_s": spacing, "functions": {}}
    for name, v in samples.items():
        result["functions"][name] = {"count": len(v), "failed": failed[name], "p50": pct(v, 50), "p90": pct(v, 90),
                                     "p99": pct(v, 99), "max": max(v) if v else None, "samples": v}
        print("%-10s n=%d failed=%d p50=%s p99=%s" % (name, len(v), failed[name], pct(v, 50), pct(v, 99)))
    with open(out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
