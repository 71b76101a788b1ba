#!/usr/bin/env bash
# Builds the other faas-init variants into target/runtime-init/ (run by runtime-init/build-images.sh):
#   faas-init-go   runtime-init/variants/go, static (CGO_ENABLED=0), stripped
#   faas-init.py   runtime-init/variants/python/faas-init.py, copied, executable
# Idempotent: an output is rebuilt only when one of its sources is newer. Installs Debian's golang-go
# when there is no go.
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
