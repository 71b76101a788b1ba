#!/usr/bin/env python3
"""Memory of a running faas-pool instance and of each of its containers, as one JSON line.

    benchmark/probe-memory.py --instance NAME --manager PID [--function F] [--label LABEL] [>> memory.jsonl]

manager_rss_kib   the faas-pool JVM's VmRSS (/proc/PID/status)
manager_rss_gc_kib  the same after a full GC (`jcmd PID GC.run`, with --jcmd): the JVM's RSS follows
                  its heap's high-water mark until a full GC gives memory back, so this is the steadier
                  figure
per container (those labelled dev.faaspool.instance=NAME):
  cg_usage        the container's memory cgroup: memory.usage_in_bytes (cgroup v1), memory.current (v2)
  cg_rss          its anonymous memory: total_rss in memory.stat (v1), anon (v2)
  init_rss        VmRSS of the container's first process (State.Pid: the init, waiting in recvmsg)
  init_anon       its RssAnon: the part of it that is its own, not file pages shared with others
  shim_rss/pss    the containerd-shim-runc-v2 that Docker runs on the host for that container: VmRSS,
                  and Pss from smaps_rollup (its share of pages it shares with the other shims)
engine_rss_kib    VmRSS of dockerd + containerd, for how the engine grows with the number of containers
"""
import argparse
import glob
import json
import os
import subprocess
import time


def status_kib(pid, key="VmRSS"):
    try:
        with open("/proc/%s/status" % pid) as f:
            for l in f:
                if l.startswith(key + ":"):
                    return int(l.split()[1])
    except OSError:
        pass
    return None


def pss_kib(pid):
    try:
        with open("/proc/%s/smaps_rollup" % pid) as f:
            for l in f:
                if l.startswith("Pss:"):
                    return int(l.split()[1])
    except OSError:
        pass
    return None


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def cgroup(cid):
    v1 = "/sys/fs/cgroup/memory/docker/" + cid
    if os.path.isdir(v1):
        stat = dict(l.split() for l in read(v1 + "/memory.stat").splitlines())
        return int(read(v1 + "/memory.usage_in_bytes")), int(stat.get("total_rss", stat.get("rss", 0)))
    for v2 in ("/sys/fs/cgroup/system.slice/docker-%s.scope" % cid, "/sys/fs/cgroup/docker/" + cid):
        if os.path.isdir(v2):
            stat = dict(l.split() for l in read(v2 + "/memory.stat").splitlines())
            return int(read(v2 + "/memory.current")), int(stat.get("anon", 0))
    return None, None


def processes():
    """pid -> argv of every process we can read."""
    procs = {}
    for d in glob.glob("/proc/[0-9]*"):
        raw = read(d + "/cmdline")
        if raw:
            procs[int(d[6:])] = raw.rstrip("\0").split("\0")
    return procs


def shims(procs):
    """container id -> pid of its long-running containerd shim."""
    out = {}
    for pid, argv in procs.items():
        if not os.path.basename(argv[0]).startswith("containerd-shim") or "-id" not in argv:
            continue
        if "-publish-binary" in argv:
            continue  # a short-lived "start" or "delete" invocation, not the shim that stays
        cid = argv[argv.index("-id") + 1] if argv.index("-id") + 1 < len(argv) else None
        if cid:
            out.setdefault(cid, pid)
    return out


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", required=True)
    ap.add_argument("--manager", required=True, type=int)
    ap.add_argument("--function", help="only the containers of this function")
    ap.add_argument("--label", default="", help="a tag for this sample, e.g. the pool size")
    ap.add_argument("--jcmd", help="path of jcmd: also measure the manager after a full GC")
    a = ap.parse_args()
    filters = ["--filter", "label=dev.faaspool.instance=" + a.instance]
    if a.function:
        filters += ["--filter", "label=dev.faaspool.function=" + a.function]
    ids = subprocess.run(["docker", "ps", "-q", "--no-trunc"] + filters,
                         check=True, capture_output=True, text=True).stdout.split()
    pids = {}
    if ids:
        for l in subprocess.run(["docker", "inspect", "-f", "{{.Id}} {{.State.Pid}}"] + ids,
                                check=True, capture_output=True, text=True).stdout.splitlines():
            cid, pid = l.split()
            pids[cid] = int(pid)
    procs = processes()
    shim = shims(procs)
    rows = []
    for cid in ids:
        usage, rss = cgroup(cid)
        sp = shim.get(cid)
        rows.append({"id": cid[:12], "cg_usage": usage, "cg_rss": rss, "init_rss_kib": status_kib(pids.get(cid)),
                     "init_anon_kib": status_kib(pids.get(cid), "RssAnon"),
                     "shim_rss_kib": status_kib(sp) if sp else None, "shim_pss_kib": pss_kib(sp) if sp else None})
    engine = 0
    for pid, argv in procs.items():
        if os.path.basename(argv[0]) in ("dockerd", "containerd"):
            engine += status_kib(pid) or 0
    manager_rss = status_kib(a.manager)
    manager_rss_gc = None
    if a.jcmd:
        subprocess.run([a.jcmd, str(a.manager), "GC.run"], check=True, capture_output=True)
        time.sleep(1)
        manager_rss_gc = status_kib(a.manager)
    out = {
        "label": a.label, "function": a.function, "time": time.time(), "containers": len(rows),
        "manager_rss_kib": manager_rss,
        "manager_rss_gc_kib": manager_rss_gc,
        "engine_rss_kib": engine,
        "mean": {k: mean(r[k] for r in rows) for k in ("cg_usage", "cg_rss", "init_rss_kib", "init_anon_kib", "shim_rss_kib", "shim_pss_kib")},
        "shims_found": sum(1 for r in rows if r["shim_rss_kib"] is not None),
        "rows": rows,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
