#!/bin/sh
# Checks a systemd unit the way the issue asks, with systemd 252 and no
# systemd as PID 1:
#
#   unit_check.sh [UNIT] [MAX_EXPOSURE]     (default board/systemd/camgate.service, 2.0)
#
# 1. `systemd-analyze verify` in a scratch root holding the system's unit
#    directory, the unit, and an executable at its ExecStart= path (verify
#    refuses a unit whose binary is missing, and needs sysinit.target & co.):
#    exit 0 and no output (it exits 0 on unknown keys, it only warns).
# 2. `systemd-analyze security --offline=true`: the overall exposure, at most
#    MAX_EXPOSURE.
# One `ok - ` / `not ok - ` line per check; exit 1 when one failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
unit=${1:-$here/../../board/systemd/camgate.service}
max=${2:-2.0}
[ -f "$unit" ] || { echo "unit_check.sh: no unit $unit" >&2; exit 66; }
name=${unit##*/}
failed=0

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/etc/systemd/system" "$scratch/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$scratch/usr/lib/systemd/"
cp "$unit" "$scratch/etc/systemd/system/$name"
exec_path=$(sed -n 's/^ExecStart=[-@+!:]*\([^ ]*\).*/\1/p' "$unit" | head -n 1)
mkdir -p "$scratch$(dirname "$exec_path")"
printf '#!/bin/sh\nexit 0\n' >"$scratch$exec_path"
chmod 0755 "$scratch$exec_path"

rc=0
out=$(systemd-analyze verify --root="$scratch" "$name" 2>&1) || rc=$?
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
  echo "ok - systemd-analyze verify $name: no error, no warning"
else
  echo "not ok - systemd-analyze verify $name (exit $rc):"
  printf '%s\n' "$out" | sed 's/^/#   /'
  failed=1
fi

exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
  sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" -v m="$max" 'BEGIN { exit !(e <= m) }'; then
  echo "ok - systemd-analyze security --offline=true $name: exposure $exposure <= $max"
else
  echo "not ok - systemd-analyze security --offline=true $name: exposure '${exposure}' > $max"
  systemd-analyze security --offline=true "$unit" 2>&1 | grep '✗' | sed 's/^/#   /'
  failed=1
fi
exit "$failed"
