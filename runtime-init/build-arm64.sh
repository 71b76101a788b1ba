#!/usr/bin/env bash
# Cross-builds for aarch64 (arm64), on any machine, into target/runtime-init/arm64/ (the amd64 layout
# of target/runtime-init/, for what is not architecture-independent):
#   faas-init                   runtime-init/faas-init.c, static (musl, as the amd64 one), stripped
#   hello                       examples/hello-c/hello.c, the same way (faas-hello's handler)
#   faas-init-go                runtime-init/variants/go, GOARCH=arm64 CGO_ENABLED=0, stripped
#   faas-init-rust              runtime-init/variants/rust, Debian's rustc and its aarch64 std, static
#                               (glibc, +crt-static), linked by aarch64-linux-gnu-gcc
#   sdk/node/faas_fd.node       the Node.js SDK's N-API addon, against Debian's Node.js headers
#   sdk/java/lib/libjunixsocket-native.so  the Java SDK's JNI library for aarch64, from the junixsocket
#                               jar runtime-init/sdk/build.sh staged (when it has)
#   sdk/go/echo                 the Go SDK's example (runtime-init/sdk/go/example/echo)
#   images/go-persistent/handler  examples/go-persistent, as images/build.sh builds it for amd64
# Every binary is checked to be an aarch64 ELF (e_machine 183) and, but for the addon, static. The
# conformance suite runs the inits under qemu-aarch64-static (Arm64*InitIT). Idempotent: an output is
# rebuilt only when one of its sources is newer. Installs the cross toolchains (bin/lib.sh's
# ensure_arm64_tools) when missing. Needs no Docker and no binfmt_misc registration.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../bin/lib.sh
source "$root/bin/lib.sh"
out="$root/target/runtime-init/arm64"
mkdir -p "$out"
ensure_arm64_tools
command -v go >/dev/null 2>&1 || apt_install golang-go
command -v file >/dev/null 2>&1 || apt_install file

# newer <output> <sources...>: true when the output is missing or a source is newer.
newer() {
  local o="$1"; shift
  [ -e "$o" ] || return 0
  [ -n "$(find "$@" -newer "$o" -print -quit)" ]
}

# check <binary> [static]: fails unless it is an ELF for aarch64 (and, with "static", statically linked).
check() {
  local machine
  machine="$(od -An -tu2 -j18 -N2 "$1" | tr -d ' ')"
  [ "$machine" = 183 ] || die "arm64: $1 is not an aarch64 ELF (e_machine $machine)"
  if [ "${2:-}" = static ]; then
    file "$1" | grep -Eq 'static-pie linked|statically linked' || { file "$1" >&2; die "arm64: $1 is not static"; }
  fi
}

# put <built> <output>: checks what was built, then moves it into place, and says so.
put() {
  check "$1" "${3:-}"
  mv "$1" "$2"
  echo "arm64: built ${2#"$root/"} ($(stat -c %s "$2") bytes)"
}

# C: musl's arm64 wrapper around the cross gcc, with build-images.sh's flags.
for c in runtime-init/faas-init.c:faas-init examples/hello-c/hello.c:hello; do
  bin="$out/${c#*:}"
  if newer "$bin" "$root/${c%%:*}"; then
    aarch64-linux-musl-gcc -static -Os -Wall -Wextra -Werror -o "$bin.tmp" "$root/${c%%:*}"
    aarch64-linux-gnu-strip "$bin.tmp"
    put "$bin.tmp" "$bin" static
  fi
done

# Go: as variants/build.sh and images/build.sh build for amd64, offline.
case "$(go env GOCACHE 2>/dev/null)" in ""|off) export GOCACHE="$root/target/go-cache" ;; esac
go_build() { # <module dir> <output> <package>
  (cd "$1" && GOARCH=arm64 CGO_ENABLED=0 GOPROXY=off go build -trimpath -buildvcs=false -ldflags='-s -w' \
     -o "$2.tmp" "$3")
  put "$2.tmp" "$2" static
}
if newer "$out/faas-init-go" "$root/runtime-init/variants/go"; then
  go_build "$root/runtime-init/variants/go" "$out/faas-init-go" .
fi
gosdk="$root/runtime-init/sdk/go"
mkdir -p "$out/sdk/go" "$out/images/go-persistent"
if newer "$out/sdk/go/echo" "$gosdk"; then
  go_build "$gosdk" "$out/sdk/go/echo" ./example/echo
fi
if newer "$out/images/go-persistent/handler" "$root/examples/go-persistent" "$gosdk"; then
  go_build "$root/examples/go-persistent" "$out/images/go-persistent/handler" .
fi

# Rust: Debian's rustc with Debian's std for aarch64 (libstd-rust-dev:arm64, the same version as the
# host's, which dpkg's Multi-Arch: same enforces), linked by the cross gcc against its glibc.
src="$root/runtime-init/variants/rust"
target=aarch64-unknown-linux-gnu
if newer "$out/faas-init-rust" "$src/src" "$src/Cargo.toml" "$src/Cargo.lock"; then
  [ -n "${HOME:-}" ] || export CARGO_HOME="$root/target/cargo-home"
  (cd "$src" && RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$root/target/rust-build" \
     CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
     RUSTFLAGS="-C target-feature=+crt-static" \
     /usr/bin/cargo build --offline --locked --release --quiet --target "$target")
  cp "$root/target/rust-build/$target/release/faas-init-rust" "$out/faas-init-rust.tmp"
  put "$out/faas-init-rust.tmp" "$out/faas-init-rust" static
fi

# The Node.js addon: a shared object node loads, so not static; the headers are the same on every
# architecture (Debian's libnode-dev, as runtime-init/sdk/build.sh uses).
addon="$out/sdk/node/faas_fd.node"
mkdir -p "$out/sdk/node"
if newer "$addon" "$root/runtime-init/sdk/node/faas_fd.c"; then
  [ -f /usr/include/node/node_api.h ] || apt_install libnode-dev
  aarch64-linux-gnu-gcc -shared -fPIC -O2 -Wall -Wextra -Werror -I/usr/include/node -o "$addon.tmp" \
    "$root/runtime-init/sdk/node/faas_fd.c"
  put "$addon.tmp" "$addon"
fi

# junixsocket ships its JNI library for every architecture in one jar; sdk/build.sh takes the host's.
jar="$(ls "$root/target/runtime-init/sdk/java/"junixsocket-native-common-*.jar 2>/dev/null | head -n1)"
native="$out/sdk/java/lib/libjunixsocket-native.so"
if [ -n "$jar" ] && newer "$native" "$jar"; then
  version="${jar##*-common-}"; version="${version%.jar}"
  mkdir -p "$(dirname "$native")"
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
    "$jar" "lib/aarch64-Linux-clang/jni/libjunixsocket-native-$version.so" >"$native.tmp" \
    || die "arm64: $jar has no aarch64 JNI library"
  chmod 644 "$native.tmp"
  put "$native.tmp" "$native"
fi
