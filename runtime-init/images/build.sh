#!/usr/bin/env bash
# Builds the language runtime images and the examples, locally from Debian's packages (no registry):
#   faas-base:bookworm           Debian bookworm, minbase, made by mmdebstrap and docker import'ed
#   faas-runtime:python          faas-base + python3 + faas-init    (+ the persistent-mode SDK, if built)
#   faas-runtime:node            faas-base + nodejs + faas-init     (+ SDK)
#   faas-runtime:java            faas-base + openjdk-17-jre-headless + faas-init (+ SDK)
#   faas-runtime:go              FROM scratch + faas-init (Go handlers are static binaries)
#   faas-example-<name>:latest   examples/<name> (python, node, go, java) on its runtime
#   faas-example-<name>-persistent:latest
#                                examples/<name>-persistent, the same handlers in persistent mode on
#                                the SDKs (the Java and Go ones compiled here against them)
# With --arch arm64, the runtime images for aarch64 instead (build_arm64, below), tagged ...-arm64.
# Run by runtime-init/build-images.sh, after faas-init (and the SDKs) are built. Idempotent: an image is
# rebuilt only when its inputs changed (build-lib.sh). The base is made again only when its recipe
# changes; `docker rmi faas-base:bookworm` forces it (say, for Debian's security updates), and then
# every image on it is rebuilt.
#   FAAS_DEBIAN_MIRROR           default http://deb.debian.org/debian
#   FAAS_DEBIAN_SECURITY_MIRROR  default http://deb.debian.org/debian-security
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/bin/lib.sh"
source "$root/runtime-init/build-lib.sh"
here="$root/runtime-init/images"
examples="$root/examples"
out="$root/target/runtime-init"
stage="$out/images"
mkdir -p "$stage"

suite=bookworm
base="faas-base:$suite"
mirror="${FAAS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${FAAS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
sources=("deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main")

# build_base: mmdebstrap's minbase (the essential packages, apt and the required ones), with merged
# /usr set up as debootstrap does (usr-is-merged, not usrmerge and the whole of perl it needs), without
# documentation, manuals and translations (base/dpkg.cfg, which stays in the image for the packages
# installed later), and without apt's lists and caches (mmdebstrap's clean-up, base/docker-clean), nor
# the host's resolv.conf and hostname that mmdebstrap copies in, nor any setuid or setgid bit (su, mount,
# passwd, chage, unix_chkpwd..., and the setgid /var/local and /var/mail: $strip_setid, which fails the
# build if one is left; base/no-setid does the same after every later dpkg run); imported as $base.
# The hook runs on the host, on the tree in "$1": -xdev keeps find out of what mmdebstrap mounts there.
# build_base <tag> <variant> [mmdebstrap options...]: that, of that variant and with these options too,
# imported as <tag>.
strip_setid='find "$1" -xdev -perm /6000 ! -type l -exec chmod ug-s {} + && ! find "$1" -xdev -perm /6000 ! -type l | grep .'
build_base() {
  local base="$1" variant="$2"; shift 2
  local apt_hooks=(--customize-hook="upload $here/base/docker-clean /etc/apt/apt.conf.d/docker-clean"
                   --customize-hook="upload $here/base/no-setid /etc/apt/apt.conf.d/no-setid")
  # An extracted tree has no apt or dpkg to configure, and in an extract run the host's apt, which
  # mmdebstrap runs on the tree, reads them: docker-clean would empty the host's own package cache.
  [ "$variant" != extract ] || apt_hooks=()
  local opts=(--variant="$variant" --quiet
              --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
              --aptopt="$here/base/apt.conf" --dpkgopt="$here/base/dpkg.cfg"
              "${apt_hooks[@]}"
              --customize-hook='rm -f "$1"/var/cache/apt/*.bin; : > "$1/etc/resolv.conf"; : > "$1/etc/hostname"'
              --customize-hook="$strip_setid" "$@")
  # The extract variant runs no customize hooks: its extract hooks come after the packages are there.
  [ "$variant" != extract ] || opts=("${opts[@]/#--customize-hook=/--extract-hook=}")
  local cmd=(-c 'CMD ["bash"]')
  [ "$variant" != extract ] || cmd=() # no shell
  local hash
  hash="$( (printf '%s\n' "$suite" "${opts[@]//"$here/"/}" "${sources[@]}"; cat "$here/base/"*) | sha256sum | cut -c1-16)"
  if [ "$(image_inputs "$base")" = "$hash" ]; then
    return
  fi
  command -v mmdebstrap >/dev/null 2>&1 || apt_install mmdebstrap
  local tar
  tar="$(mktemp --suffix=.tar "$stage/base-XXXXXX")"
  trap 'rm -f "$tar"; trap - RETURN' RETURN
  mmdebstrap "${opts[@]}" "$suite" "$tar" "${sources[@]}" >"$tar.log" 2>&1 \
    || { cat "$tar.log" >&2; rm -f "$tar.log"; die "mmdebstrap $suite failed ($base)"; }
  rm -f "$tar.log"
  docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c "LABEL dev.faaspool.inputs=$hash" \
    "${cmd[@]}" "$tar" "$base" >/dev/null
  echo "build-images: built $base ($(docker image inspect -f '{{.Size}}' "$base") bytes)"
}

# stage_sdk <lang>: a directory named sdk holding the persistent-mode SDK of <lang> as built into
# target/runtime-init/sdk/<lang>/, or nothing yet; prints its path.
stage_sdk() {
  local dir="$stage/$1/sdk"
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ -d "$out/sdk/$1" ]; then
    cp -a "$out/sdk/$1/." "$dir/"
  fi
  echo "$dir"
}

# newer <output> <inputs...>: true when the output is missing or older than an input.
newer() {
  local o="$1" i; shift
  [ -e "$o" ] || return 0
  for i in "$@"; do [ "$i" -nt "$o" ] && return 0; done
  return 1
}

# --arch arm64: the runtime images for aarch64 from target/runtime-init/arm64/ (runtime-init/build-arm64.sh),
# on this machine, running nothing of arm64: no binfmt_misc registration or qemu is needed. Docker's
# builder would need both for a RUN step, so there is none: each language's base is made by mmdebstrap
# for arm64 with the packages its Dockerfile's RUN installs, and the image is that Dockerfile without
# its RUN step, on that base. The packages are extracted, not installed (--variant=extract): their
# maintainer scripts would have to run as arm64 (or, in mmdebstrap's chrootless mode, they run on the
# host, and python3's and ca-certificates-java's then change the host's own files). So the base is the
# language's packages and what they depend on, without the essential set (no shell), and the hooks do
# what of their scripts the image needs ($arm64_hooks). docker import and the builder label what they
# make FROM scratch with the engine's own architecture: set_architecture makes it arm64 (an image built
# FROM an arm64 one is arm64 already).
#   faas-base:bookworm-<lang>-arm64     the language's packages (python, node, java), extracted
#   faas-runtime:<lang>-arm64           + the SDK (its native parts for aarch64) + faas-init
#   faas-runtime:go-arm64, faas-runtime:slim-arm64, faas-hello:arm64, faas-example-go-persistent:arm64
arm64_hooks=(
  # base-passwd's postinst: the system's users and groups (nobody, 65534, is the one functions run as).
  --customize-hook='cp "$1/usr/share/base-passwd/passwd.master" "$1/etc/passwd" && cp "$1/usr/share/base-passwd/group.master" "$1/etc/group"'
  # dpkg.cfg's path-excludes, which dpkg applies as it unpacks, and mmdebstrap's extraction does not.
  --customize-hook='cd "$1/usr/share" && rm -rf man/* info/* lintian linda && for d in doc locale; do [ ! -d $d ] || { find $d ! -type d ! -name copyright ! -name locale.alias -delete && find $d -mindepth 1 -type d -empty -delete; } || exit 1; done'
  # The JRE's update-alternatives: its programs on the PATH (from the JRE's directory, not its alias).
  --customize-hook='for f in "$1"/usr/lib/jvm/*/bin/*; do [ -L "${f%/bin/*}" ] || ln -s "${f#"$1"}" "$1/usr/bin/${f##*/}" || exit 1; done'
  # python3's py3compile: the standard library byte-compiled (the root is read-only when functions run),
  # by the host's Debian python of the same version (byte code is the same on every architecture).
  --customize-hook='for py in "$1"/usr/bin/python3.*; do v="${py##*/}"; [ -x "/usr/bin/$v" ] || continue; "/usr/bin/$v" -m compileall -q -s "$1" -p / "$1/usr/lib/$v" >/dev/null || exit 1; done'
)
build_arm64() {
  local a="$out/arm64" lang pkgs dir base tag
  [ -x "$a/faas-init" ] || die "$a/faas-init is missing: run runtime-init/build-arm64.sh"
  for lang in python node java; do
    pkgs="$(grep -o 'apt-get install -y --no-install-recommends [^&]*' "$here/$lang/Dockerfile" | cut -d' ' -f5- | xargs)"
    [ -n "$pkgs" ] || die "$here/$lang/Dockerfile: no apt-get install line to take the packages from"
    base="faas-base:$suite-$lang-arm64"
    build_base "$base" extract --architectures=arm64 --include="${pkgs// /,},base-files,base-passwd" "${arm64_hooks[@]}"
    set_architecture "$base" arm64 v8
    dir="$stage/arm64/$lang"
    rm -rf "$dir" && mkdir -p "$dir/sdk"
    # The Dockerfile less its RUN instruction (through the first line not ending in a backslash).
    awk '/^RUN /{run=1} !run{print} run && !/\\$/{run=0}' "$here/$lang/Dockerfile" \
      | sed "s|^ARG BASE=.*|ARG BASE=$base|" >"$dir/Dockerfile"
    ! grep -q '^RUN' "$dir/Dockerfile" || die "$dir/Dockerfile: a RUN step is left"
    # The SDK as for amd64, with its native parts (the Node.js addon, junixsocket's JNI library) for aarch64.
    if [ -d "$out/sdk/$lang" ]; then
      cp -a "$out/sdk/$lang/." "$dir/sdk/"
      [ ! -d "$a/sdk/$lang" ] || cp -a "$a/sdk/$lang/." "$dir/sdk/"
    fi
    build_image "faas-runtime:$lang-arm64" "$base" "$dir/Dockerfile" "$a/faas-init" "$dir/sdk"
  done
  for lang in go slim; do
    build_image "faas-runtime:$lang-arm64" - "$here/$lang/Dockerfile" "$a/faas-init"
    set_architecture "faas-runtime:$lang-arm64" arm64 v8
  done
  mkdir -p "$stage/arm64/hello" "$stage/arm64/go-persistent"
  sed 's|^ARG RUNTIME=faas-runtime:slim$|ARG RUNTIME=faas-runtime:slim-arm64|' "$examples/hello-c/Dockerfile" \
    >"$stage/arm64/hello/Dockerfile"
  build_image faas-hello:arm64 faas-runtime:slim-arm64 "$stage/arm64/hello/Dockerfile" "$a/hello"
  sed 's|^FROM faas-runtime:go$|FROM faas-runtime:go-arm64|' "$examples/go-persistent/Dockerfile" \
    >"$stage/arm64/go-persistent/Dockerfile"
  build_image faas-example-go-persistent:arm64 faas-runtime:go-arm64 "$stage/arm64/go-persistent/Dockerfile" \
    "$a/images/go-persistent/handler"
  for tag in faas-runtime:{python,node,java,go,slim}-arm64 faas-hello:arm64 faas-example-go-persistent:arm64; do
    [ "$(docker image inspect -f '{{.Architecture}}' "$tag")" = arm64 ] || die "$tag is not arm64"
  done
}

case "$*" in
  "") ;;
  "--arch arm64") build_arm64; exit 0 ;;
  *) die "usage: build.sh [--arch arm64]" ;;
esac
[ -x "$out/faas-init" ] || die "$out/faas-init is missing: run runtime-init/build-images.sh"

build_base "$base" minbase
for lang in python node java; do
  build_image "faas-runtime:$lang" "$base" "$here/$lang/Dockerfile" "$out/faas-init" "$(stage_sdk "$lang")"
done
build_image faas-runtime:go - "$here/go/Dockerfile" "$out/faas-init"

build_image faas-example-python:latest faas-runtime:python "$examples/python/Dockerfile" "$examples/python/handler.py"
build_image faas-example-node:latest faas-runtime:node "$examples/node/Dockerfile" "$examples/node/handler.js"
build_image faas-example-python-persistent:latest faas-runtime:python "$examples/python-persistent/Dockerfile" \
  "$examples/python-persistent/handler.py"
build_image faas-example-node-persistent:latest faas-runtime:node "$examples/node-persistent/Dockerfile" \
  "$examples/node-persistent/handler.js"

# Go: Debian's Go, static (no cgo), reproducible (no paths or VCS stamps in the binary). handler.go is
# the design document's handler as written, and it imports net/http without using it, which Go refuses
# to compile. The build runs goimports on a copy first, as a Go editor does on save: it removes the
# unused import and reformats (tabs for spaces); the build prints the change, whitespace aside. The
# file in examples/go stays as the design wrote it.
mkdir -p "$stage/go"
if newer "$stage/go/handler" "$examples/go/handler.go" "$examples/go/go.mod"; then
  command -v go >/dev/null 2>&1 || apt_install golang-go
  command -v goimports >/dev/null 2>&1 || apt_install golang-golang-x-tools
  rm -rf "$stage/go/src" && mkdir -p "$stage/go/src"
  cp "$examples/go/handler.go" "$examples/go/go.mod" "$stage/go/src/"
  goimports -w "$stage/go/src/handler.go"
  if ! diff -q -w "$examples/go/handler.go" "$stage/go/src/handler.go" >/dev/null; then
    say "examples/go/handler.go as compiled (goimports; whitespace changes not shown):"
    diff -u -w "$examples/go/handler.go" "$stage/go/src/handler.go" | sed 's/^/    /' >&2 || true
  fi
  if ! errors="$(cd "$stage/go/src" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-s -w' \
                 -o "$stage/go/handler" . 2>&1)"; then
    rm -f "$stage/go/handler"
    say "examples/go does not compile, so faas-example-go:latest is not built:"
    printf '%s\n' "$errors" | sed 's/^/    /' >&2
  fi
fi
if [ -x "$stage/go/handler" ]; then
  build_image faas-example-go:latest faas-runtime:go "$examples/go/Dockerfile" "$stage/go/handler"
elif docker image inspect faas-example-go:latest >/dev/null 2>&1; then
  docker rmi faas-example-go:latest >/dev/null
fi

# Java: any JDK >= 21 on the host, for Java 17 (the runtime image's JRE).
mkdir -p "$stage/java"
if newer "$stage/java/Handler.class" "$examples/java/Handler.java"; then
  ensure_java
  "$JAVA_HOME/bin/javac" --release 17 -Xlint:all -Werror -d "$stage/java" "$examples/java/Handler.java" \
    || die "javac examples/java failed"
fi
build_image faas-example-java:latest faas-runtime:java "$examples/java/Dockerfile" "$stage/java/Handler.class"

# Go, persistent: against the SDK's source (examples/go-persistent/go.mod replaces faaspool.dev/sdk with
# ../../runtime-init/sdk/go), static and reproducible as above. Nothing is downloaded.
gosdk="$root/runtime-init/sdk/go"
mkdir -p "$stage/go-persistent"
if newer "$stage/go-persistent/handler" "$examples/go-persistent/handler.go" "$examples/go-persistent/go.mod" \
     "$gosdk/go.mod" "$gosdk"/*.go; then
  command -v go >/dev/null 2>&1 || apt_install golang-go
  (cd "$examples/go-persistent" && CGO_ENABLED=0 GOPROXY=off go build -trimpath -buildvcs=false \
     -ldflags='-s -w' -o "$stage/go-persistent/handler.tmp" .) || die "go build examples/go-persistent failed"
  mv "$stage/go-persistent/handler.tmp" "$stage/go-persistent/handler"
fi
build_image faas-example-go-persistent:latest faas-runtime:go "$examples/go-persistent/Dockerfile" \
  "$stage/go-persistent/handler"

# Java, persistent: against the staged SDK (runtime-init/sdk/build.sh), which the runtime image carries
# with junixsocket and its JNI library.
sdk_jar="$out/sdk/java/faas-sdk.jar"
[ -f "$sdk_jar" ] || die "$out/sdk/java is missing the SDK: run runtime-init/sdk/build.sh (build-images.sh does)"
mkdir -p "$stage/java-persistent"
if newer "$stage/java-persistent/Handler.class" "$examples/java-persistent/Handler.java" "$sdk_jar"; then
  ensure_java
  "$JAVA_HOME/bin/javac" --release 17 -Xlint:all,-classfile -Werror -cp "$sdk_jar" -d "$stage/java-persistent" \
    "$examples/java-persistent/Handler.java" || die "javac examples/java-persistent failed"
fi
build_image faas-example-java-persistent:latest faas-runtime:java "$examples/java-persistent/Dockerfile" \
  "$stage/java-persistent/Handler.class"
