#!/usr/bin/env python3
"""client.py PORT N: N sequential HTTP/1.1 requests, one connection each, on 127.0.0.1:PORT; checks the body."""
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
ok = 0
t0 = time.monotonic()
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    ok += data.endswith(b"Hello from faas-pool!\n") and data.startswith(b"HTTP/1.1 200")
t = time.monotonic() - t0
print(f"{n} requests, {ok} ok, {t:.3f} s, {n / t:.1f} req/s, {t / n * 1000:.2f} ms/request")
