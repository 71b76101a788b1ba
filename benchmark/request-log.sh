#!/usr/bin/env bash
# What the request log costs: the persistent C function of proxy-compare.sh (8 warm containers), wrk at
# 8 connections with a new TCP connection per request (Connection: close), with --request-log off, to a
# file as text, and to a file as JSON. The modes take turns, run after run, so that the machine's drift
# falls on all of them; the median run of each mode is reported.
#
#   benchmark/request-log.sh [--duration 10s] [--runs 3]
#
# Prints a Markdown table: requests/s, p50 and p99 (wrk), faas-pool's CPU time per request (utime+stime
# of the JVM from /proc/<pid>/stat over the run, divided by the requests wrk completed), and the request
# log's lines written during the run against wrk's count. Needs the image bench-hello-persistent:latest (proxy-compare.sh builds
# it) and target/faas-pool.jar. Its faas-pool instance is bench-reqlog, on 127.0.0.1:28250 (admin 28251).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10s
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "request-log.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

image=bench-hello-persistent:latest
port=28250
admin=28251
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
jar=target/faas-pool.jar
docker image inspect "$image" >/dev/null 2>&1 || { echo "no image $image: run benchmark/proxy-compare.sh once" >&2; exit 1; }
[ -f "$jar" ] || { echo "no $jar: mvn -B -q package -DskipTests" >&2; exit 1; }
work="$(mktemp -d /tmp/bench-reqlog.XXXXXX)"
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  fi
  docker ps -aq --filter label=dev.faaspool.instance=bench-reqlog | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

cat >"$work/pool.yaml" <<EOF
functions:
  c:
    image: $image
    listen: 127.0.0.1:$port
    mode: persistent
    pool: { min: 8, max: 8, scaling: fixed, max-uses: 1000000 }
EOF

# cpu_ticks <pid>: utime + stime of the process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# one <mode>: starts faas-pool with the request log as <mode> says, loads it, prints "rps p50 p99 us_cpu lines requests".
one() {
  local mode="$1" args=() log="$work/requests.log"
  rm -f "$log"
  case "$mode" in
    off) ;;
    text) args=(--request-log "$log") ;;
    json) args=(--request-log "$log" --log-format json) ;;
  esac
  "$java" -jar "$jar" --instance bench-reqlog --run-dir "$work/run" --reports "$work/reports" \
    --admin "127.0.0.1:$admin" --config "$work/pool.yaml" "${args[@]}" >"$work/out" 2>"$work/err" &
  pid=$!
  local i
  for i in $(seq 1 600); do
    grep -q 'c: 8/8 warm' "$work/out" "$work/err" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.1
  done
  wrk -t2 -c8 -d3s -H 'Connection: close' "http://127.0.0.1:$port/" >/dev/null 2>&1 # warm-up (JIT)
  sleep 1
  local before after logged=0
  [ -f "$log" ] && logged=$(wc -l <"$log")
  before=$(cpu_ticks "$pid")
  wrk -t2 -c8 -d"$duration" --latency -H 'Connection: close' "http://127.0.0.1:$port/" >"$work/wrk"
  after=$(cpu_ticks "$pid")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  pid=""
  local requests rps p50 p99 lines
  requests=$(awk '/requests in/ {print $1}' "$work/wrk")
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk")
  lines=0
  [ -f "$log" ] && lines=$(( $(wc -l <"$log") - logged ))
  local hz; hz=$(getconf CLK_TCK)
  echo "$rps $p50 $p99 $(awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}') $lines $requests"
}

declare -A results
for r in $(seq 1 "$runs"); do
  for mode in off text json; do
    results[$mode]+="$(one "$mode")"$'\n'
    echo "run $r $mode: $(printf '%s' "${results[$mode]}" | tail -n 1)" >&2
  done
done

echo "| request log | requests/s | p50 | p99 | faas-pool CPU per request | request log lines / requests |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for mode in off text json; do
  # The median run by requests/s.
  printf '%s' "${results[$mode]}" | sort -n -k1,1 | awk -v m="$mode" -v n="$runs" \
    'NR == int((n + 1) / 2) {printf "| %s | %.0f | %s | %s | %s µs | %s / %s |\n", m, $1, $2, $3, $4, $5, $6}'
done
echo
echo "median of $runs runs of $duration each, wrk -t2 -c8 Connection: close, at $(git rev-parse --short HEAD), $(nproc) cores"
