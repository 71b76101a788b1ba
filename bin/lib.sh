# Shared by bin/faas-pool and bin/test: find a JDK, make sure a Docker engine answers, build the
# runtime images. Sourced, not run.

FAAS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FAAS_DOCKERD_LOG="${FAAS_DOCKERD_LOG:-/var/log/faas-pool-dockerd.log}"

say() { printf 'faas-pool: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1; }

# Exports JAVA_HOME as a JDK >= 25: $JAVA_HOME if it is one, else the newest under /usr/lib/jvm.
ensure_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    export JAVA_HOME; return
  fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*/; do
    d="${d%/}"
    [ -x "$d/bin/javac" ] || continue
    v="$(java_major "$d")"
    [ -n "$v" ] && [ "$v" -gt "$best_v" ] 2>/dev/null && { best="$d"; best_v="$v"; }
  done
  [ "$best_v" -ge 25 ] || die "no JDK >= 25 found (set JAVA_HOME, or install one under /usr/lib/jvm)"
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}

apt_updated=""
apt_install() {
  [ "$(id -u)" = 0 ] || die "need root to install $* (apt-get)"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || die "apt-get update failed"
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null || die "apt-get install $* failed"
}

# Installs Debian's docker.io (and the C toolchain for static binaries) when missing, and starts
# dockerd when nothing answers on its socket.
ensure_docker() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v musl-gcc >/dev/null 2>&1 || missing+=(musl-tools)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  if docker info >/dev/null 2>&1; then return; fi
  [ "$(id -u)" = 0 ] || die "no Docker engine answers and only root can start dockerd here"
  local extra=()
  runsc_dockerd_args extra
  say "starting dockerd (log: $FAAS_DOCKERD_LOG)${extra[*]:+ with ${extra[*]}}"
  # Function containers run with network none: no bridge, no iptables rules needed.
  setsid nohup dockerd --iptables=false --bridge=none ${extra[@]+"${extra[@]}"} \
    >"$FAAS_DOCKERD_LOG" 2>&1 < /dev/null &
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return
    sleep 0.5
  done
  tail -n 20 "$FAAS_DOCKERD_LOG" >&2
  die "dockerd did not answer within 30 s"
}

# gVisor, opt-in: when runsc is installed, the engine ensure_docker starts gets an OCI runtime named
# "runsc" (`docker run --runtime=runsc`); nothing runs on it unless asked to. An engine that already
# answers is left as it is (engine_has_runtime runsc tells). See runtime-init/RUNSC.md: the control
# socket works under runsc, handing a TCP connection over it does not (gVisor imports only Unix sockets).
# dockerd 20.10's --add-runtime takes a path without arguments, and runsc needs two here:
#   --network=none   Docker's "none" netns passes for the root netns on kernels >= 6.11 (gVisor #10704)
#                    and runsc refuses to start; function containers have no network anyway.
#   --host-uds=open  lets the sandbox connect() to a host Unix socket (the bind-mounted control socket);
#                    the default (none) fails with EPERM. "open" is connect() only ("create" would
#                    allow bind()); the container still reaches only what its mounts show it.
# So they go in a daemon config file of our own, written once (then it is the operator's to edit).
FAAS_DOCKERD_CONFIG="${FAAS_DOCKERD_CONFIG:-/etc/faas-pool/dockerd.json}"
FAAS_RUNSC_ARGS="${FAAS_RUNSC_ARGS:---network=none --host-uds=open}"

# runsc_dockerd_args ARRAY: appends `--config-file FILE` to the named array when runsc is installed,
# nothing when it is not. --config-file replaces /etc/docker/daemon.json, so an existing one wins:
# runsc is then not registered (say so: add runtimes.runsc to it by hand).
runsc_dockerd_args() {
  local -n out="$1"
  local runsc arg args="" list=()
  runsc="$(command -v runsc 2>/dev/null)" || return 0
  if [ -s /etc/docker/daemon.json ] && [ "$FAAS_DOCKERD_CONFIG" != /etc/docker/daemon.json ]; then
    say "runsc not registered: /etc/docker/daemon.json is in use (add a runtimes.runsc entry to it)"
    return 0
  fi
  if [ ! -s "$FAAS_DOCKERD_CONFIG" ]; then
    read -r -a list <<<"$FAAS_RUNSC_ARGS"
    for arg in ${list[@]+"${list[@]}"}; do
      case "$arg" in *[\\\"]*) die "FAAS_RUNSC_ARGS: no quotes or backslashes ($arg)" ;; esac
      args="${args:+$args, }\"$arg\""
    done
    mkdir -p "$(dirname "$FAAS_DOCKERD_CONFIG")" || die "cannot create $(dirname "$FAAS_DOCKERD_CONFIG")"
    printf '{\n  "runtimes": {\n    "runsc": { "path": "%s", "runtimeArgs": [%s] }\n  }\n}\n' \
      "$runsc" "$args" >"$FAAS_DOCKERD_CONFIG" || die "cannot write $FAAS_DOCKERD_CONFIG"
    say "registering runsc with dockerd: $FAAS_DOCKERD_CONFIG"
  fi
  out+=(--config-file "$FAAS_DOCKERD_CONFIG")
}

# engine_has_runtime NAME: whether the engine that answers knows the OCI runtime NAME (e.g. runsc).
engine_has_runtime() {
  docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null | tr ' ' '\n' |
    grep -qx -- "$1"
}

# What the tests use besides Docker: promtool (Debian's prometheus) checks /metrics, Chromium renders
# the HTML report, and the SDK and init-variant tests run Python, Node.js and Go programs on the host.
ensure_test_tools() {
  local missing=() tool
  for tool in promtool:prometheus chromium:chromium python3:python3 node:nodejs go:golang-go haproxy:haproxy curl:curl ip:iproute2; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

# What runtime-init/build-arm64.sh cross-builds with, and what runs its output here: Debian's aarch64
# gcc, musl for arm64 (its aarch64-linux-musl-gcc wraps that gcc, as musl-gcc builds the amd64 init),
# Debian's Rust std for aarch64 (the host's rustc's version: libstd-rust-dev is Multi-Arch: same) and
# qemu-user-static, whose qemu-aarch64-static the tests run directly: no binfmt_misc registration is
# made or needed. The :arm64 packages need dpkg's foreign architecture arm64, added once.
ensure_arm64_tools() {
  local missing=()
  command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
  command -v aarch64-linux-musl-gcc >/dev/null 2>&1 || missing+=(musl-dev:arm64)
  [ -d /usr/lib/rustlib/aarch64-unknown-linux-gnu/lib ] || missing+=(libstd-rust-dev:arm64)
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || missing+=(rustc cargo)
  command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
  [ ${#missing[@]} -eq 0 ] && return
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    [ "$(id -u)" = 0 ] || die "need root to add dpkg's architecture arm64 (for ${missing[*]})"
    say "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
    apt_updated=""
  fi
  apt_install "${missing[@]}"
}

# build_arm64: the aarch64 inits, the SDKs' native parts and the Go examples (runtime-init/build-arm64.sh).
build_arm64() {
  "$FAAS_ROOT/runtime-init/build-arm64.sh" || die "building for arm64 failed"
}

# build_images [--built-in]: every runtime image and example, or only what the built-in function needs.
build_images() {
  "$FAAS_ROOT/runtime-init/build-images.sh" "$@" || die "building the runtime images failed"
}

# build_test_images: the images only the integration tests use (faas-test-hostile:latest).
build_test_images() {
  "$FAAS_ROOT/src/test/hostile/build.sh" || die "building the test images failed"
}

# Builds target/faas-pool.jar when it is missing or older than the sources.
build_jar() {
  local jar="$FAAS_ROOT/target/faas-pool.jar"
  if [ ! -f "$jar" ] || [ -n "$(cd "$FAAS_ROOT" && find pom.xml src/main -newer "$jar" -print -quit)" ]; then
    say "building target/faas-pool.jar"
    mvn_quiet_jdk
    (cd "$FAAS_ROOT" && mvn -B -q -Dstyle.color=never -DskipTests package) || die "the build failed"
  fi
}

# build_pool_image: faas-pool's own image (faas-pool:latest) from target/faas-pool.jar, rebuilt only when
# the jar, the Dockerfile or the base changed (deploy/image/build.sh). Prints its size when it builds.
build_pool_image() {
  build_jar
  "$FAAS_ROOT/deploy/image/build.sh" || die "building the faas-pool image failed"
}

mvn_quiet_jdk() {
  # Maven's own guava touches sun.misc.Unsafe; keep JDK 24+ from warning about it on every run.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}
