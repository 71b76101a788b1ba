#!/usr/bin/env python3
"""Writes benchmark/RESULTS.md from the raw measurements benchmark/run.sh left in benchmark/results/raw/.
Every figure in RESULTS.md comes from those files; nothing is typed in.

    benchmark/report.py RAW_DIR OUT.md
"""
import json
import math
import os
import sys

SYSTEMS = [
    ("docker-run", "docker run per connection"),
    ("fork-exec", "fork+exec per connection"),
    ("faas-pool-oneshot", "faas-pool oneshot"),
    ("faas-pool-fork", "faas-pool fork"),
    ("faas-pool-persistent", "faas-pool persistent"),
    ("direct", "direct (ceiling)"),
]
NAME = dict(SYSTEMS)
INITS = [("py", "Python"), ("go", "Go"), ("rust", "Rust"), ("c", "C"), ("cpy", "C on the Python base")]


def kv(line):
    out = {}
    for field in line.split():
        if "=" in field:
            k, v = field.split("=", 1)
            out[k] = v
    return out


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def ms(v):
    if v is None:
        return "–"
    if v < 10:
        return "%.2f" % v
    if v < 100:
        return "%.1f" % v
    return "%.0f" % v


def ratio(a, b):
    """a/b with two significant digits: 0.00068x, 0.41x, 2.3x, 140x."""
    if a is None or b is None or b == 0 or a == 0:
        return "–"
    r = a / b
    if r >= 10:
        return "%.0fx" % r
    decimals = max(1, 1 - int(math.floor(math.log10(r))))
    return "%.*fx" % (decimals, r)


def pct(a, b):
    """a/b in percent, two significant digits below 10%: 0.034%, 2.2%, 56%."""
    if a is None or b is None or b == 0:
        return "–"
    return ratio(100.0 * a, b)[:-1] + "%"


def kib(v):
    return "–" if v is None else ("%.0f KiB" % v if v < 1024 else "%.1f MiB" % (v / 1024.0))


def mb(v):
    return "–" if v is None else ("%.1f kB" % (v / 1e3) if v < 1e6 else "%.1f MB" % (v / 1e6))


def duration_s(text):
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    if text.endswith("s"):
        return float(text[:-1])
    if text.endswith("m"):
        return float(text[:-1]) * 60
    return float(text)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def pool_summary(path):
    """function -> kind -> {count, p50, p90, p99, p999, max} from faas-pool's shutdown summary."""
    out, on = {}, False
    for l in read_lines(path):
        f = l.split()
        if f[:2] == ["function", "kind"]:
            on = True
            continue
        if on and len(f) == 8:
            try:
                vals = [float(x) for x in f[2:]]
            except ValueError:
                continue
            out.setdefault(f[0], {})[f[1]] = dict(zip(["count", "p50", "p90", "p99", "p999", "max"], vals))
    return out


class Report:
    def __init__(self, raw):
        self.raw = raw
        self.meta = {}
        for l in read_lines(os.path.join(raw, "meta.txt")):
            k, v = l.split("=", 1)
            self.meta[k] = v
        self.load = [kv(l) for l in read_lines(os.path.join(raw, "load.txt"))]
        self.lines = []

    def w(self, text=""):
        self.lines.append(text)

    def point(self, system, kind, x=None):
        for p in self.load:
            if p.get("system") == system and p.get("kind") == kind and (x is None or num(p.get("x")) == num(x)):
                return p
        return None

    def kept_up(self, p):
        """Every answer 200, and the median latency grew from the first quarter's requests to the last
        quarter's by less than 10% of the time between them: the system served at least ~90% of the
        offered rate (a queue that grows adds (1 - served/offered) x elapsed time to each request)."""
        if "failed" in p:
            return False
        if num(p["non200"]) + num(p["errors"]) > 0:
            return False
        first, last = num(p.get("p50_first_ms")), num(p.get("p50_last_ms"))
        if first is None or last is None:
            return True
        return last - first < 0.1 * 0.75 * duration_s(p["duration"]) * 1000

    # ----------------------------------------------------------------------------------------------
    def header(self):
        m = self.meta
        quick = m.get("quick") == "1"
        self.w("# faas-pool benchmark results")
        self.w()
        self.w("Written by `%s` (benchmark/report.py formats what benchmark/run.sh measured; the raw" % m["command"])
        self.w("measurements are in [results/raw/](results/raw/)); the pre-warm scheduler's trace replay by")
        self.w("`benchmark/trace-replay.sh`; the sections after it summarise the other scripts' results (each")
        self.w("names its script, commit and file under [results/](results/)), and a run of run.sh keeps them.")
        self.w()
        if quick:
            self.w("> **Quick run (`--quick`)**: %s per load point after %s of warm-up, %s cold starts per"
                   % (m["duration"], m["warmup"], m["cold_rounds"]))
            self.w("> init, %s rounds of the init start-up. Few samples per point, so p99 and p99.9 are close to the"
                   % m["init_rounds"])
            self.w("> maximum, and the machine was shared with other work (load average below). Use it to check the")
            self.w("> benchmark, not to quote; `benchmark/run.sh` without `--quick` is the real run.")
            self.w()
        self.w("| | |")
        self.w("|---|---|")
        for key, label in [("date_utc", "date"), ("commit", "commit"), ("cpu", "CPU"), ("nproc", "cores (nproc)"),
                           ("memory", "memory"), ("os", "OS"), ("kernel", "kernel"), ("cgroup", "cgroup"),
                           ("docker_server", "Docker engine"), ("docker_client", "Docker CLI"),
                           ("containerd", "containerd"), ("runc", "runc"), ("jdk", "JDK (faas-pool, LoadGen)"),
                           ("go", "Go"), ("cc", "C compiler"), ("python", "Python (host)"),
                           ("load_start", "load average at start (1/5/15 min)"),
                           ("load_end", "load average at end")]:
            self.w("| %s | %s |" % (label, m.get(key, "–")))
        el = int(m.get("elapsed_s", "0"))
        self.w("| run time | %d min %02d s |" % (el // 60, el % 60))
        self.w()
        self.w("Everything ran on this one machine over loopback, the load generator included: it takes CPU")
        self.w("from the servers, and a 2-core machine shows it.")
        self.w()

    def systems(self):
        m = self.meta
        self.w("## The systems")
        self.w()
        self.w("All serve the same handler logic, that of `examples/hello-c/hello.c`: read the request head, answer")
        self.w("`200` with the fixed 22-byte body, close. One TCP connection per request (`Connection: close`).")
        self.w()
        self.w("| system | what runs per request |")
        self.w("|---|---|")
        self.w("| **docker run per connection** | `benchmark/baselines/forkserver.c --stdio` accepts, forks and execs "
               "the Docker CLI with the connection as its stdin and stdout: `%s` (`%%N`: the connection's number). "
               "The image `bench-hello-stdio` is `FROM scratch` plus `hello-stdio` (hello.c reading stdin, writing "
               "stdout). The same isolation as faas-pool's containers. The client sees the end of the response when "
               "the CLI exits: after the container exited and, `--rm`, was removed. |"
               % read_lines(os.path.join(self.raw, "docker-run-command.txt"))[0].replace("|", "\\|"))
        self.w("| **fork+exec per connection** | `benchmark/baselines/forkserver.c` (the design's pre-Docker server) "
               "accepts, forks and execs the static `hello` with the connection at descriptor 3, `FAAS_CLIENT_FD=3`. "
               "No container. |")
        self.w("| **faas-pool oneshot** | the jar hands the connection to a warm container (`faas-hello:latest`: "
               "`faas-init` + static `hello`, `FROM scratch`) whose init execs `hello` on it; the container then "
               "exits and is replaced. |")
        self.w("| **faas-pool fork** | the same image; the init stays and forks + execs `hello` per connection. |")
        self.w("| **faas-pool persistent** | `bench-hello-go` (`FROM faas-runtime:slim` + "
               "`benchmark/baselines/hello-go`, static, on the Go SDK): faas-init execs it at once; one process "
               "serves every request of its container. |")
        self.w("| **direct (ceiling)** | `benchmark/baselines/direct.c`: one process, epoll, answers itself. |")
        self.w()
        self.w("faas-pool's configurations, written by the script (pool-config format):")
        self.w()
        for name in ("oneshot", "fork", "persistent"):
            lines = read_lines(os.path.join(self.raw, "pool-%s.yaml" % name))
            self.w("- **%s**: %s" % (name, self.flat_config(lines)))
        self.w()
        self.w("Load: `benchmark/LoadGen.java`. Open loop: request *i* is due at start + *i*/rate, and its latency")
        self.w("runs from that intended time to the end of the response (EOF), so a server that falls behind shows")
        self.w("it in the percentiles (no coordinated omission). Closed loop: %s connections, each sending its next"
               % m["connections"])
        self.w("request when the last one ended. Each point: %s of warm-up at the same load (discarded), then %s."
               % (m["warmup"], m["duration"]))
        self.w("A faas-pool is given back its warm containers (`/readyz`) before each point.")
        self.w()

    @staticmethod
    def flat_config(lines):
        fields = {}
        for l in lines:
            s = l.strip()
            if ":" in s and not s.endswith(":"):
                k, v = s.split(":", 1)
                fields[k.strip()] = v.strip()
        keys = ["image", "mode", "warm", "max", "max-uses", "acquire", "start"]
        return ", ".join("`%s: %s`" % (k, fields[k]) for k in keys if k in fields)

    def latency(self):
        m = self.meta
        self.w("## Latency at fixed offered rates (open loop)")
        self.w()
        self.w("Milliseconds, from the intended send time to the end of the response. *p50 first → last*: the")
        self.w("median of the requests due in the first and in the last quarter of the %s. *kept up*: every answer"
               % m["duration"])
        self.w("was `200`, and that median grew by less than 10% of the time between the quarters, that is the")
        self.w("system served at least about 90% of the offered rate (a growing queue adds")
        self.w("(1 − served/offered) × elapsed time to each request).")
        self.w("A system that could not keep up is reported as measured, not left out. faas-pool's non-200 answers")
        self.w("are its own `503`s: no warm container within the acquire timeout, or its dispatch queue full.")
        self.w("At the lowest rates the sub-millisecond figures are dominated by waking the idle client and CPUs,")
        self.w("which is why some systems look slower at 1/s than at 100/s.")
        self.w()
        self.w("| system | offered | requests | non-200 | errors | p50 | p90 | p99 | p99.9 | max | p50 first → last | kept up |")
        self.w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for sid, label in SYSTEMS:
            for p in self.load:
                if p.get("system") != sid or p.get("kind") != "open":
                    continue
                if "failed" in p:
                    self.w("| %s | %s/s | LoadGen failed | | | | | | | | | no |" % (label, p["x"]))
                    continue
                self.w("| %s | %s/s | %s | %s | %s | %s | %s | %s | %s | %s | %s → %s | %s |" % (
                    label, p["x"], p["requests"], p["non200"], p["errors"], ms(num(p["p50_ms"])),
                    ms(num(p["p90_ms"])), ms(num(p["p99_ms"])), ms(num(p["p999_ms"])), ms(num(p["max_ms"])),
                    ms(num(p.get("p50_first_ms"))), ms(num(p.get("p50_last_ms"))),
                    "yes" if self.kept_up(p) else "**no**"))
        self.w()

    def throughput(self):
        m = self.meta
        self.w("## Sustained throughput (closed loop, %s connections)" % m["connections"])
        self.w()
        direct = self.rps("direct")
        fx = self.rps("fork-exec")
        dr = self.rps("docker-run")
        self.w("| system | requests/s | p50 ms | p99 ms | non-200 + errors | of direct | vs fork+exec | vs docker run |")
        self.w("|---|---:|---:|---:|---:|---:|---:|---:|")
        for sid, label in SYSTEMS:
            p = self.point(sid, "closed")
            if not p or "failed" in p:
                self.w("| %s | not measured | | | | | | |" % label)
                continue
            r = num(p["rps"])
            self.w("| %s | %.1f | %s | %s | %d | %s | %s | %s |" % (
                label, r, ms(num(p["p50_ms"])), ms(num(p["p99_ms"])), num(p["non200"]) + num(p["errors"]),
                pct(r, direct), ratio(r, fx), ratio(r, dr)))
        self.w()

    def rps(self, sid):
        p = self.point(sid, "closed")
        return num(p["rps"]) if p and "failed" not in p else None

    def at(self, sid, rate, key):
        p = self.point(sid, "open", rate)
        return num(p[key]) if p and "failed" not in p else None

    def ratios(self):
        rates = self.meta["common_rates"].split()
        self.w("## Ratios (this run)")
        self.w()
        self.w("Latency at the rates every system was offered (%s per second): each system's percentile divided"
               % " and ".join(rates))
        self.w("by the baseline's, from the tables below. Below 1x: lower (better) than the baseline.")
        self.w()
        self.w("| system | rate | p50 ms | p50 vs docker run | p50 vs fork+exec | p50 vs direct | p99 ms | p99 vs docker run | p99 vs fork+exec |")
        self.w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for rate in rates:
            for sid, label in SYSTEMS:
                p50, p99 = self.at(sid, rate, "p50_ms"), self.at(sid, rate, "p99_ms")
                self.w("| %s | %s/s | %s | %s | %s | %s | %s | %s | %s |" % (
                    label, rate, ms(p50), ratio(p50, self.at("docker-run", rate, "p50_ms")),
                    ratio(p50, self.at("fork-exec", rate, "p50_ms")), ratio(p50, self.at("direct", rate, "p50_ms")),
                    ms(p99), ratio(p99, self.at("docker-run", rate, "p99_ms")),
                    ratio(p99, self.at("fork-exec", rate, "p99_ms"))))
        self.w()
        self.w("In words:")
        self.w()
        direct, fx, dr = self.rps("direct"), self.rps("fork-exec"), self.rps("docker-run")
        for sid in ("faas-pool-oneshot", "faas-pool-fork", "faas-pool-persistent"):
            parts = []
            for rate in rates:
                p50, d50, f50 = self.at(sid, rate, "p50_ms"), self.at("docker-run", rate, "p50_ms"), self.at("fork-exec", rate, "p50_ms")
                parts.append("p50 at %s/s = %s docker run's (%s vs %s ms%s) and %s fork+exec's (%s ms)" % (
                    rate, ratio(p50, d50), ms(p50), ms(d50),
                    "" if not (p50 and d50) else ", %s lower" % ratio(d50, p50) if d50 > p50 else "",
                    ratio(p50, f50), ms(f50)))
            r = self.rps(sid)
            self.w("- **%s**: %s; closed-loop throughput = %s of direct, %s fork+exec's, %s docker run's." % (
                NAME[sid], "; ".join(parts), pct(r, direct), ratio(r, fx), ratio(r, dr)))
        self.w("- **fork+exec** (no container): throughput = %s of direct; **docker run**: %s of direct." % (
            pct(fx, direct), pct(dr, direct)))
        self.w()
        self.w("A ratio at a rate where the baseline did not keep up (see *kept up* below) compares against a")
        self.w("queue, not against the baseline's own cost: read the lowest rate for that.")
        self.w()

    def server_side(self):
        self.w("## faas-pool's own view")
        self.w()
        self.w("faas-pool's HdrHistogram summary at shutdown, over the whole run of each mode (warm-ups and every")
        self.w("load point together), milliseconds. *warm*: accept to the init's ACK when a slot was ready; *cold*:")
        self.w("the same when the request waited for a container start; *start*: container create to HELLO;")
        self.w("*queue*: accept to a slot taken; *service*: accept to the end of the request (container exit or DONE).")
        self.w()
        self.w("| mode | kind | count | p50 | p90 | p99 | p99.9 | max |")
        self.w("|---|---|---:|---:|---:|---:|---:|---:|")
        for name in ("oneshot", "fork", "persistent"):
            s = pool_summary(os.path.join(self.raw, "pool-%s.txt" % name)).get("hello", {})
            for kind in ("warm", "cold", "start", "queue", "service"):
                if kind in s:
                    v = s[kind]
                    self.w("| %s | %s | %d | %s | %s | %s | %s | %s |" % (
                        name, kind, v["count"], ms(v["p50"]), ms(v["p90"]), ms(v["p99"]), ms(v["p999"]), ms(v["max"])))
        self.w()

    def memory(self):
        rows = [json.loads(l) for l in read_lines(os.path.join(self.raw, "memory.jsonl"))]
        self.w("## Memory")
        self.w()
        self.w("A faas-pool in fork mode with `faas-hello:latest`, `min` = `max` = the pool size, idle, 3 s after")
        self.w("all its containers were warm. *manager RSS*: the faas-pool JVM's VmRSS (default JVM settings, as")
        self.w("`bin/faas-pool` runs it), as found and then after a full GC (`jcmd <pid> GC.run`; until one, the RSS")
        self.w("follows the heap's high-water mark). Per slot: means over the slot containers. *cgroup usage*: the")
        self.w("container's `memory.usage_in_bytes` (page cache included); *cgroup rss*: its anonymous memory")
        self.w("(`total_rss`); *init RSS*: VmRSS of faas-init, waiting in recvmsg; *shim*: the")
        self.w("`containerd-shim-runc-v2` Docker keeps on the host for each container, VmRSS and PSS (PSS shares")
        self.w("out the pages the shims have in common, so it is what one more shim costs). *per slot*: cgroup")
        self.w("usage + shim PSS. *engine*: dockerd + containerd VmRSS (the engine is shared with other work on")
        self.w("this machine, so its growth is indicative only).")
        self.w()
        self.w("| pool size | containers | manager RSS | after full GC | cgroup usage | cgroup rss | init RSS | shim RSS | shim PSS | per slot | engine RSS |")
        self.w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            mn = r["mean"]
            per = None
            if mn["cg_usage"] is not None and mn["shim_pss_kib"] is not None:
                per = mn["cg_usage"] / 1024.0 + mn["shim_pss_kib"]
            self.w("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["label"], r["containers"], kib(r["manager_rss_kib"]), kib(r.get("manager_rss_gc_kib")),
                kib(None if mn["cg_usage"] is None else mn["cg_usage"] / 1024.0),
                kib(None if mn["cg_rss"] is None else mn["cg_rss"] / 1024.0), kib(mn["init_rss_kib"]),
                kib(mn["shim_rss_kib"]), kib(mn["shim_pss_kib"]), kib(per), kib(r["engine_rss_kib"])))
        self.w()
        if len(rows) >= 2 and rows[0]["manager_rss_kib"] and rows[-1]["manager_rss_kib"]:
            a, b = rows[0], rows[-1]
            dn = int(b["label"]) - int(a["label"])
            if dn > 0:
                gc = ""
                if a.get("manager_rss_gc_kib") and b.get("manager_rss_gc_kib"):
                    gc = " (after a full GC: %s)" % kib((b["manager_rss_gc_kib"] - a["manager_rss_gc_kib"]) / dn)
                self.w("Growth from %s to %s slots, per added slot: manager RSS %s%s, engine RSS %s." % (
                    a["label"], b["label"], kib((b["manager_rss_kib"] - a["manager_rss_kib"]) / dn), gc,
                    kib((b["engine_rss_kib"] - a["engine_rss_kib"]) / dn)))
                self.w()

    # ----------------------------------------------------------------------------------------------
    def inits(self):
        m = self.meta
        host = json.load(open(os.path.join(self.raw, "inits-host.json")))
        hs = {i: host["inits"][name]["stats"] for i, name in (("c", "C"), ("go", "Go"), ("rust", "Rust"), ("py", "Python"))
              if name in host["inits"]}
        info = {kv(l)["init"]: kv(l) for l in read_lines(os.path.join(self.raw, "inits.txt"))}
        mem = {r["label"]: r for r in (json.loads(l) for l in read_lines(os.path.join(self.raw, "memory-inits.jsonl")))}
        pools = pool_summary(os.path.join(self.raw, "pool-inits.txt"))
        have_py = m.get("have_python_image") == "1"

        cold_path = os.path.join(self.raw, "cold-start.json")
        coldj = json.load(open(cold_path))["functions"] if os.path.exists(cold_path) else {}

        def cold(i, key):
            v = coldj.get(i, {}).get(key.replace("_ms", ""))
            return v

        def start(i, key):
            return pools.get("cold-" + i, {}).get("start", {}).get(key)

        def hostv(i, key, q="p50"):
            return hs[i][key][q] if i in hs and key in hs[i] else None

        def memv(i, key):
            r = mem.get(i)
            return r["mean"].get(key) if r else None

        def image(i):
            v = info.get(i, {}).get("image_bytes")
            return num(v)

        self.w("## The inits: C, Go, Rust and Python")
        self.w()
        self.w("The design document's comparison tables (faas-runtime-design.md, \"Size and Performance Comparison\"")
        self.w("and \"Profiling and Benchmarking\"), with measured figures. Each init is the repository's own:")
        self.w("`target/runtime-init/faas-init` (C, static musl), `faas-init-go` (Go, static), `faas-init-rust` (Rust, std only,")
        self.w("static-pie glibc), `faas-init.py` (Python 3).")
        self.w("Images, each init + the static `hello` handler: `bench-init-c`, `bench-init-go` and `bench-init-rust` `FROM scratch`;")
        if have_py:
            self.w("`bench-init-py` `FROM faas-runtime:python` (Debian bookworm + Debian's python3; the init runs as")
            self.w("`/usr/bin/python3 /faas-init.py`). *C on the Python base* (`bench-init-cpy`: faas-runtime:python's")
            self.w("own C init) separates what the Python image costs from what the Python init costs.")
        else:
            self.w("**faas-runtime:python was not present on this machine, so the Python init was measured on the host")
            self.w("only**: its container figures (cold start, in-container memory, image size) are missing.")
        self.w()
        self.w("Definitions:")
        self.w()
        self.w("- **Cold start**: a request to a faas-pool function that keeps no warm container (oneshot, `min: 0`),")
        self.w("  timed by `benchmark/cold-start.py` from connect to the end of the response: container create and")
        self.w("  start, the init's start-up, HELLO, the hand-off, the handler's exec and its answer. One request at a")
        self.w("  time, %s s apart, the inits taking turns; %s per init after one warm-up round." % (m["cold_spacing"], m["cold_rounds"]))
        self.w("  *Container start* is faas-pool's own histogram of the same containers: create to HELLO.")
        self.w("- **Init overhead**: on the host, no container (`benchmark/init-overhead.py`, %s rounds, the inits"
               % host["n"])
        self.w("  taking turns): spawning the init to its HELLO, plus handing it a connection to the exec of the handler")
        self.w("  (EOF on the close-on-exec control connection): everything from the exec of the init to the exec of the")
        self.w("  handler except the wait for a request.")
        self.w("- **Memory overhead**: VmRSS of the init while it waits in recvmsg, inside 3 idle warm containers")
        self.w("  (mean), and its RssAnon, the part that is its own (RSS less file pages such as the interpreter's")
        self.w("  binary and libraries, which the page cache shares between containers). The container's cgroup")
        self.w("  usage is given too; cgroup v1 charges a shared file page to the cgroup that read it first, so")
        self.w("  it can be below the init's RSS.")
        self.w("- **CPU (init phase)**: CPU time the init used from its spawn to HELLO (all threads; host;")
        self.w("  includes the spawning fork's own few hundred microseconds, alike for all).")
        self.w("- **Image size**: `docker image inspect .Size` (decimal MB, as `docker images` shows).")
        self.w()

        # Table 1: "Size and Performance Comparison"
        self.w("### Size and Performance Comparison (measured)")
        self.w()
        self.w("| Approach | Binary Size | Base Image | Total Size | Startup Time (host, p50) | Container start (p50) | Memory Overhead (init RSS) |")
        self.w("|---|---|---|---|---|---|---|")
        py_bin = num(info.get("py", {}).get("binary_bytes"))
        python3 = num(info.get("python3", {}).get("binary_bytes"))
        rows = [
            ("Python", "%s script + python3 (%s)" % (mb(py_bin), mb(python3)), "faas-runtime:python (%s)" % mb(num(info.get("py", {}).get("base_bytes"))) if have_py else "– (not present)", "py"),
            ("C (Scratch)", mb(num(info["c"]["binary_bytes"])), "scratch", "c"),
            ("Go", mb(num(info["go"]["binary_bytes"])), "scratch", "go"),
        ] + ([("Rust", mb(num(info["rust"]["binary_bytes"])), "scratch", "rust")] if "rust" in info else [])
        for label, binary, base, i in rows:
            self.w("| %s | %s | %s | %s | %s ms | %s | %s |" % (
                label, binary, base, mb(image(i)) if image(i) else "–", ms(hostv(i, "hello_ms")),
                (ms(start(i, "p50")) + " ms") if start(i, "p50") is not None else "–",
                kib(memv(i, "init_rss_kib")) if memv(i, "init_rss_kib") is not None else kib(hostv(i, "rss_kib")) + " (host)"))
        self.w("| C (Alpine) | not built: the project's C init is static and runs `FROM scratch` | | | | | |")
        if "rust" not in info:
            self.w("| Rust | not measured in this run | | | | | |")
        self.w()
        self.w("Total Size is the image with the init and the 17 kB `hello` handler. Startup Time (host): spawn of the")
        self.w("init to HELLO, no container. Container start: faas-pool's create-to-HELLO, which is mostly Docker's.")
        self.w()

        # Table 2: the profiling section's results, side by side, with the delta Go vs Python.
        self.w("### Profiling results: Python baseline, Go, Rust, C")
        self.w()
        cols = ([("py", "Python"), ("go", "Go")] + ([("rust", "Rust")] if "rust" in info else []) + [("c", "C")]
                + ([("cpy", "C on Python base")] if have_py else []))

        def metric(label, fn, fmt, unit):
            vals = [fn(i) for i, _ in cols]
            cells = [fmt(v) if v is not None else "–" for v in vals]
            go, py = fn("go"), fn("py")
            delta = pchg = "–"
            if go is not None and py is not None:
                delta = ("%+.1f %s" % (go - py, unit)) if unit else "%+.0f" % (go - py)
                pchg = "%+.0f%%" % (100.0 * (go - py) / py) if py else "–"
            self.w("| %s | %s | %s | %s |" % (label, " | ".join(cells), delta, pchg))

        self.w("| Metric | %s | Delta (Go − Python) | %% Change |" % " | ".join(n for _, n in cols))
        self.w("|---|%s---:|---:|" % ("---:|" * len(cols)))
        ms_u = lambda v: ms(v) + " ms"
        metric("Cold start (p50)", lambda i: cold(i, "p50_ms"), ms_u, "ms")
        metric("Cold start (p99)", lambda i: cold(i, "p99_ms"), ms_u, "ms")
        metric("Container start, create to HELLO (p50)", lambda i: start(i, "p50"), ms_u, "ms")
        metric("Container start, create to HELLO (p99)", lambda i: start(i, "p99"), ms_u, "ms")
        metric("Init overhead (p50, host)", lambda i: hostv(i, "init_ms"), ms_u, "ms")
        metric("Init overhead (p99, host)", lambda i: hostv(i, "init_ms", "p99"), ms_u, "ms")
        metric("Init overhead: start-up to HELLO (p50)", lambda i: hostv(i, "hello_ms"), ms_u, "ms")
        metric("Init overhead: descriptor to handler exec (p50)", lambda i: hostv(i, "exec_ms"), ms_u, "ms")
        metric("Fork mode: descriptor to RUN (p50, host)", lambda i: hostv(i, "run_ms"), ms_u, "ms")
        metric("Memory overhead (init RSS, in container)", lambda i: memv(i, "init_rss_kib") and memv(i, "init_rss_kib") / 1024.0,
               lambda v: "%.2f MiB" % v, "MiB")
        metric("Memory overhead (init RSS, host)", lambda i: hostv(i, "rss_kib") and hostv(i, "rss_kib") / 1024.0,
               lambda v: "%.2f MiB" % v, "MiB")
        metric("Memory overhead: its own part (RssAnon, in container)", lambda i: memv(i, "init_anon_kib") and memv(i, "init_anon_kib") / 1024.0,
               lambda v: "%.2f MiB" % v, "MiB")
        metric("Container cgroup usage, idle warm", lambda i: memv(i, "cg_usage") and memv(i, "cg_usage") / 1048576.0,
               lambda v: "%.2f MiB" % v, "MiB")
        metric("CPU usage (init phase, to HELLO)", lambda i: hostv(i, "cpu_ms"), ms_u, "ms")
        metric("Container image size", lambda i: image(i) and image(i) / 1e6, lambda v: "%.2f MB" % v, "MB")
        metric("Binary size", lambda i: None if i == "py" else num(info.get(i, {}).get("binary_bytes")) / 1e6,
               lambda v: "%.3f MB" % v, "MB")
        metric("Code complexity (lines of source)", lambda i: num(info.get(i, {}).get("loc")), lambda v: "%.0f" % v, "")
        self.w("| Development time | not measured |" + " |" * (len(cols) + 1))
        self.w()
        n_cold = {i: "%d" % coldj.get(i, {}).get("count", 0) for i, _ in cols}
        failed = sum(coldj.get(i, {}).get("failed", 0) for i, _ in cols)
        self.w("Samples: cold start %s requests per init (%s), %d failed; host rounds: %s. Python on the host: %s."
               % ("/".join(n_cold[i] for i, _ in cols), "/".join(n for _, n in cols), failed, host["n"], host["python"]))
        self.w("Binary size: Python has none of its own; its init is a %s script run by the image's python3 (%s binary)."
               % (mb(py_bin), mb(python3)))
        self.w()

    def write(self, out):
        self.header()
        self.ratios()
        self.systems()
        self.latency()
        self.throughput()
        self.server_side()
        self.memory()
        self.inits()
        kept = kept_section(out)
        with open(out, "w") as f:
            f.write("\n".join(self.lines) + "\n")
            if kept:
                f.write("\n" + kept)


# benchmark/trace-replay.sh writes its section of RESULTS.md between these markers; a run of run.sh keeps it.
SECTION_BEGIN = "<!-- trace-replay.sh: begin -->"
SECTION_END = "<!-- trace-replay.sh: end -->"


def kept_section(path):
    """What run.sh does not measure, kept from the RESULTS.md at path: the trace replay's section (markers
    included) and every section after it (the other benchmark scripts' figures, each pointing to its
    results/*.md), or None."""
    if not os.path.exists(path):
        return None
    text = open(path).read()
    begin, end = text.find(SECTION_BEGIN), text.find(SECTION_END)
    if begin < 0 or end < begin:
        return None
    return text[begin:].rstrip("\n") + "\n"


def main():
    Report(sys.argv[1]).write(sys.argv[2])


if __name__ == "__main__":
    main()
