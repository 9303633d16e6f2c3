#!/bin/bash
# The Debian package, built and installed on this machine, then removed:
#
#   - "dpkg-buildpackage -us -uc -b" builds it from a copy of the tree (the
#     tree and its parent directory are not written to); lintian reports no
#     error (warnings are printed);
#   - installed with dpkg, every file lies where its reader reads it: the bus
#     policy and the activation file where this machine's dbus-daemon reads
#     them (a private dbus-daemon run from a copy of the machine's own
#     system.conf lists org.backstop.Firewall1 as activatable, lets the
#     installed backstopd, in a private network namespace, own the name and
#     lets another user call it), the polkit actions where polkitd reads them
#     (the real polkitd on that bus knows every action), the units on
#     systemd's unit path ("systemd-analyze verify" is clean on them as
#     installed), the tmpfiles snippet in systemd-tmpfiles' configuration,
#     man pages where man finds them, the bash completion, README and
#     LICENSE;
#   - installing starts nothing and changes nothing of the machine's firewall:
#     no backstopd runs, backstopd.service is not enabled (nor its bus
#     activation alias), only backstopd-restore.service is; the host's
#     rulesets (iptables-legacy, ip6tables-legacy, nft) read the same before
#     and after;
#   - "dpkg --purge" leaves none of the package's files nor unit symlinks.
#
# Not part of "meson test": it installs a package on the host. It runs from
# tests/run-tests.sh (the CI command); by hand: tests/e2e/deb-package.sh.
# Skips (77) when not root, not on Debian, without dpkg-buildpackage or
# debhelper, or when a backstop package is installed already (it would not
# replace the admin's).
source "$(dirname "$0")/e2e-lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (installs a package)"
[ -f /etc/debian_version ] || skip "not a Debian system"
require_bin dpkg dpkg-buildpackage dh lintian fakeroot dbus-daemon dbus-send systemd-analyze systemd-tmpfiles man
case $(dpkg-query -W -f='${Status}' backstop 2>/dev/null) in
"" | *not-installed) ;;
*) skip "a backstop package is installed already; not replacing it" ;;
esac
ip netns add "bsprobe-$$" 2>/dev/null || skip "cannot create network namespaces"
ip netns del "bsprobe-$$"

sandbox_init
D=$SB
errors=0
problem() {
        echo "    PROBLEM: $*"
        errors=$((errors + 1))
}

# The host's own rulesets, read only, without counters.
host_rulesets() {
        {
                iptables-legacy-save 2>/dev/null || true
                ip6tables-legacy-save 2>/dev/null || true
                nft list ruleset 2>/dev/null || true
        } | sed -E '/^#/d; s/\[[0-9]+:[0-9]+\]//g; s/counter packets [0-9]+ bytes [0-9]+/counter/g'
}

# PIDs of processes running the installed daemon.
installed_daemons() {
        local p
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/backstopd ] && echo "${p#/proc/}"
        done
        return 0
}

# --- Build
say "copying the tree to $D/src/backstop"
mkdir -p "$D/src/backstop"
tar --exclude='./build*' --exclude=./.git --exclude='./obj-*' --exclude=./debian/backstop --exclude=./debian/.debhelper -C "$BACKSTOP_SOURCE_ROOT" -cf - . | tar -C "$D/src/backstop" -xf -
say "dpkg-buildpackage -us -uc -b"
t0=$EPOCHREALTIME
(cd "$D/src/backstop" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b) \
        >"$D/build.log" 2>&1 || { tail -n 60 "$D/build.log"; fail "dpkg-buildpackage failed"; }
figure "dpkg-buildpackage" "$(seconds_between "$t0" "$EPOCHREALTIME") s"
debs=("$D"/src/backstop_*_*.deb)
deb=${debs[0]}
[ -f "$deb" ] || fail "no backstop_*.deb built"
say "built $(basename "$deb")"
dpkg-deb -c "$deb" | awk '{print "    deb | " $1 " " $6 $7 $8}'

say "lintian"
t0=$EPOCHREALTIME
lintian --fail-on error -I "$D"/src/backstop_*.changes >"$D/lintian.log" 2>&1 || lintian_rc=$?
figure "lintian" "$(seconds_between "$t0" "$EPOCHREALTIME") s"
grep -v "running with root privileges" "$D/lintian.log" | sed 's/^/    lintian | /'
[ "${lintian_rc:-0}" = 0 ] || problem "lintian reports errors (exit ${lintian_rc})"

# --- Install (one at a time with the tests that install polkit actions
# from the tree: they share /usr/share/polkit-1/actions)
sandbox_polkit_lock
rules_before=$(host_rulesets)
[ -z "$(installed_daemons)" ] || fail "a /usr/sbin/backstopd runs already"
say "dpkg -i $(basename "$deb")"
sandbox_on_exit "dpkg --purge backstop >'$D/purge.log' 2>&1"
t0=$EPOCHREALTIME
dpkg -i "$deb" >"$D/install.log" 2>&1 || { cat "$D/install.log"; fail "dpkg -i failed"; }
figure "dpkg -i" "$(seconds_between "$t0" "$EPOCHREALTIME") s"
sed 's/^/    dpkg | /' "$D/install.log"
dpkg -L backstop | while IFS= read -r f; do [ -d "$f" ] || echo "$f"; done | sort >"$D/files"

# --- Nothing started, nothing enabled but the restore unit, firewall untouched
pids=$(installed_daemons)
[ -z "$pids" ] || problem "installing started backstopd (pid $pids)"
if [ -d /run/systemd/system ]; then
        st=$(systemctl is-active backstopd.service 2>&1) || true
        [ "$st" = inactive ] || problem "backstopd.service is $st after install"
        st=$(systemctl is-enabled backstopd.service 2>&1) || true
        [ "$st" = disabled ] || problem "backstopd.service is $st after install, not disabled"
fi
links=$(find /etc/systemd/system -lname '*backstop*' 2>/dev/null | sort)
say "unit symlinks: ${links:-none}"
for l in $links; do
        case $l in
        */multi-user.target.wants/backstopd-restore.service) ;;
        *) problem "installing enabled $l" ;;
        esac
done
echo "$links" | grep -q 'multi-user.target.wants/backstopd-restore.service$' ||
        problem "backstopd-restore.service is not enabled"
[ "$(host_rulesets)" = "$rules_before" ] || problem "the host's ruleset changed during the install"

# --- Files, each where its reader reads it
has() { grep -qx "$1" "$D/files" || problem "$1 is not in the package"; }
for f in /usr/sbin/backstopd /usr/bin/backstopctl /usr/share/bash-completion/completions/backstopctl \
        /usr/share/doc/backstop/README.md /usr/share/doc/backstop/copyright; do
        has "$f"
done
grep -qE '^/usr/share/doc/backstop/LICENSE(\.gz)?$' "$D/files" || problem "no LICENSE in /usr/share/doc/backstop"
for page in backstopctl backstopd; do
        f=$(man -w "$page" 2>/dev/null) || true
        grep -qx "$f" "$D/files" || problem "man -w $page finds '${f:-nothing}', not the package's page"
done
bash -c 'source /usr/share/bash-completion/completions/backstopctl && complete -p backstopctl' >/dev/null 2>&1 ||
        problem "the installed bash completion does not define one for backstopctl"

# systemd: units on its unit path, verify clean as installed, tmpfiles read.
unitpath=$(systemd-analyze unit-paths 2>/dev/null)
for u in backstopd.service backstopd-restore.service; do
        f=$(grep "/$u\$" "$D/files" | head -1)
        if [ -z "$f" ]; then
                problem "$u is not in the package"
                continue
        fi
        grep -qx "$(dirname "$f")" <<<"$unitpath" || problem "$f is not on systemd's unit path"
        out=$(systemd-analyze verify "$f" 2>&1) || problem "systemd-analyze verify $f failed"
        [ -z "$out" ] || { echo "$out" | sed 's/^/    verify | /'; problem "systemd-analyze verify has something to say about $f"; }
        [ -n "$out" ] || say "systemd-analyze verify $f: clean"
done
grep -qE "^Conflicts=.*firewalld.service" "$(grep '/backstopd.service$' "$D/files")" ||
        problem "backstopd.service does not conflict with firewalld.service"
tmpfiles_conf=$(systemd-tmpfiles --cat-config 2>/dev/null) || true
grep -q '^# /usr/lib/tmpfiles.d/backstop.conf$' <<<"$tmpfiles_conf" ||
        problem "systemd-tmpfiles does not read backstop.conf"

# dbus: a private dbus-daemon from this machine's own system.conf, on a
# socket of ours; its relative includes made absolute.
sysconf=/usr/share/dbus-1/system.conf
[ -f "$sysconf" ] || sysconf=/etc/dbus-1/system.conf
confdir=$(dirname "$sysconf")
sed -E -e "s|<listen>[^<]*</listen>|<listen>unix:path=$D/system_bus_socket</listen>|" \
        -e "s|(<include[^>]*>)([^/<][^<]*)</include>|\1$confdir/\2</include>|" \
        -e "s|<includedir>([^/<][^<]*)</includedir>|<includedir>$confdir/\1</includedir>|" \
        "$sysconf" >"$D/system.conf"
grep -q "unix:path=$D/system_bus_socket" "$D/system.conf" || fail "no <listen> to replace in $sysconf"
chmod 0755 "$D"
dbus-daemon --config-file="$D/system.conf" --nofork --nopidfile --print-address=3 3>"$D/bus.address" \
        2>"$D/bus.log" &
SB_PIDS+=($!)
sandbox_wait_until 60 test -s "$D/bus.address" || { cat "$D/bus.log"; fail "the private dbus-daemon did not start"; }
DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$D/bus.address")
export DBUS_SYSTEM_BUS_ADDRESS
say "private system bus from $sysconf: $DBUS_SYSTEM_BUS_ADDRESS"

activatable=$(dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.ListActivatableNames) || true
grep -q '"org.backstop.Firewall1"' <<<"$activatable" ||
        problem "dbus-daemon does not list org.backstop.Firewall1 as activatable (activation file not read)"
act=$(grep '/org.backstop.Firewall1.service$' "$D/files" | head -1)
svc=$(sed -n 's/^SystemdService=//p' "$act" 2>/dev/null)
grep -qx "Alias=$svc" "$(grep '/backstopd.service$' "$D/files")" ||
        problem "the activation file's SystemdService=$svc is not backstopd.service's Alias="

# The installed daemon owns its name under the installed policy (the
# machine's system.conf lets nobody own a name its policy does not allow),
# in a network namespace of its own.
SB_FW=bsdeb-$$
ip netns add "$SB_FW"
ip netns exec "$SB_FW" env XTABLES_LOCKFILE="$XTABLES_LOCKFILE" DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" \
        /usr/sbin/backstopd --runtime-dir="$BACKSTOP_RUNTIME_DIR" --state-dir="$BACKSTOP_STATE_DIR" \
        2>>"$D/backstopd.log" &
SB_DAEMON_PID=$!
if sandbox_wait_name "$SB_DAEMON_PID"; then
        say "the installed backstopd (pid $SB_DAEMON_PID) owns org.backstop.Firewall1"
        # Another user may call it (the policy's default context).
        out=$(setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --system --print-reply \
                --dest=org.backstop.Firewall1 /org/backstop/Firewall1 org.freedesktop.DBus.Properties.Get \
                string:org.backstop.Firewall1 string:Backends 2>&1) ||
                problem "uid 65534 cannot read a property of backstopd: $out"
else
        cat "$D/backstopd.log"
        problem "the installed backstopd could not own org.backstop.Firewall1 (bus policy not read)"
fi

# polkit: the real polkitd on that bus knows every action of the policy.
if [ -x /usr/lib/polkit-1/polkitd ] && command -v pkaction >/dev/null; then
        sandbox_polkit
        policy=$(grep '/org.backstop.firewall1.policy$' "$D/files" | head -1)
        [ -n "$policy" ] || problem "no polkit policy in the package"
        known=$(pkaction 2>/dev/null)
        for id in $(sed -n 's/.*<action id="\([^"]*\)".*/\1/p' "${policy:-/dev/null}"); do
                if grep -qx "$id" <<<"$known"; then
                        say "polkitd knows $id"
                else
                        problem "polkitd does not know $id"
                fi
        done
else
        say "polkitd not installed: the polkit check is left out"
fi
sandbox_stop_daemon

# --- Purge: nothing left
t0=$EPOCHREALTIME
dpkg --purge backstop >"$D/purge.log" 2>&1 || { cat "$D/purge.log"; problem "dpkg --purge failed"; }
figure "dpkg --purge" "$(seconds_between "$t0" "$EPOCHREALTIME") s"
while IFS= read -r f; do
        [ ! -e "$f" ] || problem "$f is left after the purge"
done <"$D/files"
left=$(find /etc/systemd/system -lname '*backstop*' 2>/dev/null)
[ -z "$left" ] || problem "unit symlinks left after the purge: $left"
[ "$(host_rulesets)" = "$rules_before" ] || problem "the host's ruleset changed"

[ "$errors" = 0 ] || fail "$errors problem(s) with the package"
say "PASS"
