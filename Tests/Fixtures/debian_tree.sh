#!/bin/sh
# A fresh Debian 12 (bookworm) tree for the installer tests.
#
#   debian_tree.sh DEST
#
# The first call runs debootstrap (minbase, plus what the release binary needs
# at run time: ffmpeg and libsqlite3-0; ca-certificates for the cloud; passwd
# for useradd) and caches the tree as a tar outside the repository, named
# after the package list; every call extracts a fresh copy into DEST (created; must be
# empty). Concurrent callers wait on one lock, so the tree is built once.
#
# Environment: CAMGATE_TEST_CACHE (default /var/cache/camgate-tests),
# DEBIAN_MIRROR (default http://deb.debian.org/debian).
# Needs root (debootstrap, device nodes, owners). Timings go to stderr.
set -eu

usage() { echo "usage: $0 DEST" >&2; exit 64; }
[ "$#" -eq 1 ] || usage
dest=$1
case $dest in ''|-*) usage ;; esac
[ "$(id -u)" -eq 0 ] || { echo "debian_tree.sh: must run as root (debootstrap, chroot)" >&2; exit 77; }

cache=${CAMGATE_TEST_CACHE:-/var/cache/camgate-tests}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
include=ffmpeg,libsqlite3-0,ca-certificates,passwd
tarball=$cache/bookworm-$(printf '%s' "$include" | sha256sum | cut -c1-12).tar
mkdir -p "$cache"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

build_cache() {
  command -v debootstrap >/dev/null || { echo "debian_tree.sh: debootstrap is not installed (scripts/setup)" >&2; exit 69; }
  work=$(mktemp -d "$cache/build.XXXXXX")
  t0=$(now)
  # In a private mount namespace: the /proc and /sys debootstrap mounts in
  # the tree go away with it, even when it fails half-way.
  if ! unshare -m --propagation private debootstrap --variant=minbase --include="$include" \
      bookworm "$work/tree" "$mirror" >"$work/debootstrap.log" 2>&1; then
    echo "debian_tree.sh: debootstrap failed; last lines of its log:" >&2
    tail -n 20 "$work/debootstrap.log" >&2
    rm -rf "$work"
    exit 70
  fi
  # Smaller cache, same tree: the downloaded .debs are not needed any more.
  rm -rf "$work/tree/var/cache/apt/archives/"*.deb "$work/tree/var/lib/apt/lists/"*_Packages
  tar -C "$work/tree" --numeric-owner -cf "$work/bookworm.tar" .
  mv "$work/bookworm.tar" "$tarball"
  rm -rf "$work"
  echo "debian_tree.sh: debootstrap + cache took $(elapsed "$t0") s ($(wc -c <"$tarball") bytes)" >&2
}

# One builder at a time; later callers find the tar ready.
exec 9>"$cache/bookworm.lock"
flock 9
[ -s "$tarball" ] || build_cache
flock -u 9

if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
  echo "debian_tree.sh: $dest is not empty" >&2
  exit 73
fi
mkdir -p "$dest"
t0=$(now)
tar -C "$dest" --numeric-owner -xpf "$tarball"
echo "debian_tree.sh: extracted into $dest in $(elapsed "$t0") s" >&2
