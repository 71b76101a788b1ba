#!/usr/bin/env bash
# Builds faas-init and the images faas-pool runs, locally (no registry is needed or used):
#   faas-runtime:slim   FROM scratch + faas-init (static)
#   faas-hello:latest   faas-runtime:slim + the static C hello handler (the built-in function)
# then the parts that build in their own scripts, in this order when present:
#   runtime-init/sdk/build.sh        the persistent-mode SDKs      -> target/runtime-init/sdk/
#   runtime-init/variants/build.sh   the other faas-init variants  -> target/runtime-init/
#   runtime-init/images/build.sh     the language runtime images and the examples
# Idempotent: an image is rebuilt only when its inputs changed (their hash is an image label).
# With --built-in, only faas-init, faas-runtime:slim and faas-hello:latest.
# Binaries go to target/runtime-init/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/target/runtime-init"
mkdir -p "$out"

CC="${CC:-$(command -v musl-gcc || echo gcc)}"
CFLAGS=(-static -Os -Wall -Wextra -Werror)

# build_c <source> <binary>: compiles when the source is newer than the binary.
build_c() {
  if [ ! -x "$2" ] || [ "$1" -nt "$2" ]; then
    "$CC" "${CFLAGS[@]}" -o "$2" "$1"
    strip "$2"
  fi
}

# build_image <tag> <base image or -> <dockerfile> <files...>: see build-lib.sh.
source "$root/runtime-init/build-lib.sh"

build_c "$root/runtime-init/faas-init.c" "$out/faas-init"
build_c "$root/examples/hello-c/hello.c" "$out/hello"

build_image faas-runtime:slim - "$root/runtime-init/images/slim/Dockerfile" "$out/faas-init"
build_image faas-hello:latest faas-runtime:slim "$root/examples/hello-c/Dockerfile" "$out/hello"

# --built-in: only what the built-in function needs (faas-pool without --config).
[ "${1:-}" = --built-in ] && exit 0

for part in sdk variants images; do
  if [ -x "$root/runtime-init/$part/build.sh" ]; then
    "$root/runtime-init/$part/build.sh"
  fi
done
