#!/usr/bin/env bash
# faas-pool against what users would otherwise run, on loopback, all serving the same handler logic
# (examples/hello-c/hello.c: read the request head, answer 200 with a fixed body). Writes
# benchmark/RESULTS.md and the raw measurements under benchmark/results/raw/. See benchmark/README.md.
#
#   benchmark/run.sh            the full run (23 minutes on a quiet 2-core machine)
#   benchmark/run.sh --quick    short runs for development (about 10 minutes); RESULTS.md says so
#
# Environment: BENCH_PORT_BASE (default 28100): the run listens on 127.0.0.1, ports BASE..BASE+99.
#
# Everything it starts runs in a process group of its own and is stopped on exit, failure or
# interrupt included; every container it makes is named or labelled bench-... and removed then too.
set -euo pipefail
source "$(dirname "$0")/../bin/lib.sh"
cd "$FAAS_ROOT"

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "benchmark/run.sh: unknown option $arg (see --help)" ;;
  esac
done
command_line="benchmark/run.sh${*:+ $*}"
started_at="$(date +%s)"

# --- What is measured, and for how long ---------------------------------------------------------
if [ "$quick" = 1 ]; then
  warmup=2s duration=5s cold_rounds=10 init_rounds=20
else
  warmup=5s duration=30s cold_rounds=60 init_rounds=200
fi
connections=8          # closed loop
common_rates="1 5"     # every system is measured at these rates: the ratios compare there
rates_docker_run="1 2 5"
rates_oneshot="1 5 10"
rates_fast="1 5 100 500" # fork+exec, faas-pool fork and persistent, direct
cold_spacing=0.5       # seconds between cold-start requests (one at a time)
memory_sizes="1 20 100"
port_base="${BENCH_PORT_BASE:-28100}"

bench="$FAAS_ROOT/benchmark"
raw="$bench/results/raw"
bin="$FAAS_ROOT/target/bench"
run_id="$(date +%Y%m%d%H%M%S)-$$"
work="$(mktemp -d /tmp/bench-run.XXXXXX)"
instances=(bench-run-oneshot bench-run-fork bench-run-persistent bench-run-memory bench-run-inits)
groups=()              # process groups started here (their leaders' pids)

# --- Cleanup: every process group we started, every container we made ---------------------------
stop_group() { # stop_group <pid> [seconds]: TERM the group, then KILL it after the grace period
  local pid="$1" grace="${2:-10}" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
remove_containers() {
  local ids inst
  ids="$(docker ps -aq --filter "label=dev.faaspool.bench=$run_id" 2>/dev/null || true)"
  for inst in "${instances[@]}"; do
    ids+=" $(docker ps -aq --filter "label=dev.faaspool.instance=$inst" 2>/dev/null || true)"
  done
  ids="$(echo $ids)"
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}
cleanup() {
  local rc=$? pid
  set +e
  trap - EXIT INT TERM
  for pid in "${groups[@]}"; do stop_group "$pid" 60; done
  remove_containers
  rm -rf "$work"
  [ "$rc" = 0 ] || say "benchmark/run.sh failed (exit $rc); processes stopped, bench containers removed"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_group <name> <command...>: runs the command in a process group of its own, output in
# $work/<name>.out and .err; sets $last_pid.
start_group() {
  local name="$1"; shift
  setsid "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
  last_pid=$!
  groups+=("$last_pid")
}
# run_group <name> <command...>: start_group, then waits for it (a signal to this script is handled at
# once, not after the command); returns its exit status.
run_group() {
  local rc=0
  start_group "$@"
  wait "$last_pid" || rc=$?
  forget_group "$last_pid"
  return "$rc"
}
forget_group() { local p="$1" g keep=(); for g in "${groups[@]}"; do [ "$g" = "$p" ] || keep+=("$g"); done; groups=("${keep[@]}"); }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # wait_port <port> <pid>
  local i
  for ((i = 0; i < 100; i++)); do
    port_free "$1" || return 0
    kill -0 "$2" 2>/dev/null || die "the server for port $1 exited"
    sleep 0.1
  done
  die "nothing listens on port $1"
}

# --- Tools, images, binaries ---------------------------------------------------------------------
ensure_java
ensure_docker
command -v go >/dev/null 2>&1 || apt_install golang-go
command -v curl >/dev/null 2>&1 || apt_install curl
[ -x /usr/bin/python3 ] || apt_install python3
python=/usr/bin/python3
java="$JAVA_HOME/bin/java"
build_images
build_jar

# Ports (all on 127.0.0.1): the systems at BASE+1..7, the inits' functions at BASE+10..14 (cold) and
# BASE+20..24 (idle), the admin endpoint of whichever faas-pool runs at BASE+90.
for p in $(seq $((port_base + 1)) $((port_base + 7))) $(seq $((port_base + 10)) $((port_base + 14))) \
    $(seq $((port_base + 20)) $((port_base + 24))) $((port_base + 90)); do
  port_free "$p" || die "port $p is in use; choose other ports with BENCH_PORT_BASE"
done

mkdir -p "$bin"
say "building the baselines"
cc="$(command -v musl-gcc || command -v gcc)"
for f in direct forkserver hello-stdio; do
  "$cc" -static -O2 -Wall -Wextra -Werror -o "$bin/$f" "$bench/baselines/$f.c"
done
case "$(go env GOCACHE 2>/dev/null)" in ""|off) export GOCACHE="$FAAS_ROOT/target/go-cache" ;; esac
(cd "$bench/baselines/hello-go" && CGO_ENABLED=0 GOPROXY=off GOFLAGS=-mod=mod \
  go build -trimpath -ldflags='-s -w' -o "$bin/hello-go" .)
"$JAVA_HOME/bin/javac" -cp target/faas-pool.jar -d "$bin/loadgen" benchmark/LoadGen.java

# bench_image <tag> <dockerfile> <files...>: builds from a context of exactly these files.
bench_image() {
  local tag="$1" dockerfile="$2" ctx; shift 2
  ctx="$(mktemp -d "$work/ctx.XXXX")"
  printf '%s\n' "$dockerfile" >"$ctx/Dockerfile"
  cp "$@" "$ctx/"
  DOCKER_BUILDKIT=0 docker build -q --force-rm -t "$tag" "$ctx" >/dev/null 2>"$ctx/err" || { cat "$ctx/err" >&2; die "docker build $tag failed"; }
}
say "building the bench- images"
ri="$FAAS_ROOT/target/runtime-init"
bench_image bench-hello-stdio $'FROM scratch\nCOPY hello-stdio /hello\nENTRYPOINT ["/hello"]' "$bin/hello-stdio"
bench_image bench-hello-go $'FROM faas-runtime:slim\nCOPY hello-go /hello\nCMD ["/hello"]' "$bin/hello-go"
bench_image bench-init-c $'FROM scratch\nCOPY faas-init /faas-init\nCOPY hello /hello\nENTRYPOINT ["/faas-init"]\nCMD ["/hello"]' \
  "$ri/faas-init" "$ri/hello"
bench_image bench-init-go $'FROM scratch\nCOPY faas-init-go /faas-init\nCOPY hello /hello\nENTRYPOINT ["/faas-init"]\nCMD ["/hello"]' \
  "$ri/faas-init-go" "$ri/hello"
bench_image bench-init-rust $'FROM scratch\nCOPY faas-init-rust /faas-init\nCOPY hello /hello\nENTRYPOINT ["/faas-init"]\nCMD ["/hello"]' \
  "$ri/faas-init-rust" "$ri/hello"
have_python_image=0
if docker image inspect faas-runtime:python >/dev/null 2>&1; then
  have_python_image=1
  bench_image bench-init-py $'FROM faas-runtime:python\nCOPY faas-init.py /faas-init.py\nCOPY hello /hello\nENTRYPOINT ["/usr/bin/python3", "/faas-init.py"]\nCMD ["/hello"]' \
    "$ri/faas-init.py" "$ri/hello"
  bench_image bench-init-cpy $'FROM faas-runtime:python\nCOPY hello /hello\nCMD ["/hello"]' "$ri/hello"
fi

# --- Raw results ----------------------------------------------------------------------------------
rm -rf "$raw"
mkdir -p "$raw"
loadtxt="$raw/load.txt"
: >"$loadtxt"
meta() { printf '%s=%s\n' "$1" "$2" >>"$raw/meta.txt"; }
meta date_utc "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
meta command "$command_line"
meta quick "$quick"
meta commit "$(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- . ':!benchmark/RESULTS.md' ':!benchmark/results/raw')" ] || echo ' (with uncommitted changes)')"
meta nproc "$(nproc)"
meta cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
meta memory "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
meta kernel "$(uname -sr)"
meta os "$(. /etc/os-release && echo "$PRETTY_NAME")"
meta docker_server "$(docker version -f '{{.Server.Version}}')"
meta docker_client "$(docker version -f '{{.Client.Version}}')"
meta containerd "$(containerd --version 2>/dev/null | awk '{print $3}')"
meta runc "$(runc --version 2>/dev/null | awk 'NR==1 {print $3}')"
meta cgroup "$(stat -fc %T /sys/fs/cgroup/ | sed 's/cgroup2fs/v2/; s/tmpfs/v1/')"
meta jdk "$("$java" -version 2>&1 | head -n1)"
meta go "$(go version | awk '{print $3}')"
meta cc "$("$cc" --version 2>/dev/null | head -n1) ($(basename "$cc"))"
meta python "$($python --version 2>&1)"
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta warmup "$warmup"
meta duration "$duration"
meta cold_rounds "$cold_rounds"
meta cold_spacing "$cold_spacing"
meta init_rounds "$init_rounds"
meta connections "$connections"
meta common_rates "$common_rates"
meta have_python_image "$have_python_image"

# loadgen <system> <open|closed> <rate or connections> <port> [warmup] [duration]: one LoadGen run,
# its line appended to load.txt (with a failed=1 line if LoadGen itself failed).
loadgen() {
  local system="$1" kind="$2" x="$3" port="$4" wu="${5:-$warmup}" du="${6:-$duration}" out flag
  flag=(--rate "$x"); [ "$kind" = open ] || flag=(--connections "$x")
  say "$system: $kind ${x}$([ "$kind" = open ] && echo /s || echo ' connections') for $du"
  run_group loadgen "$java" -cp "target/faas-pool.jar:$bin/loadgen" LoadGen --target "127.0.0.1:$port" "${flag[@]}" \
    --warmup "$wu" --duration "$du" || true
  out="$(cat "$work/loadgen.out")"
  if [ -z "$out" ]; then
    cat "$work/loadgen.err" >&2
    out="failed=1"
  fi
  echo "system=$system kind=$kind x=$x duration=$du warmup=$wu $out" | tee -a "$loadtxt" >&2
}

# points <system> <port> <ready-command> <rates...>: the open-loop rates, then the closed loop; the
# ready command runs before each (a pool refills its warm containers between points).
points() {
  local system="$1" port="$2" ready="$3" r; shift 3
  for r in "$@"; do $ready; loadgen "$system" open "$r" "$port"; sleep 1; done
  $ready; loadgen "$system" closed "$connections" "$port"
}
no_wait() { :; }

# --- faas-pool ------------------------------------------------------------------------------------
pool_pid="" pool_admin="" pool_name=""
# start_pool <name> <instance> <config> <admin port> [ready timeout s]
start_pool() {
  local name="$1" instance="$2" config="$3" admin="$4" timeout="${5:-300}" i
  cp "$config" "$raw/pool-$name.yaml"
  start_group "pool-$name" "$java" -jar target/faas-pool.jar --config "$config" --instance "$instance" \
    --admin "127.0.0.1:$admin" --run-dir "$work/run" --reports "$work/reports" --drain-timeout 5s
  pool_pid="$last_pid" pool_admin="$admin" pool_name="$name"
  for ((i = 0; i < timeout * 2; i++)); do
    curl -fs -o /dev/null "http://127.0.0.1:$admin/readyz" && return 0
    kill -0 "$pool_pid" 2>/dev/null || { cat "$work/pool-$name.err" >&2; die "faas-pool ($name) exited"; }
    sleep 0.5
  done
  die "faas-pool ($name): not ready within ${timeout}s"
}
# pool_ready: waits (up to 5 minutes) until every function has its warm containers again.
pool_ready() {
  local i
  for ((i = 0; i < 600; i++)); do
    curl -fs -o /dev/null "http://127.0.0.1:$pool_admin/readyz" && return 0
    kill -0 "$pool_pid" 2>/dev/null || die "faas-pool ($pool_name) exited"
    sleep 0.5
  done
  say "faas-pool ($pool_name): still not refilled after 5 minutes; measuring anyway"
}
# stop_pool: SIGTERM (it removes its containers), keeps its stdout (the latency summary) in raw/.
stop_pool() {
  stop_group "$pool_pid" 180
  forget_group "$pool_pid"
  cp "$work/pool-$pool_name.out" "$raw/pool-$pool_name.txt"
  pool_pid=""
}

# pool_config <file> <function> <image> <port> <mode> <min> <max> [max-uses]: a fixed pool (no demand scaling),
# so that every system is measured at the size it was given.
pool_config() {
  cat >>"$1" <<EOF
  $2:
    image: $3
    listen: 127.0.0.1:$4
    mode: $5
    pool:
      min: $6
      max: $7
      scaling: fixed
      max-uses: ${8:-1000}
    timeouts:
      acquire: 5s
      start: 60s
EOF
}
new_config() { echo "functions:" >"$work/$1.yaml"; echo "$work/$1.yaml"; }

# --- 1+2. Latency and throughput of each system ---------------------------------------------------
p_direct=$((port_base + 1)) p_fork_exec=$((port_base + 2)) p_fork=$((port_base + 3))
p_persistent=$((port_base + 4)) p_oneshot=$((port_base + 5)) p_docker=$((port_base + 6))
admin=$((port_base + 90))

start_group direct "$bin/direct" "$p_direct"; wait_port "$p_direct" "$last_pid"; pid="$last_pid"
points direct "$p_direct" no_wait $rates_fast
stop_group "$pid"; forget_group "$pid"

start_group fork-exec "$bin/forkserver" "$p_fork_exec" "$ri/hello"; wait_port "$p_fork_exec" "$last_pid"; pid="$last_pid"
points fork-exec "$p_fork_exec" no_wait $rates_fast
stop_group "$pid"; forget_group "$pid"

# fork and persistent: a container serves one connection at a time and stays; 8 warm containers
# cover the closed loop's 8 connections, and no container is recycled during the run.
cfg="$(new_config fork)"; pool_config "$cfg" hello faas-hello:latest "$p_fork" fork 8 8 1000000
start_pool fork bench-run-fork "$cfg" "$admin"
points faas-pool-fork "$p_fork" pool_ready $rates_fast
stop_pool

cfg="$(new_config persistent)"; pool_config "$cfg" hello bench-hello-go "$p_persistent" persistent 8 8 1000000
start_pool persistent bench-run-persistent "$cfg" "$admin"
points faas-pool-persistent "$p_persistent" pool_ready $rates_fast
stop_pool

# oneshot: every request uses up a container, so the warm pool has to cover the requests that arrive
# while replacements start: 20 warm, up to 40 containers.
cfg="$(new_config oneshot)"; pool_config "$cfg" hello faas-hello:latest "$p_oneshot" oneshot 20 40
start_pool oneshot bench-run-oneshot "$cfg" "$admin"
points faas-pool-oneshot "$p_oneshot" pool_ready $rates_oneshot
stop_pool

# docker run per connection: the same isolation as faas-pool's containers, the connection as the
# CLI's stdin and stdout, the container removed (--rm) before the CLI exits and the connection closes.
docker_run=(docker run --rm -i --network none --read-only --tmpfs /tmp:rw,nosuid,nodev,size=16m
  --cap-drop ALL --security-opt no-new-privileges --memory 64m --memory-swap 64m --pids-limit 64
  --user 65534:65534 --label "dev.faaspool.bench=$run_id" --name "bench-run-$run_id-%N" bench-hello-stdio)
echo "${docker_run[*]}" >"$raw/docker-run-command.txt"
start_group docker-run "$bin/forkserver" --stdio "$p_docker" "${docker_run[@]}"; wait_port "$p_docker" "$last_pid"; pid="$last_pid"
points docker-run "$p_docker" no_wait $rates_docker_run
stop_group "$pid"; forget_group "$pid"
remove_containers

# --- 3. Memory: the manager and each warm slot, at several pool sizes -----------------------------
: >"$raw/memory.jsonl"
for n in $memory_sizes; do
  cfg="$(new_config "memory-$n")"; pool_config "$cfg" hello faas-hello:latest "$((port_base + 7))" fork "$n" "$n" 1000000
  say "memory: a pool of $n warm containers (fork mode)"
  start_pool "memory-$n" bench-run-memory "$cfg" "$admin" 900
  sleep 3
  $python "$bench/probe-memory.py" --instance bench-run-memory --manager "$pool_pid" --label "$n" \
    --jcmd "$JAVA_HOME/bin/jcmd" >>"$raw/memory.jsonl"
  stop_pool
done

# --- 4. The inits: C, Go, Rust, Python ------------------------------------------------------------------
say "inits: start-up on the host, $init_rounds rounds"
run_group init-overhead env PYTHON=$python $python "$bench/init-overhead.py" "$init_rounds" "$raw/inits-host.json" \
  || { cat "$work/init-overhead.err" >&2; die "init-overhead.py failed"; }
cat "$work/init-overhead.out" >&2
{
  for init in c go rust py cpy; do
    case "$init" in
      c) bin_path="$ri/faas-init" base=scratch src="runtime-init/faas-init.c" ;;
      go) bin_path="$ri/faas-init-go" base=scratch src="$(cd runtime-init/variants/go && find . -name '*.go' | sort | sed 's|^\./|runtime-init/variants/go/|' | tr '\n' ' ')" ;;
      rust) bin_path="$ri/faas-init-rust" base=scratch src="$(ls runtime-init/variants/rust/src/*.rs | tr '\n' ' ')" ;;
      py) bin_path="$ri/faas-init.py" base=faas-runtime:python src="runtime-init/variants/python/faas-init.py" ;;
      cpy) bin_path="$ri/faas-init" base=faas-runtime:python src="runtime-init/faas-init.c" ;;
    esac
    size="$(docker image inspect -f '{{.Size}}' "bench-init-$init" 2>/dev/null || echo none)"
    base_size=0; [ "$base" = scratch ] || base_size="$(docker image inspect -f '{{.Size}}' "$base" 2>/dev/null || echo none)"
    # shellcheck disable=SC2086
    echo "init=$init image=bench-init-$init image_bytes=$size base=$base base_bytes=$base_size binary_bytes=$(stat -c %s "$bin_path") loc=$(cat $src | wc -l)"
  done
  echo "init=hello binary_bytes=$(stat -c %s "$ri/hello")"
  echo "init=python3 binary_bytes=$(stat -L -c %s "$(readlink -f /usr/bin/python3)")"
} >"$raw/inits.txt"

# In containers: a faas-pool with, per init, a function that keeps no warm container (each request
# waits for a container start: the cold start) and one that keeps 3 idle (their memory).
inits=(c go rust)
[ "$have_python_image" = 1 ] && inits+=(py cpy)
cfg="$(new_config inits)"
i=0
for init in "${inits[@]}"; do
  pool_config "$cfg" "cold-$init" "bench-init-$init" "$((port_base + 10 + i))" oneshot 0 4
  pool_config "$cfg" "idle-$init" "bench-init-$init" "$((port_base + 20 + i))" oneshot 3 3
  i=$((i + 1))
done
start_pool inits bench-run-inits "$cfg" "$admin" 600
sleep 3
: >"$raw/memory-inits.jsonl"
for init in "${inits[@]}"; do
  $python "$bench/probe-memory.py" --instance bench-run-inits --manager "$pool_pid" --function "idle-$init" \
    --label "$init" >>"$raw/memory-inits.jsonl"
done
targets=() i=0
for init in "${inits[@]}"; do targets+=("$init=$((port_base + 10 + i))"); i=$((i + 1)); done
say "inits: cold starts, $cold_rounds rounds"
run_group cold-start $python "$bench/cold-start.py" "$cold_rounds" "$cold_spacing" "$raw/cold-start.json" "${targets[@]}" \
  || { cat "$work/cold-start.err" >&2; die "cold-start.py failed"; }
cat "$work/cold-start.out" >&2
stop_pool

# --- 5. The report --------------------------------------------------------------------------------
meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta elapsed_s "$(( $(date +%s) - started_at ))"
$python "$bench/report.py" "$raw" "$bench/RESULTS.md"
remove_containers
say "wrote benchmark/RESULTS.md ($(( ($(date +%s) - started_at) / 60 )) min)"
