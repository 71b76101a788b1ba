#!/usr/bin/env bash
# Stages the persistent-mode SDKs (runtime-init/sdk/README.md) where the images copy them from:
#   target/runtime-init/sdk/python/  faas_sdk.py
#   target/runtime-init/sdk/node/    faas-sdk.js, faas_fd.node (the N-API addon, built with gcc)
#   target/runtime-init/sdk/java/    faas-sdk.jar (javac --release 17) and the junixsocket jars it
#                                    names in its manifest's Class-Path
# The Go SDK needs no staging: handlers compile against the module source, runtime-init/sdk/go.
# Idempotent: a file is rebuilt or copied only when its inputs changed. Installs gcc, Node.js headers,
# a JDK or Maven with apt when one is missing and needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/bin/lib.sh"
sdk="$root/runtime-init/sdk"
out="$root/target/runtime-init/sdk"
junixsocket_version=2.10.1
m2="${M2_REPO:-$HOME/.m2/repository}"

built() { echo "sdk: built $*"; }

# stage <file> <dir>: copies when the staged copy is missing or differs.
stage() {
  local dest="$2/$(basename "$1")"
  mkdir -p "$2"
  if ! cmp -s "$1" "$dest"; then
    cp "$1" "$dest.tmp"
    mv "$dest.tmp" "$dest"
  fi
}

# newer <target> <sources...>: true when the target is missing or a source is newer than it.
newer() {
  local target="$1" s; shift
  [ -e "$target" ] || return 0
  for s in "$@"; do
    [ "$s" -nt "$target" ] && return 0
  done
  return 1
}

# --- Python: one stdlib-only module ---
stage "$sdk/python/faas_sdk.py" "$out/python"

# --- Node.js: the module and its N-API addon ---
stage "$sdk/node/faas-sdk.js" "$out/node"
addon="$out/node/faas_fd.node"
if newer "$addon" "$sdk/node/faas_fd.c" "$0"; then
  command -v gcc >/dev/null 2>&1 || apt_install gcc
  node_include=/usr/include/node
  [ -f "$node_include/node_api.h" ] || apt_install libnode-dev
  gcc -shared -fPIC -O2 -Wall -Wextra -Werror -I"$node_include" -o "$addon.tmp" "$sdk/node/faas_fd.c"
  mv "$addon.tmp" "$addon"
  built "$addon"
fi
if command -v node >/dev/null 2>&1; then
  node -e 'require(process.argv[1])' "$addon" || die "$addon does not load in $(node --version)"
fi

# --- Java: faas-sdk.jar next to the junixsocket jars it needs ---
javac="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
if ! command -v "$javac" >/dev/null 2>&1; then
  javac=javac
  command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
fi
jar_tool="$(dirname "$(command -v "$javac")")/jar"

junixsocket_jars=()
for artifact in junixsocket-common junixsocket-native-common; do
  name="$artifact-$junixsocket_version.jar"
  cached="$m2/com/kohlschutter/junixsocket/$artifact/$junixsocket_version/$name"
  if [ -f "$cached" ]; then
    stage "$cached" "$out/java"
  elif [ ! -f "$out/java/$name" ]; then
    command -v mvn >/dev/null 2>&1 || apt_install maven
    mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="com.kohlschutter.junixsocket:$artifact:$junixsocket_version" -DoutputDirectory="$out/java" \
      || die "cannot fetch com.kohlschutter.junixsocket:$artifact:$junixsocket_version"
  fi
  junixsocket_jars+=("$name")
done

# junixsocket loads its JNI library by extracting it to java.io.tmpdir, which fails in a function
# container (its only writable place, /tmp, is mounted noexec): the library for this machine's
# architecture is staged next to the jars, and Faas loads it from there (see Faas.java).
native_jar="$out/java/junixsocket-native-common-$junixsocket_version.jar"
native="$out/java/lib/libjunixsocket-native.so"
if newer "$native" "$native_jar"; then
  case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64|arm64) arch=aarch64 ;;
    *) arch="$(uname -m)" ;;
  esac
  entry="lib/$arch-Linux-clang/jni/libjunixsocket-native-$junixsocket_version.so"
  mkdir -p "$(dirname "$native")"
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
    "$native_jar" "$entry" >"$native.tmp" || die "$native_jar has no $entry"
  chmod 644 "$native.tmp"
  mv "$native.tmp" "$native"
  built "$native"
fi

sdk_jar="$out/java/faas-sdk.jar"
mapfile -t java_sources < <(find "$sdk/java/src" -name '*.java' | sort)
if newer "$sdk_jar" "${java_sources[@]}" "$0"; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$javac" --release 17 -Xlint:all,-classfile -Werror -d "$tmp/classes" \
    -cp "$out/java/junixsocket-common-$junixsocket_version.jar" "${java_sources[@]}"
  printf 'Class-Path: %s\n' "${junixsocket_jars[*]}" > "$tmp/manifest"
  "$jar_tool" --create --file "$tmp/faas-sdk.jar" --manifest "$tmp/manifest" -C "$tmp/classes" .
  mv "$tmp/faas-sdk.jar" "$sdk_jar"
  built "$sdk_jar"
fi
