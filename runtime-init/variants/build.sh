#!/usr/bin/env bash
# Builds the other faas-init variants into target/runtime-init/ (run by runtime-init/build-images.sh):
#   faas-init-go   runtime-init/variants/go, static (CGO_ENABLED=0), stripped
#   faas-init-rust runtime-init/variants/rust, static-pie (glibc, +crt-static), stripped
#   faas-init.py   runtime-init/variants/python/faas-init.py, copied, executable
# Idempotent: an output is rebuilt only when one of its sources is newer. Installs Debian's golang-go
# when there is no go, and Debian's rustc and cargo when they are not in /usr/bin.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
src="$root/runtime-init/variants"
out="$root/target/runtime-init"
# shellcheck source=../../bin/lib.sh
source "$root/bin/lib.sh"
mkdir -p "$out"

# newer <output> <sources...>: true when the output is missing or a source is newer.
newer() {
  local o="$1"; shift
  [ -e "$o" ] || return 0
  [ -n "$(find "$@" -newer "$o" -print -quit)" ]
}

if newer "$out/faas-init.py" "$src/python/faas-init.py"; then
  install -m 755 "$src/python/faas-init.py" "$out/faas-init.py"
  echo "variants: copied faas-init.py"
fi

bin="$out/faas-init-go"
if newer "$bin" "$src/go"; then
  command -v go >/dev/null || apt_install golang-go
  command -v file >/dev/null || apt_install file
  # go needs a build cache, and finds none without HOME (as under some CI runners).
  case "$(go env GOCACHE 2>/dev/null)" in ""|off) export GOCACHE="$root/target/go-cache" ;; esac
  (cd "$src/go" && CGO_ENABLED=0 GOPROXY=off \
     go build -trimpath -ldflags='-s -w' -o "$bin.tmp" .)
  file "$bin.tmp" | grep -q 'statically linked' || { file "$bin.tmp" >&2; die "variants: $bin is not static"; }
  mv "$bin.tmp" "$bin"
  echo "variants: built faas-init-go ($(stat -c %s "$bin") bytes)"
fi

# Rust: Debian's toolchain (bookworm: rustc 1.63, cargo 1.65), not whatever rustup put first on PATH,
# so that every machine builds with the same compiler. RUSTC is set too: cargo runs the `rustc` it finds
# on PATH, which would be rustup's proxy where ~/.cargo/bin comes first. Where Debian's is missing and
# cannot be installed (not root), a cargo on PATH is used, and said.
bin="$out/faas-init-rust"
if newer "$bin" "$src/rust/src" "$src/rust/Cargo.toml" "$src/rust/Cargo.lock"; then
  if [ ! -x /usr/bin/cargo ] || [ ! -x /usr/bin/rustc ]; then
    if [ "$(id -u)" = 0 ] || ! command -v cargo >/dev/null; then apt_install rustc cargo; fi
  fi
  if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
    cargo=/usr/bin/cargo; export RUSTC=/usr/bin/rustc
  else
    cargo="$(command -v cargo)"; say "variants: no Debian rustc, building with $cargo"
  fi
  command -v file >/dev/null || apt_install file
  # cargo keeps its registry cache under CARGO_HOME (unused here: no dependencies), ~/.cargo by default.
  [ -n "${HOME:-}" ] || export CARGO_HOME="$root/target/cargo-home"
  target=x86_64-unknown-linux-gnu
  # --target keeps RUSTFLAGS off build scripts (there are none); +crt-static links glibc in: static-pie.
  (cd "$src/rust" && CARGO_TARGET_DIR="$root/target/rust-build" RUSTFLAGS="-C target-feature=+crt-static" \
     "$cargo" build --offline --locked --release --quiet --target "$target")
  built="$root/target/rust-build/$target/release/faas-init-rust"
  file "$built" | grep -Eq 'static-pie linked|statically linked' || { file "$built" >&2; die "variants: $built is not static"; }
  install -m 755 "$built" "$bin"
  echo "variants: built faas-init-rust ($(stat -c %s "$bin") bytes, $("${RUSTC:-rustc}" --version))"
fi
