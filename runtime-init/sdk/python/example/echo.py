#!/usr/bin/env python3
"""A line echo handler on faas_sdk (runtime-init/sdk/python), the one SdkConformanceIT runs.

Reads one line from the client and answers "echo <line>"; the line "raise" makes the handler raise
instead, which the SDK reports as DONE 1; the line "traceparent" is answered "traceparent <value>",
the request's trace context as faas_sdk.traceparent(sock) has it ("none" for None). An argument,
"echo.py <max>", asks the SDK to serve at most <max> connections at once (serve's concurrency);
$FAAS_CONCURRENCY says how many it may.
"""
import sys

import faas_sdk


def handle(sock):
    with sock.makefile("rb") as r:
        line = r.readline().decode().rstrip("\n")
    if line == "raise":
        raise RuntimeError("asked to fail")
    if line == "traceparent":
        trace = faas_sdk.traceparent(sock)
        sock.sendall(f"traceparent {'none' if trace is None else trace}\n".encode())
        return
    sock.sendall(f"echo {line}\n".encode())


if len(sys.argv) > 1:
    faas_sdk.serve(handle, concurrency=int(sys.argv[1]))
else:
    faas_sdk.serve(handle)
