#!/usr/bin/env bash
# Builds the adversarial test handler and its image, locally, for the integration tests:
#   target/test-images/hostile    static C (hostile.c), recompiled when the source is newer
#   faas-test-hostile:latest      faas-runtime:slim + /hostile, rebuilt when its inputs changed
#   faas-test-hostile:rust        the same on the Rust init (target/runtime-init/faas-init-rust)
# Needs faas-runtime:slim and faas-init-rust (runtime-init/build-images.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
here="$root/src/test/hostile"
out="$root/target/test-images"
mkdir -p "$out"

CC="${CC:-$(command -v musl-gcc || echo gcc)}"
if [ ! -x "$out/hostile" ] || [ "$here/hostile.c" -nt "$out/hostile" ]; then
  "$CC" -static -Os -Wall -Wextra -Werror -o "$out/hostile" "$here/hostile.c"
  strip "$out/hostile"
fi

source "$root/runtime-init/build-lib.sh"
docker image inspect faas-runtime:slim >/dev/null 2>&1 \
  || { echo "build-test-images: faas-runtime:slim is missing: run runtime-init/build-images.sh" >&2; exit 1; }
build_image faas-test-hostile:latest faas-runtime:slim "$here/Dockerfile" "$out/hostile"
[ -x "$root/target/runtime-init/faas-init-rust" ] \
  || { echo "build-test-images: target/runtime-init/faas-init-rust is missing: run runtime-init/build-images.sh" >&2; exit 1; }
build_image faas-test-hostile:rust - "$here/rust.Dockerfile" "$root/target/runtime-init/faas-init-rust" "$out/hostile"
