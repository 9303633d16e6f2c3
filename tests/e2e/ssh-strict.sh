#!/bin/bash
# Strict confirmation over real SSH: the change is applied from ssh session A
# (kept open); "backstopctl confirm" through session A is rejected
# (ConfirmationRejected, the transaction stays pending), so is a confirm
# that names no SSH connection, and one from a root shell on the host that
# names a live new connection it is not on (session C's); extend is
# rejected the same ways and accepted through session C; through a NEW ssh
# login confirm is accepted, and the change stays past the original
# deadline.
#
#   ssh-strict.sh --recipe apply          a plain change; the host already
#                                         tracks connections (a stateful rule
#                                         is in place before session A opens)
#   ssh-strict.sh --recipe default-deny   default-deny --allow 22/tcp on a
#                                         fresh host: no conntrack user before
#                                         the change, so session A's conntrack
#                                         entry is only created after it
source "$(dirname "$0")/e2e-lib.sh"

recipe=apply
while [ $# -gt 0 ]; do
        case $1 in
        --recipe) recipe=$2; shift 2 ;;
        *) echo "usage: $0 [--recipe apply|default-deny]" >&2; exit 2 ;;
        esac
done
E2E_NAME="$E2E_NAME ($recipe)"

require_root
require_bin /usr/sbin/sshd ssh ssh-keygen "$SB_IPT4" "$SB_IPT6" ss busctl dbus-monitor dbus-daemon
require_backstop

timeout=20
sandbox_init
sandbox_netns
if [ "$recipe" = apply ]; then
        for fam in 4 6; do
                ipt $fam -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        done
fi
sandbox_bus
# with no more capabilities than the systemd unit gives it
SB_DAEMON_UNIT_CAPS=1 sandbox_daemon
sandbox_monitor
sandbox_sshd 22
addr=$SB_FW_ADDR4

# Sessions: master connections from the peer (ssh multiplexing), kept open;
# "in_session NAME CMD..." runs CMD through session NAME, carrying its
# SSH_CONNECTION. open_session NAME: opens it, sets conn_NAME (conn_A, ...).
sandbox_ssh_opts
in_session() {
        local -a SB_SSH_EXTRA=(-S "$SB/ssh/ctl-$1" -o ControlMaster=no)
        shift
        "$@"
}
session_up() { in_peer ssh "${SB_SSH_OPTS[@]}" -S "$SB/ssh/ctl-$1" -O check "root@$addr" 2>/dev/null; }
open_session() {
        local name=$1 conn
        ip netns exec "$SB_PEER" ssh "${SB_SSH_OPTS[@]}" -M -S "$SB/ssh/ctl-$name" -N "root@$addr" </dev/null \
                2>>"$SB/session-$name.log" &
        SB_PIDS+=($!)
        sandbox_wait_until 60 session_up "$name" ||
                { cat "$SB/session-$name.log"; fail "session $name did not come up within 60 s"; }
        conn=$(in_session "$name" sandbox_ssh "$addr" 22 'echo $SSH_CONNECTION') || fail "session $name does not work"
        printf -v "conn_$name" '%s' "$conn"
}
open_session A
say "session A: SSH_CONNECTION=$conn_A"

if [ "$recipe" = apply ]; then
        rule="--dport 9090 -j DROP"
        check_stays() { rule_present 4 "$rule"; }
        t_apply=$EPOCHREALTIME
        run_capture rc out in_session A sandbox_ssh_ctl "$addr" 22 apply --strict --no-wait --timeout $timeout \
                "-A INPUT -p tcp --dport 9090 -j DROP"
else
        check_stays() { ipt 4 -S INPUT | grep -qx -- "-P INPUT DROP"; }
        t_apply=$EPOCHREALTIME
        run_capture rc out in_session A sandbox_ssh_ctl "$addr" 22 default-deny --allow 22/tcp --strict --no-wait --timeout $timeout
fi
[ "$rc" = 0 ] || fail "strict $recipe from session A: exit $rc, expected 0"
check_stays || fail "the change is not in the kernel"
tx=$(mgr_prop PendingTransaction)
[ "$tx" != / ] || fail "no pending transaction"
mode=$(tx_prop "$tx" ConfirmationMode)
[ "$mode" = strict ] || fail "ConfirmationMode is '$mode', expected strict"
deadline=$(awk -v d="$(tx_prop "$tx" Deadline)" 'BEGIN { printf "%.6f", d / 1e6 }')
ipt 4 -S INPUT | sed 's/^/    kernel | /'

say "confirm through session A (it existed when the change was applied)"
run_capture rc out in_session A sandbox_ssh_ctl "$addr" 22 confirm
[ "$rc" != 0 ] || fail "confirm through session A was accepted"
echo "$out" | grep -qi "reject" || fail "confirm through session A failed, but not as ConfirmationRejected: $out"
[ "$(tx_prop "$tx" State)" = pending ] || fail "the transaction is no longer pending after the rejected confirm"
[ "$(mgr_prop PendingTransaction)" = "$tx" ] || fail "PendingTransaction changed after the rejected confirm"

say "confirm naming no SSH connection (root on the host itself, no ssh)"
run_capture rc out in_fw env -u SSH_CONNECTION "$BACKSTOP_BUILD_ROOT/client/backstopctl" confirm
[ "$rc" != 0 ] || fail "confirm without an SSH connection was accepted in strict mode"
[ "$(tx_prop "$tx" State)" = pending ] || fail "the transaction is no longer pending after the rejected confirm"

# Someone else's live connection: session C, opened after the change by
# another login; a root shell on the host itself (no ssh) copies its
# numbers into SSH_CONNECTION. The connection passes every conntrack check,
# but the caller is not on it: no process above it holds its socket.
open_session C
say "confirm from a root shell on the host, SSH_CONNECTION set to session C's ($conn_C)"
run_capture rc out in_fw env SSH_CONNECTION="$conn_C" "$BACKSTOP_BUILD_ROOT/client/backstopctl" confirm
[ "$rc" = 8 ] || fail "confirm naming someone else's connection: exit $rc, expected 8 (rejected): $out"
echo "$out" | grep -q "is not on the connection" || fail "rejected, but not because the caller is not on it: $out"
[ "$(tx_prop "$tx" State)" = pending ] || fail "the transaction is no longer pending after the rejected confirm"
say "extend from that root shell, and through session A (old): both rejected"
run_capture rc out in_fw env SSH_CONNECTION="$conn_C" "$BACKSTOP_BUILD_ROOT/client/backstopctl" extend 600
[ "$rc" = 8 ] || fail "extend naming someone else's connection: exit $rc, expected 8 (rejected): $out"
run_capture rc out in_session A sandbox_ssh_ctl "$addr" 22 extend 600
[ "$rc" = 8 ] || fail "extend through session A: exit $rc, expected 8 (rejected): $out"
deadline_now=$(awk -v d="$(tx_prop "$tx" Deadline)" 'BEGIN { printf "%.6f", d / 1e6 }')
[ "$deadline_now" = "$deadline" ] || fail "the deadline moved after rejected extends: $deadline -> $deadline_now"
say "extend through session C itself (a new login, the shell is below its sshd)"
run_capture rc out in_session C sandbox_ssh_ctl "$addr" 22 extend $timeout
[ "$rc" = 0 ] || fail "extend through session C: exit $rc, expected 0: $out"

say "confirm through a NEW ssh login"
conn_b=$(sandbox_ssh "$addr" 22 'echo $SSH_CONNECTION') || fail "a new login failed"
say "(a new login looks like: $conn_b)"
t_confirm=$EPOCHREALTIME
run_capture rc out sandbox_ssh_ctl "$addr" 22 confirm
[ "$rc" = 0 ] || fail "confirm through a new ssh login: exit $rc, expected 0"
figure "confirmed after the apply" "$(seconds_between "$t_apply" "$t_confirm") s"
[ "$(mgr_prop PendingTransaction)" = / ] || fail "still pending after the confirm"
state=$(tx_prop "$tx" State 2>/dev/null) || state="(object gone)"
say "transaction state after confirm: $state"
[ "$state" = confirmed ] || [ "$state" = "(object gone)" ] || fail "state '$state' after confirm"
sandbox_wait_signal TransactionConfirmed 30 || fail "no TransactionConfirmed signal within 30 s"

say "waiting past the original deadline"
sleep_until "$(time_plus "$deadline" 2)"
check_stays || fail "the confirmed change is gone after the original deadline"
grep -q "member=TransactionRolledBack" "$SB/signals.log" && fail "a TransactionRolledBack signal was sent"
sandbox_ssh_login "$addr" 22 || fail "a new ssh login failed after the confirm"
finish
