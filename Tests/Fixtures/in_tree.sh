# shellcheck shell=sh
# shellcheck disable=SC2016 # the sh -c '...' snippet expands its own "$1"
# Sourced (not run) by install_check.sh and install_enroll_check.sh:
#
#   in_tree TREE SWIFT_RT CMD...
#
# Runs CMD chrooted in TREE (a debian_tree.sh tree) with /proc, /sys and /dev,
# in a private mount namespace (unshare -m), so no mount outlives it. A tarball
# packaged from the debug build (scripts/test) links the Swift runtime from
# the toolchain: SWIFT_RT, that directory (from ldd; empty for a release
# binary, --static-swift-stdlib), is bind-mounted read-only at the same path
# in the tree. Returns 70 when that bind mount fails, else the status of the
# first other mount that fails, else CMD's.
in_tree() {
  unshare -m --propagation private sh -c '
    t=$1 rt=$2; shift 2
    if [ -n "$rt" ]; then mkdir -p "$t$rt" && mount --bind "$rt" "$t$rt" && mount -o remount,bind,ro "$t$rt" || exit 70; fi
    mount -t proc proc "$t/proc" && mount --rbind /sys "$t/sys" && mount --rbind /dev "$t/dev" && exec chroot "$t" "$@"
  ' sh "$@"
}
