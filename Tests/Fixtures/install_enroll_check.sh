#!/bin/sh
# The whole first boot of a device, in one install.sh run: a fresh Debian 12
# tree (debian_tree.sh), the release tarball copied in, a cloud (the real
# camgate-cloud-sim on loopback, outside the tree) holding an enrollment
# token and a desired state with the test camera; then, inside the tree as on
# the device, `install.sh --endpoint … --token-file …` with the fake
# systemctl playing systemd (fake_systemctl). Checks that the device is
# enrolled, the agent runs as camgate, follows the cloud and records.
#
#   install_enroll_check.sh TARBALL CLOUD_SIM_BINARY
#
# Prints `ok - ` / `not ok - ` lines and `# timing: install.sh S s, first
# segment S s after install.sh began`; exits 1 when a check failed. Root.
set -eu
[ "$#" -eq 2 ] || { echo "usage: $0 TARBALL CLOUD_SIM_BINARY" >&2; exit 64; }
[ "$(id -u)" -eq 0 ] || { echo "install_enroll_check.sh: must run as root" >&2; exit 77; }
tarball=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
sim=$2
fixtures=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=SCRIPTDIR/in_tree.sh
. "$fixtures/in_tree.sh" # in_tree TREE SWIFT_RT CMD...: CMD chrooted in TREE
work=$(mktemp -d "${TMPDIR:-/tmp}/camgate-enroll-check.XXXXXX")
tree=$work/tree
sim_pid=
cleanup() {
  [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
  for p in /proc/[0-9]*; do
    case $(readlink "$p/root" 2>/dev/null) in "$work"/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;; esac
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

"$fixtures/debian_tree.sh" "$tree" 2>/dev/null
mkdir -p "$tree/root/release"
tar -C "$tree/root/release" -xJf "$tarball"
# A debug build's tarball (scripts/test) needs the toolchain's Swift runtime,
# bind-mounted read-only at the same path by in_tree (install_check.sh says why).
swift_rt=$(ldd "$tree"/root/release/camgate-*/camgate 2>/dev/null | awk '/libswiftCore\.so/ { print $3 }' | xargs -r dirname)
install -m 0755 "$fixtures/fake_systemctl" "$tree/usr/local/bin/systemctl"
# The operator's enrollment token, in a private file on the device.
printf 'enroll-%s\n' "$$" >"$tree/root/enroll.token"
chmod 0600 "$tree/root/enroll.token"

# The cloud: one enrollment token, and the test camera in its desired state.
echo "device-token-$$-$(date +%s)" >"$work/device.token"
chmod 0600 "$work/device.token"
"$sim" serve --port 0 --token-file "$work/device.token" --enrollment-token "enroll-$$" --ping-interval 2 >"$work/sim.log" 2>&1 &
sim_pid=$!
i=0
until port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\).*/\1/p' "$work/sim.log" | head -n 1) && [ -n "$port" ]; do
  i=$((i + 1)); [ "$i" -lt 100 ] || { echo "not ok - the cloud simulator did not start"; cat "$work/sim.log"; exit 1; }
  sleep 0.1
done
curl -fsS -X POST "http://127.0.0.1:$port/control/desired" -H 'Content-Type: application/json' \
  -d '{"revision": 1, "cameras": {"yard": {"source": {"kind": "test"}, "record": true}}, "recording": {"segment_seconds": 4, "retain_days": 1, "min_free_percent": 1}}' >/dev/null

cat >"$tree/root/first_boot.sh" <<'BOOT'
set -u
cd /root/release/camgate-*/
./install.sh --endpoint "$1" --token-file /root/enroll.token --name yard-gateway
BOOT
started=$(now)
rc=0
in_tree "$tree" "$swift_rt" sh /root/first_boot.sh "http://127.0.0.1:$port" >"$work/install.out" 2>&1 || rc=$?
install_s=$(since "$started")
check "install.sh (install, enroll, enable, start) exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$work/install.out"
check "it says the device is enrolled" grep -q "enrolled as dev-1" "$work/install.out"
check "the enrollment token appears nowhere in install.sh's output" sh -c '! grep -q "enroll-$1" "$2"' sh "$$" "$work/install.out"
camgate_uid=$(awk -F: '$1 == "camgate" { print $3 }' "$tree/etc/passwd")
check "the device token is 0600, owned by camgate" sh -c '[ "$(stat -c "%a %u" "$1/etc/camgate/device-token")" = "600 $2" ]' sh "$tree" "$camgate_uid"
check "the device token is the cloud's" cmp -s "$work/device.token" "$tree/etc/camgate/device-token"
check "the cloud got one enrollment, named yard-gateway" sh -c 'curl -fsS "http://127.0.0.1:$1/control/stats" | grep -q "\"name\":\"yard-gateway\""' sh "$port"
first=
i=0
while [ "$i" -lt 600 ]; do
  if find "$tree/var/lib/camgate" -name '*.ts' -size +1k 2>/dev/null | grep -q yard; then first=$(since "$started"); break; fi
  sleep 0.1; i=$((i + 1))
done
check "the agent records the cloud's test camera (a segment within 60 s)" [ -n "$first" ]
agent_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$(cat "$tree/run/fake-systemd/camgate.service.pid" 2>/dev/null || echo 0)/status" 2>/dev/null || true)
check "the agent runs as camgate" [ "$agent_uid" = "$camgate_uid" ]
check "the cloud's event stream is connected" sh -c 'i=0; while [ $i -lt 100 ]; do curl -fsS "http://127.0.0.1:$1/control/stats" | grep -q "\"open_streams\":[1-9]" && exit 0; sleep 0.1; i=$((i+1)); done; exit 1' sh "$port"
[ -n "$first" ] || sed 's/^/#   /' "$tree/var/log/fake-systemd/camgate.service.log" 2>/dev/null | tail -20
echo "# timing: install.sh ${install_s} s, first segment ${first:-none} s after install.sh began"
[ "$failed" -eq 0 ]
