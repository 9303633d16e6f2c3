#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# firewalld next to backstopd, measured alike in the same run (called by
# tests/bench/run.sh; see tests/bench/README.md):
#
#   firewalld.sh fetch DIR
#       In the machine's own namespaces, with network access: download the
#       Debian packages firewalld, python3-firewall and python3-nftables
#       (apt-get download: checked against the signed archive, NOT installed)
#       and unpack them with dpkg-deb -x into DIR/root. No maintainer script
#       runs, nothing is started. Reused while DIR/root is complete.
#       Prints why when it cannot, and exits 1.
#
#   firewalld.sh packages
#       The Debian packages firewalld needs at run time that "fetch" does not
#       unpack (run.sh installs them with tests/install-deps.sh; none of them
#       pulls firewalld or starts a service).
#
#   firewalld.sh measure DIR BUILD RUNS
#       Inside run.sh's private network namespace, with its private bus:
#       re-executes itself in a private mount namespace (tmpfs on /run and
#       /var/log), then has bench-peer start backstopd, then firewalld, RUNS
#       times each (cold start, RSS/PSS, one port opened with each one's
#       CLI), and prints a markdown table with the ratios.
#
# firewalld is never run, nor any of its package scripts, in the machine's
# own network namespace: "measure" refuses to run outside a network
# namespace and a mount namespace other than the ones run.sh started from.
set -euo pipefail

PACKAGES=(firewalld python3-firewall python3-nftables)
# What those need at run time, installed (check_runtime checks them)
RUNTIME_PACKAGES=(python3 python3-dbus python3-gi gir1.2-glib-2.0 libnftables1 nftables)
FW_NAME=org.fedoraproject.FirewallD1
FW_PATH=/org/fedoraproject/FirewallD1
BS_NAME=org.backstop.Firewall1
BS_PATH=/org/backstop/Firewall1

die() {
        echo "firewalld.sh: $*" >&2
        exit 1
}

# ---- fetch ----

# What firewalld needs at run time that we do not unpack: the interpreter
# and libraries Debian's firewalld depends on (installed here already; on a
# machine without them, say what to install: none of them pulls firewalld).
check_runtime() {
        [ -x /usr/bin/python3 ] || { echo "no /usr/bin/python3"; return 1; }
        /usr/bin/python3 -c 'import dbus, dbus.mainloop.glib, gi; gi.require_version("GLib", "2.0"); from gi.repository import GLib' \
                2>/dev/null || {
                echo "python3-dbus, python3-gi or gir1.2-glib-2.0 missing (apt-get install --no-install-recommends python3-dbus python3-gi gir1.2-glib-2.0)"
                return 1
        }
        /usr/bin/python3 -c 'import ctypes; ctypes.CDLL("libnftables.so.1")' 2>/dev/null || {
                echo "libnftables1 missing (apt-get install --no-install-recommends libnftables1)"
                return 1
        }
        command -v nft >/dev/null || { echo "nft missing (package nftables), needed to check firewalld's ruleset"; return 1; }
}

fetch() {
        local dir=$1 why deb
        if [ -e "$dir/root/.complete" ]; then
                return 0
        fi
        if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
                echo "no apt-get/dpkg-deb on this machine"
                return 1
        fi
        why=$(check_runtime) || { echo "$why"; return 1; }
        rm -rf "$dir"
        mkdir -p "$dir/debs"
        # apt drops privileges to _apt for downloads: let it write here
        if id _apt >/dev/null 2>&1; then
                chown _apt "$dir/debs"
        fi
        if ! (cd "$dir/debs" && apt-get download -q "${PACKAGES[@]}" >"$dir/download.log" 2>&1); then
                echo "apt-get download ${PACKAGES[*]} failed (offline? see $dir/download.log)"
                return 1
        fi
        chown -R root "$dir/debs"
        mkdir -p "$dir/root.tmp"
        for deb in "$dir"/debs/*.deb; do
                # extracts the files only: dpkg-deb -x runs no maintainer script
                dpkg-deb -x "$deb" "$dir/root.tmp"
        done
        # Debian byte-compiles the modules when installing (py3compile in
        # postinst): do the same, so that firewalld starts as it would
        # installed, not compiling its own modules.
        /usr/bin/python3 -m compileall -q "$dir/root.tmp/usr/lib/python3/dist-packages" >/dev/null
        [ -x "$dir/root.tmp/usr/sbin/firewalld" ] || { echo "no usr/sbin/firewalld in the packages"; return 1; }
        dpkg-deb -f "$(ls "$dir"/debs/firewalld_*.deb)" Version >"$dir/root.tmp/.version"
        touch "$dir/root.tmp/.complete"
        mv "$dir/root.tmp" "$dir/root"
}

# ---- measure ----

# stat FILE COLUMNS SCALE: "median min max" of the sum of the columns
# (e.g. "5+6") of every line, times SCALE.
stat_of() {
        awk -v cols="$2" -v scale="$3" \
                '{ n = split(cols, c, "+"); s = 0; for (i = 1; i <= n; i++) s += $c[i]; print s * scale }' "$1" |
                sort -g |
                awk '{ v[NR] = $1 }
                     END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                           printf "%.6f %.6f %.6f\n", m, v[1], v[NR] }'
}

# cell MED MIN MAX UNIT: "12.3 ms (11.0–14.2)"
cell() {
        awk -v m="$1" -v lo="$2" -v hi="$3" -v u="$4" 'BEGIN {
                p = m < 10 ? 2 : 1
                printf "%.*f %s (%.*f–%.*f)", p, m, u, p, lo, p, hi }'
}

# row WHAT OURS-FILE OURS-COLS PEER-FILE PEER-COLS SCALE UNIT
row() {
        local what=$1 ours peer
        read -r -a ours <<<"$(stat_of "$2" "$3" "$6")"
        read -r -a peer <<<"$(stat_of "$4" "$5" "$6")"
        printf '| %s | %s | %s | %s |\n' "$what" "$(cell "${ours[@]}" "$7")" "$(cell "${peer[@]}" "$7")" \
                "$(awk -v o="${ours[0]}" -v p="${peer[0]}" 'BEGIN { if (o > 0) printf "%.2f×", p / o }')"
}

measure() {
        local dir=$1 build=$2 runs=$3 root tmp
        root=$dir/root
        if [ -z "${BENCH_IN_NETNS:-}" ] || [ -z "${DBUS_SYSTEM_BUS_ADDRESS:-}" ] || [ -z "${XTABLES_LOCKFILE:-}" ]; then
                die "measure runs inside tests/bench/run.sh (private netns, private bus, private XTABLES_LOCKFILE)"
        fi
        # The network namespace must not be the one run.sh started from.
        if [ -z "${BENCH_HOST_NETNS:-}" ] || [ "$(stat -L -c %i /proc/self/ns/net)" = "$BENCH_HOST_NETNS" ]; then
                die "refusing: not in a private network namespace"
        fi
        if [ -z "${BENCH_FW_MNTNS:-}" ]; then
                # Once more in a mount namespace of our own, where /run (and
                # its xtables.lock, firewalld's /run/firewalld) and /var/log
                # are private tmpfs: nothing firewalld writes reaches the
                # machine's directories.
                BENCH_FW_MNTNS=$(stat -L -c %i /proc/self/ns/mnt)
                export BENCH_FW_MNTNS
                exec unshare -m --propagation private -- "$0" measure "$@"
        fi
        [ "$(stat -L -c %i /proc/self/ns/mnt)" != "$BENCH_FW_MNTNS" ] || die "refusing: not in a private mount namespace"
        mount -t tmpfs -o mode=0755 bench-run /run
        mount -t tmpfs -o mode=0755 bench-log /var/log
        # firewalld loads helper modules with modprobe: not from here (the
        # kernel still loads what nft needs, as for iptables-legacy).
        if [ -e /usr/sbin/modprobe ]; then
                mount --bind /bin/true /usr/sbin/modprobe
        fi

        tmp=$(mktemp -d /tmp/bench-firewalld.XXXXXX)
        # shellcheck disable=SC2064
        trap "rm -rf '$tmp'" EXIT
        cp -a "$root/etc/firewalld" "$tmp/etc-firewalld"
        export PYTHONPATH=$root/usr/lib/python3/dist-packages

        local ctl=$build/client/backstopctl bench_peer=$build/tests/bench/bench-peer
        # backstopd: one port opened with the CLI, applied without a
        # rollback timer (like firewall-cmd), then one with the safety net
        # (apply, then confirm from a second command). On nf_tables, as
        # firewalld (--backend=nft: auto would follow the host's iptables).
        # The @check scripts are for sh, not expanded here.
        # shellcheck disable=SC2016
        "$bench_peer" --runs "$runs" --log "$tmp/backstopd.log" \
                $BS_NAME $BS_PATH org.freedesktop.DBus.Properties Get $BS_NAME Version \
                @reset /usr/sbin/iptables-nft -F INPUT \
                @daemon "$build/daemon/backstopd" --backend=nft \
                @change "$ctl" apply --timeout 0 "-I INPUT 1 -p tcp --dport 9090 -j ACCEPT" \
                @change "$ctl" apply --no-wait "-I INPUT 1 -p tcp --dport 9091 -j ACCEPT" \
                @change "$ctl" confirm \
                @change /usr/bin/busctl --system call -- $BS_NAME $BS_PATH $BS_NAME Apply 'asa{sv}' \
                        1 "-I INPUT 1 -p tcp --dport 9092 -j ACCEPT" 1 timeout u 0 \
                @change /usr/bin/busctl --system get-property $BS_NAME $BS_PATH $BS_NAME Version \
                @check /bin/sh -c 'r=$(iptables-nft -S INPUT) && for p in 9090 9091 9092; do
                        echo "$r" | grep -q -- "--dport $p -j ACCEPT" || exit 1; done' \
                >"$tmp/backstopd.out" || { cat "$tmp/backstopd.log" >&2; die "backstopd's runs failed"; }

        # firewalld as Debian runs it (nftables backend, zone public), its
        # configuration a private copy; --nofork --nopid: no pid file.
        # shellcheck disable=SC2016
        "$bench_peer" --runs "$runs" --log "$tmp/firewalld.log" \
                $FW_NAME $FW_PATH $FW_NAME getDefaultZone \
                @reset /usr/sbin/nft flush ruleset \
                @daemon "$root/usr/sbin/firewalld" --nofork --nopid --system-config "$tmp/etc-firewalld" \
                --default-config "$root/usr/lib/firewalld" --log-target file --log-file "$tmp/firewalld.log" \
                @change "$root/usr/bin/firewall-cmd" --add-port=9090/tcp \
                @change /usr/bin/busctl --system call -- $FW_NAME $FW_PATH $FW_NAME.zone addPort sssi "" 9092 tcp 0 \
                @change /usr/bin/busctl --system call $FW_NAME $FW_PATH $FW_NAME getDefaultZone \
                @check /bin/sh -c 'nft list ruleset >"$0" && for p in 9090 9092; do
                        grep -q "tcp dport $p accept" "$0" || exit 1; done' "$tmp/firewalld.ruleset" \
                >"$tmp/firewalld.out" || { cat "$tmp/firewalld.log" >&2; die "firewalld's runs failed"; }

        local b=$tmp/backstopd.out f=$tmp/firewalld.out mb=$((1024 * 1024))
        echo "firewalld $(cat "$root/.version") (Debian package, unpacked, never installed), nftables backend,"
        echo "default zone public, $(/usr/bin/python3 --version); each daemon started $runs times (after one warm-up),"
        echo "in the same private netns, mount namespace and bus. No polkitd on the bus: both let uid 0 in"
        echo "without asking (firewalld looks for polkit on each call and falls back to the uid)."
        echo
        echo "| Measure ($runs runs: median (min–max)) | backstopd | firewalld | ratio (firewalld / backstopd) |"
        echo "|---|---|---|---|"
        row "cold start: spawn → bus name owned" "$b" 1 "$f" 1 1000 ms
        row "cold start: spawn → first call answered (Version / getDefaultZone)" "$b" 2 "$f" 2 1000 ms
        row "RSS after start" "$b" 3 "$f" 3 "$(awk -v m=$mb 'BEGIN { print 1 / m }')" MB
        row "PSS after start" "$b" 4 "$f" 4 "$(awk -v m=$mb 'BEGIN { print 1 / m }')" MB
        row "open 9090/tcp, CLI end to end: \`backstopctl apply --timeout 0\` vs \`firewall-cmd --add-port\`" \
                "$b" 5 "$f" 5 1000 ms
        row "… with backstopd's safety net: \`apply --no-wait\` + \`confirm\` (two commands) vs \`firewall-cmd --add-port\`" \
                "$b" 6+7 "$f" 5 1000 ms
        row "open 9092/tcp through D-Bus, same client for both: \`busctl call\` Apply (timeout 0) vs zone.addPort" \
                "$b" 8 "$f" 6 1000 ms
        row "… for scale, a read with the same client: \`busctl\` Version / getDefaultZone" "$b" 9 "$f" 7 1000 ms
        echo
        echo "Ratio above 1: backstopd is faster or smaller. Each change is checked after it, in the private netns"
        echo "(\`iptables-nft -S INPUT\`; \`nft list ruleset\`); backstopd runs with --backend=nft. At start firewalld loads its own ruleset"
        echo "($(grep -c '^[[:space:]]*chain ' "$tmp/firewalld.ruleset") chains, $(wc -l <"$tmp/firewalld.ruleset") lines of \`nft list ruleset\`, zone public); backstopd loads"
        echo "nothing (it manages the tables as they are), so the cold starts do not do the same work."
}

case ${1:-} in
fetch)
        [ $# = 2 ] || die "usage: firewalld.sh fetch DIR"
        fetch "$2"
        ;;
packages)
        echo "${RUNTIME_PACKAGES[@]}"
        ;;
measure)
        [ $# = 4 ] || die "usage: firewalld.sh measure DIR BUILD RUNS"
        shift
        measure "$@"
        ;;
*)
        die "usage: firewalld.sh fetch DIR | packages | measure DIR BUILD RUNS"
        ;;
esac
