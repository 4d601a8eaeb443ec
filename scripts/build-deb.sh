#!/usr/bin/env bash
# build-deb.sh [OUTDIR]: build mnemo's Debian packages with Debian's own
# tooling (dpkg-buildpackage, debhelper) from a clean copy of the tracked
# tree, and check them with lintian (any error fails). The .debs land in
# OUTDIR (default build/deb). Needs: scripts/install-deps.sh deb.
#   DEB_BUILD_OPTIONS=nocheck   skip the unit tests in the package build
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}
work=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The tracked files only (what a clone holds), as the source package.
mkdir -p "$work/mnemo"
git -C "$root" ls-files -z | (cd "$root" && xargs -0 tar cf -) | tar xf - -C "$work/mnemo"

(cd "$work/mnemo" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$work/build.log" 2>&1 || {
    tail -n 60 "$work/build.log" >&2
    echo "build-deb: dpkg-buildpackage failed (log above)" >&2
    exit 1
}

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
echo "build-deb: built $(cd "$out" && ls *.deb | tr '\n' ' ')"

# lintian: errors fail the build; warnings are shown.
if ! lintian --fail-on error --suppress-tags-from-file /dev/null "$out"/*.changes; then
    echo "build-deb: lintian reported errors" >&2
    exit 1
fi
