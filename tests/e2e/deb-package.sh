#!/bin/bash
# The Debian packages (backstop, backstop-panel), built and installed on
# this machine, then removed:
#
#   - "dpkg-buildpackage -us -uc -b" builds them from a copy of the tree
#     (the tree and its parent directory are not written to); lintian -I -E
#     --pedantic reports no error and no warning;
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
#     LICENSE; the panel's desktop file (desktop-file-validate) where menus
#     read it, the notifier's in /etc/xdg/autostart (its Exec= is the
#     package's notifier), the metainfo (appstreamcli validate --no-net)
#     where AppStream reads it, the German catalog where gettext looks:
#     the installed panel starts without a display (--version) and, with
#     LANGUAGE=de, speaks German (--help, and its status view against the
#     installed daemon, read through its accessibility tree under Xvfb);
#   - installing starts nothing and changes nothing of the machine's firewall:
#     no backstopd runs, backstopd.service is not enabled (nor its bus
#     activation alias), only backstopd-restore.service is; the host's
#     rulesets (iptables-legacy, ip6tables-legacy, nft) read the same before
#     and after;
#   - "dpkg --purge" leaves none of the packages' files nor unit symlinks.
#
# Not part of "meson test": it installs a package on the host. It runs from
# tests/run-tests.sh (the CI command); by hand: tests/e2e/deb-package.sh.
# Skips (77) when not root, not on Debian, without dpkg-buildpackage or
# debhelper, or when a backstop or backstop-panel package is installed
# already (it would not replace the admin's).
source "$(dirname "$0")/e2e-lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (installs a package)"
[ -f /etc/debian_version ] || skip "not a Debian system"
require_bin dpkg dpkg-buildpackage dh lintian fakeroot dbus-daemon dbus-send systemd-analyze systemd-tmpfiles man \
        desktop-file-validate appstreamcli
PACKAGES=(backstop backstop-panel)
for pkg in "${PACKAGES[@]}"; do
        case $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) in
        "" | *not-installed) ;;
        *) skip "a $pkg package is installed already; not replacing it" ;;
        esac
done
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
debs=()
for pkg in "${PACKAGES[@]}"; do
        f=$(echo "$D/src/${pkg}_"*_*.deb)
        [ -f "$f" ] || fail "no ${pkg}_*.deb built"
        debs+=("$f")
        say "built $(basename "$f")"
        dpkg-deb -c "$f" | awk -v p="$pkg" '{print "    " p " | " $1 " " $6 $7 $8}'
done

say "lintian -I -E --pedantic (both packages)"
t0=$EPOCHREALTIME
lintian -I -E --pedantic --fail-on error,warning "$D"/src/backstop_*.changes >"$D/lintian.log" 2>&1 || lintian_rc=$?
figure "lintian" "$(seconds_between "$t0" "$EPOCHREALTIME") s"
grep -v "running with root privileges" "$D/lintian.log" | sed 's/^/    lintian | /'
[ "${lintian_rc:-0}" = 0 ] || problem "lintian reports errors or warnings (exit ${lintian_rc})"

# --- Install (one at a time with the tests that install polkit actions
# from the tree: they share /usr/share/polkit-1/actions)
sandbox_polkit_lock
rules_before=$(host_rulesets)
[ -z "$(installed_daemons)" ] || fail "a /usr/sbin/backstopd runs already"
say "dpkg -i ${debs[*]##*/}"
sandbox_on_exit "dpkg --purge ${PACKAGES[*]} >'$D/purge.log' 2>&1"
t0=$EPOCHREALTIME
dpkg -i "${debs[@]}" >"$D/install.log" 2>&1 || { cat "$D/install.log"; fail "dpkg -i failed"; }
figure "dpkg -i" "$(seconds_between "$t0" "$EPOCHREALTIME") s"
sed 's/^/    dpkg | /' "$D/install.log"
dpkg -L backstop | while IFS= read -r f; do [ -d "$f" ] || echo "$f"; done | sort >"$D/files"
dpkg -L backstop-panel | while IFS= read -r f; do [ -d "$f" ] || echo "$f"; done | sort >"$D/panel-files"

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

# The panel: menus, autostart, AppStream, gettext and man read its files
# where they look; the installed panel starts without a display.
panel_has() { grep -qx "$1" "$D/panel-files" || problem "$1 is not in backstop-panel"; }
desktop=/usr/share/applications/org.backstop.Panel.desktop
autostart=/etc/xdg/autostart/org.backstop.Notifier.desktop
metainfo=/usr/share/metainfo/org.backstop.Panel.metainfo.xml
catalog=/usr/share/locale/de/LC_MESSAGES/backstop-panel.mo
for f in /usr/bin/backstop-panel "$desktop" "$autostart" "$metainfo" "$catalog" \
        /usr/share/icons/hicolor/scalable/apps/org.backstop.Panel.svg \
        /usr/share/icons/hicolor/symbolic/apps/org.backstop.Panel-symbolic.svg; do
        panel_has "$f"
done
for f in "$desktop" "$autostart"; do
        out=$(desktop-file-validate "$f" 2>&1) || problem "desktop-file-validate $f failed"
        [ -z "$out" ] || { echo "$out" | sed 's/^/    desktop-file-validate | /'; problem "desktop-file-validate has something to say about $f"; }
done
say "desktop-file-validate: clean on $desktop and $autostart"
notifier=$(sed -n 's/^Exec=//p' "$autostart")
if ! grep -qx "$notifier" "$D/panel-files" || [ ! -x "$notifier" ]; then
        problem "the autostart file's Exec=$notifier is not the package's notifier"
fi
out=$(appstreamcli validate --no-net "$metainfo" 2>&1) || { echo "$out" | sed 's/^/    appstreamcli | /'; problem "appstreamcli validate --no-net $metainfo failed"; }
say "appstreamcli validate --no-net $metainfo: passed"
grep -q "^Name\[de\]=" "$autostart" || problem "the autostart file has no German name"
f=$(man -w backstop-panel 2>/dev/null) || true
grep -qx "$f" "$D/panel-files" || problem "man -w backstop-panel finds '${f:-nothing}', not the package's page"
version=$(dpkg-query -W -f='${Version}' backstop-panel)
out=$(env -u DISPLAY -u WAYLAND_DISPLAY /usr/bin/backstop-panel --version 2>&1) || problem "backstop-panel --version failed: $out"
[ "$out" = "backstop-panel ${version%%-*}" ] || problem "backstop-panel --version says '$out', package version $version"
out=$(env -u DISPLAY -u WAYLAND_DISPLAY LANGUAGE=de LANG=C.UTF-8 /usr/bin/backstop-panel --help 2>&1) ||
        problem "backstop-panel --help failed"
if grep -q "Die Version anzeigen" <<<"$out"; then
        say "the installed panel speaks German with LANGUAGE=de (--help)"
else
        echo "$out" | sed 's/^/    --help | /'
        problem "the installed panel's --help is not German with LANGUAGE=de (its catalog not found)"
fi

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

# The installed panel in German (LANGUAGE=de), against the installed daemon,
# on an X server and a session bus of its own (xvfb-run, dbus-run-session):
# its accessibility tree, what a screen reader reads (panel-a11y.py), holds
# the status view's German lines.
if command -v xvfb-run >/dev/null && command -v dbus-run-session >/dev/null &&
        /usr/bin/python3 -c "import gi; gi.require_version('Atspi', '2.0')" 2>/dev/null; then
        mkdir -p "$D/panel-home" && mkdir -m 0700 "$D/panel-xdg"
        german="Keine Änderung wartet auf Bestätigung"
        t0=$EPOCHREALTIME
        # shellcheck disable=SC2016 # expanded by that sh
        LANGUAGE=de LANG=C.UTF-8 HOME=$D/panel-home XDG_RUNTIME_DIR=$D/panel-xdg GSETTINGS_BACKEND=memory \
                GDK_BACKEND=x11 GSK_RENDERER=cairo timeout 120 xvfb-run -a dbus-run-session -- sh -c '
                /usr/bin/backstop-panel & panel=$!
                i=0
                until /usr/bin/python3 "$1" backstop-panel >"$2" 2>/dev/null && grep -qF "$3" "$2"; do
                        i=$((i + 1))
                        [ $i -lt 600 ] || break
                        sleep 0.1
                done
                kill $panel' sh "$BACKSTOP_SOURCE_ROOT/tests/e2e/panel-a11y.py" "$D/panel-a11y.txt" "$german" \
                >"$D/panel.log" 2>&1 || true
        if grep -qxF "$(printf 'label\t%s' "$german")" "$D/panel-a11y.txt" 2>/dev/null; then
                figure "the installed panel in German, up to its accessibility tree" "$(seconds_between "$t0" "$EPOCHREALTIME") s"
                grep -E "^(label|page tab)"$'\t' "$D/panel-a11y.txt" | sort -u | head -n 12 | sed 's/^/    a11y | /'
        else
                sed 's/^/    panel | /' "$D/panel.log"
                sed 's/^/    a11y | /' "$D/panel-a11y.txt" 2>/dev/null | head -n 40
                problem "the installed panel does not show \"$german\" with LANGUAGE=de"
        fi
else
        say "xvfb-run, dbus-run-session or gir1.2-atspi-2.0 missing: the panel's accessibility tree is not read"
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
dpkg --purge "${PACKAGES[@]}" >"$D/purge.log" 2>&1 || { cat "$D/purge.log"; problem "dpkg --purge failed"; }
figure "dpkg --purge" "$(seconds_between "$t0" "$EPOCHREALTIME") s"
cat "$D/files" "$D/panel-files" | while IFS= read -r f; do
        [ ! -e "$f" ] || echo "$f"
done >"$D/left"
while IFS= read -r f; do problem "$f is left after the purge"; done <"$D/left"
left=$(find /etc/systemd/system -lname '*backstop*' 2>/dev/null)
[ -z "$left" ] || problem "unit symlinks left after the purge: $left"
[ "$(host_rulesets)" = "$rules_before" ] || problem "the host's ruleset changed"

[ "$errors" = 0 ] || fail "$errors problem(s) with the package"
say "PASS"
