#!/usr/bin/env bash
# Builds faas-pool:latest from target/faas-pool.jar (which must exist) on faas-base:bookworm:
#   1. jdeps lists the modules the jar needs; jlink cuts a runtime of only those from $JAVA_HOME;
#   2. docker build with deploy/image/Dockerfile, that runtime and the jar as the context.
# Rebuilds only when its inputs change: the Dockerfile, this script, the jar, the JDK and the base
# image's id, hashed into the image label dev.faaspool.inputs (as runtime-init/build-lib.sh does).
# Prints the image size when it builds. FAAS_POOL_IMAGE changes the tag.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tag="${FAAS_POOL_IMAGE:-faas-pool:latest}"
base="${FAAS_POOL_BASE:-faas-base:bookworm}"
jar="$root/target/faas-pool.jar"
jdk="${JAVA_HOME:?JAVA_HOME must name the JDK (>= 25) that cuts the runtime}"

# Found by jdeps below; these are loaded by name at run time, which jdeps cannot see.
# jdk.crypto.ec: none (in java.base since 22). jdk.localedata: not needed, logs are in English.
EXTRA_MODULES="${FAAS_POOL_EXTRA_MODULES:-}"

[ -f "$jar" ] || { echo "build-pool-image: $jar is missing (mvn package)" >&2; exit 1; }
docker image inspect "$base" >/dev/null 2>&1 \
  || { echo "build-pool-image: base image $base is missing (runtime-init/build-images.sh)" >&2; exit 1; }

hash="$( (cat "$here/Dockerfile" "$here/build.sh"; sha256sum <"$jar"; cat "$jdk/release"
          echo "$EXTRA_MODULES"; docker image inspect -f '{{.Id}}' "$base") | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{index .Config.Labels "dev.faaspool.inputs"}}' "$tag" 2>/dev/null)" = "$hash" ]; then
  exit 0
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
modules="$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$jar")"
[ -n "$modules" ] || { echo "build-pool-image: jdeps found no modules in $jar" >&2; exit 1; }
modules="$modules${EXTRA_MODULES:+,$EXTRA_MODULES}"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress=zip-6 --output "$ctx/jre"
cp "$jar" "$ctx/faas-pool.jar"
native="$("$jdk/bin/jar" tf "$jar" | grep -E '^lib/amd64-Linux-clang/jni/libjunixsocket-native-[0-9.]+\.so$' | head -n1)"
[ -n "$native" ] || { echo "build-pool-image: no amd64 Linux junixsocket library in $jar" >&2; exit 1; }
mkdir "$ctx/lib" "$ctx/x"
(cd "$ctx/x" && "$jdk/bin/jar" xf "$jar" "$native")
mv "$ctx/x/$native" "$ctx/lib/libjunixsocket-native.so"
rm -rf "$ctx/x"
cp "$here/Dockerfile" "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q --force-rm --network host --build-arg "BASE=$base" \
  --label "dev.faaspool.inputs=$hash" --label "dev.faaspool.modules=$modules" -t "$tag" "$ctx" \
  >/dev/null 2>"$ctx/err" \
  || { cat "$ctx/err" >&2; echo "build-pool-image: docker build $tag failed" >&2; exit 1; }
size="$(docker image inspect -f '{{.Size}}' "$tag")"
echo "build-pool-image: built $tag ($size bytes, $((size / 1000000)) MB; runtime: $(du -sm "$ctx/jre" | cut -f1) MiB, modules $modules)"
