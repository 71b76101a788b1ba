#!/usr/bin/env bash
# What isolation costs and what it buys, on real containers (README, Security):
#   1. isolation: request against isolation: container, fork mode (C hello, 4 warm containers): wrk at
#      1 and 8 connections, a new connection per request: requests/s, p50, p99.
#   2. CPU between functions: the hello function's latency at 1 connection alone, then beside a function
#      whose containers spin (the hostile handler's /spin, 2 containers x 8 threads, limits.cpus 1 each):
#      each function's containers share one control group of equal weight, so the spinner cannot take
#      the CPU the hello function needs.
#
#   benchmark/isolation.sh [--duration 10s]
#
# Writes benchmark/results/isolation.md. Its faas-pool instance is bench-isolation (containers removed
# on exit); ports 127.0.0.1:28400..28409.
set -euo pipefail
source "$(dirname "$0")/../bin/lib.sh"
cd "$FAAS_ROOT"

duration=10s
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "isolation.sh: unknown option $1" ;;
  esac
  shift
done

base=28400
p_req=$((base + 1)) p_ctr=$((base + 2)) p_hello=$((base + 3)) p_spin=$((base + 4)) p_admin=$((base + 9))
out="$FAAS_ROOT/benchmark/results/isolation.md"
work="$(mktemp -d /tmp/bench-isolation.XXXXXX)"
pool_pid=""
cleanup() {
  if [ -n "$pool_pid" ]; then
    kill -TERM -- "-$pool_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pool_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pool_pid" 2>/dev/null || true
  fi
  docker ps -aq --filter label=dev.faaspool.instance=bench-isolation | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

ensure_java
ensure_docker
command -v wrk >/dev/null 2>&1 || apt_install wrk
build_images --built-in
build_test_images
build_jar

cat >"$work/pool.yaml" <<YAML
functions:
  req:
    image: faas-hello:latest
    listen: 127.0.0.1:$p_req
    mode: fork
    isolation: request
    pool: { min: 4, max: 4, scaling: fixed, max-uses: 1000000 }
  ctr:
    image: faas-hello:latest
    listen: 127.0.0.1:$p_ctr
    mode: fork
    isolation: container
    pool: { min: 4, max: 4, scaling: fixed, max-uses: 1000000 }
  hello:
    image: faas-hello:latest
    listen: 127.0.0.1:$p_hello
    mode: fork
    pool: { min: 2, max: 2, scaling: fixed, max-uses: 1000000 }
  spin:
    image: faas-test-hostile:latest
    listen: 127.0.0.1:$p_spin
    mode: oneshot
    pool: { min: 2, max: 2, scaling: fixed }
    timeouts: { request: 5m }
YAML
setsid "$JAVA_HOME/bin/java" -jar target/faas-pool.jar --instance bench-isolation --run-dir "$work/run" \
  --reports "$work/reports" --admin "127.0.0.1:$p_admin" --config "$work/pool.yaml" >"$work/pool.log" 2>&1 &
pool_pid=$!
for _ in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p_admin/readyz")" = 200 ] && break
  sleep 0.2
done

# point <port> <connections>: "rps p50_ms p99_ms" of one wrk run after a short warm-up.
point() {
  wrk -t1 -c"$2" -d3s -H 'Connection: close' "http://127.0.0.1:$1/" >/dev/null 2>&1 || true
  wrk -t"$([ "$2" -gt 1 ] && echo 2 || echo 1)" -c"$2" -d"$duration" --latency -H 'Connection: close' \
    "http://127.0.0.1:$1/" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / 50%/ {p50 = ms($2)} / 99%/ {p99 = ms($2)} /Requests\/sec/ {rps = $2}
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}

say "isolation: request, container"
req1="$(point $p_req 1)" req8="$(point $p_req 8)" ctr1="$(point $p_ctr 1)" ctr8="$(point $p_ctr 8)"
say "hello alone, then beside the spinner"
alone="$(point $p_hello 1)"
for _ in 1 2; do
  curl -s -m 300 "http://127.0.0.1:$p_spin/spin?seconds=120&threads=8" >/dev/null 2>&1 &
done
sleep 3
beside="$(point $p_hello 1)"
spin_cpu="$(top -b -n 1 | awk '/^%Cpu/ {print 100 - $8}')"

commit="$(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- src runtime-init)" ] || echo ' (with uncommitted changes)')"
f() { awk -v i="$2" '{print $i}' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
{
  echo "# What isolation costs and buys"
  echo
  echo "\`benchmark/isolation.sh --duration $duration\` at $commit, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores."
  echo "wrk, a new connection per request, one run per point."
  echo
  echo "## \`isolation: request\` (fork mode, C hello, 4 containers)"
  echo
  echo "| isolation | 1 conn: req/s | p50 ms | 8 conns: req/s | p50 ms | p99 ms |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| container | $(f "$ctr1" 1) | $(f "$ctr1" 2) | $(f "$ctr8" 1) | $(f "$ctr8" 2) | $(f "$ctr8" 3) |"
  echo "| request | $(f "$req1" 1) | $(f "$req1" 2) | $(f "$req8" 1) | $(f "$req8" 2) | $(f "$req8" 3) |"
  echo
  echo "Request isolation costs $(ratio "$(f "$req1" 2)" "$(f "$ctr1" 2)")x the p50 at 1 connection and leaves"
  echo "$(ratio "$(f "$req8" 1)" "$(f "$ctr8" 1)")x the requests/s at 8: after each request faas-init kills what is"
  echo "left of it and empties /tmp and /dev/shm (nothing to empty here: the cost of looking)."
  echo
  echo "## A spinning function beside a hello function"
  echo
  echo "| the hello function (fork, 1 connection) | req/s | p50 ms | p99 ms |"
  echo "|---|---:|---:|---:|"
  echo "| alone | $(f "$alone" 1) | $(f "$alone" 2) | $(f "$alone" 3) |"
  echo "| beside 2 containers x 8 spinning threads | $(f "$beside" 1) | $(f "$beside" 2) | $(f "$beside" 3) |"
  echo
  echo "p50 beside the spinner: $(ratio "$(f "$beside" 2)" "$(f "$alone" 2)")x alone (goal: within 1.5x); the machine's CPUs"
  echo "were ${spin_cpu}% busy meanwhile."
} >"$out"
cat "$out"
