#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Backstop's benchmarks, one command, as root:
#
#   tests/bench/run.sh [RUNS]        (default 7 runs per figure)
#
# Not root: runs itself through sudo when there is one. Installs what is
# missing (tests/install-deps.sh, plus what firewalld needs at run time
# unless BENCH_SKIP_FIREWALLD is set), builds the tree with buildtype=release in its own build dir (build-bench,
# or $BENCH_BUILD_DIR), then, in a private network namespace with a private
# XTABLES_LOCKFILE and a private system bus, runs, for each backend
# (iptables-legacy and iptables-nft; BENCH_BACKENDS="legacy nft" by default)
#   bench-nf   table access: the backend's read/apply_both/rewrite_both/restore
#              vs that backend's iptables-*-restore / iptables-* -S / -I
#   bench-bus  backstopd --backend=B through D-Bus (sd-bus client) vs the
#              CLI of the same backend (iptables-legacy or iptables-nft)
# and once
#   bench-parse  bs_changeset_parse of the 10,000 lines bench-bus applies (pure code)
#   bench-xtables  read + print a 10,000-rule table, 10 % extensions through the
#              libxtables helper, vs iptables-legacy -S
#   nft-kernel-floor.sh  what nf_tables itself takes for bench-bus's nft
#              insert and Apply figures (strace -T of iptables-nft's sendmsg)
#   firewalld.sh  backstopd vs firewalld (unpacked from the Debian packages,
#              never installed, run only in the private namespaces): cold
#              start, RSS, one port opened with each one's CLI
# and prints the figures (median and min–max) and the ratios against the peer
# measured in the same run, as markdown. Nothing here passes or fails on a
# figure. The machine's own firewall and /run/xtables.lock are never touched.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-7}
build=${BENCH_BUILD_DIR:-$src/build-bench}

# shellcheck source=tests/lib/as-root.sh
source "$src/tests/lib/as-root.sh"
reexec_as_root "$0" "$@"
if [ "$(id -u)" != 0 ]; then
        echo "run.sh: needs root (it works in a private network namespace)" >&2
        exit 77
fi

if [ -z "${BENCH_IN_NETNS:-}" ]; then
        # On stderr: stdout is the report.
        fw_runtime=()
        [ -n "${BENCH_SKIP_FIREWALLD:-}" ] || read -r -a fw_runtime <<<"$("$src/tests/bench/firewalld.sh" packages)"
        # strace: nft-kernel-floor.sh times the kernel's part with it
        bash "$src/tests/install-deps.sh" strace ${fw_runtime[@]+"${fw_runtime[@]}"} >&2
        if [ ! -d "$build" ]; then
                meson setup "$build" "$src" --buildtype=release -Dtests=true >/dev/null
        fi
        ninja -C "$build" -j2 daemon/backstopd client/backstopctl bench >/dev/null
        # firewalld's packages are fetched here (the private netns has no
        # network) and unpacked, never installed; they run only below.
        rm -f "$build/firewalld.skipped"
        if [ -z "${BENCH_SKIP_FIREWALLD:-}" ] &&
                ! "$src/tests/bench/firewalld.sh" fetch "$build/firewalld" >"$build/firewalld.skipped.tmp"; then
                mv "$build/firewalld.skipped.tmp" "$build/firewalld.skipped"
                [ -s "$build/firewalld.skipped" ] || echo "tests/bench/firewalld.sh fetch failed" >"$build/firewalld.skipped"
        fi
        rm -f "$build/firewalld.skipped.tmp"
        # The host's nftables ruleset, read only (nft list takes no lock), to
        # show at the end that the run did not change it.
        host_nft() { command -v nft >/dev/null && nft list ruleset 2>/dev/null | sha256sum | cut -c1-16; }
        nft_before=$(host_nft || true)
        # Everything below runs in a network namespace of its own.
        BENCH_HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
        export BENCH_HOST_NETNS
        rc=0
        BENCH_IN_NETNS=1 unshare -n -- "$0" "$@" || rc=$?
        nft_after=$(host_nft || true)
        if [ -n "$nft_before" ]; then
                echo
                if [ "$nft_before" = "$nft_after" ]; then
                        echo "The machine's own nftables ruleset is the same before and after the run (sha256 $nft_before…)."
                else
                        echo "WARNING: the machine's own nftables ruleset changed during the run ($nft_before… → $nft_after…);" \
                                "something else on the machine, or a bug here."
                fi
        fi
        exit "$rc"
fi

ip link set lo up
export BACKSTOP_BUILD_ROOT=$build BACKSTOP_SOURCE_ROOT=$src
# shellcheck source=tests/lib/sandbox.sh
. "$src/tests/lib/sandbox.sh"
sandbox_init    # temp dir, private XTABLES_LOCKFILE, cleanup trap
fw_dir=$build/firewalld
if [ -z "${BENCH_SKIP_FIREWALLD:-}" ] && [ -e "$fw_dir/root/.complete" ]; then
        # firewalld's own bus policy: root may own org.fedoraproject.FirewallD1
        SB_BUS_INCLUDES+=("$fw_dir/root/usr/share/dbus-1/system.d/FirewallD.conf")
fi
sandbox_bus     # private system bus; exports DBUS_SYSTEM_BUS_ADDRESS

cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*: //')
echo "### Backstop benchmarks"
echo
echo "Machine: $(nproc) CPUs, $cpu, Linux $(uname -r); $(date -u +%Y-%m-%d);"
echo "$(iptables-legacy --version | head -n1), backstop $(git -C "$src" describe --always --dirty 2>/dev/null || echo '?');"
echo "release build, private netns, private bus (dbus-daemon), caller uid 0 (no polkit round trip)."
echo
backends=${BENCH_BACKENDS:-legacy nft}
echo "$(iptables-nft --version | head -n1); backends measured: $backends."
echo
if [ -z "${BENCH_SKIP_NF:-}" ]; then
        for backend in $backends; do
                echo "#### Table access, iptables-$backend (bench-nf --backend=$backend)"
                echo
                echo '```'
                "$build/tests/bench/bench-nf" --backend="$backend" 10000 "$runs"
                echo '```'
                echo
        done
fi
if [ -z "${BENCH_SKIP_PARSE:-}" ]; then
        echo "#### Change-set parser (bench-parse)"
        echo
        echo '```'
        "$build/tests/bench/bench-parse" 10000 "$runs"
        echo '```'
        echo
fi
if [ -z "${BENCH_SKIP_XTABLES:-}" ]; then
        echo "#### Extensions through the libxtables helper (bench-xtables)"
        echo
        echo '```'
        "$build/tests/bench/bench-xtables" "$build/daemon/xtables/backstop-xtables"
        echo '```'
        echo
fi
if [ -z "${BENCH_SKIP_BUS:-}" ]; then
        for backend in $backends; do
                echo "#### Through D-Bus, iptables-$backend (bench-bus --backend=$backend)"
                echo
                "$build/tests/bench/bench-bus" --backend="$backend" "$build/daemon/backstopd" \
                        "$build/client/backstopctl" "$runs"
                echo
                # the next backend's daemon starts on empty tables
                iptables-"$backend"-restore <<<$'*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT'
                ip6tables-"$backend"-restore <<<$'*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT'
        done
fi
if [ -z "${BENCH_SKIP_BUS:-}" ] && [[ " $backends " == *" nft "* ]]; then
        echo "#### The kernel's own part of the iptables-nft figures (nft-kernel-floor.sh)"
        echo
        echo '```'
        "$src/tests/bench/nft-kernel-floor.sh" "$runs"
        echo '```'
        echo
fi
echo "#### Next to firewalld (bench-peer)"
echo
if [ -n "${BENCH_SKIP_FIREWALLD:-}" ]; then
        echo "firewalld: skipped (BENCH_SKIP_FIREWALLD is set)."
elif [ -e "$build/firewalld.skipped" ]; then
        echo "firewalld: skipped: $(cat "$build/firewalld.skipped" || true)"
elif ! "$src/tests/bench/firewalld.sh" measure "$fw_dir" "$build" "$runs"; then
        echo "firewalld: the measurement failed (see the messages above)."
fi
