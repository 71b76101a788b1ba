# Image-building helpers shared by runtime-init/build-images.sh and runtime-init/images/build.sh.
# Sourced, not run.

# input_hash <file or directory>: what an image's inputs hash covers. A file: its contents. A
# directory: its name and, for everything in it, the relative path, type, mode and contents.
input_hash() {
  if [ -d "$1" ]; then
    basename "$1"
    (cd "$1" && find . -mindepth 1 -printf '%P %y %m %l\n' | LC_ALL=C sort \
      && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
  else
    sha256sum < "$1"
  fi
}

# image_inputs <tag>: the inputs hash an image was built from (its dev.faaspool.inputs label), or
# nothing when the image does not exist.
image_inputs() {
  docker image inspect -f '{{index .Config.Labels "dev.faaspool.inputs"}}' "$1" 2>/dev/null || true
}

# build_image <tag> <base image or -> <dockerfile> <files or directories...>: builds from a context of
# exactly these (a directory keeps its name); the inputs are the Dockerfile, the files and the base
# image's id. Rebuilds only when the inputs changed. RUN steps use the host's network (dockerd may run
# with --bridge=none), for apt-get.
build_image() {
  local tag="$1" base="$2" dockerfile="$3"; shift 3
  local hash
  hash="$( (cat "$dockerfile"; for f in "$@"; do input_hash "$f"; done
            [ "$base" = - ] || docker image inspect -f '{{.Id}}' "$base") | sha256sum | cut -c1-16)"
  if [ "$(image_inputs "$tag")" = "$hash" ]; then
    return
  fi
  local ctx
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"; trap - RETURN' RETURN
  cp "$dockerfile" "$ctx/Dockerfile"
  cp -a "$@" "$ctx/"
  DOCKER_BUILDKIT=0 docker build -q --force-rm --network host --label "dev.faaspool.inputs=$hash" -t "$tag" "$ctx" \
    >/dev/null 2>"$ctx/err" \
    || { cat "$ctx/err" >&2; echo "build-images: docker build $tag failed" >&2; return 1; }
  echo "build-images: built $tag ($(docker image inspect -f '{{.Size}}' "$tag") bytes)"
}

# set_architecture <tag> <architecture> [variant]: makes the image's config name that architecture
# (e.g. arm64 v8), keeping its layers, labels and settings: docker save, the config rewritten (a new
# image id), docker load under the same tag, the old image removed. Docker 20.10's legacy builder and
# docker import label what they make with the engine's own architecture (import's --platform needs an
# experimental engine). Does nothing when the image already names it.
set_architecture() {
  local tag="$1" arch="$2" variant="${3:-}" old
  old="$(docker image inspect -f '{{.Id}} {{.Architecture}}' "$tag")"
  [ "${old#* }" = "$arch" ] && return
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"; trap - RETURN' RETURN
  docker save -o "$tmp/in.tar" "$tag"
  python3 - "$tmp/in.tar" "$tmp/out.tar" "$tag" "$arch" "$variant" <<'PY' || return 1
import hashlib, io, json, sys, tarfile
src, dst, tag, arch, variant = sys.argv[1:]
with tarfile.open(src) as t, tarfile.open(dst, "w") as out:
    [image] = json.load(t.extractfile("manifest.json"))
    config = json.load(t.extractfile(image["Config"]))
    config["architecture"] = arch
    config.pop("variant", None)
    if variant:
        config["variant"] = variant
    data = json.dumps(config, separators=(",", ":")).encode()
    skip = {"manifest.json", "repositories", image["Config"]}
    image.update(Config=hashlib.sha256(data).hexdigest() + ".json", RepoTags=[tag])
    for m in t.getmembers():
        if m.name not in skip:
            out.addfile(m, t.extractfile(m) if m.isfile() else None)
    for name, content in ((image["Config"], data), ("manifest.json", json.dumps([image]).encode())):
        info = tarfile.TarInfo(name)
        info.size = len(content)
        out.addfile(info, io.BytesIO(content))
PY
  docker load -q -i "$tmp/out.tar" >/dev/null
  docker image rm "${old%% *}" >/dev/null 2>&1 || true
}
