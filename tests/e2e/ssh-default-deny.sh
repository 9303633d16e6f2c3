#!/bin/bash
# The reference workflow done by a remote admin over real SSH, with sshd on
# PORT (22, or a non-standard port such as 2222):
#   1. default-deny that allows some other port but not the one the admin's
#      session uses (the port in SSH_CONNECTION) is refused: exit 4, the
#      message names the port, nothing changes;
#   2. default-deny --allow PORT/tcp (and 22/tcp) is applied behind the timer;
#   3. while it is pending: new ssh logins on PORT work over IPv4 and IPv6,
#      a NEW connection to a closed port (9090) is blocked, outbound traffic
#      from the host works (its replies pass the stateful rule), a second
#      apply is refused as busy (exit 7);
#   4. confirm through a new ssh login; the rules stay past the deadline;
#   5. save; the daemon reports the rules as saved.
#
#   ssh-default-deny.sh [--port N]
source "$(dirname "$0")/e2e-lib.sh"

port=22
while [ $# -gt 0 ]; do
        case $1 in
        --port) port=$2; shift 2 ;;
        *) echo "usage: $0 [--port N]" >&2; exit 2 ;;
        esac
done
E2E_NAME="$E2E_NAME (port $port)"

require_root
require_bin /usr/sbin/sshd ssh ssh-keygen "$SB_IPT4" "$SB_IPT6" ss busctl dbus-monitor dbus-daemon socat nc
require_backstop

# The window holds step 3 (about 4 s on an idle machine: two probes that
# must time out, run side by side, two ssh logins, outbound connections,
# three backstopctl calls over ssh) and the confirm; 20 s leave room for a
# slow or busy machine.
timeout=20
sandbox_init
sandbox_netns
sandbox_bus
sandbox_daemon
sandbox_monitor
sandbox_sshd "$port"
sandbox_spawn in_fw socat TCP-LISTEN:9090,fork,reuseaddr SYSTEM:"echo admin-panel"
sandbox_spawn in_peer socat TCP6-LISTEN:80,fork,reuseaddr,ipv6only=0 SYSTEM:"echo HTTP/1.0 200 OK"
addr=$SB_FW_ADDR4

probe() { # NS ADDR PORT [SECONDS]: can a NEW TCP connection be made (in 10 s)?
        "$1" nc -z -w "${4:-10}" "$2" "$3" 2>/dev/null
}
policy() { ipt "$1" -S INPUT | sed -n 's/^-P INPUT //p'; }

sandbox_ssh_login "$addr" "$port" || fail "ssh login failed before any change"
probe in_peer $SB_FW_ADDR4 9090 || fail "port 9090 not reachable before any change"

if [ "$port" = 22 ]; then other=80; else other=22; fi
say "1. default-deny --allow $other/tcp over ssh on port $port: refused"
run_capture rc out sandbox_ssh_ctl "$addr" "$port" default-deny --allow $other/tcp --no-wait --timeout $timeout
[ "$rc" = 4 ] || fail "default-deny without the session's port: exit $rc, expected 4"
echo "$out" | grep -q "$port" || fail "the refusal does not name port $port"
[ "$(policy 4)" = ACCEPT ] || fail "the INPUT policy changed although the change was refused"
[ "$(mgr_prop PendingTransaction)" = / ] || fail "a transaction is pending after the refusal"

say "2. default-deny --allow 22/tcp --allow $port/tcp, timeout $timeout s"
allows=(--allow 22/tcp)
[ "$port" = 22 ] || allows+=(--allow "$port/tcp")
t_apply=$EPOCHREALTIME
run_capture rc out sandbox_ssh_ctl "$addr" "$port" default-deny "${allows[@]}" --no-wait --timeout $timeout
[ "$rc" = 0 ] || fail "default-deny: exit $rc, expected 0"
tx=$(mgr_prop PendingTransaction)
[ "$tx" != / ] || fail "no pending transaction"
deadline=$(awk -v d="$(tx_prop "$tx" Deadline)" 'BEGIN { printf "%.6f", d / 1e6 }')
[ "$(policy 4)" = DROP ] || fail "IPv4 INPUT policy is $(policy 4), expected DROP"
ipv6=$(mgr_prop IPv6Active)
say "IPv6Active: $ipv6"
if [ "$ipv6" = true ]; then
        [ "$(policy 6)" = DROP ] || fail "IPv6 INPUT policy is $(policy 6), expected DROP"
fi
ipt 4 -S INPUT | sed "s/^/    $SB_IPT4 -S INPUT | /"
ipt 6 -S INPUT | sed "s/^/    $SB_IPT6 -S INPUT | /"

say "3. checks while pending"
sandbox_ssh_login "$SB_FW_ADDR4" "$port" || fail "new ssh login on port $port (IPv4) failed under default-deny"
if [ "$ipv6" = true ]; then
        sandbox_ssh_login "$SB_FW_ADDR6" "$port" || fail "new ssh login on port $port (IPv6) failed under default-deny (NDP?)"
fi
# The two probes that must time out (2 s each), side by side.
probe in_peer $SB_FW_ADDR4 9090 2 & probe4=$!
probe in_peer $SB_FW_ADDR6 9090 2 & probe6=$!
wait $probe4 && fail "NEW connection to 9090 (IPv4) got through"
wait $probe6 && fail "NEW connection to 9090 (IPv6) got through"
reply=$(in_fw nc -w 10 $SB_PEER_ADDR4 80 </dev/null | head -1) || true
[ -n "$reply" ] || fail "outbound IPv4 connection from the host got no reply"
reply=$(in_fw nc -w 10 $SB_PEER_ADDR6 80 </dev/null | head -1) || true
[ -n "$reply" ] || fail "outbound IPv6 connection from the host got no reply"
run_capture rc out sandbox_ssh_ctl "$addr" "$port" apply --no-wait --timeout 30 "-A INPUT -p tcp --dport 9091 -j DROP"
[ "$rc" = 7 ] || fail "a second apply while one is pending: exit $rc, expected 7 (busy)"
[ "$(mgr_prop PendingTransaction)" = "$tx" ] || fail "the pending transaction changed after the refused second apply"
run_capture rc out sandbox_ssh_ctl "$addr" "$port" check
figure "backstopctl check exit code under default-deny" "$rc"
run_capture rc out sandbox_ssh_ctl "$addr" "$port" rules -v INPUT
[ "$rc" = 0 ] || fail "backstopctl rules: exit $rc"

say "4. confirm through a new ssh login"
t_confirm=$EPOCHREALTIME
awk -v d="$deadline" -v n="$t_confirm" 'BEGIN { exit !(n < d - 1) }' ||
        fail "step 3 took until $(seconds_between "$deadline" "$t_confirm") s before the deadline: the machine is too slow for this window ($timeout s)"
run_capture rc out sandbox_ssh_ctl "$addr" "$port" confirm
[ "$rc" = 0 ] || fail "confirm: exit $rc"
figure "confirmed after the apply" "$(seconds_between "$t_apply" "$t_confirm") s"
sleep_until "$(time_plus "$deadline" 2)"
[ "$(policy 4)" = DROP ] || fail "the confirmed default-deny is gone after the deadline"
grep -q "member=TransactionRolledBack" "$SB/signals.log" && fail "a TransactionRolledBack signal was sent"
sandbox_ssh_login "$addr" "$port" || fail "new ssh login failed after the confirm"

say "5. save"
run_capture rc out sandbox_ssh_ctl "$addr" "$port" save
[ "$rc" = 0 ] || fail "save: exit $rc"
[ "$(mgr_prop RulesSaved)" = true ] || fail "RulesSaved is not true after save"
run_capture rc out sandbox_ssh_ctl "$addr" "$port" status
[ "$rc" = 0 ] || fail "status: exit $rc"
finish
