#!/usr/bin/env bash
# What request tracing costs: faas-pool built at a commit before tracing (base), the current build without
# --otlp-endpoint (off) and with it (on: a span per request exported by OTLP/HTTP to a local sink), on
# the same functions, ports and client, in one run. The configurations take turns run by run (base, off,
# on, base, off, on, ...), so that drift of a shared machine falls on all three alike.
#
#   benchmark/tracing-cost.sh [--duration 10s] [--runs 3] [--warmup 5s] [--base 35f4118] [--no-image-build]
#
# Two functions, 8 warm containers each: persistent-c (bench-hello-persistent, baselines/hello-persistent.c,
# persistent mode) and fork (faas-hello:latest, fork mode). wrk at 8 connections, Connection: close (a new
# TCP connection per request), a traceparent header on every request. Per function and configuration,
# the median of the runs: requests/s, p50, p99, faas-pool's CPU time per request (/proc/<pid>/stat), with
# the runs' min-max, and the ratios to base. Writes benchmark/results/tracing-cost.md with the commits;
# raw wrk output under benchmark/results/raw-tracing/. faas-runtime:slim and faas-hello:latest are built
# from this checkout (runtime-init/build-images.sh) unless --no-image-build: then they are used as they
# are, e.g. as another branch built them; the report says whether their init takes trace context.
#
# The base jar is built in a temporary git worktree (removed on exit) and kept as
# target/bench/faas-pool-<commit>.jar for the next run. Everything the script starts runs in a process
# group of its own and is stopped on exit, also when interrupted; its faas-pool instance is bench-tracing
# (its containers are removed when it stops, and by label on exit). Ports 127.0.0.1:28300..28303.
set -euo pipefail
source "$(dirname "$0")/../bin/lib.sh"
cd "$FAAS_ROOT"

duration=10s
runs=3
warmup=5s
base_rev=35f4118
image_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --base) base_rev="$2"; shift ;;
    --no-image-build) image_build=0 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "tracing-cost.sh: unknown option $1" ;;
  esac
  shift
done
[[ $duration =~ ^[1-9][0-9]*s$ && $warmup =~ ^[0-9]+s$ ]] || die "tracing-cost.sh: --duration and --warmup are whole seconds, e.g. 10s"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "tracing-cost.sh: --runs must be a positive integer (was $runs)"

p_cpersistent=28300 p_fork=28301 p_admin=28302 p_sink=28303
instance=bench-tracing
traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
bench="$FAAS_ROOT/benchmark"
out="$bench/results/tracing-cost.md"
raw="$bench/results/raw-tracing"
bin="$FAAS_ROOT/target/bench"
work="$(mktemp -d /tmp/bench-tracing.XXXXXX)"
pool_pid="" sink_pid="" fg_pid="" base_wt=""

# stop_group <pid>: SIGTERM to its process group, SIGKILL after 30 s.
stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || return 0
  for _ in $(seq 1 300); do kill -0 -- "-$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$1" 2>/dev/null || true
}
cleanup() {
  local p
  for p in "$fg_pid" "$pool_pid" "$sink_pid"; do [ -z "$p" ] || stop_group "$p"; done
  docker ps -aq --filter "label=dev.faaspool.instance=$instance" | xargs -r docker rm -f >/dev/null 2>&1 || true
  if [ -n "$base_wt" ]; then
    git -C "$FAAS_ROOT" worktree remove --force "$base_wt" 2>/dev/null || { rm -rf "$base_wt"; git -C "$FAAS_ROOT" worktree prune; }
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# Without these, bash would run the EXIT trap's cleanup and then carry on with the next point.
trap 'exit 130' INT
trap 'exit 143' TERM

# foreground <command...>: runs it in a process group of its own and waits, so that a signal to the
# script is handled at once (bash runs traps only between foreground commands) and cleanup stops it.
foreground() {
  setsid "$@" & fg_pid=$!
  local rc=0
  wait "$fg_pid" || rc=$?
  fg_pid=""
  return "$rc"
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local i
  for i in $(seq 1 300); do port_free "$1" || return 0; sleep 0.1; done
  die "nothing listens on port $1"
}

for p in $p_cpersistent $p_fork $p_admin $p_sink; do port_free "$p" || die "port $p is in use (tracing-cost.sh uses 127.0.0.1:28300..28303)"; done
[ -z "$(docker ps -aq --filter "label=dev.faaspool.instance=$instance")" ] \
  || die "containers of faas-pool instance $instance exist: is another tracing-cost.sh running? (docker ps -a --filter label=dev.faaspool.instance=$instance)"

ensure_java
ensure_docker
for tool in wrk:wrk python3:python3 curl:curl; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || apt_install "${tool#*:}"
done
if [ "$image_build" = 1 ]; then
  build_images --built-in
else
  docker image inspect faas-runtime:slim faas-hello:latest >/dev/null 2>&1 \
    || die "--no-image-build: faas-runtime:slim or faas-hello:latest is missing (runtime-init/build-images.sh --built-in)"
fi
build_jar
mkdir -p "$bin" "$raw"
rm -f "$raw"/*.txt
cc="$(command -v musl-gcc || command -v gcc)"
"$cc" -static -O2 -Wall -Wextra -Werror -o "$bin/hello-persistent" "$bench/baselines/hello-persistent.c"
ctx="$work/ctx"; mkdir -p "$ctx"; cp "$bin/hello-persistent" "$ctx/hello"
printf 'FROM faas-runtime:slim\nCOPY hello /hello\nCMD ["/hello"]\n' >"$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t bench-hello-persistent "$ctx" >/dev/null

# --- The base: faas-pool before tracing ---------------------------------------------------------------
base_sha="$(git rev-parse --verify -q "$base_rev^{commit}")" || die "--base $base_rev: no such commit"
base_jar="$bin/faas-pool-${base_sha:0:12}.jar"
if [ ! -s "$base_jar" ]; then
  say "building faas-pool at ${base_sha:0:12} (the base) in a temporary worktree"
  base_wt="$work/tracing-base"
  git worktree add -q --detach "$base_wt" "$base_sha"
  mvn_quiet_jdk
  foreground mvn -B -q -Dstyle.color=never -DskipTests -f "$base_wt/pom.xml" package >"$work/base-build.log" 2>&1 \
    || { tail -n 30 "$work/base-build.log" >&2; die "building the base failed"; }
  cp "$base_wt/target/faas-pool.jar" "$base_jar.part" && mv "$base_jar.part" "$base_jar"
  git worktree remove --force "$base_wt"
  base_wt=""
fi

# --- The OTLP sink -----------------------------------------------------------------------------------
# Answers 200 (an empty ExportTraceServiceResponse) to every POST and counts them, their bytes and the
# spans in them (walking ExportTraceServiceRequest's resource_spans = 1 > scope_spans = 2 > spans = 2);
# GET answers "<requests> <bytes> <spans> <unparsed bodies>".
cat >"$work/sink.py" <<'EOF'
import gzip, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
counts = [0, 0, 0, 0]

def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7F) << shift; shift += 7
        if c < 0x80:
            return v, i

def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        kind = key & 7
        if kind == 0:
            _, i = varint(b, i); yield key >> 3, None
        elif kind == 1:
            i += 8
        elif kind == 2:
            n, i = varint(b, i); yield key >> 3, b[i:i + n]; i += n
        elif kind == 5:
            i += 4
        else:
            raise ValueError("wire type %d" % kind)
        if i > len(b):
            raise ValueError("truncated")

def spans(body):
    return sum(1 for f, rs in fields(body) if f == 1 for g, ss in fields(rs) if g == 2
               for h, _ in fields(ss) if h == 2)

class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                parts.append(self.rfile.read(n)); self.rfile.readline()
                if n == 0:
                    return b"".join(parts)
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_POST(self):
        data = self.body()
        n = len(data)
        try:
            s = spans(memoryview(gzip.decompress(data) if self.headers.get("Content-Encoding") == "gzip" else data))
        except (ValueError, IndexError, OSError):
            s = None
        with lock:
            counts[0] += 1; counts[1] += n
            if s is None:
                counts[3] += 1
            else:
                counts[2] += s
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        with lock:
            text = ("%d %d %d %d\n" % tuple(counts)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
EOF
setsid python3 "$work/sink.py" "$p_sink" >"$work/sink.log" 2>&1 & sink_pid=$!
wait_port "$p_sink"
sink_counts() { curl -sf "http://127.0.0.1:$p_sink/"; }

# --- The pool ----------------------------------------------------------------------------------------
cat >"$work/pool.yaml" <<EOF
functions:
  persistent-c:
    image: bench-hello-persistent:latest
    listen: 127.0.0.1:$p_cpersistent
    mode: persistent
    pool: { min: 8, max: 8, scaling: fixed, max-uses: 1000000 }
  fork:
    image: faas-hello:latest
    listen: 127.0.0.1:$p_fork
    mode: fork
    pool: { min: 8, max: 8, scaling: fixed, max-uses: 1000000 }
EOF
configs=(base off on)
declare -A jar=([base]="$base_jar" [off]="$FAAS_ROOT/target/faas-pool.jar" [on]="$FAAS_ROOT/target/faas-pool.jar")
declare -A flags=([base]="" [off]="" [on]="--otlp-endpoint http://127.0.0.1:$p_sink/v1/traces")
functions=(persistent-c:$p_cpersistent fork:$p_fork)

# start_pool <config>: faas-pool of that configuration, every function's warm slots up; sets java_pid.
start_pool() {
  setsid "$JAVA_HOME/bin/java" -jar "${jar[$1]}" --instance "$instance" --run-dir "$work/run" \
    --reports "$work/reports" --logs "$work/logs" --admin "127.0.0.1:$p_admin" --config "$work/pool.yaml" \
    ${flags[$1]} >>"$work/pool-$1.log" 2>&1 & pool_pid=$!
  local i
  for i in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p_admin/readyz")" = 200 ] && break
    kill -0 "$pool_pid" 2>/dev/null || { tail -n 20 "$work/pool-$1.log" >&2; die "faas-pool ($1) exited while starting"; }
    [ "$i" -lt 600 ] || die "faas-pool ($1) was not ready within 120 s"
    sleep 0.2
  done
  java_pid="$(pgrep -g "$pool_pid" -x java | head -n1)"
  [ -n "$java_pid" ] || die "faas-pool ($1): no JVM in process group $pool_pid"
}
# stop_pool: SIGTERM (it drains and removes its containers), then waits for its containers to be gone.
stop_pool() {
  stop_group "$pool_pid"
  pool_pid=""
  local i
  for i in $(seq 1 150); do
    [ -z "$(docker ps -aq --filter "label=dev.faaspool.instance=$instance")" ] && return 0
    sleep 0.2
  done
  say "containers of $instance left after faas-pool stopped; removing them"
  docker ps -aq --filter "label=dev.faaspool.instance=$instance" | xargs -r docker rm -f >/dev/null
}

# cpu_ticks <pid>: its user+system ticks so far (all its threads).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"
load() { # load <port> <duration> <output>: wrk at 8 connections, a new connection and a traceparent per request.
  foreground wrk -t2 -c8 -d"$2" --latency -H 'Connection: close' -H "traceparent: $traceparent" \
    "http://127.0.0.1:$1/" >"$3" 2>&1
}
wrk_requests() { awk '/ requests in / {print $1}' "$1"; }

# measure <function> <port> <config> <run>: a warm-up, then the measured wrk run; prints
# "rps p50_ms p99_ms manager_cpu_us_per_request sink_cpu_us_per_request errors".
measure() {
  local f="$raw/$1-$3.run$4.txt" t0 t1 s0 s1 rps
  load "$2" "$warmup" "$work/warmup.txt" || true
  t0="$(cpu_ticks "$java_pid")" s0="$(cpu_ticks "$sink_pid")"
  load "$2" "$duration" "$f" || true
  t1="$(cpu_ticks "$java_pid")" s1="$(cpu_ticks "$sink_pid")"
  rps="$(awk '/Requests\/sec/ {print $2}' "$f")"
  awk -v rps="${rps:-0}" -v d="${duration%s}" -v cpu="$((t1 - t0))" -v scpu="$((s1 - s0))" -v hz="$hz" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / 50%/ {p50 = ms($2)} / 99%/ {p99 = ms($2)}
    /Non-2xx|Socket errors/ {sub(/^ +/, ""); err = err (err == "" ? "" : "; ") $0}
    END { n = rps * d; printf "%.0f %.3f %.3f %.1f %.1f %s\n", rps, p50, p99, (n > 0 ? cpu / hz * 1e6 / n : -1),
          (n > 0 ? scpu / hz * 1e6 / n : -1), (err == "" ? "-" : err) }' "$f"
}

# --- The runs ----------------------------------------------------------------------------------------
declare -A R            # R[function,config,run] = measure's line
declare -A exported sent_by # per config: sink's "requests bytes spans unparsed" delta; requests wrk completed
for cfg in "${configs[@]}"; do exported[$cfg]="0 0 0 0"; sent_by[$cfg]=0; done
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$runs"); do
  for cfg in "${configs[@]}"; do
    say "run $i/$runs: $cfg"
    read -r -a c0 <<<"$(sink_counts)"
    start_pool "$cfg"
    sent=0
    for fp in "${functions[@]}"; do
      R["${fp%%:*},$cfg,$i"]="$(measure "${fp%%:*}" "${fp#*:}" "$cfg" "$i")"
      sent=$((sent + $(wrk_requests "$work/warmup.txt") + $(wrk_requests "$raw/${fp%%:*}-$cfg.run$i.txt")))
    done
    stop_pool # faas-pool exports what it still holds as it stops
    read -r -a c1 <<<"$(sink_counts)"
    read -r -a e <<<"${exported[$cfg]}"
    exported[$cfg]="$((e[0] + c1[0] - c0[0])) $((e[1] + c1[1] - c0[1])) $((e[2] + c1[2] - c0[2])) $((e[3] + c1[3] - c0[3]))"
    sent_by[$cfg]=$((sent_by[$cfg] + sent))
  done
done

# --- Report ------------------------------------------------------------------------------------------
# stats <function> <config> <field>: "median min max" of that field over the runs.
stats() {
  local i
  for i in $(seq 1 "$runs"); do awk -v k="$3" '{print $k}' <<<"${R[$1,$2,$i]}"; done | sort -g |
    awk '{v[NR] = $1} END {printf "%s %s %s\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR]}'
}
med() { stats "$@" | awk '{print $1}'; }
range() { stats "$@" | awk -v r="$runs" '{print (r == 1 ? "" : " (" $2 "–" $3 ")")}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# spread <function> <field> <what>: whether off's runs and base's overlap in that field.
spread() {
  read -r _ bmin bmax <<<"$(stats "$1" base "$2")"
  read -r _ omin omax <<<"$(stats "$1" off "$2")"
  if [ "$runs" = 1 ]; then echo "one run each, so no spread to judge by"
  elif awk -v a="$omin" -v b="$omax" -v c="$bmin" -v d="$bmax" 'BEGIN { exit !(a <= d && c <= b) }'; then
    echo "off's runs ($omin–$omax) overlap base's ($bmin–$bmax): no difference beyond the run-to-run spread"
  else
    echo "off's runs ($omin–$omax) and base's ($bmin–$bmax) do not overlap: a difference beyond the run-to-run spread"
  fi
}
# says_trace <image> <path>: whether the program at path in the image, the one that says hello, says
# trace in it (then faas-pool peeks at the request head for a traceparent even with tracing off). Read
# from the binary: the hello it formats.
says_trace() {
  local cid hellos
  cid="$(docker create "$1")"
  hellos="$(docker cp "$cid:$2" - 2>/dev/null | tar -xO | grep -a -o 'HELLO[ %0-9a-z]*' || true)"
  docker rm -f "$cid" >/dev/null
  if grep -qw trace <<<"$hellos"; then echo yes; else echo no; fi
}
commit="$(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- src runtime-init pom.xml)" ] || echo ' (with uncommitted changes)')"
{
  echo "# What request tracing costs"
  echo
  echo "\`benchmark/tracing-cost.sh --duration $duration --runs $runs --warmup $warmup --base $base_rev$([ "$image_build" = 1 ] || echo ' --no-image-build')\` at $commit,"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)),"
  echo "$(uname -r), load average before the run $load_before. **base**: faas-pool at ${base_sha:0:7}, before tracing;"
  echo "**off**: $commit without \`--otlp-endpoint\`; **on**: $commit with \`--otlp-endpoint\` to a local OTLP/HTTP sink"
  echo "(Python, answers 200 and counts). wrk, 8 connections, \`Connection: close\` (a new TCP connection per"
  echo "request), \`traceparent: $traceparent\` on every request; a $warmup warm-up, then $duration measured, per"
  echo "function and faas-pool start. The configurations take turns, run by run (base, off, on, base, ...);"
  echo "$([ "$runs" = 1 ] && echo "one run each" || echo "the median of $runs runs each, with the runs' min–max in brackets")."
  echo
  echo "| function | config | req/s | p50 ms | p99 ms | faas-pool CPU µs/request |"
  echo "|---|---|---:|---:|---:|---:|"
  for fp in "${functions[@]}"; do
    fn="${fp%%:*}"
    for cfg in "${configs[@]}"; do
      echo "| $fn | $cfg | $(med "$fn" "$cfg" 1)$(range "$fn" "$cfg" 1) | $(med "$fn" "$cfg" 2)$(range "$fn" "$cfg" 2) | $(med "$fn" "$cfg" 3)$(range "$fn" "$cfg" 3) | $(med "$fn" "$cfg" 4)$(range "$fn" "$cfg" 4) |"
    done
  done
  echo
  echo "Ratios of the medians to base's:"
  echo
  echo "| function | config | req/s | p50 | p99 | faas-pool CPU/request |"
  echo "|---|---|---:|---:|---:|---:|"
  for fp in "${functions[@]}"; do
    fn="${fp%%:*}"
    for cfg in off on; do
      echo "| $fn | $cfg/base | $(ratio "$(med "$fn" $cfg 1)" "$(med "$fn" base 1)") | $(ratio "$(med "$fn" $cfg 2)" "$(med "$fn" base 2)") | $(ratio "$(med "$fn" $cfg 3)" "$(med "$fn" base 3)") | $(ratio "$(med "$fn" $cfg 4)" "$(med "$fn" base 4)") |"
    done
  done
  echo
  echo "**Off against base.**"
  for fp in "${functions[@]}"; do
    fn="${fp%%:*}"
    echo "$fn: requests/s, $(spread "$fn" 1); CPU per request, $(spread "$fn" 4)."
  done
  echo
  read -r ereq ebytes espans ebad <<<"${exported[on]}"
  echo "**On: the spans went out.** Over the on runs, faas-pool sent the sink $ereq export requests"
  echo "($(awk -v b="$ebytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB) with $espans spans$([ "$ebad" = 0 ] || echo " (and $ebad bodies the sink could not parse)"), for ${sent_by[on]} requests wrk completed"
  echo "(warm-ups included; a connection wrk left open at a run's end also has its span, one that wrk"
  echo "counts as completed has one unless it was dropped)."
  if [ "$espans" -lt "${sent_by[on]}" ]; then
    echo "$((sent_by[on] - espans)) fewer spans than requests: the SDK's batch processor drops a finished span"
    echo "when its queue (2,048 spans) is full, most likely what happened here (its thread waits for each"
    echo "export of 512 to the sink, on cores that wrk, the handlers and the sink keep busy)."
  fi
  echo "The sink's own CPU,"
  echo "on the same cores: $(for fp in "${functions[@]}"; do printf '%s %s µs, ' "${fp%%:*}" "$(med "${fp%%:*}" on 5)"; done | sed 's/, $//') per request in the on runs."
  echo "Base and off sent it $(awk '{print $1}' <<<"${exported[base]}") and $(awk '{print $1}' <<<"${exported[off]}") export requests."
  echo
  echo "Whether the init says \`trace\` in its hello (then faas-pool reads the request head for its \`traceparent\`"
  echo "and sends it with the descriptor, in off as well): persistent-c (its handler) $(says_trace bench-hello-persistent:latest /hello),"
  echo "fork (faas-init) $(says_trace faas-hello:latest /faas-init). Base never reads it."
  errs="$(for k in "${!R[@]}"; do e="$(cut -d' ' -f6- <<<"${R[$k]}")"; [ "$e" = - ] || echo "$k: $e"; done | sort)"
  [ -z "$errs" ] || { echo; echo "wrk reported errors:"; echo; sed 's/^/- /' <<<"$errs"; }
  echo
  echo "faas-pool CPU per request: user+system ticks of its JVM over the measured run (\`/proc/<pid>/stat\`,"
  echo "$hz ticks/s; with tracing on, its export thread included) divided by the requests wrk completed."
  echo "Raw wrk output: [raw-tracing/](raw-tracing/)."
} >"$out"
cat "$out"
