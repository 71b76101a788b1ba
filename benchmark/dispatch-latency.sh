#!/usr/bin/env bash
# Dispatch latency of the built-in function, warm and cold, and container start time, as faas-pool's
# own HdrHistogram summary reports them. Writes benchmark/results/dispatch-latency.md.
#
#   benchmark/dispatch-latency.sh [--duration 60s]
#
# warm: a pool of 20 warm containers, requests at 2/s (open loop, benchmark/LoadGen.java): the pool
#       replaces each used container long before it is needed again, so every request finds one warm.
# cold: a pool that keeps no warm container, one request every 2 s: each waits for a container start.
set -euo pipefail
source "$(dirname "$0")/../bin/lib.sh"
cd "$FAAS_ROOT"
duration=60s
[ "${1:-}" = --duration ] && duration="$2"

ensure_java
ensure_docker
build_images
build_jar
java="$JAVA_HOME/bin/java"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  for i in bench-warm bench-cold; do
    ids="$(docker ps -aq --filter "label=dev.faaspool.instance=$i")"
    [ -z "$ids" ] || docker rm -f $ids >/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

# run <instance> <pool size> <rate>: one faas-pool, one load, then SIGTERM; prints the summary rows.
run() {
  local instance="$1" size="$2" rate="$3" port=18080
  "$java" -jar target/faas-pool.jar --instance "$instance" --pool-size "$size" --listen "127.0.0.1:$port" \
    --admin 127.0.0.1:19180 --reports "$work/$instance" --run-dir "$work/run" >"$work/$instance.out" 2>"$work/$instance.err" &
  pid=$!
  for _ in $(seq 1 240); do grep -q " warm " "$work/$instance.out" 2>/dev/null && break; sleep 0.5; done
  grep -q " warm " "$work/$instance.out" || { cat "$work/$instance.err" >&2; die "$instance did not start"; }
  "$java" -cp target/faas-pool.jar benchmark/LoadGen.java --target "127.0.0.1:$port" --rate "$rate" \
    --duration "$duration" >"$work/$instance.load"
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  grep -E '^hello ' "$work/$instance.out"
}

warm="$(run bench-warm 20 2)"
cold="$(run bench-cold 0 0.5)"

row() { # row <label> <summary rows> <kind>
  awk -v label="$1" -v kind="$3" '$2 == kind { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", label, kind, $3, $4, $5, $6, $7, $8 }' <<<"$2"
}
out=benchmark/results/dispatch-latency.md
{
  echo "# Dispatch latency and container start"
  echo
  echo "Written by \`benchmark/dispatch-latency.sh --duration $duration\` on $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Docker $(docker version -f '{{.Server.Version}}'), $("$java" -version 2>&1 | head -n1)."
  echo
  echo "faas-pool's own HdrHistogram summary (milliseconds). Dispatch latency runs from accept to the"
  echo "init's ACK (it owns the descriptor); start runs from container create to the init's HELLO."
  echo
  echo "| scenario | kind | count | p50 | p90 | p99 | p99.9 | max |"
  echo "|---|---|---|---|---|---|---|---|"
  row "20 warm, 2 req/s" "$warm" warm
  row "20 warm, 2 req/s" "$warm" cold
  row "20 warm, 2 req/s" "$warm" start
  row "0 warm, 0.5 req/s" "$cold" cold
  row "0 warm, 0.5 req/s" "$cold" start
  echo
  echo "Client side (benchmark/LoadGen.java, connect to end of response, from the intended send time):"
  echo
  echo '```'
  echo "warm: $(cat "$work/bench-warm.load")"
  echo "cold: $(cat "$work/bench-cold.load")"
  echo '```'
} >"$out"
cat "$out"
