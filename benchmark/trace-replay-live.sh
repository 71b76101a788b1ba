#!/usr/bin/env bash
# The pre-warm scheduler against fixed pools with real containers, in real time: an on/off trace (Poisson bursts,
# then silence, repeated) replayed by benchmark/LiveReplay.java against faas-pool serving the built-in hello
# function, once per system, one system at a time. Writes benchmark/results/trace-replay-live-<mode>.md.
#
#   benchmark/trace-replay-live.sh [--mode oneshot|fork] [--rate 3] [--on 10s] [--off 30s] [--cycles 10]
#                                  [--fixed "1 2 3"]
#
# Systems: the scheduler (scaling: demand, prewarm: learned, min 0) and, for each N of --fixed, the
# `scaling: fixed` pool with min N (both with max 16 and the default idle-ttl of 10 min). Each system's /status
# samples (containers, target and its reason, cold count) go to benchmark/results/trace-replay-live-<mode>/. About
# (1 + fixed sizes) x cycles x (on + off): 4 x 10 x 40 s = 27 min with the defaults.
set -euo pipefail
source "$(dirname "$0")/../bin/lib.sh"
cd "$FAAS_ROOT"

mode=oneshot rate=3 on=10s off=30s cycles=10 fixed="1 2 3"
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --on) on="$2"; shift 2 ;;
    --off) off="$2"; shift 2 ;;
    --cycles) cycles="$2"; shift 2 ;;
    --fixed) fixed="$2"; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done
case "$mode" in oneshot|fork) ;; *) die "--mode must be oneshot or fork" ;; esac

port=28201 admin=28290
instance=bench-live-replay
work="$(mktemp -d /tmp/bench-live.XXXXXX)"
pool_pid=""
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$pool_pid" ] && kill -0 "$pool_pid" 2>/dev/null; then
    kill -TERM "$pool_pid"; wait "$pool_pid" 2>/dev/null
  fi
  ids="$(docker ps -aq --filter "label=dev.faaspool.instance=$instance" 2>/dev/null)"
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
  rm -rf "$work"
  [ "$rc" = 0 ] || say "trace-replay-live.sh failed (exit $rc); faas-pool stopped, its containers removed"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_java
ensure_docker
command -v curl >/dev/null 2>&1 || apt_install curl
build_images --built-in
build_jar
java="$JAVA_HOME/bin/java"
"$JAVA_HOME/bin/javac" -cp target/faas-pool.jar -d "$work/classes" benchmark/LiveReplay.java

# run_system <label> <pool: yaml flow mapping>: one replay against a fresh faas-pool; appends a result line.
run_system() {
  local label="$1" pool="$2" i line
  cat >"$work/pool.yaml" <<EOF
functions:
  hello:
    image: faas-hello:latest
    listen: 127.0.0.1:$port
    mode: $mode
    pool: $pool
EOF
  "$java" -jar target/faas-pool.jar --config "$work/pool.yaml" --instance "$instance" --admin "127.0.0.1:$admin" \
    --run-dir "$work/run" --reports "$work/reports" >"$work/pool.out" 2>"$work/pool.err" &
  pool_pid=$!
  for ((i = 0; i < 600; i++)); do
    curl -fs -o /dev/null "http://127.0.0.1:$admin/readyz" && break
    kill -0 "$pool_pid" 2>/dev/null || { cat "$work/pool.err" >&2; die "faas-pool exited"; }
    sleep 0.5
  done
  say "$label: replaying $cycles cycles of $on at $rate req/s then $off of silence ($mode)"
  line="$("$java" -cp "target/faas-pool.jar:$work/classes" LiveReplay --target "127.0.0.1:$port" \
    --admin "127.0.0.1:$admin" --function hello --rate "$rate" --on "$on" --off "$off" --cycles "$cycles" \
    --timeline "$timelines/$(tr -c 'a-z0-9\n' - <<<"$label" | tr -s -).csv")" || true
  kill -TERM "$pool_pid"; wait "$pool_pid" 2>/dev/null || true
  pool_pid=""
  [ -n "$line" ] || die "$label: LiveReplay printed nothing"
  echo "system=\"$label\" $line" | tee -a "$work/results.txt" >&2
}

timelines=benchmark/results/trace-replay-live-$mode
rm -rf "$timelines"
mkdir -p "$timelines"
started=$(date +%s)
run_system "scheduler, min 0" "{ min: 0, max: 16, scaling: demand, prewarm: learned }"
for n in $fixed; do
  run_system "fixed, min $n" "{ min: $n, max: 16, scaling: fixed }"
done
took=$(( ($(date +%s) - started) / 60 ))

out=benchmark/results/trace-replay-live-$mode.md
mkdir -p benchmark/results
{
  echo "# Live trace replay: the pre-warm scheduler against fixed pools, real containers"
  echo
  echo "Written by \`benchmark/trace-replay-live.sh --mode $mode --rate $rate --on $on --off $off --cycles $cycles"
  echo "--fixed \"$fixed\"\` on $(date -u +%Y-%m-%d), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown);"
  echo "$took min. The built-in hello function ($mode mode) behind faas-pool, one system at a time, each replaying the"
  echo "same on/off trace in real time with benchmark/LiveReplay.java: $cycles cycles of $on of Poisson arrivals at $rate"
  echo "req/s, then $off without a request (seeded: every system gets the same requests at the same offsets)."
  echo
  echo "- **cold**: faas-pool's own count (/status): the request waited for a container to start."
  echo "- **latency**: from each request's intended send time to the end of its response, HdrHistogram (LoadGen's"
  echo "  method); the client, the pool and the containers share the 2 cores."
  echo "- **container-s**: starting, warm and busy containers of the function, sampled every 100 ms on /status and"
  echo "  integrated over the replay (its last pause included): the memory cost. **mean** is that over the replay."
  echo
  echo "| system | requests | non-200 | cold | cold % | p50 ms | p99 ms | p99.9 ms | container-s | mean containers | peak |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  while read -r l; do
    eval "declare -A r=(); $(sed -E 's/(^| )([a-z0-9_]+)=/\1r[\2]=/g' <<<"$l")"
    printf '| %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s |\n' "${r[system]}" "${r[requests]}" \
      "$(( r[non200] + r[errors] ))" "${r[cold]}" "$(awk -v c="${r[cold]}" -v n="${r[requests]}" 'BEGIN { print n ? 100 * c / n : 0 }')" \
      "${r[p50_ms]}" "${r[p99_ms]}" "${r[p999_ms]}" "${r[container_s]}" "${r[mean_containers]}" "${r[peak_containers]}"
  done <"$work/results.txt"
  echo
  echo "The scheduler learns a function's pauses once it has seen 3 (ScalingPolicy.LEARNED_SAMPLES); until then its"
  echo "demand rule (the 10 s and 5 min rates) and the keep-alive size it through the pauses too. The same comparison"
  echo "in virtual time, on hours-long traces: [trace-replay.md](trace-replay.md); what the runs found: README-replay.md."
  echo "Each system's /status samples, every 100 ms: [trace-replay-live-$mode/](trace-replay-live-$mode/)."
} >"$out"
say "wrote $out"
cat "$out"
