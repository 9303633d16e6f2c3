#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What the kernel alone costs for the two iptables-nft figures that
# bench-bus compares with (run by tests/bench/run.sh; or alone, as root):
#
#   tests/bench/nft-kernel-floor.sh [RUNS]     (default 7)
#
# nf_tables processes a batch inside the sendmsg(2) that carries it, so the
# time of that one system call (strace -T) is the kernel's own work, which
# no user space can avoid:
#   - one rule inserted at 1 into a 10,000-rule INPUT chain by
#     `iptables-nft -I`, and the same into an empty chain: the commit
#     rebuilds and revalidates the whole chain it touches;
#   - the 10,000 rules bench-bus applies (distinct sources, tcp and udp, a
#     comment on every third, ACCEPT and DROP), loaded by
#     `iptables-nft-restore`: its wall time without strace, the time of its
#     sendmsg calls with strace, and their ratio: the most any program that
#     commits the same rules could gain on iptables-nft-restore.
# Everything runs in a network namespace of its own with a private
# XTABLES_LOCKFILE; nothing passes or fails on a figure.
set -euo pipefail

runs=${1:-7}
if [ "$(id -u)" != 0 ]; then
        echo "nft-kernel-floor.sh: needs root (a network namespace of its own)" >&2
        exit 77
fi
for tool in strace iptables-nft iptables-nft-restore; do
        if ! command -v "$tool" >/dev/null; then
                echo "nft-kernel-floor.sh: $tool is missing" >&2
                exit 77
        fi
done
if [ -z "${NFT_FLOOR_IN_NETNS:-}" ]; then
        export NFT_FLOOR_IN_NETNS=1
        exec unshare -n "$0" "$@"
fi
work=$(mktemp -d /tmp/nft-kernel-floor.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XTABLES_LOCKFILE=$work/xtables.lock

# bench-bus's rule i (tests/bench/bench-bus.c, rule_text)
awk 'BEGIN {
        print "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]"
        for (i = 0; i < 10000; i++) {
                p = (i % 3 != 1) ? "tcp" : "udp"
                c = (i % 3 == 2) ? sprintf(" -m comment --comment \"rule %d\"", i) : ""
                printf "-A INPUT -s 10.%d.%d.%d/32 -p %s -m %s --dport %d%s -j %s\n",
                       int(i / 65536) % 256, int(i / 256) % 256, i % 256, p, p, 1024 + i % 60000, c,
                       (i % 2) ? "DROP" : "ACCEPT"
        }
        print "COMMIT"
}' >"$work/rules"
printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' >"$work/empty"

now_ns() { date +%s%N; }
# the sum of the sendmsg times (ms) strace -T printed to file $1
sendmsg_ms() { grep -o 'sendmsg(.*<[0-9.]*>' "$1" | sed 's/.*<\([0-9.]*\)>/\1/' |
               awk '{ s += $1 } END { printf "%.2f", s * 1000 }'; }
# the largest sendmsg time (ms): the commit, not the cache requests
commit_ms() { grep -o 'sendmsg(.*<[0-9.]*>' "$1" | sed 's/.*<\([0-9.]*\)>/\1/' |
              sort -g | tail -n1 | awk '{ printf "%.3f", $1 * 1000 }'; }
# median and range of the numbers on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END { printf "median %s (%s–%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

insert_into() { # $1: the table file loaded first; prints one commit time per run
        for i in $(seq 1 "$runs"); do
                iptables-nft-restore <"$1"
                strace -f -T -e trace=sendmsg -o "$work/trace" \
                        iptables-nft -I INPUT 1 -s 192.0.2.$i -p tcp -m tcp --dport 22 -j ACCEPT
                commit_ms "$work/trace"
                echo
        done
}

echo "Kernel $(uname -r), $(iptables-nft --version | head -n1), $runs runs; times in ms."
echo "One rule inserted at 1 by iptables-nft -I: the kernel's sendmsg that commits it"
echo "  into an empty INPUT chain:       $(insert_into "$work/empty" | stats)"
echo "  into a 10,000-rule INPUT chain:  $(insert_into "$work/rules" | stats)"

walls=() kernels=()
for i in $(seq 1 "$runs"); do
        iptables-nft-restore <"$work/empty"
        t0=$(now_ns)
        iptables-nft-restore <"$work/rules"
        walls+=("$(( ($(now_ns) - t0) / 1000 ))")
        iptables-nft-restore <"$work/empty"
        strace -f -T -e trace=sendmsg -o "$work/trace" iptables-nft-restore <"$work/rules"
        kernels+=("$(sendmsg_ms "$work/trace")")
done
wall=$(printf '%s\n' "${walls[@]}" | awk '{ printf "%.1f\n", $1 / 1000 }' | stats)
kernel=$(printf '%s\n' "${kernels[@]}" | stats)
wall_median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] / 1000 }')
kernel_median=$(printf '%s\n' "${kernels[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "The 10,000 rules bench-bus applies, by iptables-nft-restore:"
echo "  wall time (no strace):           $wall"
echo "  its sendmsg calls (the kernel):  $kernel"
awk -v w="$wall_median" -v k="$kernel_median" 'BEGIN {
        printf "  the most a program committing the same rules could gain on it: %.2f× (medians)\n", w / k }'
