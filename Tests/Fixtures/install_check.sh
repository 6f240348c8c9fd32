#!/bin/sh
# shellcheck disable=SC2016 # the sh -c '...' snippets expand their own "$1"
# Checks provisioning/install.sh from a release tarball against a fresh
# Debian 12 tree (debian_tree.sh):
#
#   install_check.sh dist/camgate-<version>-<arch>.tar.xz
#
# One line per check (`ok - ...` / `not ok - ...`); exits 1 when any failed.
# Needs root (chroot, mount namespaces, owners). Every mount is made inside a
# private mount namespace (unshare -m), so nothing outlives a failed check.
# Environment: KEEP=1 keeps the work directory for a look afterwards.
set -eu

[ "$#" -eq 1 ] || { echo "usage: $0 TARBALL" >&2; exit 64; }
[ "$(id -u)" -eq 0 ] || { echo "install_check.sh: must run as root" >&2; exit 77; }
tarball=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
[ -f "$tarball" ] || { echo "install_check.sh: no tarball $1" >&2; exit 66; }
fixtures=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=SCRIPTDIR/in_tree.sh
. "$fixtures/in_tree.sh" # in_tree TREE SWIFT_RT CMD...: CMD chrooted in TREE

work=$(mktemp -d "${TMPDIR:-/tmp}/camgate-install-check.XXXXXX")
chmod 0755 "$work" # the non-root run must reach install.sh
# A process left running in the tree (the agent, when a live check failed
# half-way) is killed before the tree goes.
kill_tree_processes() {
  for p in /proc/[0-9]*; do
    case $(readlink "$p/root" 2>/dev/null) in "$work"/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;; esac
  done
}
cleanup() {
  kill_tree_processes
  if [ "${KEEP:-0}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
tree=$work/tree
"$fixtures/debian_tree.sh" "$tree"
tar -C "$work" -xJf "$tarball"
rel=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'camgate-*')
{ [ -n "$rel" ] && [ -x "$rel/install.sh" ]; } || { echo "install_check.sh: no camgate-*/install.sh in $tarball" >&2; exit 65; }
version=$(cat "$rel/VERSION")
# A tarball packaged from the debug build (scripts/test) links the Swift
# runtime from the toolchain: that directory is bind-mounted, read-only, at
# the same path in the tree for the commands run there (in_tree.sh). A release
# binary (--static-swift-stdlib) needs nothing.
swift_rt=$(ldd "$rel/camgate" 2>/dev/null | awk '/libswiftCore\.so/ { print $3 }' | xargs -r dirname)

failed=0 passed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # DESCRIPTION COMMAND...: ok when COMMAND succeeds
  d=$1
  shift
  if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# Runs install.sh; its output goes to $work/out, its status to $rc.
run() {
  rc=0
  "$@" >"$work/out" 2>&1 || rc=$?
}
show_out() { sed 's/^/#   /' "$work/out"; }
expect_rc() { # DESCRIPTION EXPECTED
  if [ "$rc" -eq "$2" ]; then ok "$1 (exit $rc)"; else not_ok "$1: exit $rc, expected $2"; show_out; fi
}
out_has() { grep -q -- "$1" "$work/out"; }

# Paths, types, modes, owners, sizes, times and link targets of everything
# install.sh manages: equal listings mean nothing was touched.
listing() {
  for p in etc/camgate var/lib/camgate usr/lib/camgate usr/bin/camgate usr/share/camgate \
    etc/systemd/system etc/udev etc/passwd etc/group etc/shadow etc/gshadow; do
    [ -e "$tree/$p" ] || [ -L "$tree/$p" ] || continue
    find "$tree/$p" -printf '%P %y %m %U %G %s %T@ %l\n' | sed "s|^|$p/|"
  done | sort
}
meta() { stat -c '%a %u:%g' "$tree$1" 2>/dev/null || echo missing; }
passwd_field() { awk -F: -v u=camgate -v f="$1" '$1 == u { print $f }' "$tree/etc/passwd"; }
group_has() { awk -F: -v g="$1" -v u="$2" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) f = 1 } END { exit !f }' "$tree/etc/group"; }

# ------------------------------------------------------------ bad input first
run "$rel/install.sh" --root "$work/no-such-dir" --no-provision
expect_rc "--root that is not a directory is refused" 64

cp -a "$rel" "$work/tampered"
echo "# tampered" >>"$work/tampered/camgate.service"
before=$(listing)
run "$work/tampered/install.sh" --root "$tree" --no-provision
expect_rc "a release that does not match SHA256SUMS is refused" 65
check "the tampered release changed nothing" [ "$before" = "$(listing)" ]
rm -rf "$work/tampered"

# ------------------------------------------------------------------ install
run "$rel/install.sh" --root "$tree" --no-provision
expect_rc "install.sh --root TREE --no-provision" 0
uid=$(passwd_field 3)
gid=$(passwd_field 4)
check "user camgate exists (uid $uid)" [ -n "$uid" ]
check "group camgate is the user's group" [ "$(awk -F: '$1 == "camgate" { print $3 }' "$tree/etc/group")" = "$gid" ]
check "camgate's home is /var/lib/camgate" [ "$(passwd_field 6)" = /var/lib/camgate ]
check "camgate has no login shell" [ "$(passwd_field 7)" = /usr/sbin/nologin ]
check "camgate is a member of video" group_has video camgate
check "camgate is a member of render" group_has render camgate
check "/etc/camgate is 750 camgate:camgate" [ "$(meta /etc/camgate)" = "750 $uid:$gid" ]
check "/var/lib/camgate is 750 camgate:camgate" [ "$(meta /var/lib/camgate)" = "750 $uid:$gid" ]
check "/etc/camgate/config.json is 640 camgate:camgate" [ "$(meta /etc/camgate/config.json)" = "640 $uid:$gid" ]
if [ -e "$tree/etc/camgate/device-token" ]; then
  check "/etc/camgate/device-token is 600 camgate:camgate" [ "$(meta /etc/camgate/device-token)" = "600 $uid:$gid" ]
fi
check "/usr/lib/camgate/current -> $version" [ "$(readlink "$tree/usr/lib/camgate/current")" = "$version" ]
check "/usr/lib/camgate/committed -> $version (runs the OTA guard)" [ "$(readlink "$tree/usr/lib/camgate/committed")" = "$version" ]
check "no /usr/lib/camgate/previous on a first install" [ ! -e "$tree/usr/lib/camgate/previous" ]
check "/usr/bin/camgate -> /usr/lib/camgate/current/camgate" [ "$(readlink "$tree/usr/bin/camgate")" = /usr/lib/camgate/current/camgate ]
check "the binary is the release's, 755 root" sh -c 'cmp -s "$1" "$2" && [ "$(stat -c "%a %u:%g" "$2")" = "755 0:0" ]' sh "$rel/camgate" "$tree/usr/lib/camgate/$version/camgate"
check "the unit is installed, 644" sh -c 'cmp -s "$1" "$2" && [ "$(stat -c %a "$2")" = 644 ]' sh "$rel/camgate.service" "$tree/etc/systemd/system/camgate.service"
check "the README is the unit's Documentation=" cmp -s "$rel/README" "$tree/usr/share/doc/camgate/README"
check "the unit is enabled (multi-user.target.wants)" [ -L "$tree/etc/systemd/system/multi-user.target.wants/camgate.service" ]
check "the OTA check timer and service are installed, the timer enabled (timers.target.wants)" \
  sh -c 'cmp -s "$1/camgate-ota-check.timer" "$2/camgate-ota-check.timer" && cmp -s "$1/camgate-ota-check.service" "$2/camgate-ota-check.service" && [ -L "$2/timers.target.wants/camgate-ota-check.timer" ]' \
  sh "$rel" "$tree/etc/systemd/system"
check "the udev rules start with the release's" sh -c 'head -c "$(wc -c <"$1")" "$2" | cmp -s "$1" -' sh "$rel/99-camgate.rules" "$tree/etc/udev/rules.d/99-camgate.rules"
n=0
for f in "$rel"/boards/*.json; do
  [ -e "$f" ] || continue
  n=$((n + 1))
  cmp -s "$f" "$tree/usr/share/camgate/boards/${f##*/}" || not_ok "board profile ${f##*/} installed"
done
check "the $n board profiles are installed" [ "$n" -eq "$(find "$tree/usr/share/camgate/boards" -name '*.json' | wc -l)" ]

rc=0
in_tree "$tree" "$swift_rt" /usr/bin/camgate --version >"$work/out" 2>&1 || rc=$?
check "camgate --version in the chroot prints $version" [ "$rc/$(cat "$work/out")" = "0/$version" ]
rc=0
in_tree "$tree" "$swift_rt" /usr/bin/camgate detect >"$work/out" 2>&1 || rc=$?
expect_rc "camgate detect runs in the chroot" 0
rc=0
in_tree "$tree" "$swift_rt" setpriv --reuid="$uid" --regid="$gid" --init-groups /usr/bin/camgate detect >"$work/out" 2>&1 || rc=$?
expect_rc "camgate detect runs in the chroot as user camgate" 0

# ---------------------------------------------------------------- idempotent
before=$(listing)
run "$rel/install.sh" --root "$tree" --no-provision
expect_rc "second install.sh run" 0
check "the second run says nothing changed" out_has "nothing changed"
check "the second run changed nothing (paths, modes, owners, times, links)" [ "$before" = "$(listing)" ]

# -------------------------------------------------------------------- refusals
run setpriv --reuid=65534 --regid=65534 --clear-groups "$rel/install.sh" --root "$tree" --no-provision
expect_rc "install.sh as a non-root user is refused" 77
check "the refusal says why" out_has "must run as root"
check "the non-root run changed nothing" [ "$before" = "$(listing)" ]

rc=0
unshare -m --propagation private sh -c '
  mount --bind "$1/etc" "$1/etc" && mount -o remount,bind,ro "$1/etc" && exec "$2" --root "$1" --no-provision
' sh "$tree" "$rel/install.sh" >"$work/out" 2>&1 || rc=$?
expect_rc "install.sh with a read-only /etc fails" 73
check "the read-only failure names the cause" out_has "read-only"
check "the read-only run changed nothing" [ "$before" = "$(listing)" ]

# ------------------------------------------------------- upgrade and back
next=$work/camgate-next
cp -a "$rel" "$next"
echo "$version-next" >"$next/VERSION"
(cd "$next" && awk '{ print $2 }' SHA256SUMS | xargs sha256sum >SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS)
run "$next/install.sh" --root "$tree" --no-provision
expect_rc "upgrade to $version-next" 0
check "after the upgrade current -> $version-next" [ "$(readlink "$tree/usr/lib/camgate/current")" = "$version-next" ]
check "after the upgrade previous -> $version" [ "$(readlink "$tree/usr/lib/camgate/previous")" = "$version" ]
run "$rel/install.sh" --root "$tree" --no-provision
expect_rc "back to $version" 0
check "after going back current -> $version, previous -> $version-next" \
  [ "$(readlink "$tree/usr/lib/camgate/current")/$(readlink "$tree/usr/lib/camgate/previous")" = "$version/$version-next" ]

# ------------------------------------------------------------------ uninstall
mkdir -p "$tree/var/lib/camgate/recordings/cam1"
echo segment >"$tree/var/lib/camgate/recordings/cam1/0001.mp4"
echo database >"$tree/var/lib/camgate/camgate.sqlite"
run "$rel/install.sh" --root "$tree" --uninstall
expect_rc "--uninstall" 0
gone=1
for p in /usr/bin/camgate /usr/lib/camgate /usr/share/camgate /usr/share/doc/camgate /etc/systemd/system/camgate.service \
  /etc/systemd/system/multi-user.target.wants/camgate.service /etc/udev/rules.d/99-camgate.rules \
  /etc/systemd/system/camgate-ota-check.timer /etc/systemd/system/camgate-ota-check.service \
  /etc/systemd/system/timers.target.wants/camgate-ota-check.timer; do
  if [ -e "$tree$p" ] || [ -L "$tree$p" ]; then gone=0; echo "#   still there: $p"; fi
done
check "--uninstall removes the binary, layout, profiles, unit and rules" [ "$gone" -eq 1 ]
check "--uninstall keeps the recordings and the database" \
  sh -c '[ -f "$1/recordings/cam1/0001.mp4" ] && [ -f "$1/camgate.sqlite" ]' sh "$tree/var/lib/camgate"
check "--uninstall keeps /etc/camgate and the user" [ -f "$tree/etc/camgate/config.json" ]
check "--uninstall keeps the user camgate" [ -n "$(passwd_field 1)" ]
run "$rel/install.sh" --root "$tree" --uninstall
check "a second --uninstall has nothing to remove" sh -c '[ "$1" -eq 0 ] && grep -q "nothing to remove" "$2"' sh "$rc" "$work/out"
run "$rel/install.sh" --root "$tree" --uninstall --purge
expect_rc "--uninstall --purge" 0
check "--purge removes /var/lib/camgate" [ ! -e "$tree/var/lib/camgate" ]
check "--purge removes /etc/camgate" [ ! -e "$tree/etc/camgate" ]
check "--purge removes the user and group camgate" sh -c '! grep -q "^camgate:" "$1/etc/passwd" "$1/etc/group" "$1/etc/shadow" "$1/etc/gshadow"' sh "$tree"
check "--purge leaves video without camgate" sh -c '! grep -q "^video:.*camgate" "$1/etc/group"' sh "$tree"

# ------------------------------ provisioning passed through (fake camgate)
# The release's binary replaced by Tests/Fixtures/fake_camgate, which logs
# what `camgate provision` receives.
fake=$work/camgate-fake
cp -a "$rel" "$fake"
cp "$fixtures/fake_camgate" "$fake/camgate"
echo 0.0.0-fake >"$fake/VERSION"
(cd "$fake" && awk '{ print $2 }' SHA256SUMS | xargs sha256sum >SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS)
token=$work/enroll.token
secret=enroll-secret-$$
(umask 077 && echo "$secret" >"$token")
log=$work/provision.log
run env FAKE_CAMGATE_LOG="$log" "$fake/install.sh" --root "$tree" --endpoint http://127.0.0.1:9/ \
  --token-file "$token" --name gw1 --board raspberry-pi-4
expect_rc "install.sh --endpoint --token-file --name --board (fake provision)" 0
uid=$(passwd_field 3)
gid=$(passwd_field 4)
arg_after() { awk -v a="$1" 'prev == a { print; exit } { prev = $0 }' "$log"; }
check "provision gets --token-file, not the token" [ "$(arg_after --token-file)" = "$token" ]
check "provision gets --owner UID:GID of the tree's camgate" [ "$(arg_after --owner)" = "$uid:$gid" ]
check "provision gets --root TREE, --name and --board" [ "$(arg_after --root)/$(arg_after --name)/$(arg_after --board)" = "$tree/gw1/raspberry-pi-4" ]
check "the token is in no argv and no output" sh -c '! grep -q -- "$1" "$2" "$3"' sh "$secret" "$log" "$work/out"
check "the device token is 600 camgate:camgate" [ "$(meta /etc/camgate/device-token)" = "600 $uid:$gid" ]
check "the board's udev rules are appended" grep -q "fake raspberry-pi-4" "$tree/etc/udev/rules.d/99-camgate.rules"
run env FAKE_CAMGATE_LOG="$log" "$fake/install.sh" --root "$tree" --endpoint http://127.0.0.1:9/ --token-file "$token" --board raspberry-pi-4
check "a second run with --endpoint changes nothing" sh -c '[ "$1" -eq 0 ] && grep -q "nothing changed" "$2"' sh "$rc" "$work/out"
: >"$log"
run env FAKE_CAMGATE_LOG="$log" CAMGATE_ENROLLMENT_TOKEN="$secret" "$fake/install.sh" --root "$tree" --endpoint http://127.0.0.1:9/ --force
check "CAMGATE_ENROLLMENT_TOKEN reaches provision in the environment, not argv" \
  sh -c '[ "$1" -eq 0 ] && grep -qx "token from env" "$2" && ! grep -q -- "$3" "$2" "$4"' sh "$rc" "$log" "$secret" "$work/out"
run env FAKE_PROVISION_EXIT=77 "$fake/install.sh" --root "$tree" --endpoint http://127.0.0.1:9/ --token-file "$token" --force
expect_rc "a rejected enrollment exits with provision's code" 77
check "it says the device is not enrolled" out_has "not enrolled"
run "$fake/install.sh" --root "$tree" --endpoint http://127.0.0.1:9/ --token "$secret"
expect_rc "a token on the command line is refused" 64
check "the refusal does not echo the token" sh -c '! grep -q -- "$1" "$2"' sh "$secret" "$work/out"
before=$(listing)
run "$fake/install.sh" --root "$tree" --no-provision --board no-such-board
expect_rc "an unknown --board is refused" 65
check "the unknown board changed nothing" [ "$before" = "$(listing)" ]
run "$fake/install.sh" --root "$tree" --uninstall --purge
expect_rc "--purge after the fake provisioning" 0

# ------------------------------------------ on the machine (fake systemd)
# install.sh run inside the tree, without --root, as on a device; the fake
# systemctl plays systemd (Tests/Fixtures/fake_systemctl).
rm -rf "$tree"
"$fixtures/debian_tree.sh" "$tree" 2>/dev/null
mkdir -p "$tree/root/release"
tar -C "$tree/root/release" -xJf "$tarball"
# No systemd (minbase has no systemctl): installed and enabled, exit 69.
rc=0
in_tree "$tree" "$swift_rt" sh -c 'cd /root/release/camgate-*/ && exec ./install.sh --no-provision' >"$work/out" 2>&1 || rc=$?
expect_rc "install.sh on a machine without systemd exits 69 after installing" 69
check "it says systemd is not running" out_has "systemd is not running"
check "it installed and enabled the unit" [ -L "$tree/etc/systemd/system/multi-user.target.wants/camgate.service" ]
install -m 0755 "$fixtures/fake_systemctl" "$tree/usr/local/bin/systemctl"
cat >"$tree/root/live_check.sh" <<'LIVE'
set -u
cd /root/release/camgate-*/
ok() { echo "ok - live: $*"; }
not_ok() { echo "not ok - live: $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
main_pid() { cat /run/fake-systemd/camgate.service.pid 2>/dev/null; }
wait_for() { i=0; while [ "$i" -lt 50 ]; do "$@" && return 0; sleep 0.1; i=$((i + 1)); done; return 1; }
rc=0; ./install.sh --no-provision >/tmp/out 2>&1 || rc=$?
check "install.sh on the machine exits 0" [ "$rc" -eq 0 ]
check "the summary says the service started" grep -q "service started" /tmp/out
check "nothing else changed since the run without systemd" grep -q "nothing changed" /tmp/out
check "camgate.service is enabled" systemctl is-enabled --quiet camgate
check "camgate.service is active" systemctl is-active --quiet camgate
pid=$(main_pid)
uid=$(awk -F: '$1 == "camgate" { print $3 }' /etc/passwd)
video=$(awk -F: '$1 == "video" { print $3 }' /etc/group)
render=$(awk -F: '$1 == "render" { print $3 }' /etc/group)
check "the agent runs as user camgate" [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$uid" ]
has_groups() { # PID GID...: the process has every GID among its supplementary groups
  groups=" $(sed -n 's/^Groups:[[:space:]]*//p' "/proc/$1/status" | tr -s '\t' ' ') "
  shift
  for g in "$@"; do case $groups in *" $g "*) ;; *) echo "# groups:$groups"; return 1 ;; esac; done
}
check "the agent has the groups video and render" has_groups "$pid" "$video" "$render"
check "the API socket is /run/camgate/api.sock, 660 camgate:camgate" wait_for sh -c '[ "$(stat -c "%a %U:%G" /run/camgate/api.sock 2>/dev/null)" = "660 camgate:camgate" ]'
check "camgate status reaches the agent" wait_for sh -c 'camgate status >/dev/null 2>&1'
rc=0; ./install.sh --no-provision >/tmp/out 2>&1 || rc=$?
check "a second run exits 0, nothing changed, the agent not restarted" sh -c '[ "$1" -eq 0 ] && grep -q "nothing changed" /tmp/out && [ "$(cat /run/fake-systemd/camgate.service.pid)" = "$2" ]' sh "$rc" "$pid"
kill -KILL "$pid"
check "Restart=always: a killed agent is started again" wait_for sh -c 'p=$(cat /run/fake-systemd/camgate.service.pid 2>/dev/null) && [ -n "$p" ] && [ "$p" != "$1" ] && kill -0 "$p"' sh "$pid"
rc=0; ./install.sh --uninstall >/tmp/out 2>&1 || rc=$?
check "--uninstall on the machine stops and disables the service" sh -c '[ "$1" -eq 0 ] && ! systemctl is-active --quiet camgate && ! systemctl is-enabled --quiet camgate' sh "$rc"
check "--uninstall keeps the database" [ -f /var/lib/camgate/camgate.db ]
LIVE
in_tree "$tree" "$swift_rt" sh /root/live_check.sh >"$work/live" 2>&1 || true
while IFS= read -r line; do
  case $line in
    "ok - "*) passed=$((passed + 1)); echo "$line" ;;
    "not ok - "*) failed=$((failed + 1)); echo "$line" ;;
    *) echo "#   $line" ;;
  esac
done <"$work/live"
grep -q "^ok - live: install.sh on the machine exits 0" "$work/live" || sed 's/^/#   /' "$tree/var/log/fake-systemd/camgate.service.log" 2>/dev/null || true

echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
