# shellcheck shell=bash
# Common helpers of the end-to-end scenarios (tests/e2e/*.sh): skip rules,
# logging with the time since the start, assertions that print the logs of
# the sandbox on failure, and waiting for the kernel rules to change.
# Sourced after nothing else; it sources tests/lib/sandbox.sh.

set -euo pipefail

: "${BACKSTOP_SOURCE_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=tests/lib/sandbox.sh
source "$BACKSTOP_SOURCE_ROOT/tests/lib/sandbox.sh"

E2E_NAME=$(basename "$0" .sh)${E2E_VARIANT:+ ($E2E_VARIANT)}" [$SB_BACKEND]"
E2E_T0=$EPOCHREALTIME

skip() {
        echo "SKIP $E2E_NAME: $*"
        exit 77
}

# Seconds since the start of the scenario, with milliseconds.
elapsed() {
        awk -v a="$E2E_T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}

# Seconds between two $EPOCHREALTIME values.
seconds_between() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'
}

say() {
        printf '[%8ss] %s\n' "$(elapsed)" "$*"
}

# A figure for the report: "FIGURE name value".
figure() {
        printf 'FIGURE %s: %s\n' "$1" "$2"
}

# The sandbox's logs; a fleet's (tests/lib/sandbox.sh) are under hostN/.
e2e_dump_logs() {
        local f d rel root=${SB_ROOT:-${SB:-/nonexistent}}
        for d in "$root" "$root"/host*; do
                for f in backstopd.log sshd.log polkitd.log bus.log signals.log; do
                        [ -s "$d/$f" ] || continue
                        rel=${d#"$root"}
                        rel=${rel#/}
                        echo "----- ${rel:+$rel/}$f (last 60 lines)"
                        tail -n 60 "$d/$f"
                done
        done
}

fail() {
        echo "FAIL $E2E_NAME: $*" >&2
        e2e_dump_logs >&2
        exit 1
}

require_root() {
        [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, sshd, polkitd)"
        ip netns add "bsprobe-$$" 2>/dev/null || skip "cannot create network namespaces"
        ip netns del "bsprobe-$$"
}

require_bin() {
        local b
        for b in "$@"; do
                if [[ $b == /* ]]; then
                        [ -x "$b" ] || skip "$b is missing"
                else
                        command -v "$b" >/dev/null || skip "$b is missing"
                fi
        done
}

# The product itself: skip (not fail) while it is not built yet.
require_backstop() {
        [ -x "$BACKSTOP_BUILD_ROOT/daemon/backstopd" ] || skip "backstopd is not built ($BACKSTOP_BUILD_ROOT/daemon/backstopd)"
        [ -x "$BACKSTOP_BUILD_ROOT/client/backstopctl" ] || skip "backstopctl is not built ($BACKSTOP_BUILD_ROOT/client/backstopctl)"
        [ -f "$BACKSTOP_SOURCE_ROOT/dbus/org.backstop.Firewall1.conf" ] || skip "dbus/org.backstop.Firewall1.conf is missing"
}

# run_capture VAR_RC VAR_OUT CMD...: run CMD, keep its status and its
# stdout+stderr, print both.
run_capture() {
        local __rc=$1 __out=$2 __o __r=0
        shift 2
        __o=$("$@" 2>&1) || __r=$?
        printf '    $ %s\n' "$*" | cut -c1-300
        [ -z "$__o" ] || printf '%s\n' "$__o" | sed 's/^/    | /'
        printf '    -> exit %s\n' "$__r"
        printf -v "$__rc" '%s' "$__r"
        printf -v "$__out" '%s' "$__o"
}

# The oracle, the backend under test's iptables ($SB_IPT4 / $SB_IPT6 of
# tests/lib/sandbox.sh), in the firewalled namespace (with the sandbox's
# private XTABLES_LOCKFILE).
ipt() {
        local fam=$1
        shift
        if [ "$fam" = 6 ]; then in_fw "$SB_IPT6" "$@"; else in_fw "$SB_IPT4" "$@"; fi
}

rule_present() { # FAMILY TEXT: is a rule containing TEXT in INPUT (-S form)?
        ipt "$1" -S INPUT | grep -qF -- "$2"
}

# wait_rule_gone FAMILY TEXT MAXSEC: poll the kernel (every 50 ms) until no
# INPUT rule contains TEXT; sets GONE_AT ($EPOCHREALTIME). MAXSEC only keeps a
# broken daemon from hanging the test.
wait_rule_gone() {
        local fam=$1 text=$2 max=$3 end
        end=$(awk -v a="$EPOCHREALTIME" -v m="$max" 'BEGIN { printf "%.6f", a + m }')
        while rule_present "$fam" "$text"; do
                if awk -v a="$EPOCHREALTIME" -v e="$end" 'BEGIN { exit !(a > e) }'; then
                        return 1
                fi
                sleep 0.05
        done
        GONE_AT=$EPOCHREALTIME
}

# Properties of the daemon, read with busctl (values as busctl prints them,
# type prefix removed).
mgr_prop() {
        busctl --system get-property org.backstop.Firewall1 /org/backstop/Firewall1 \
                org.backstop.Firewall1 "$1" | sed 's/^[a-z]* //; s/^"//; s/"$//'
}

tx_prop() { # TX_PATH NAME
        busctl --system get-property org.backstop.Firewall1 "$1" \
                org.backstop.Firewall1.Transaction "$2" | sed 's/^[a-z]* //; s/^"//; s/"$//'
}

# The reason of the last TransactionRolledBack signal in $SB/signals.log, and
# the time (dbus-monitor's, epoch seconds) it was sent.
last_rollback_signal() {
        awk '/member=TransactionRolledBack/ { t = $2; sub("time=", "", t); getline; getline; r = $2; gsub("\"", "", r) }
             END { if (t != "") print t, r }' "$SB/signals.log"
}

wait_rollback_signal() { # MAXSEC
        local i
        for i in $(seq $(($1 * 20))); do
                [ -n "$(last_rollback_signal)" ] && return 0
                sleep 0.05
        done
        return 1
}

# Sleep until the epoch time $1 (seconds, fractional); at once if past.
sleep_until() {
        sleep "$(awk -v a="$EPOCHREALTIME" -v e="$1" 'BEGIN { s = e - a; printf "%.3f", (s > 0 ? s : 0) }')"
}

# The sum of epoch time $1 and $2 seconds.
time_plus() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a + b }'
}

# End of a scenario: stop backstopd with SIGTERM, as systemd would; it must
# exit 0 and its log must hold no sanitizer report (ASan/UBSan builds).
finish() {
        finish_daemon
        say "PASS"
}

finish_daemon() {
        local pid=$SB_DAEMON_PID rc=0
        if [ -n "$pid" ]; then
                kill -TERM "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || rc=$?
                SB_DAEMON_PID=
                [ "$rc" = 0 ] || fail "backstopd exited with status $rc on SIGTERM"
        fi
        if grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$SB/backstopd.log" 2>/dev/null; then
                fail "sanitizer report in the daemon's log"
        fi
}
