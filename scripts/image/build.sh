#!/usr/bin/env bash
# Builds the image from the repository's Dockerfile, unchanged, with buildah: one image per platform,
# collected in a manifest list named by --tag (a multi-arch image, as a registry serves it).
#
#   scripts/image/build.sh [--platforms linux/amd64,linux/arm64] [--tag REF] [--stand-in-bases]
#
# --stand-in-bases first makes local stand-ins for the two base images (stand-in-bases.sh) and forbids
# pulling: for machines with no container registry, like the one the tests run on. Without it the bases
# are pulled as usual (the release workflow). VERSION and REVISION come from package.json and git.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

platforms=linux/amd64,linux/arm64
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)"
tag="localhost/dt-node-labeller:$version"
stand_in=false
while [ $# -gt 0 ]; do
  case "$1" in
    --platforms) platforms="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --stand-in-bases) stand_in=true; shift ;;
    *) echo "build: unknown argument $1 (usage: build.sh [--platforms LIST] [--tag REF] [--stand-in-bases])" >&2; exit 2 ;;
  esac
done
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"

pull=()
if [ "$stand_in" = true ]; then
  arches="$(echo "$platforms" | tr ',' '\n' | cut -d/ -f2 | sort -u | paste -sd,)"
  bash scripts/image/stand-in-bases.sh --arch "$arches"
  pull=(--pull=never)
fi

# A stale list of the same name would collect this build's images next to the old ones.
if buildah manifest inspect "$tag" >/dev/null 2>&1; then buildah manifest rm "$tag" >/dev/null; fi
started=$(date +%s)
# --isolation chroot: RUN steps need no user namespaces or cgroups (CI machines and VMs often lack them).
# No --layers: buildah 1.28 reuses a cached LABEL layer when only a --build-arg it expands has changed, and
# the image would carry an older commit's REVISION. The build stage therefore runs once per platform.
# BUILDPLATFORM is passed because buildah before 1.29 (Debian 12 has 1.28) leaves it empty, and then
# `FROM --platform=$BUILDPLATFORM` asks for the base in the target's architecture; BuildKit and newer
# buildah set it to this same value themselves.
case "$(uname -m)" in x86_64) build_platform=linux/amd64 ;; aarch64) build_platform=linux/arm64 ;; *) build_platform="linux/$(uname -m)" ;; esac
for platform in ${platforms//,/ }; do
  if [ "$stand_in" = true ]; then
    # buildah 1.28 resolves a local manifest list to the build machine's image whatever --platform says,
    # so the runtime base's name is pointed at this platform's stand-in for this build.
    buildah tag "gcr.io/distroless/nodejs24-debian13-stand-in-$(echo "$platform" | cut -d/ -f2)" gcr.io/distroless/nodejs24-debian13
  fi
  iid="$(mktemp)"
  buildah bud --isolation chroot "${pull[@]}" --platform "$platform" --manifest "$tag" --iidfile "$iid" \
    --build-arg BUILDPLATFORM="$build_platform" --build-arg VERSION="$version" --build-arg REVISION="$revision" -f Dockerfile .
  # Each platform's image also by its own name (REF-amd64, REF-arm64, REF-arm-v7), to run one without a
  # platform lookup in the list.
  buildah tag "$(cat "$iid")" "$tag-$(echo "$platform" | cut -d/ -f2- | tr / -)"
  rm -f "$iid"
done
echo "build: $tag ($platforms) in $(( $(date +%s) - started )) s"
buildah manifest inspect "$tag" | node -e '
  const list = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  for (const m of list.manifests) console.log(`build:   ${m.platform.os}/${m.platform.architecture}${m.platform.variant ? "/" + m.platform.variant : ""} ${m.digest}`);'
