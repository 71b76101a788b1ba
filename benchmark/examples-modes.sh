#!/usr/bin/env bash
# The examples' runtime images and handler modes: each runtime image's size, and the Python example
# served in oneshot, fork and persistent mode, measured by faas-pool's own HdrHistogram summary (warm
# dispatch latency: accept to the init's or SDK's ACK; service: accept to the request's end) and by the
# client (benchmark/LoadGen.java, connect to end of response, open loop). Writes
# benchmark/results/examples-modes.md.
#
#   benchmark/examples-modes.sh [--rate 2] [--duration 30s]
#
# Each mode runs in a faas-pool of its own (instances bench-modes-<mode>, port 18191, admin 19191) with
# the same fixed pool of 8 containers (min 8, max 8) and the pool-config/ limits of the Python example:
# at 2 requests/s a oneshot container is replaced long before the pool runs out, so every request finds
# one warm in every mode. The Python images are examples/python (oneshot and fork: the design document's
# handler, FAAS_CLIENT_FD) and examples/python-persistent (the same class on faas_sdk.serve_http).
set -euo pipefail
source "$(dirname "$0")/../bin/lib.sh"
cd "$FAAS_ROOT"
rate=2
duration=30s
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) die "usage: benchmark/examples-modes.sh [--rate 2] [--duration 30s]" ;;
  esac
done

ensure_java
ensure_docker
build_images
build_jar
java="$JAVA_HOME/bin/java"
port=18191
admin=19191
modes=(oneshot fork persistent)
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  for m in "${modes[@]}"; do
    ids="$(docker ps -aq --filter "label=dev.faaspool.instance=bench-modes-$m")"
    [ -z "$ids" ] || docker rm -f $ids >/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

# config <mode>: the Python example's function in <mode>, as pool-config/python*.yaml declare it, on the
# benchmark's port with a fixed pool of 8.
config() {
  local mode="$1" image=faas-example-python:latest
  [ "$mode" = persistent ] && image=faas-example-python-persistent:latest
  cat <<EOF
functions:
  python-$mode:
    image: $image
    listen: 127.0.0.1:$port
    mode: $mode
    pool: { min: 8, max: 8, scaling: fixed }
    limits: { memory: 64m, pids: 64, tmp: 16m, user: "65534:65534" }
    timeouts: { acquire: 10s, start: 30s }
EOF
}

# run <mode>: one faas-pool, one load, then SIGTERM; leaves its summary rows and LoadGen's line in $work.
run() {
  local mode="$1" instance="bench-modes-$1"
  config "$mode" >"$work/$mode.yaml"
  "$java" -jar target/faas-pool.jar --instance "$instance" --config "$work/$mode.yaml" \
    --admin "127.0.0.1:$admin" --reports "$work/$instance" --run-dir "$work/run" >"$work/$mode.out" 2>"$work/$mode.err" &
  pid=$!
  for _ in $(seq 1 300); do grep -q '^admin: ' "$work/$mode.out" 2>/dev/null && break; sleep 0.5; done
  grep -q " 8/8 warm in " "$work/$mode.out" || { cat "$work/$mode.out" "$work/$mode.err" >&2; die "$instance did not start"; }
  "$java" -cp target/faas-pool.jar benchmark/LoadGen.java --target "127.0.0.1:$port" --rate "$rate" \
    --duration "$duration" >"$work/$mode.load" || say "$mode: LoadGen saw failures: $(cat "$work/$mode.load")"
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  grep -E "^python-$mode " "$work/$mode.out" >"$work/$mode.summary"
  grep -E "^function " "$work/$mode.out" | head -n1 >"$work/header"
}

for m in "${modes[@]}"; do
  run "$m"
done

# summary <mode> <kind> <column>: count 3, p50 4, p90 5, p99 6, p99.9 7, max 8.
summary() { awk -v k="$2" -v c="$3" '$2 == k { print $c }' "$work/$1.summary"; }
# load <mode> <key>: a value of LoadGen's line.
load() { tr ' ' '\n' <"$work/$1.load" | sed -n "s/^$2=//p"; }
size() { docker image inspect -f '{{.Size}}' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf (b < 1e7 ? "%.2f" : "%.1f"), b / 1e6 }'; }

out=benchmark/results/examples-modes.md
{
  echo "# The examples: runtime image sizes, and the Python example in each handler mode"
  echo
  echo "Written by \`benchmark/examples-modes.sh --rate $rate --duration $duration\` on $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Docker $(docker version -f '{{.Server.Version}}'), $("$java" -version 2>&1 | head -n1)."
  echo "The machine was shared with other builds and tests while it ran (load average at the end:"
  echo "$(cut -d' ' -f1-3 /proc/loadavg)), so absolute numbers are noisy; the differences between the modes are much larger than the noise."
  echo
  echo "## Image sizes"
  echo
  echo "\`docker image inspect -f '{{.Size}}'\` (the image with its base layers; the runtimes share faas-base:bookworm)."
  echo
  echo "| image | bytes | MB |"
  echo "|---|---:|---:|"
  for t in faas-runtime:slim faas-runtime:python faas-runtime:node faas-runtime:java faas-runtime:go \
           faas-hello:latest faas-example-{python,node,go,java}:latest faas-example-{python,node,go,java}-persistent:latest; do
    if docker image inspect "$t" >/dev/null 2>&1; then
      echo "| \`$t\` | $(size "$t") | $(mb "$(size "$t")") |"
    else
      echo "| \`$t\` | not built | |"
    fi
  done
  echo
  echo "## The Python example in oneshot, fork and persistent mode"
  echo
  echo "A fixed pool of 8 containers per mode, requests at $rate/s for $duration (open loop,"
  echo "benchmark/LoadGen.java: one TCP connection per request, latency from the intended send time)."
  echo "Milliseconds. *Dispatch* is faas-pool's warm dispatch latency, accept to ACK (the init, or in"
  echo "persistent mode the SDK, owns the descriptor); *service* runs from accept to the request's end (the"
  echo "container's exit in oneshot mode, \`DONE\` otherwise); *client* is connect to the end of the response."
  echo
  echo "| mode | requests | 200 | warm / cold | dispatch p50 | dispatch p99 | service p50 | client p50 | client p99 | client max | container starts |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for m in "${modes[@]}"; do
    echo "| $m | $(load "$m" requests) | $(load "$m" ok) | $(summary "$m" warm 3) / $(summary "$m" cold 3)" \
         "| $(summary "$m" warm 4) | $(summary "$m" warm 6) | $(summary "$m" service 4)" \
         "| $(load "$m" p50_ms) | $(load "$m" p99_ms) | $(load "$m" max_ms) | $(summary "$m" start 3) |"
  done
  echo
  echo "oneshot: faas-init execs \`python3 /app/handler.py\` in a fresh container per request; fork: faas-init"
  echo "forks and execs it per request in a container that stays; persistent: one Python process per"
  echo "container, its interpreter started and its imports done before the request (faas_sdk.serve_http)."
  echo "Container starts include the 8 of the initial pool (min 8, max 8: in fork and persistent mode the"
  echo "same 8 containers serve every request, unless one fails)."
  echo "A request that is not answered 200 waited past the 10 s acquire timeout and got 503."
  echo
  echo "faas-pool's summaries:"
  echo
  echo '```'
  cat "$work/header"
  for m in "${modes[@]}"; do cat "$work/$m.summary"; done
  echo '```'
  echo
  echo "LoadGen:"
  echo
  echo '```'
  for m in "${modes[@]}"; do echo "$m: $(cat "$work/$m.load")"; done
  echo '```'
} >"$out"
cat "$out"
