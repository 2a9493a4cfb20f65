#!/usr/bin/env bash
# Packs the test data that .ci/run expects in ../shared (dtb/, jetson-l4t/, kube/, each with its README;
# never hooks/) into one reproducible tarball, for the GitHub release `test-data` that the CI workflow
# downloads, and prints the tarball's sha256 in `sha256sum` format as its last line.
#
#   scripts/ci/pack-shared.sh [--shared DIR] [--out FILE]
#     --shared DIR  the folder holding dtb/, jetson-l4t/ and kube/ (default: ../shared beside the checkout)
#     --out FILE    where to write the tarball (default: ./dt-node-labeller-test-data.tar.gz)
#
# The same files give the same bytes on any machine with GNU tar and gzip: entries sorted by name, one fixed
# mtime, owner and group 0 by number, modes normalised (the copy of shared/ may or may not have write bits),
# GNU tar format, and gzip -n (no name, no timestamp). gzip rather than xz: kube/ is already xz-compressed, the
# blobs shrink about as well either way, and gzip is much faster to make and to check in the test.
#
# After changing the data: run this, upload the tarball to the release (see docs/releasing.md), and commit the
# printed line as .ci/shared-data.sha256.
set -euo pipefail
export LC_ALL=C

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
shared="$repo/../shared"
out="$PWD/dt-node-labeller-test-data.tar.gz"
while [ $# -gt 0 ]; do
  case "$1" in
    --shared) shared="${2:?--shared needs a folder}"; shift 2 ;;
    --out) out="${2:?--out needs a file name}"; shift 2 ;;
    -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pack-shared: unknown argument $1" >&2; exit 2 ;;
  esac
done

parts=(dtb jetson-l4t kube)
for part in "${parts[@]}"; do
  if [ ! -d "$shared/$part" ]; then echo "pack-shared: $shared/$part is not a folder" >&2; exit 1; fi
  if [ ! -f "$shared/$part/README.md" ]; then echo "pack-shared: $shared/$part has no README.md" >&2; exit 1; fi
done

# Written beside the target first, so an interrupted run leaves no truncated tarball under the final name.
mkdir -p "$(dirname "$out")"
tmp="$out.partial"
trap 'rm -f "$tmp"' EXIT
tar --create --format=gnu --directory="$shared" \
  --sort=name --mtime=@1735689600 --owner=0 --group=0 --numeric-owner --mode='u=rwX,go=rX' \
  "${parts[@]}" | gzip -n -6 > "$tmp"
mv "$tmp" "$out"
trap - EXIT
(cd "$(dirname "$out")" && sha256sum "$(basename "$out")")
