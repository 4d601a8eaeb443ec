#!/usr/bin/env bash
# check-deb.sh: build the Debian packages (scripts/build-deb.sh: dpkg-buildpackage
# and lintian, errors fail), install them with dpkg into a throwaway root
# (maintainer scripts run without chroot, as DPKG_ROOT), and check what an
# operator gets: the files, the mnemo system user, the conffile, the unit
# passing systemd-analyze verify, the service's command line serving
# requests, and a clean purge. Run by `make test`; every step is bounded.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-debs.XXXXXX")
R=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-debroot.XXXXXX")
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$out" "$R"
}
trap cleanup EXIT
fail() { echo "check-deb: $*" >&2; exit 1; }

"$root/scripts/build-deb.sh" "$out"
debs=()
for p in libmnemo0 libmnemo-dev mnemo-server mnemo-tools; do
    f=$(ls "$out"/${p}_*.deb) || fail "no $p package"
    debs+=("$f")
done

# A throwaway root: an empty dpkg database; dependencies are the host's.
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc" "$R/usr/sbin"
touch "$R/var/lib/dpkg/status"
# As in any chroot: services are not started (deb-systemd-invoke asks
# $DPKG_ROOT/usr/sbin/policy-rc.d; 101 is "forbidden"), so nothing of the
# host's init system runs the packaged unit.
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod +x "$R/usr/sbin/policy-rc.d"
dpk() { timeout 300 dpkg --root="$R" --force-script-chrootless --force-depends --force-not-root "$@"; }
dpk -i "${debs[@]}" >"$out/install.log" 2>&1 || { cat "$out/install.log" >&2; fail "dpkg -i failed"; }
for p in libmnemo0 libmnemo-dev mnemo-server mnemo-tools; do
    st=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' "$p")
    [ "$st" = "install ok installed" ] || fail "$p: $st"
done
for f in usr/bin/mnemod usr/bin/mnemo-cli usr/bin/mnemo-bench usr/libexec/mnemo/mnemod-start \
         etc/mnemo/mnemod.conf lib/systemd/system/mnemod.service usr/include/mnemo/mnemo.h \
         usr/share/man/man1/mnemod.1.gz usr/share/man/man3/libmnemo.3.gz; do
    [ -e "$R/$f" ] || fail "/$f is not installed"
done
grep -q '^mnemo:x:[0-9]*:[0-9]*:[^:]*:/var/lib/mnemo:/usr/sbin/nologin$' "$R/etc/passwd" ||
    fail "no mnemo system user (postinst)"
dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Conffiles}' mnemo-server | grep -q /etc/mnemo/mnemod.conf ||
    fail "/etc/mnemo/mnemod.conf is not a conffile"
[ -L "$R/etc/systemd/system/multi-user.target.wants/mnemod.service" ] || fail "mnemod.service is not enabled"
echo "check-deb: installed into a throwaway root; user, conffile and unit in place"

# The unit: systemd-analyze verify in the root, with the host's base units
# (sysinit.target, ...) beside it as a real system has them. Any output is a finding.
cp -rn /lib/systemd/system/. "$R/lib/systemd/system/" 2>/dev/null || true
verify=$(MANPATH="$R/usr/share/man" timeout 60 systemd-analyze --root="$R" verify \
         /lib/systemd/system/mnemod.service 2>&1) || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
echo "check-deb: systemd-analyze verify mnemod.service: clean"

# The service's command line (mnemod-start on the shipped conf), on a free port.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s/^-p 11211$/-p $port/" "$R/etc/mnemo/mnemod.conf" >"$out/mnemod.conf"
grep -q "^-p $port$" "$out/mnemod.conf" || fail "the shipped conf has no '-p 11211' line"
[ "$(id -u)" -eq 0 ] && echo "-u root" >>"$out/mnemod.conf" # the test runs as root, the service as mnemo
MNEMOD_BIN="$R/usr/bin/mnemod" "$R/usr/libexec/mnemo/mnemod-start" "$out/mnemod.conf" 2>"$out/mnemod.log" &
pid=$!
cli() { timeout 10 "$R/usr/bin/mnemo-cli" -s "127.0.0.1:$port" "$@"; }
for _ in $(seq 1 600); do # at most 30 s
    cli ping >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "mnemod exited: $(cat "$out/mnemod.log")"
    sleep 0.05
done
cli set packaged yes >/dev/null || fail "set through the packaged mnemod failed"
[ "$(cli get packaged)" = "yes" ] || fail "get through the packaged mnemod failed"
cli stats settings | grep -q " maxbytes 67108864$" || fail "the conf's -m 64 is not in effect"
kill "$pid"; wait "$pid" || true; pid=""
echo "check-deb: mnemod-start served requests with the shipped mnemod.conf"

dpk --purge mnemo-tools mnemo-server libmnemo-dev libmnemo0 >"$out/purge.log" 2>&1 ||
    { cat "$out/purge.log" >&2; fail "dpkg --purge failed"; }
for f in usr/bin/mnemod etc/mnemo/mnemod.conf lib/systemd/system/mnemod.service usr/include/mnemo/mnemo.h; do
    [ ! -e "$R/$f" ] || fail "/$f is left after purge"
done
echo "check-deb: purged cleanly"
