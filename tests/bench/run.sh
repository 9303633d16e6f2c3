#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Backstop's benchmarks, one command, as root:
#
#   sudo tests/bench/run.sh [RUNS]        (default 7 runs per figure)
#
# Builds the tree with buildtype=release in its own build dir (build-bench,
# or $BENCH_BUILD_DIR), then, in a private network namespace with a private
# XTABLES_LOCKFILE and a private system bus, runs
#   bench-nf   libiptc level: bs_nf_apply/restore/read vs iptables-legacy-restore/-S
#   bench-bus  backstopd through D-Bus (sd-bus client) vs the iptables-legacy CLI
# and prints the figures (median and min–max) and the ratios against the peer
# measured in the same run, as markdown. Nothing here passes or fails on a
# figure. The machine's own firewall and /run/xtables.lock are never touched.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-7}
build=${BENCH_BUILD_DIR:-$src/build-bench}

if [ "$(id -u)" != 0 ]; then
        echo "run.sh: needs root (it works in a private network namespace)" >&2
        exit 77
fi

if [ -z "${BENCH_IN_NETNS:-}" ]; then
        if [ ! -d "$build" ]; then
                meson setup "$build" "$src" --buildtype=release -Dtests=true >/dev/null
        fi
        ninja -C "$build" -j2 daemon/backstopd client/backstopctl bench >/dev/null
        # Everything below runs in a network namespace of its own.
        BENCH_HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
        export BENCH_HOST_NETNS
        BENCH_IN_NETNS=1 exec unshare -n -- "$0" "$@"
fi

ip link set lo up
export BACKSTOP_BUILD_ROOT=$build BACKSTOP_SOURCE_ROOT=$src
# shellcheck source=tests/lib/sandbox.sh
. "$src/tests/lib/sandbox.sh"
sandbox_init    # temp dir, private XTABLES_LOCKFILE, cleanup trap
sandbox_bus     # private system bus; exports DBUS_SYSTEM_BUS_ADDRESS

cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*: //')
echo "### Backstop benchmarks"
echo
echo "Machine: $(nproc) CPUs, $cpu, Linux $(uname -r); $(date -u +%Y-%m-%d);"
echo "$(iptables-legacy --version | head -n1), backstop $(git -C "$src" describe --always --dirty 2>/dev/null || echo '?');"
echo "release build, private netns, private bus (dbus-daemon), caller uid 0 (no polkit round trip)."
echo
if [ -z "${BENCH_SKIP_NF:-}" ]; then
        echo "#### Table access (libiptc level, bench-nf)"
        echo
        echo '```'
        "$build/tests/bench/bench-nf" 10000 "$runs"
        echo '```'
        echo
fi
echo "#### Through D-Bus (bench-bus)"
echo
"$build/tests/bench/bench-bus" "$build/daemon/backstopd" "$build/client/backstopctl" "$runs"
echo
if command -v firewalld >/dev/null 2>&1; then
        echo "firewalld is installed, but measuring it needs its own sandbox; not done by this script."
else
        echo "firewalld: not installed; not installed by this script either (see tests/bench/README.md)."
fi
