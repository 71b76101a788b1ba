#!/usr/bin/env bash
# The pre-warm scheduler against fixed pools, on five synthetic traces replayed in virtual time: hours of
# traffic in seconds, deterministic (seeded). Writes benchmark/results/trace-replay.md.
#
#   benchmark/trace-replay.sh [fork|oneshot|fork250,...] [--with-prewarm-off] [--draws 8]
#
# No Docker: the real pool (src/main/java/dev/faaspool/pool) runs in virtual time on a fake container runtime
# whose starts take a modelled engine's time (src/test/java/dev/faaspool/pool/PoolReplay.java, EngineModel.java).
# What the replay covers and what it leaves out: benchmark/README-replay.md. Extra Maven arguments (for example -o) come from $FAAS_MVN_ARGS.
set -euo pipefail
source "$(dirname "$0")/../bin/lib.sh"
cd "$FAAS_ROOT"

ensure_java
mvn_quiet_jdk
java="$JAVA_HOME/bin/java"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT

say "building (mvn test-compile)"
# shellcheck disable=SC2086
mvn -B -q ${FAAS_MVN_ARGS:-} test-compile || die "the build failed"
# shellcheck disable=SC2086
mvn -B -q ${FAAS_MVN_ARGS:-} dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null \
  || die "could not resolve the dependencies' class path"

out=benchmark/results/trace-replay.md
mkdir -p benchmark/results
say "replaying (each table, then 8 more draws of it; oneshot is the slow one: a container per request)"
start=$(date +%s)
body="$("$java" -Dfaaspool.log.level=WARN -cp "target/classes:target/test-classes:$(cat "$cp_file")" dev.faaspool.pool.TraceReplay "$@")"
took=$(( $(date +%s) - start ))
{
  echo "# Trace replay: the pre-warm scheduler against fixed pools"
  echo
  echo "Written by \`benchmark/trace-replay.sh${*:+ $*}\` on $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $("$java" -version 2>&1 | head -n1); the replay took ${took} s"
  echo "of wall time (the traces are hours long in virtual time). Commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo
  echo "Each trace is replayed in virtual time against the scheduler (\`scaling: demand\`, \`prewarm: learned\`,"
  echo "max 50, idle-ttl 10m, the default initial 1, with min 0 and with min 1) and against fixed pools (\`scaling: fixed\`) of two kinds:"
  echo "\`fixed, min N, max 50\` keeps N warm containers ready, starts one more for each request that has to wait and"
  echo "retires the extras after the 10 min idle TTL (so its mean size is above N); \`fixed, min = max = N\` is exactly"
  echo "N containers. For each kind the table shows the two sizes whose warm-container-seconds bracket the scheduler's"
  echo "(the same mean size, rounded down and up by cost). The scheduler wins a trace when it had fewer cold requests"
  echo "than the pool of that kind that costs at least as much. After each table, the same comparison summed over 8"
  echo "other draws of its traces (\`--draws N\`; 0 for none): whether a verdict holds or was one draw's luck."
  echo
  echo "- **cold**: the request found no warm container and waited (faas-pool's own cold count); **waited for a"
  echo "  start**: of those, the ones served by a container that had just started (the others waited for a busy one to"
  echo "  finish); **found none**: the function had no container at all (scaled to zero)."
  echo "- **latency**: arrival to the end of the request (waiting plus service), HdrHistogram; no network or dispatch"
  echo "  time."
  echo "- **warm-container-s**: the integral over the trace of the containers alive (starting, warm or busy): the"
  echo "  memory cost. **mean containers** is that over the trace's length."
  echo
  echo "What the replay runs (the real pool), what it models (the engine) and what it leaves out: [README-replay.md](../README-replay.md)."
  echo
  echo "$body"
} >"$out"
say "wrote $out (${took} s)"

# The summary and the main table go to benchmark/RESULTS.md too, in a section of their own that run.sh keeps.
results=benchmark/RESULTS.md
begin='<!-- trace-replay.sh: begin -->' end='<!-- trace-replay.sh: end -->'
if grep -q '^## Fork mode, 20 ms requests' <<<"$body"; then
  section="$(mktemp)"
  {
    echo "$begin"
    echo "## The pre-warm scheduler: trace replay"
    echo
    echo "Written by \`benchmark/trace-replay.sh${*:+ $*}\` on $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown):"
    echo "five synthetic traces (and, with \`azure\`, ten out-of-sample ones) replayed in virtual time against the scheduler"
    echo "and fixed pools, by the real pool on a fake container runtime ([README-replay.md](README-replay.md)). Every table,"
    echo "the traces and each verdict: [results/trace-replay.md](results/trace-replay.md)."
    echo
    awk '/^## Summary/ { on = 1; main = 0; print "### Summary"; next }
         /^## Fork mode, 20 ms requests/ { on = 1; main = 1; sub(/^## /, "### "); print; next }
         /^## / { on = 0; main = 0 }
         /^Verdicts/ { on = 0 }
         /^\*\*Over / && main { on = 1 }
         on' <<<"$body"
    echo "$end"
  } >"$section"
  if [ -f "$results" ] && grep -qF "$begin" "$results" && grep -qF "$end" "$results"; then
    awk -v b="$begin" -v e="$end" -v f="$section" '
      $0 == b { while ((getline line < f) > 0) print line; skip = 1; next }
      $0 == e { skip = 0; next }
      !skip' "$results" >"$results.new" && mv "$results.new" "$results"
  else
    { [ -f "$results" ] && echo; cat "$section"; } >>"$results"
  fi
  rm -f "$section"
  say "updated its section of $results"
fi
cat "$out"
