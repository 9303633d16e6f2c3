#!/bin/bash
# A remote admin locks out new SSH logins over SSH, and the daemon undoes it.
#
#   ssh-lockout.sh [--family 4|6] [--port N] [--disrupt MODE]
#
# Over a real ssh session (peer namespace -> sshd in the firewalled one),
# backstopctl applies "-I INPUT 1 -p tcp --dport N -m conntrack --ctstate NEW
# -j DROP". Without --force the daemon refuses it (exit 4, nothing changes);
# with --force it stands: a new ssh login fails, while an ssh session opened
# before (running "backstopctl monitor") lives on; then the daemon rolls it
# back by itself, the monitor shows it, and a new ssh login works again. MODE is what happens during the
# window:
#   none             nothing (apply --no-wait, 7 s timeout)
#   kill-client      the ssh client that ran the waiting "apply" is SIGKILLed
#   kill-daemon      backstopd is SIGKILLed and started again before the
#                    deadline: the rollback happens at the original deadline
#   kill-daemon-late backstopd is SIGKILLed and started again after the
#                    deadline: it rolls back at once on start
source "$(dirname "$0")/e2e-lib.sh"

family=4 port=22 disrupt=none
while [ $# -gt 0 ]; do
        case $1 in
        --family) family=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --disrupt) disrupt=$2; shift 2 ;;
        *) echo "usage: $0 [--family 4|6] [--port N] [--disrupt none|kill-client|kill-daemon|kill-daemon-late]" >&2; exit 2 ;;
        esac
done
E2E_NAME="$E2E_NAME (IPv$family, port $port, $disrupt)"

require_root
require_bin /usr/sbin/sshd ssh ssh-keygen "$SB_IPT4" "$SB_IPT6" ss busctl dbus-monitor dbus-daemon
require_backstop

# Each window holds what the scenario does before the rollback may come:
# the checks after the apply (busctl, the backend's iptables) and a blocked login
# that takes 2 s (kill-daemon-late: only the checks before the SIGKILL).
# Together that is about 2.5 s on an idle machine; the windows leave room
# for a slow or busy one. Only the rollback is waited for, by condition.
case $disrupt in
none) timeout=7 ;;
kill-client) timeout=8 ;;
kill-daemon) timeout=12 ;;
kill-daemon-late) timeout=5 ;;
*) fail "unknown --disrupt $disrupt" ;;
esac

sandbox_init
sandbox_netns
sandbox_bus
sandbox_daemon
sandbox_monitor
sandbox_sshd "$port"
if [ "$family" = 6 ]; then addr=$SB_FW_ADDR6; else addr=$SB_FW_ADDR4; fi

change="-I INPUT 1 -p tcp --dport $port -m conntrack --ctstate NEW -j DROP"
rule="--dport $port -m conntrack --ctstate NEW -j DROP"

# A login that is expected to fail gives up after 2 s, well inside the
# window, so that it cannot race with the rollback. While the daemon runs,
# the time left is checked first, so that a slow machine is named as the
# cause rather than the rollback.
login_blocked() {
        local err left
        if [ -n "$SB_DAEMON_PID" ]; then
                left=$(awk -v d="$deadline" -v n="$EPOCHREALTIME" 'BEGIN { printf "%.3f", d - n }')
                awk -v l="$left" 'BEGIN { exit !(l > 2.5) }' ||
                        fail "only $left s left before the deadline for a blocked login of 2 s: the machine is too slow for this window ($timeout s)"
        fi
        err=$(sandbox_ssh_login_blocked "$addr" "$port" 2 2>&1) &&
                fail "a new ssh login worked while the DROP rule stands"
        say "new ssh login while the rule stands: $err"
        echo "$err" | grep -qi "timed out" || fail "the login failed, but not by timing out: $err"
        rule_present "$family" "$rule" || fail "the rule was gone right after the blocked login"
}

say "ssh login to [$addr]:$port before the change"
sandbox_ssh_login "$addr" "$port" || fail "ssh login failed before any change"

say "1. without --force the daemon refuses the change (lockout risk)"
run_capture rc out sandbox_ssh_ctl "$addr" "$port" apply --no-wait --timeout "$timeout" "$change"
[ "$rc" = 4 ] || fail "apply without --force: exit $rc, expected 4 (refused for lockout risk)"
rule_present "$family" "$rule" && fail "the refused change is in the kernel"
[ "$(mgr_prop PendingTransaction)" = / ] || fail "a transaction is pending after a refused apply"
sandbox_ssh_login "$addr" "$port" || fail "ssh login failed after a refused apply"

# An admin watching from an ssh session opened before the change: the rule
# drops only NEW connections, so the session lives on and shows the rollback.
watch=
case $disrupt in
kill-daemon*) ;;
*)
        sandbox_ssh_opts
        ip netns exec "$SB_PEER" ssh "${SB_SSH_OPTS[@]}" -p "$port" "root@$addr" \
                "$(sandbox_ctl_cmdline --json monitor)" </dev/null >"$SB/monitor.json" 2>"$SB/monitor.err" &
        SB_PIDS+=($!)
        watch=$!
        # Until the monitor is on the bus (it subscribes right after it
        # connects, long before the rollback it has to show).
        monitor_on_bus() { busctl --system list --no-legend 2>/dev/null | grep -qw backstopctl; }
        sandbox_wait_until 60 monitor_on_bus ||
                { cat "$SB/monitor.err"; fail "backstopctl monitor over ssh did not connect to the bus within 60 s"; }
        ;;
esac

say "2. with --force, timeout $timeout s"
case $disrupt in
kill-client)
        # The waiting client (no --no-wait) in an ssh session we kill.
        sandbox_ssh_opts
        ip netns exec "$SB_PEER" ssh "${SB_SSH_OPTS[@]}" -p "$port" "root@$addr" \
                "$(sandbox_ctl_cmdline apply --force --timeout "$timeout" "$change")" \
                </dev/null >"$SB/apply-session.log" 2>&1 &
        ssh_pid=$!
        SB_PIDS+=("$ssh_pid")
        rule_or_session_gone() { rule_present "$family" "$rule" || ! kill -0 "$ssh_pid" 2>/dev/null; }
        sandbox_wait_until 60 rule_or_session_gone || fail "the rule did not appear within 60 s"
        t_apply=$EPOCHREALTIME
        rule_present "$family" "$rule" || { cat "$SB/apply-session.log"; fail "the apply session ended before the rule appeared"; }
        kill -KILL "$ssh_pid"
        wait "$ssh_pid" 2>/dev/null || true
        say "killed the ssh client (pid $ssh_pid) of the waiting apply session"
        sed 's/^/    | /' "$SB/apply-session.log"
        ;;
*)
        t_apply=$EPOCHREALTIME
        run_capture rc out sandbox_ssh_ctl "$addr" "$port" apply --force --no-wait --timeout "$timeout" "$change"
        [ "$rc" = 0 ] || fail "apply --force --no-wait: exit $rc, expected 0"
        ;;
esac
rule_present "$family" "$rule" || fail "the forced change is not in the kernel"
tx=$(mgr_prop PendingTransaction)
[ "$tx" != / ] || fail "no pending transaction after apply"
deadline_us=$(tx_prop "$tx" Deadline)
deadline=$(awk -v d="$deadline_us" 'BEGIN { printf "%.6f", d / 1e6 }')
say "pending: $tx, deadline in $(seconds_between "$EPOCHREALTIME" "$deadline") s"

case $disrupt in
kill-daemon | kill-daemon-late)
        old_pid=$SB_DAEMON_PID
        sandbox_stop_daemon KILL
        kill -0 "$old_pid" 2>/dev/null && fail "backstopd (pid $old_pid) survived SIGKILL"
        say "backstopd (pid $old_pid) SIGKILLed"
        rule_present "$family" "$rule" || fail "the rule vanished when the daemon died"
        login_blocked
        if [ "$disrupt" = kill-daemon ]; then
                # Restart 7 s before the deadline: well before it, and late
                # enough that a timer armed afresh (restart + timeout) would
                # be 5 s too late.
                sleep_until "$(time_plus "$deadline" -7)"
        else
                sleep_until "$(time_plus "$deadline" 2)"
                rule_present "$family" "$rule" || fail "the rule vanished while no daemon ran"
        fi
        t_restart=$EPOCHREALTIME
        sandbox_daemon
        say "backstopd started again (pid $SB_DAEMON_PID), $(seconds_between "$t_apply" "$t_restart") s after the apply"
        if [ "$disrupt" = kill-daemon ]; then
                awk -v r="$t_restart" -v d="$deadline" 'BEGIN { exit !(r < d - 1) }' ||
                        fail "the restart came $(seconds_between "$t_restart" "$deadline") s before the deadline: the machine is too slow for this window ($timeout s)"
                tx2=$(mgr_prop PendingTransaction)
                [ "$tx2" = "$tx" ] || fail "after the restart the pending transaction is '$tx2', expected $tx"
                d2=$(tx_prop "$tx" Deadline)
                [ "$d2" = "$deadline_us" ] || fail "after the restart the deadline is $d2, was $deadline_us"
                say "the restarted daemon resumed $tx with the same deadline"
        fi
        ;;
*)
        login_blocked
        ;;
esac

wait_rule_gone "$family" "$rule" $((timeout + 30)) || fail "no rollback within $((timeout + 30)) s of the apply"
say "rolled back: the rule is gone from the kernel"
figure "rollback observed after the apply" "$(seconds_between "$t_apply" "$GONE_AT") s (timeout $timeout s)"
figure "rollback observed after the deadline" "$(seconds_between "$deadline" "$GONE_AT") s"
case $disrupt in
kill-daemon)
        awk -v g="$GONE_AT" -v d="$deadline" 'BEGIN { exit !(g >= d - 0.25) }' ||
                fail "rolled back $(seconds_between "$GONE_AT" "$deadline") s before the deadline"
        awk -v g="$GONE_AT" -v r="$t_restart" -v t="$timeout" 'BEGIN { exit !(g < r + t - 1) }' ||
                fail "rolled back only at restart + timeout: the restart re-armed the timer"
        ;;
kill-daemon-late)
        figure "rollback observed after the restart" "$(seconds_between "$t_restart" "$GONE_AT") s"
        ;;
esac

wait_rollback_signal 30 || fail "no TransactionRolledBack signal within 30 s of the rollback"
read -r sig_time reason < <(last_rollback_signal)
say "TransactionRolledBack reason \"$reason\""
figure "TransactionRolledBack signal after the deadline" "$(seconds_between "$deadline" "$sig_time") s"
case $disrupt in
kill-daemon-late) [ "$reason" = daemon-restart ] || fail "rollback reason '$reason', expected daemon-restart" ;;
kill-client) [ "$reason" = timeout ] || say "note: reason '$reason' (the client's death is not a timeout)" ;;
*) [ "$reason" = timeout ] || fail "rollback reason '$reason', expected timeout" ;;
esac
[ "$(mgr_prop PendingTransaction)" = / ] || fail "a transaction is still pending after the rollback"
if [ -n "$watch" ]; then
        sandbox_wait_until 30 grep -q '"event":"transaction-rolled-back"' "$SB/monitor.json" || true
        kill -0 "$watch" 2>/dev/null || { cat "$SB/monitor.err"; fail "the watching ssh session died during the window"; }
        grep '"event":"transaction-' "$SB/monitor.json" | sed 's/^/    monitor over ssh | /'
        grep -q "\"event\":\"transaction-rolled-back\".*\"reason\":\"$reason\"" "$SB/monitor.json" ||
                fail "backstopctl monitor in the open ssh session did not show the rollback ($reason)"
fi

t=$EPOCHREALTIME
sandbox_ssh_login "$addr" "$port" || fail "a new ssh login failed after the rollback"
figure "new ssh login after the rollback" "$(seconds_between "$t" "$EPOCHREALTIME") s"
rule_present 4 "$rule" && fail "the IPv4 rule survived the rollback"
rule_present 6 "$rule" && fail "the IPv6 rule survived the rollback"
finish
