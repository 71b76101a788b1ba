#!/usr/bin/env bash
# Three faas-pool nodes, each in its own network namespace with its own address, behind HAProxy with
# health checks (/readyz) and agent-check (--agent) -- all on this machine, sharing its one Docker engine.
#
#   deploy/haproxy/cluster.sh up        namespaces, nodes (warm), HAProxy; prints where it listens
#   deploy/haproxy/cluster.sh stop N    SIGTERM node N: it drains (--drain-delay), then exits
#   deploy/haproxy/cluster.sh kill N    SIGKILL node N: a crash
#   deploy/haproxy/cluster.sh start N   (re)starts node N and waits for its /readyz
#   deploy/haproxy/cluster.sh status    each node's process, /readyz and agent line; HAProxy's view
#   deploy/haproxy/cluster.sh weights   one line per server from HAProxy's stats socket: name status weight sessions
#   deploy/haproxy/cluster.sh down      removes everything 'up' made (idempotent, also after a partial up)
#
# Topology: node N lives in namespace ${PREFIX}-nN with 10.231.N.2/24 on one end of a veth pair; the other
# end, 10.231.N.1/24, is in the namespace this script runs in, which routes to every node (each /24 is
# connected) and runs HAProxy on loopback. No forwarding, no NAT: nothing leaves this machine.
# Environment: CLUSTER_DIR (state; default target/cluster), CLUSTER_PREFIX (default fpc), CLUSTER_PORT
# (HAProxy's front, default 18080), CLUSTER_RUN_DIR (control sockets; default /run/faas-pool-PREFIX), CLUSTER_DRAIN_DELAY (default 2s), CLUSTER_POOL (warm containers per
# node, default 2), JAVA_HOME (a JDK >= 25).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../bin/lib.sh
source "$here/../../bin/lib.sh"

DIR="${CLUSTER_DIR:-$FAAS_ROOT/target/cluster}"
PREFIX="${CLUSTER_PREFIX:-fpc}"
PORT="${CLUSTER_PORT:-18080}"
DRAIN_DELAY="${CLUSTER_DRAIN_DELAY:-2s}"
POOL="${CLUSTER_POOL:-2}"
NODES=(1 2 3)
JAR="$FAAS_ROOT/target/faas-pool.jar"
# The control sockets: a directory the function containers' user (65534) can traverse, which a checkout
# under a private home may not be.
RUN="${CLUSTER_RUN_DIR:-/run/faas-pool-$PREFIX}"

ns() { echo "$PREFIX-n$1"; }
addr() { echo "10.231.$1.2"; }
instance() { echo "it-cluster-$PREFIX-$1"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

net_up() {
  local n="$1" ns host
  ns="$(ns "$n")"; host="$PREFIX-h$n"
  ip netns list | grep -qw "$ns" || ip netns add "$ns"
  ip -n "$ns" link set lo up
  if ! ip link show "$host" >/dev/null 2>&1; then
    ip link add "$host" type veth peer name eth0 netns "$ns"
  fi
  ip addr replace "10.231.$n.1/24" dev "$host"
  ip link set "$host" up
  ip -n "$ns" addr replace "$(addr "$n")/24" dev eth0
  ip -n "$ns" link set eth0 up
}

# node_config N: the node's pool-config: the built-in hello image, in fork mode (a container serves many
# requests), on the node's own address.
node_config() {
  local n="$1" d="$DIR/n$1"
  mkdir -p "$d"
  cat > "$d/pool.yaml" <<YAML
functions:
  hello:
    image: faas-hello:latest
    mode: fork
    listen: $(addr "$n"):8080
    pool: { min: $POOL, max: $((POOL * 2)) }
YAML
  # The admin endpoint beyond loopback needs a token; /readyz, all HAProxy reads, stays open.
  # A subshell: umask 077 here only (the run directories must stay traversable by the containers' user).
  [ -f "$d/token" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$d/token")
}

node_start() {
  local n="$1" d="$DIR/n$1" a i
  a="$(addr "$n")"
  alive "$d/pid" && { say "node $n runs already (pid $(cat "$d/pid"))"; return; }
  node_config "$n"
  # setsid: its own session, so a signal to this script's group does not reach it.
  setsid ip netns exec "$(ns "$n")" "$JAVA_HOME/bin/java" -jar "$JAR" \
      --config "$d/pool.yaml" --instance "$(instance "$n")" \
      --run-dir "$RUN/n$n" --reports "$d/reports" --logs "$d/logs" \
      --admin "$a:9180" --admin-token-file "$d/token" --agent "$a:9181" \
      --drain-delay "$DRAIN_DELAY" --drain-timeout 10s \
      >>"$d/out.log" 2>>"$d/err.log" < /dev/null &
  echo $! > "$d/pid"
  for i in $(seq 1 300); do
    if ip netns exec "$(ns "$n")" curl -fsS -o /dev/null --max-time 1 "http://$a:9180/readyz" 2>/dev/null; then
      say "node $n ready at $a:8080 (pid $(cat "$d/pid"))"; return
    fi
    alive "$d/pid" || { tail -n 20 "$d/err.log" >&2; die "node $n exited while starting"; }
    sleep 0.2
  done
  die "node $n not ready within 60 s (log: $d/err.log)"
}

node_signal() {
  local sig="$1" n="$2" d="$DIR/n$2"
  alive "$d/pid" || die "node $n is not running"
  kill "-$sig" "$(cat "$d/pid")"
  say "node $n: SIG$sig"
}

haproxy_up() {
  mkdir -p "$DIR"
  sed -e "s|@PORT@|$PORT|g" -e "s|@DIR@|$DIR|g" \
      -e "s|@N1@|$(addr 1)|g" -e "s|@N2@|$(addr 2)|g" -e "s|@N3@|$(addr 3)|g" \
      "$here/haproxy.cfg" > "$DIR/haproxy.cfg"
  haproxy -c -q -f "$DIR/haproxy.cfg" || die "haproxy rejects $DIR/haproxy.cfg"
  alive "$DIR/haproxy.pid" || haproxy -D -f "$DIR/haproxy.cfg" -p "$DIR/haproxy.pid"
  say "HAProxy on 127.0.0.1:$PORT (stats socket $DIR/haproxy.sock)"
}

# stats COMMAND: HAProxy's runtime API on its stats socket.
stats() {
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n")
sys.stdout.write(b"".join(iter(lambda: s.recv(65536), b"")).decode())' "$DIR/haproxy.sock" "$1"
}

cmd_up() {
  command -v haproxy >/dev/null || apt_install haproxy
  command -v python3 >/dev/null || apt_install python3
  command -v curl >/dev/null || apt_install curl
  ensure_java
  [ -f "$JAR" ] || die "no $JAR: build it first (mvn -DskipTests package)"
  local n
  for n in "${NODES[@]}"; do net_up "$n"; done
  for n in "${NODES[@]}"; do node_start "$n" & done
  wait_all=0
  for job in $(jobs -p); do wait "$job" || wait_all=1; done
  [ "$wait_all" = 0 ] || die "a node did not start"
  haproxy_up
}

cmd_down() {
  local n d
  if alive "$DIR/haproxy.pid"; then kill "$(cat "$DIR/haproxy.pid")"; fi
  for n in "${NODES[@]}"; do
    d="$DIR/n$n"
    if alive "$d/pid"; then
      kill -TERM "$(cat "$d/pid")" 2>/dev/null || true
    fi
  done
  for n in "${NODES[@]}"; do
    d="$DIR/n$n"
    for _ in $(seq 1 150); do alive "$d/pid" || break; sleep 0.2; done
    if alive "$d/pid"; then kill -KILL "$(cat "$d/pid")" 2>/dev/null || true; fi
    # What a killed node left: its containers (by instance label).
    ids="$(docker ps -aq --filter "label=dev.faaspool.instance=$(instance "$n")" 2>/dev/null || true)"
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    ip link del "$PREFIX-h$n" 2>/dev/null || true
    ip netns del "$(ns "$n")" 2>/dev/null || true
    rm -f "$d/pid"
  done
  rm -f "$DIR/haproxy.pid" "$DIR/haproxy.sock"
  # The nodes remove their sockets when they stop; a killed one's are swept by its next start, or here.
  [ ! -d "$RUN" ] || rm -rf --one-file-system "$RUN"
}

cmd_status() {
  local n d
  for n in "${NODES[@]}"; do
    d="$DIR/n$n"
    printf 'node %s: ' "$n"
    if alive "$d/pid"; then printf 'pid %s, ' "$(cat "$d/pid")"; else printf 'not running, '; fi
    printf 'readyz %s, agent %s\n' \
      "$(ip netns exec "$(ns "$n")" curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$(addr "$n"):9180/readyz" 2>/dev/null || echo -)" \
      "$(ip netns exec "$(ns "$n")" timeout 1 bash -c "exec 3<>/dev/tcp/$(addr "$n")/9181; cat <&3" 2>/dev/null | tr -d '\n' || echo -)"
  done
  alive "$DIR/haproxy.pid" && cmd_weights
}

# name status weight total-sessions 2xx 5xx, one line per server (HAProxy's 'show stat' CSV columns).
cmd_weights() {
  stats "show stat" | awk -F, 'NR==1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == "faas" && $2 != "BACKEND" { print $2, $col["status"], $col["weight"], $col["stot"], $col["hrsp_2xx"], $col["hrsp_5xx"] }'
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  start) ensure_java; node_start "${2:?node number}" ;;
  stop) node_signal TERM "${2:?node number}" ;;
  kill) node_signal KILL "${2:?node number}" ;;
  status) cmd_status ;;
  weights) cmd_weights ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
