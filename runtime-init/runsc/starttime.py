#!/usr/bin/env python3
"""starttime.py RUNTIME N: N times, `docker run -d --rm` faas-hello in fork mode with the pool's flags and
time from just before the docker CLI starts to the HELLO line on the control socket. Prints each and the median.
Talks to the experiment's engine at unix:///var/run/docker-runsc.sock; PIDS sets --pids-limit (default 64)."""
import os, socket, statistics, subprocess, sys, time
rt, n = sys.argv[1], int(sys.argv[2])
D = ["docker", "-H", "unix:///var/run/docker-runsc.sock"]
F = ("--network none --read-only --cap-drop ALL --security-opt no-new-privileges --memory 64m --memory-swap 64m "
     "--pids-limit " + os.environ.get("PIDS", "64") + " --tmpfs /tmp:rw,nosuid,nodev,size=16m --user 65534:65534").split()
d = "/tmp/runsc-exp/st"
os.makedirs(d, mode=0o755, exist_ok=True)
path = d + "/control.sock"
times = []
for i in range(n):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    l.bind(path); os.chown(path, 65534, 65534); os.chmod(path, 0o600); l.listen(1); l.settimeout(30)
    name = f"st-{rt}-{i}"
    t0 = time.monotonic()
    p = subprocess.Popen(D + ["run", "-d", "--rm", "--name", name, "--runtime", rt] + F +
                         ["-v", d + ":/run/faas:ro", "-e", "FAAS_CONTROL_SOCK=/run/faas/control.sock",
                          "-e", "FAAS_MODE=fork", "faas-hello:latest"], stdout=subprocess.DEVNULL)
    c, _ = l.accept()
    buf = b""
    while b"\n" not in buf:
        buf += c.recv(128)
    t1 = time.monotonic()
    times.append((t1 - t0) * 1000)
    p.wait()
    c.close(); l.close()          # EOF: the init exits 0, --rm removes the container
    subprocess.run(D + ["wait", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while subprocess.run(D + ["inspect", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
        time.sleep(0.05)
    print(f"{rt} run {i + 1}: {times[-1]:.0f} ms  {buf.decode().strip()}", flush=True)
print(f"{rt}: median {statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f} (n={n})")
