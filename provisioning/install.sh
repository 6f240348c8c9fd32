#!/bin/sh
# Installs camgate from this extracted release directory (the directory this
# script is in: camgate, camgate.service, 99-camgate.rules, boards/*.json,
# VERSION, SHA256SUMS), then enrolls the device and starts the service.
# Idempotent: a second run with the same release changes nothing and says so.
#
#   sudo ./install.sh --endpoint https://cloud.example --token-file /root/enroll.token
#   sudo ./install.sh --root /srv/image --no-provision     # image build: nothing started
#   sudo ./install.sh --uninstall [--purge]
#
# Layout (the OTA switch relies on it):
#   /usr/lib/camgate/<version>/camgate, /usr/lib/camgate/current -> <version>,
#   /usr/lib/camgate/previous -> <older version>, /usr/lib/camgate/committed -> <version>, /usr/bin/camgate -> /usr/lib/camgate/current/camgate,
#   /usr/share/camgate/boards/*.json, /etc/systemd/system/camgate.service,
#   /etc/systemd/system/camgate-ota-check.{service,timer} (timer enabled),
#   /etc/systemd/system/camgate-ota-apply.{service,path} (path enabled),
#   /etc/udev/rules.d/99-camgate.rules, /etc/camgate (camgate:camgate 0750),
#   /var/lib/camgate (camgate:camgate 0750), system user and group camgate
#   (members of video and render).
#
# Exit codes: 0 done; 64 usage; 65 bad release directory (checksums, VERSION)
# or bad option value; 66 token file missing; 69 a needed tool is missing, or
# systemd is not running (the files are installed then, nothing started);
# 73 cannot write (read-only file system: nothing changed); 77 not root
# (nothing changed); provisioning failures exit with `camgate provision`'s
# code (69 unreachable, 76 protocol, 77 rejected, ...), the files installed.
#
# The enrollment token never goes through argv: --token-file is handed to
# `camgate provision`, or CAMGATE_ENROLLMENT_TOKEN stays in the environment.
set -eu

prog=install.sh
umask 022
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

usage() {
  cat <<'EOF'
usage: install.sh [--root DIR] [--no-start]
                  [--endpoint URL [--token-file F] [--name N] [--board auto|ID] [--force] | --no-provision]
       install.sh [--root DIR] --uninstall [--purge]

  --root DIR        install into an image or chroot at DIR: nothing is started,
                    the unit is enabled offline
  --endpoint URL    enroll against this cloud (camgate provision); the token
                    comes from --token-file F (0600/0400) or CAMGATE_ENROLLMENT_TOKEN
  --name N, --board auto|ID, --force
                    passed to camgate provision (--board also picks the udev rules)
  --no-provision    do not enroll (standalone, or enrolled later)
  --no-start        enable the service but do not start it
  --uninstall       remove camgate but /etc/camgate and /var/lib/camgate
                    (recordings, database) and the user
  --purge           with --uninstall: also /etc/camgate, /var/lib/camgate and
                    the camgate user and group
EOF
}

say() { printf '%s: %s\n' "$prog" "$*"; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
die() {
  code=$1
  shift
  printf '%s: %s\n' "$prog" "$*" >&2
  exit "$code"
}
need_value() { [ "$2" -ge 2 ] || die 64 "$1 needs a value (see --help)"; }

# ---------------------------------------------------------------- options
root_arg='' endpoint='' token_file='' name='' board='' force=0
no_provision=0 no_start=0 uninstall=0 purge=0
while [ "$#" -gt 0 ]; do
  case $1 in
    --root) need_value "$1" "$#"; root_arg=$2; shift 2 ;;
    --root=*) root_arg=${1#*=}; shift ;;
    --endpoint) need_value "$1" "$#"; endpoint=$2; shift 2 ;;
    --endpoint=*) endpoint=${1#*=}; shift ;;
    --token-file) need_value "$1" "$#"; token_file=$2; shift 2 ;;
    --token-file=*) token_file=${1#*=}; shift ;;
    --name) need_value "$1" "$#"; name=$2; shift 2 ;;
    --name=*) name=${1#*=}; shift ;;
    --board) need_value "$1" "$#"; board=$2; shift 2 ;;
    --board=*) board=${1#*=}; shift ;;
    --force) force=1; shift ;;
    --no-provision) no_provision=1; shift ;;
    --no-start) no_start=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --token|--token=*|--enrollment-token|--enrollment-token=*)
      die 64 "$1: a token is never taken from the command line (visible in ps); use --token-file F or CAMGATE_ENROLLMENT_TOKEN" ;;
    *) usage >&2; die 64 "unknown option: $1" ;;
  esac
done

[ "$purge" -eq 0 ] || [ "$uninstall" -eq 1 ] || die 64 "--purge goes with --uninstall"
if [ "$uninstall" -eq 1 ]; then
  { [ -z "$endpoint$token_file$name$board" ] && [ "$force" -eq 0 ]; } ||
    die 64 "--uninstall takes no provisioning options"
fi
if [ "$no_provision" -eq 1 ] && [ -n "$endpoint$token_file$name" ]; then
  die 64 "--no-provision cannot go with --endpoint, --token-file or --name"
fi
if [ -z "$endpoint" ] && [ -n "$token_file$name" ]; then
  die 64 "--token-file and --name need --endpoint"
fi
case $endpoint in
  ''|http://?*|https://?*) ;;
  *) die 64 "--endpoint must be an http:// or https:// URL: $endpoint" ;;
esac
case $board in
  ''|auto) ;;
  *[!A-Za-z0-9._-]*|.*|-*) die 64 "--board must be auto or a profile id (letters, digits, . _ -): $board" ;;
esac
case $name in *'
'*) die 64 "--name must be one line" ;; esac

# Not root: refuse before reading or writing anything else.
[ "$(id -u)" -eq 0 ] || die 77 "must run as root (it creates a system user and writes /usr, /etc and /var); nothing was changed"

# R is the root of the installation: empty for this machine.
R=''
if [ -n "$root_arg" ]; then
  [ -d "$root_arg" ] || die 64 "--root $root_arg is not a directory"
  R=$(cd "$root_arg" && pwd -P) || die 64 "--root $root_arg cannot be entered"
  [ "$R" != / ] || R=''
fi
offline=0
[ -z "$root_arg" ] || offline=1
where=${R:-/}

lib=$R/usr/lib/camgate
unit=$R/etc/systemd/system/camgate.service
wants=$R/etc/systemd/system/multi-user.target.wants/camgate.service
rules=$R/etc/udev/rules.d/99-camgate.rules
# The OTA trial check (docs/ota.md): a timer and its oneshot service; the
# cloud's update requests: a path unit and its oneshot service.
check_units="camgate-ota-check.service camgate-ota-check.timer camgate-ota-apply.service camgate-ota-apply.path"
timer_wants=$R/etc/systemd/system/timers.target.wants/camgate-ota-check.timer
path_wants=$R/etc/systemd/system/paths.target.wants/camgate-ota-apply.path
boards=$R/usr/share/camgate/boards
doc=$R/usr/share/doc/camgate
etc=$R/etc/camgate
var=$R/var/lib/camgate

changes=0
changed() {
  changes=$((changes + 1))
  printf '  %s\n' "$*"
}

# Checks that DIR (or its nearest existing parent) takes a new file: a
# read-only /etc is found before anything changed.
probe_writable() {
  dir=$1
  while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
  probe=$(mktemp "$dir/.camgate-probe.XXXXXX" 2>/dev/null) ||
    die 73 "cannot write to $dir (read-only file system?); nothing was changed"
  rm -f "$probe"
}

# ------------------------------------------------ users and groups (files)
# The tree's own /etc/passwd and /etc/group are read (not the host's NSS),
# and the shadow tools are pointed at the tree with --root.
has_group() { grep -q "^$1:" "$R/etc/group" 2>/dev/null; }
has_user() { grep -q "^$1:" "$R/etc/passwd" 2>/dev/null; }
in_group() {
  awk -F: -v g="$2" -v u="$1" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 }
    END { exit !found }' "$R/etc/group"
}
user_id() { awk -F: -v u="$1" '$1 == u { print $3; exit }' "$R/etc/passwd"; }
group_id() { awk -F: -v g="$1" '$1 == g { print $3; exit }' "$R/etc/group"; }
shadow() {
  tool=$1
  shift
  command -v "$tool" >/dev/null || die 69 "$tool is missing (Debian package passwd)"
  if [ -n "$R" ]; then
    "$tool" --root "$R" "$@" || die 73 "$tool failed in $R"
  else
    "$tool" "$@" || die 73 "$tool failed"
  fi
}

# Sets the mode and owner of PATH when they differ.
ensure_meta() {
  path=$1 mode=$2 owner=$3
  [ "$(stat -c '%a %u:%g' "$path")" = "$mode $owner" ] && return 0
  { chown -h "$owner" "$path" && chmod "$mode" "$path"; } || die 73 "cannot set $mode $owner on $path"
  changed "mode $mode owner $owner: ${path#"$R"}"
}

# Installs SRC as DEST (atomically: a temp file renamed over it) unless an
# identical regular file is already there.
put_file() {
  src=$1 dest=$2 mode=$3
  if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$src" "$dest"; then
    ensure_meta "$dest" "$mode" 0:0
    return 0
  fi
  mkdir -p "$(dirname "$dest")" || die 73 "cannot create $(dirname "$dest")"
  tmp=$dest.camgate-new
  { cp "$src" "$tmp" && chown 0:0 "$tmp" && chmod "$mode" "$tmp" && mv -f "$tmp" "$dest"; } ||
    { rm -f "$tmp"; die 73 "cannot write $dest"; }
  changed "installed ${dest#"$R"}"
}

# Points the symlink LINK at TARGET (atomically) unless it already does.
put_link() {
  target=$1 link=$2
  [ -L "$link" ] && [ "$(readlink "$link")" = "$target" ] && return 0
  { ln -sfn "$target" "$link.camgate-new" && mv -Tf "$link.camgate-new" "$link"; } ||
    { rm -f "$link.camgate-new"; die 73 "cannot write $link"; }
  changed "${link#"$R"} -> $target"
}

# Asks systemd (the real one, or a stand-in that keeps its contract) whether
# it runs this machine.
systemd_running() {
  command -v systemctl >/dev/null || return 1
  state=$(systemctl is-system-running 2>/dev/null) || true
  case $state in ''|offline|unknown) return 1 ;; esac
  return 0
}

reload_udev() {
  command -v udevadm >/dev/null || return 0
  if udevadm control --reload 2>/dev/null; then
    udevadm trigger --action=change --subsystem-match=video4linux --subsystem-match=drm 2>/dev/null || true
  else
    warn "udevadm control --reload failed (udevd not running?): the rules apply from the next boot"
  fi
}

# ================================================================ uninstall
if [ "$uninstall" -eq 1 ]; then
  probe_writable "$R/etc"
  probe_writable "$R/usr/lib"
  if [ "$offline" -eq 0 ] && systemd_running; then
    if systemctl is-active --quiet camgate 2>/dev/null || systemctl is-enabled --quiet camgate 2>/dev/null; then
      systemctl disable --now camgate || die 73 "systemctl disable --now camgate failed"
      changed "stopped and disabled camgate"
    fi
  elif [ -L "$wants" ]; then
    if [ "$offline" -eq 1 ] && command -v systemctl >/dev/null; then
      systemctl --root="$R" disable camgate.service >/dev/null 2>&1 || rm -f "$wants"
    fi
    rm -f "$wants"
    changed "disabled camgate (offline)"
  fi
  if [ -L "$timer_wants" ]; then
    [ "$offline" -eq 1 ] || ! systemd_running || systemctl stop camgate-ota-check.timer >/dev/null 2>&1 || :
    rm -f "$timer_wants" && changed "disabled camgate-ota-check.timer"
  fi
  if [ -L "$path_wants" ]; then
    [ "$offline" -eq 1 ] || ! systemd_running || systemctl stop camgate-ota-apply.path >/dev/null 2>&1 || :
    rm -f "$path_wants" && changed "disabled camgate-ota-apply.path"
  fi
  for u in $check_units; do
    if [ -e "$R/etc/systemd/system/$u" ]; then rm -f "$R/etc/systemd/system/$u" && changed "removed /etc/systemd/system/$u"; fi
  done
  for path in "$R/usr/bin/camgate" "$unit" "$rules"; do
    if [ -e "$path" ] || [ -L "$path" ]; then
      rm -f "$path" || die 73 "cannot remove $path"
      changed "removed ${path#"$R"}"
    fi
  done
  for path in "$lib" "$R/usr/share/camgate" "$doc"; do
    if [ -e "$path" ]; then
      rm -rf "$path" || die 73 "cannot remove $path"
      changed "removed ${path#"$R"}"
    fi
  done
  if [ "$purge" -eq 1 ]; then
    for path in "$var" "$etc"; do
      if [ -e "$path" ]; then
        rm -rf "$path" || die 73 "cannot remove $path"
        changed "removed ${path#"$R"}"
      fi
    done
    if has_user camgate; then shadow userdel camgate; changed "removed user camgate"; fi
    if has_group camgate; then shadow groupdel camgate; changed "removed group camgate"; fi
  fi
  if [ "$offline" -eq 0 ] && [ "$changes" -gt 0 ]; then
    if systemd_running; then systemctl daemon-reload || true; fi
    reload_udev
  fi
  if [ "$changes" -eq 0 ]; then
    say "camgate is not installed in $where: nothing to remove"
  elif [ "$purge" -eq 1 ]; then
    say "camgate removed from $where, with its configuration, recordings, database and user"
  else
    say "camgate removed from $where; kept: /etc/camgate (configuration, device token), /var/lib/camgate (recordings, database), user camgate (--purge removes them)"
  fi
  exit 0
fi

# ================================================================= install
here=$(cd "$(dirname "$0")" && pwd -P)

# 1. The release directory: checksums first, then the version.
for f in SHA256SUMS VERSION camgate camgate.service 99-camgate.rules; do
  [ -f "$here/$f" ] || die 65 "$here is not a camgate release directory: $f is missing"
done
for f in VERSION camgate camgate.service 99-camgate.rules install.sh; do
  awk -v f="$f" '{ sub(/^\*/, "", $2) } $2 == f { found = 1 } END { exit !found }' "$here/SHA256SUMS" ||
    die 65 "SHA256SUMS does not cover $f"
done
command -v sha256sum >/dev/null || die 69 "sha256sum is missing (coreutils)"
if ! sums=$(cd "$here" && sha256sum --check --strict --quiet SHA256SUMS 2>&1); then
  printf '%s\n' "$sums" >&2
  die 65 "the release in $here does not match its SHA256SUMS: not installing"
fi
for f in "$here"/boards/*.json; do
  [ -e "$f" ] || continue
  awk -v f="boards/${f##*/}" '{ sub(/^\*/, "", $2) } $2 == f { found = 1 } END { exit !found }' "$here/SHA256SUMS" ||
    die 65 "SHA256SUMS does not cover boards/${f##*/}"
done
version=$(cat "$here/VERSION")
case $version in
  ''|.*|-*|*[!A-Za-z0-9._+~-]*|*..*) die 65 "VERSION is not a plain version string: '$version'" ;;
esac
[ "${#version}" -le 64 ] || die 65 "VERSION is longer than 64 characters"

# 2. Pre-flight: everything that can refuse does so before the first change.
# Whether this build has a subcommand: `camgate X --help` exits 0 even for an
# unknown X, the list in `camgate --help` does not lie.
has_command() { "$here/camgate" --help 2>/dev/null | grep -Eq "^  $1( |\$)"; }
for d in "$R/etc" "$R/usr/lib" "$R/usr/bin" "$R/usr/share" "$R/var/lib"; do probe_writable "$d"; done
if [ -n "$token_file" ]; then
  case $token_file in /*) ;; *) token_file=$(pwd -P)/$token_file ;; esac
  [ -e "$token_file" ] || die 66 "token file $token_file does not exist"
fi
provision=0
if [ -n "$endpoint" ]; then
  provision=1
  # An enrolled device re-runs provision as a no-op; anything else needs a token.
  if [ -z "$token_file" ] && [ -z "${CAMGATE_ENROLLMENT_TOKEN:-}" ]; then
    { [ "$force" -eq 0 ] && [ -e "$etc/device-token" ]; } ||
      die 64 "--endpoint needs the enrollment token: --token-file F or CAMGATE_ENROLLMENT_TOKEN"
  fi
  has_command provision ||
    die 69 "this camgate build ($version) has no 'provision' command: use --no-provision"
fi
if [ "$offline" -eq 0 ]; then
  ran=$("$here/camgate" --version 2>&1) ||
    die 69 "the camgate binary does not run on this machine (another architecture, a missing library: apt-get install ffmpeg libsqlite3-0, or a noexec mount: extract elsewhere): $ran"
  [ "$ran" = "$version" ] || die 65 "camgate --version says '$ran', VERSION says '$version'"
fi
# Board udev rules from the profile: on this machine the board is detected;
# for an image (--root) only an explicit --board ID is used (the build host is
# not the device).
board_rules=''
board_note=''
if has_command board; then
  if [ "$offline" -eq 0 ] || { [ -n "$board" ] && [ "$board" != auto ]; }; then
    set -- board --udev-rules --profiles-dir "$here/boards"
    [ -z "$board" ] || set -- "$@" --board "$board"
    board_rules=$("$here/camgate" "$@" 2>&1) || die 65 "camgate board --udev-rules failed: $board_rules"
  else
    board_note="board udev rules: none for an image without --board ID"
  fi
else
  board_note="board udev rules: this camgate build has no 'board' command (base rules only)"
fi
{ command -v useradd && command -v groupadd && command -v usermod; } >/dev/null ||
  die 69 "useradd, groupadd and usermod are needed (Debian package passwd)"
{ [ -f "$R/etc/passwd" ] && [ -f "$R/etc/group" ]; } || die 65 "$where has no /etc/passwd or /etc/group"

say "installing camgate $version into $where"

# 3. User and groups.
if ! has_group render; then shadow groupadd --system render; changed "created group render"; fi
if ! has_group camgate; then shadow groupadd --system camgate; changed "created group camgate"; fi
if ! has_user camgate; then
  shell=/usr/sbin/nologin
  [ -x "$R$shell" ] || shell=/bin/false
  shadow useradd --system --gid camgate --groups video,render --home-dir /var/lib/camgate \
    --no-create-home --shell "$shell" --comment "camgate camera gateway agent" camgate
  changed "created user camgate"
fi
for g in video render; do
  if ! in_group camgate "$g"; then shadow usermod --append --groups "$g" camgate; changed "camgate joined $g"; fi
done
uid=$(user_id camgate)
gid=$(group_id camgate)
{ [ -n "$uid" ] && [ -n "$gid" ]; } || die 70 "user camgate has no uid/gid in $R/etc/passwd"

# 4. Directories the agent owns.
for d in "$etc" "$var"; do
  if [ ! -d "$d" ]; then
    mkdir -p "$d" || die 73 "cannot create $d"
    changed "created ${d#"$R"}"
  fi
  ensure_meta "$d" 750 "$uid:$gid"
done
# The agent runs with --config /etc/camgate/config.json: an empty desired state
# (standalone, no cameras) until provisioning or the API fills it in.
if [ ! -e "$etc/config.json" ]; then
  tmp=$etc/.config.json.camgate-new
  { printf '{"cameras": {}}\n' >"$tmp" && mv -f "$tmp" "$etc/config.json"; } || die 73 "cannot write $etc/config.json"
  changed "created /etc/camgate/config.json (no cameras)"
fi
[ ! -f "$etc/config.json" ] || ensure_meta "$etc/config.json" 640 "$uid:$gid"
[ ! -f "$etc/device-token" ] || ensure_meta "$etc/device-token" 600 "$uid:$gid"

# 5. The binary in the OTA layout; current/previous switched atomically.
mkdir -p "$lib/$version" || die 73 "cannot create $lib/$version"
ensure_meta "$lib/$version" 755 0:0
put_file "$here/camgate" "$lib/$version/camgate" 755
if [ "$offline" -eq 1 ] && command -v chroot >/dev/null; then
  # The tree's own libraries: a missing libsqlite3-0 shows here, not at boot.
  ran=$(chroot "$R" "/usr/lib/camgate/$version/camgate" --version 2>&1) ||
    warn "the installed binary does not run inside $R (another architecture, or a missing library: libsqlite3-0, libstdc++6?): $ran"
fi
old=''
[ ! -L "$lib/current" ] || old=$(readlink "$lib/current")
if [ -n "$old" ] && [ "$old" != "$version" ] && [ -d "$lib/$old" ]; then
  put_link "$old" "$lib/previous"
fi
put_link "$version" "$lib/current"
# The version installed by hand is the known-good one: its binary runs the
# unit's OTA guard and exit hook (docs/ota.md).
put_link "$version" "$lib/committed"
[ ! -e "$R/usr/bin/camgate" ] || [ -L "$R/usr/bin/camgate" ] || rm -f "$R/usr/bin/camgate"
put_link /usr/lib/camgate/current/camgate "$R/usr/bin/camgate"

# 6. Board profiles: exactly the release's set.
mkdir -p "$boards" || die 73 "cannot create $boards"
for f in "$here"/boards/*.json; do
  [ -e "$f" ] || continue
  put_file "$f" "$boards/${f##*/}" 644
done
for f in "$boards"/*.json; do
  [ -e "$f" ] || continue
  [ -e "$here/boards/${f##*/}" ] && continue
  rm -f "$f" && changed "removed ${f#"$R"} (not in this release)"
done

# 7. Unit (its Documentation= is the release's README) and udev rules.
put_file "$here/camgate.service" "$unit" 644
# The timer is enabled by its link (the same offline and live; a live systemd
# starts it below).
if [ -f "$here/camgate-ota-check.timer" ]; then
  for u in $check_units; do put_file "$here/$u" "$R/etc/systemd/system/$u" 644; done
  if [ ! -L "$timer_wants" ]; then
    { mkdir -p "$(dirname "$timer_wants")" && ln -sfn /etc/systemd/system/camgate-ota-check.timer "$timer_wants"; } ||
      die 73 "cannot enable camgate-ota-check.timer in $R"
    changed "enabled camgate-ota-check.timer"
  fi
  if [ ! -L "$path_wants" ]; then
    { mkdir -p "$(dirname "$path_wants")" && ln -sfn /etc/systemd/system/camgate-ota-apply.path "$path_wants"; } ||
      die 73 "cannot enable camgate-ota-apply.path in $R"
    changed "enabled camgate-ota-apply.path"
  fi
fi
[ ! -f "$here/README" ] || put_file "$here/README" "$doc/README" 644
rules_src=$here/99-camgate.rules
if [ -n "$board_rules" ]; then
  rules_src=$(mktemp)
  trap 'rm -f "$rules_src"' EXIT
  { cat "$here/99-camgate.rules"; printf '\n# From the board profile (camgate board --udev-rules):\n%s\n' "$board_rules"; } >"$rules_src"
fi
put_file "$rules_src" "$rules" 644

# 8. Enrollment (before the service starts, so it starts enrolled).
enrollment_state() { cat "$etc/config.json" "$etc/device-token" 2>/dev/null | cksum; }
provisioned='no (standalone; --endpoint URL enrolls)'
[ ! -e "$etc/device-token" ] || provisioned='yes (device token present)'
[ "$no_provision" -eq 0 ] || provisioned="skipped (--no-provision)"
if [ "$provision" -eq 1 ]; then
  set -- provision --endpoint "$endpoint" --owner "$uid:$gid" --profiles-dir "$here/boards"
  [ -z "$name" ] || set -- "$@" --name "$name"
  [ -z "$board" ] || set -- "$@" --board "$board"
  [ "$force" -eq 0 ] || set -- "$@" --force
  [ -z "$token_file" ] || set -- "$@" --token-file "$token_file"
  [ -z "$R" ] || set -- "$@" --root "$R"
  say "enrolling at $endpoint"
  before=$(enrollment_state)
  status=0
  "$here/camgate" "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    die "$status" "camgate $version is installed in $where but the device is not enrolled (camgate provision exited $status); the service was not started. Fix the cause and run install.sh again."
  fi
  provisioned='yes'
  # A new enrollment changes the config: a running agent is restarted below.
  [ "$before" = "$(enrollment_state)" ] || changed "enrolled (config.json, device-token)"
fi

# 9. The service.
service='enabled'
live_systemd=0
[ "$offline" -eq 1 ] || ! systemd_running || live_systemd=1
if [ "$live_systemd" -eq 0 ]; then
  # An image, or a machine systemd does not run (yet): enabled offline.
  if [ ! -L "$wants" ]; then
    if [ -n "$R" ]; then set -- systemctl --root="$R" enable camgate.service; else set -- systemctl enable camgate.service; fi
    if command -v systemctl >/dev/null && "$@" >/dev/null 2>&1 && [ -L "$wants" ]; then :; else
      { mkdir -p "$(dirname "$wants")" && ln -sfn /etc/systemd/system/camgate.service "$wants"; } ||
        die 73 "cannot enable camgate in $R"
    fi
    changed "enabled camgate.service (offline)"
  fi
  service='enabled (starts at the first boot of the image)'
  if [ "$offline" -eq 0 ]; then
    say "summary: camgate $version installed in $where; $changes change(s); provisioned: $provisioned"
    die 69 "systemd is not running on this machine (systemctl is-system-running: offline): camgate is installed and enabled, not started"
  fi
else
  was_active=0
  systemctl is-active --quiet camgate 2>/dev/null && was_active=1
  if [ "$changes" -gt 0 ]; then
    systemctl daemon-reload || die 69 "systemctl daemon-reload failed"
    reload_udev
  fi
  if [ -L "$timer_wants" ] && ! systemctl is-active --quiet camgate-ota-check.timer 2>/dev/null; then
    systemctl start camgate-ota-check.timer >/dev/null 2>&1 ||
      warn "systemctl start camgate-ota-check.timer failed: updates cannot commit until it runs (it starts at the next boot)"
  fi
  if [ -L "$path_wants" ] && ! systemctl is-active --quiet camgate-ota-apply.path 2>/dev/null; then
    systemctl start camgate-ota-apply.path >/dev/null 2>&1 ||
      warn "systemctl start camgate-ota-apply.path failed: cloud updates wait until it runs (it starts at the next boot)"
  fi
  if ! systemctl is-enabled --quiet camgate 2>/dev/null; then
    systemctl enable camgate || die 69 "systemctl enable camgate failed"
    changed "enabled camgate.service"
  fi
  if [ "$no_start" -eq 1 ]; then
    service='enabled, not started (--no-start)'
  elif [ "$was_active" -eq 1 ] && [ "$changes" -gt 0 ]; then
    systemctl restart camgate || die 69 "systemctl restart camgate failed (journalctl -u camgate)"
    service='restarted'
  elif [ "$was_active" -eq 1 ]; then
    service='running'
  else
    systemctl start camgate || die 69 "systemctl start camgate failed (journalctl -u camgate)"
    service='started'
  fi
fi

# 10. Summary.
if [ "$changes" -eq 0 ]; then
  say "camgate $version is already installed in $where: nothing changed"
fi
say "summary: camgate $version in $where; previous: $( [ -L "$lib/previous" ] && readlink "$lib/previous" || echo none)"
say "summary: user camgate ($uid:$gid, groups video render); config /etc/camgate; data /var/lib/camgate"
say "summary: service $service; provisioned: $provisioned; $changes change(s)"
[ -z "$board_note" ] || say "summary: $board_note"
exit 0
