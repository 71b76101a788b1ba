#!/usr/bin/env bash
# The hand-off against the proxy: faas-pool (persistent and fork mode, 8 warm containers) beside what
# everyone else runs, a reverse proxy in front of a warm server, and the epoll ceiling, measured in one
# run with the same client (wrk, a new TCP connection per request: Connection: close) and the same
# handler logic (examples/hello-c: read the request head, answer 200 with a fixed 22-byte body).
#
#   benchmark/proxy-compare.sh [--duration 10s] [--runs 1] [--profile]
#
# Writes benchmark/results/proxy-compare.md (and raw wrk output under benchmark/results/raw-proxy/):
# requests/s and p50/p99 at 1 and 8 connections per system; faas-pool's own CPU time per request
# (from /proc/<pid>/stat); threads and RSS with 10,000 idle connections open, whether a container was
# occupied for them, and another function's p50 meanwhile. With --runs N, each point is measured N times
# and the run with the median requests/s is reported. With --profile, a JFR recording of the manager
# under the persistent 8-connection load and its hottest methods.
#
# Everything it starts runs in its own process group and is stopped on exit; its faas-pool instance is
# bench-proxy (its containers are removed when it stops). Ports 127.0.0.1:28200..28211.
set -euo pipefail
source "$(dirname "$0")/../bin/lib.sh"
cd "$FAAS_ROOT"

duration=10s
runs=1
profile=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --profile) profile=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "proxy-compare.sh: unknown option $1" ;;
  esac
  shift
done

base=28200
p_direct=$((base + 1)) p_nginx=$((base + 2)) p_haproxy=$((base + 3)) p_fork_host=$((base + 4))
p_persistent=$((base + 5)) p_fork=$((base + 6)) p_idle=$((base + 7)) p_cpersistent=$((base + 8))
p_admin=$((base + 9)) p_conc=$((base + 10)) p_http=$((base + 11))
bench="$FAAS_ROOT/benchmark"
out="$bench/results/proxy-compare.md"
raw="$bench/results/raw-proxy"
bin="$FAAS_ROOT/target/bench"
work="$(mktemp -d /tmp/bench-proxy.XXXXXX)"
pids=()

cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$p" 2>/dev/null || true
  done
  docker ps -aq --filter label=dev.faaspool.instance=bench-proxy | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# started <command...>: runs it in a process group of its own, remembered for cleanup.
started() { setsid "$@" >"$work/$(basename "$1").$$.$RANDOM.log" 2>&1 & pids+=("$!"); }
wait_port() {
  local i
  for i in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  die "nothing listens on port $1"
}

ensure_java
ensure_docker
for tool in wrk:wrk nginx:nginx-light haproxy:haproxy go:golang-go python3:python3; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || apt_install "${tool#*:}"
done
build_images --built-in
build_jar
mkdir -p "$bin" "$raw"
cc="$(command -v musl-gcc || command -v gcc)"
for f in direct forkserver hello-persistent; do "$cc" -static -O2 -Wall -Wextra -Werror -o "$bin/$f" "$bench/baselines/$f.c"; done
case "$(go env GOCACHE 2>/dev/null)" in ""|off) export GOCACHE="$FAAS_ROOT/target/go-cache" ;; esac
(cd "$bench/baselines/hello-go" && CGO_ENABLED=0 GOPROXY=off GOFLAGS=-mod=mod \
  go build -trimpath -ldflags='-s -w' -o "$bin/hello-go" .)
# bench_image <tag> <binary>: faas-runtime:slim with the binary as /hello.
bench_image() {
  local ctx="$work/ctx-$1"; mkdir -p "$ctx"; cp "$2" "$ctx/hello"
  printf 'FROM faas-runtime:slim\nCOPY hello /hello\nCMD ["/hello"]\n' >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$1" "$ctx" >/dev/null
}
bench_image bench-hello-go "$bin/hello-go"
bench_image bench-hello-persistent "$bin/hello-persistent"

# --- The systems ----------------------------------------------------------------------------------
started "$bin/direct" "$p_direct"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 20000; }
http {
  access_log off;
  upstream direct { server 127.0.0.1:$p_direct; keepalive 32; }
  server {
    listen 127.0.0.1:$p_nginx;
    location / { proxy_pass http://direct; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
started nginx -c "$work/nginx.conf" -g 'daemon off;'
cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend f
  bind 127.0.0.1:$p_haproxy
  default_backend b
backend b
  server direct 127.0.0.1:$p_direct
EOF
started haproxy -f "$work/haproxy.cfg"
started "$bin/forkserver" "$p_fork_host" "$FAAS_ROOT/target/runtime-init/hello"

cat >"$work/pool.yaml" <<EOF
# The front listener: persistent-c is also measured through it (/function/persistent-c/), beside its own port.
http: 127.0.0.1:$p_http
functions:
  persistent:
    image: bench-hello-go:latest
    listen: 127.0.0.1:$p_persistent
    mode: persistent
    pool: { min: 8, max: 8, scaling: fixed, max-uses: 1000000 }
  persistent-conc:
    image: bench-hello-go:latest
    listen: 127.0.0.1:$p_conc
    mode: persistent
    concurrency: 4
    pool: { min: 2, max: 2, scaling: fixed, max-uses: 1000000 }
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
  idle:
    image: faas-hello:latest
    listen: 127.0.0.1:$p_idle
    mode: oneshot
    pool: { min: 2, max: 16, scaling: fixed }
    timeouts: { first-byte: 120s }
EOF
started "$JAVA_HOME/bin/java" -jar target/faas-pool.jar --instance bench-proxy --run-dir "$work/run" \
  --reports "$work/reports" --admin "127.0.0.1:$p_admin" --config "$work/pool.yaml"
pool_pid="${pids[-1]}"
for p in $p_direct $p_nginx $p_haproxy $p_fork_host $p_persistent $p_conc $p_cpersistent $p_fork $p_idle $p_http; do wait_port "$p"; done
for _ in $(seq 1 300); do
  curl -s "http://127.0.0.1:$p_admin/readyz" | grep -q . && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p_admin/readyz")" = 200 ] && break
  sleep 0.2
done
java_pid="$(pgrep -f -- "--instance bench-proxy" | head -n1)"

# cpu_ticks <pid...>: user+system ticks of these processes, so far.
cpu_ticks() { local p s=0; for p in "$@"; do [ -r "/proc/$p/stat" ] && s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$s"; }
# The processes that do a system's own work (not its backend's, not the handlers'): faas-pool's JVM,
# nginx's worker, HAProxy, the epoll server itself, the fork server (not its children).
declare -A procs
procs[faas-pool-persistent]="$java_pid" procs[faas-pool-persistent-c]="$java_pid" procs[faas-pool-fork]="$java_pid"
procs[faas-pool-persistent-with-idle]="$java_pid" procs[faas-pool-persistent-conc]="$java_pid"
procs[faas-pool-routed-c]="$java_pid"
procs[nginx]="$(pgrep -f 'nginx: worker' | tr '\n' ' ')" procs[haproxy]="$(pgrep -x haproxy | tr '\n' ' ')"
procs[direct]="$(pgrep -f "$bin/direct $p_direct" | tr '\n' ' ')" procs[fork-host]="$(pgrep -f "$bin/forkserver $p_fork_host" | head -n1)"
# thread_split: "<tid>-<name> <user ticks> <system ticks>" for each thread of faas-pool's JVM.
thread_split() {
  local t
  for t in /proc/"$java_pid"/task/*; do
    printf '%s-%s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" "$(awk '{print $14, $15}' "$t/stat")"
  done 2>/dev/null | sort
}
# The handlers' processes in the containers (by their command), for the total cost of a request.
handler_ticks() { cpu_ticks $(pgrep -x hello) ; }
hz="$(getconf CLK_TCK)"

# run <system> <port> <connections> [path]: $runs wrk runs after a warm-up; prints the median one's
# "rps p50_ms p99_ms cpu_us_per_request handler_cpu_us_per_request".
run() {
  local i
  path="${4:-/}"
  wrk -t2 -c"$3" -d5s -H 'Connection: close' "http://127.0.0.1:$2$path" >/dev/null 2>&1 || true
  for i in $(seq 1 "$runs"); do measure "$1" "$2" "$3" "$i"; done | sort -n -k1,1 | sed -n "$(( (runs + 1) / 2 ))p"
}

# measure <system> <port> <connections> <run>: one wrk run; prints its figures (see run).
measure() {
  local name="$1" port="$2" c="$3" f t0 t1 rps
  f="$raw/$name-c$c.txt"
  [ "$4" = 1 ] || f="$raw/$name-c$c.run$4.txt"
  local profiling=0
  if [ "$profile" = 1 ] && [ "$name" = faas-pool-persistent-c ] && [ "$c" = 8 ] && [ "$4" = 1 ]; then
    profiling=1
    "$JAVA_HOME/bin/jcmd" "$java_pid" JFR.start name=bench settings=profile >/dev/null
    thread_split >"$work/threads-before"
  fi
  t0="$(cpu_ticks ${procs[$name]})" h0="$(handler_ticks)"
  wrk -t"$([ "$c" -gt 1 ] && echo 2 || echo 1)" -c"$c" -d"$duration" --latency -H 'Connection: close' \
    "http://127.0.0.1:$port$path" >"$f" 2>&1
  t1="$(cpu_ticks ${procs[$name]})" h1="$(handler_ticks)"
  if [ "$profiling" = 1 ]; then
    thread_split >"$work/threads-after"
    "$JAVA_HOME/bin/jcmd" "$java_pid" JFR.dump name=bench filename="$raw/manager.jfr" >/dev/null
    "$JAVA_HOME/bin/jcmd" "$java_pid" JFR.stop name=bench >/dev/null
    # Per thread, user and system ticks spent in this run, per 1,000 requests.
    join "$work/threads-before" "$work/threads-after" | awk -v n="$(awk '/Requests\/sec/ {print $2}' "$f")" \
      -v d="${duration%s}" '{u = $4 - $2; s = $5 - $3; if (u + s > 0) printf "%7.1f %-28s user %6.1f µs  system %6.1f µs per request\n", (u + s) * 1e4 / (n * d), $1, u * 1e4 / (n * d), s * 1e4 / (n * d)}' \
      | sort -nr | cut -c9- >"$raw/manager-threads.txt"
  fi
  rps="$(awk '/Requests\/sec/ {print $2}' "$f")"
  awk -v rps="$rps" -v d="${duration%s}" -v cpu="$(( (t1 - t0) ))" -v hz="$hz" -v hcpu="$(( h1 - h0 ))" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / 50%/ {p50 = ms($2)} / 99%/ {p99 = ms($2)}
    /Non-2xx|Socket errors/ {err = err $0 "; "}
    END { per = rps > 0 ? cpu / hz * 1e6 / (rps * d) : -1; hper = rps > 0 ? hcpu / hz * 1e6 / (rps * d) : -1;
          printf "%.0f %.3f %.3f %.0f %.0f %s\n", rps, p50, p99, per, hper, err }' "$f"
}

declare -A R
systems=("epoll server (the ceiling):direct:$p_direct" "nginx -> epoll server:nginx:$p_nginx"
  "HAProxy -> epoll server:haproxy:$p_haproxy" "faas-pool persistent, Go SDK:faas-pool-persistent:$p_persistent"
  "faas-pool persistent, Go SDK, 2 containers x concurrency 4:faas-pool-persistent-conc:$p_conc"
  "faas-pool persistent, C handler:faas-pool-persistent-c:$p_cpersistent"
  "faas-pool persistent, C handler, through --http (/function/persistent-c/):faas-pool-routed-c:$p_http:/function/persistent-c/"
  "faas-pool fork, C hello:faas-pool-fork:$p_fork" "fork+exec per connection, host:fork-host:$p_fork_host")
for s in "${systems[@]}"; do
  IFS=: read -r label name port upath <<<"$s"
  for c in 1 8; do
    say "$label, $c connection(s)"
    R["$name,$c"]="$(run "$name" "$port" "$c" "$upath")"
  done
done

# --- 10,000 idle connections ----------------------------------------------------------------------
say "10,000 idle connections to one function, another function under load meanwhile"
threads() { awk '/^Threads:/ {print $2}' "/proc/$java_pid/status"; }
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$java_pid/status"; }
threads_before="$(threads)" rss_before="$(rss_mib)"
cat >"$work/idle.py" <<'EOF'
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (30000, 30000))
n, port, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
conns = []
for i in range(n):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    conns.append(s)
print("open", len(conns), flush=True)
time.sleep(hold)
EOF
setsid python3 "$work/idle.py" 10000 "$p_idle" 40 >"$work/idle.out" 2>&1 & idle_pid=$!; pids+=("$idle_pid")
for _ in $(seq 1 300); do grep -q open "$work/idle.out" 2>/dev/null && break; sleep 0.1; done
sleep 2
threads_idle="$(threads)" rss_idle="$(rss_mib)"
busy_idle="$(curl -s "http://127.0.0.1:$p_admin/status" | python3 -c 'import json,sys; print([f["busy"] for f in json.load(sys.stdin)["functions"] if f["name"]=="idle"][0])')"
other_idle="$(run faas-pool-persistent-with-idle "$p_persistent" 8)"
kill -TERM -- "-$idle_pid" 2>/dev/null || true

# --- Report ----------------------------------------------------------------------------------------
field() { awk -v i="$2" '{print $i}' <<<"${R[$1]}"; }
commit="$(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- src runtime-init)" ] || echo ' (with uncommitted changes)')"
{
  echo "# The hand-off against the proxy"
  echo
  echo "\`benchmark/proxy-compare.sh --duration $duration\` at $commit, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
  echo "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(uname -r). wrk, \`Connection: close\`"
  echo "(a new TCP connection per request), $([ "$runs" = 1 ] && echo "one run per point" || echo "the median of $runs runs per point");"
  echo "the same handler logic everywhere."
  echo
  echo "| system | 1 conn: req/s | p50 ms | 8 conns: req/s | p50 ms | p99 ms | CPU µs/request: the proxy or manager | handler |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for s in "${systems[@]}"; do
    IFS=: read -r label name port upath <<<"$s"
    hcpu="$(field "$name,8" 5)"; [[ $name == faas-pool* ]] || hcpu="–"
    echo "| $label | $(field "$name,1" 1) | $(field "$name,1" 2) | $(field "$name,8" 1) | $(field "$name,8" 2) | $(field "$name,8" 3) | $(field "$name,8" 4) | $hcpu |"
  done
  echo
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
  echo "At 8 connections: persistent (Go SDK) $(ratio "$(field faas-pool-persistent,8 1)" "$(field nginx,8 1)")x nginx's"
  echo "requests/s and $(ratio "$(field faas-pool-persistent,8 1)" "$(field direct,8 1)")x the ceiling, p99"
  echo "$(ratio "$(field faas-pool-persistent,8 3)" "$(field nginx,8 3)")x nginx's; persistent (C handler)"
  echo "$(ratio "$(field faas-pool-persistent-c,8 1)" "$(field nginx,8 1)")x nginx's and"
  echo "$(ratio "$(field faas-pool-persistent-c,8 1)" "$(field direct,8 1)")x the ceiling, p99"
  echo "$(ratio "$(field faas-pool-persistent-c,8 3)" "$(field nginx,8 3)")x nginx's; fork"
  echo "$(ratio "$(field faas-pool-fork,8 1)" "$(field fork-host,8 1)")x fork+exec on the host. At 1 connection, p50:"
  echo "persistent (Go) $(field faas-pool-persistent,1 2) ms, (C) $(field faas-pool-persistent-c,1 2) ms, nginx $(field nginx,1 2) ms."
  echo "Routing by the request head (\`--http\`, \`/function/<name>\`, peeked): $(ratio "$(field faas-pool-routed-c,8 1)" "$(field faas-pool-persistent-c,8 1)")x"
  echo "the requests/s of the same function on its own listener at 8 connections, p50 $(field faas-pool-routed-c,8 2) ms against"
  echo "$(field faas-pool-persistent-c,8 2) ms (1 connection: $(field faas-pool-routed-c,1 2) against $(field faas-pool-persistent-c,1 2) ms); manager CPU"
  echo "$(field faas-pool-routed-c,8 4) against $(field faas-pool-persistent-c,8 4) µs/request."
  echo
  echo "## 10,000 idle connections"
  echo
  echo "10,000 connections to the oneshot function \`idle\` that send nothing (\`timeouts.first-byte: 120s\`),"
  echo "held while wrk loads the persistent function (8 connections):"
  echo
  echo "| | threads | RSS MiB | idle's busy containers | persistent req/s | p50 ms | p99 ms |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  echo "| before | $threads_before | $rss_before | 0 | $(field faas-pool-persistent,8 1) | $(field faas-pool-persistent,8 2) | $(field faas-pool-persistent,8 3) |"
  read -r orps op50 op99 _ <<<"$other_idle"
  echo "| with 10,000 idle | $threads_idle | $rss_idle | $busy_idle | $orps | $op50 | $op99 |"
  echo
  echo "CPU per request: user+system ticks over the 8-connection run (\`/proc/<pid>/stat\`, $hz ticks/s) divided"
  echo "by the requests wrk completed: of faas-pool's JVM, nginx's worker, HAProxy, the epoll server, the fork"
  echo "server's parent (its children, the handlers, are not counted); and, for faas-pool, of the handlers"
  echo "in the containers. The epoll server's row is the whole work of a request; a proxy's request also costs"
  echo "the epoll server's. Raw wrk output: [raw-proxy/](raw-proxy/)."
} >"$out"
if [ "$profile" = 1 ] && [ -f "$raw/manager.jfr" ]; then
  "$JAVA_HOME/bin/jfr" view --width 160 hot-methods "$raw/manager.jfr" >"$raw/hot-methods.txt" 2>&1 || true
  # Where the dispatch threads wait or work, native frames included: top frames of all samples.
  "$JAVA_HOME/bin/jfr" print --events jdk.ExecutionSample,jdk.NativeMethodSample --stack-depth 1 "$raw/manager.jfr" \
    | grep -A1 'stackTrace = \[' | grep -v 'stackTrace\|^--' | sed 's/line:.*//; s/^ *//' | sort | uniq -c | sort -rn \
    | head -n 15 >"$raw/top-frames.txt" || true
  { echo; echo "## Profile of the manager"
    echo; echo "During the persistent (C handler) 8-connection run. CPU by thread (\`/proc/<pid>/task/*/stat\`):"; echo
    echo '```'; head -n 8 "$raw/manager-threads.txt"; echo '```'
    echo; echo "JFR (settings=profile), top frames of Java and native samples (a thread in \`epoll_wait\` is idle):"; echo
    echo '```'; cat "$raw/top-frames.txt"; echo '```'
    echo; echo "Hottest Java methods (\`jfr view hot-methods\`):"; echo
    echo '```'; sed -n '4,18p' "$raw/hot-methods.txt"; echo '```'; } >>"$out"
fi
cat "$out"
