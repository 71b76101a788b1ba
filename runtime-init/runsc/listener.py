#!/usr/bin/env python3
"""Host side of the faas-pool control protocol, for the runsc experiments.

listener.py DIR [TCP_PORT [N]]
  Listens on DIR/control.sock (DIR root's 0755, the socket 65534's 0600, as faas-pool does), accepts one
  container and prints every line it sends. With TCP_PORT it also listens on 127.0.0.1:TCP_PORT and, for
  each of N client connections, accepts it, passes it to the container as b'F' + SCM_RIGHTS and waits for
  DONE (or FAIL). Lines are printed for the first 3 requests only; then a summary.
  BRIDGE=1: pass one end of an AF_UNIX socketpair instead and relay the TCP client to the other end
  (what gVisor can import; see ../RUNSC.md). ACCEPT_TIMEOUT (s, default 30) bounds the wait for the container.
"""
import os, socket, sys, time

d = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
n = int(sys.argv[3]) if len(sys.argv) > 3 else 1
os.makedirs(d, mode=0o755, exist_ok=True)
os.chmod(d, 0o755)
path = os.path.join(d, "control.sock")
try:
    os.unlink(path)
except FileNotFoundError:
    pass
ctl_l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ctl_l.bind(path)
os.chown(path, 65534, 65534)
os.chmod(path, 0o600)
ctl_l.listen(1)
tcp = None
if port:
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(64)
print(f"listening on {path}" + (f" and 127.0.0.1:{port}" if port else ""), flush=True)
ready = os.environ.get("READY_FILE")
if ready:
    open(ready, "w").close()

ctl_l.settimeout(float(os.environ.get("ACCEPT_TIMEOUT", "30")))
c, _ = ctl_l.accept()
print(f"{time.time():.6f} container connected", flush=True)
buf = b""
verbose = True

def line():
    global buf
    while b"\n" not in buf:
        chunk = c.recv(256)
        if not chunk:
            raise EOFError("control connection EOF, pending %r" % buf)
        buf += chunk
    l, buf = buf.split(b"\n", 1)
    if verbose:
        print(f"{time.time():.6f} <- {l.decode()}", flush=True)
    return l.decode()

line()  # HELLO
if not tcp:
    time.sleep(float(os.environ.get("HOLD", "1")))
    c.close()
    sys.exit(0)

bridge = os.environ.get("BRIDGE") == "1"

def relay(a, b):
    """Copies both ways until both directions reached EOF."""
    import selectors
    sel = selectors.DefaultSelector()
    peer = {a: b, b: a}
    for x in (a, b):
        sel.register(x, selectors.EVENT_READ)
    open_ = 2
    while open_:
        for key, _ in sel.select():
            x = key.fileobj
            data = x.recv(65536)
            if data:
                peer[x].sendall(data)
            else:
                sel.unregister(x)
                try:
                    peer[x].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                open_ -= 1
    sel.close()

t0 = None
fails = 0
for i in range(1, n + 1):
    verbose = i <= 3
    client, addr = tcp.accept()
    if t0 is None:
        t0 = time.time()
    if bridge:
        # gVisor imports only AF_UNIX host sockets: pass one end of a socketpair, relay the TCP client to it.
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        sent = socket.send_fds(c, [b"F"], [theirs.fileno()])
        theirs.close()
    else:
        sent = socket.send_fds(c, [b"F"], [client.fileno()])
    if verbose:
        print(f"{time.time():.6f} -> F + fd {client.fileno()} (client {addr[0]}:{addr[1]}), sendmsg {sent}", flush=True)
    while True:
        try:
            l = line()
        except EOFError as e:
            print(f"request {i}: {e}", flush=True); raise
        if l.startswith("FAIL"):
            fails += 1
            print(l, flush=True)
            break
        if l.startswith("DONE"):
            break
        if bridge and l.startswith("RUN"):
            relay(client, mine)
    if bridge:
        mine.close()
    client.close()
t1 = time.time()
print(f"{n} requests handed off in {t1 - t0:.3f} s ({n / (t1 - t0):.1f}/s) from the first accept, {fails} FAIL", flush=True)
c.close()
