#!/bin/bash
# backstopctl -H: the client in the peer namespace, with no system bus of
# its own, operates on the firewalled host's backstopd through a real SSH
# session (sd-bus runs "ssh -xT root@HOST systemd-stdio-bridge"; sshd runs
# the bridge, which connects to the host's system bus). status; an apply
# confirmed over -H; a strict apply confirmed by a later -H call, which is
# a new SSH login; the bash completion of a command line with -H; an
# unreachable host: exit 6 and one clear line.
source "$(dirname "$0")/e2e-lib.sh"
require_root
require_bin /usr/sbin/sshd ssh ssh-keygen /usr/bin/systemd-stdio-bridge "$SB_IPT4" "$SB_IPT6"
require_backstop

sandbox_init
sandbox_netns
sandbox_bus
sandbox_daemon
sandbox_sshd 22
sandbox_ssh_path

# The client: in the peer namespace, ssh from $SB/ssh-bin, and a local
# system bus that does not exist (everything must go over -H).
remote() {
        in_peer env -u SSH_CONNECTION PATH="$SB/ssh-bin:$PATH" \
                DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/system_bus_socket \
                "$BACKSTOP_BUILD_ROOT/client/backstopctl" "$@"
}

# status over -H
t=$EPOCHREALTIME
run_capture rc out remote -H "root@$SB_FW_ADDR4" status
[ "$rc" = 0 ] || fail "status over -H exited $rc"
figure "status over -H (ssh login + bridge + calls)" "$(seconds_between "$t" "$EPOCHREALTIME") s"
echo "$out" | grep -q "Transaction: none pending" || fail "status over -H does not show the remote daemon's state"
run_capture rc out remote --host="root@[$SB_FW_ADDR6]" --json status
[ "$rc" = 0 ] || fail "status over -H (IPv6 address) exited $rc"
echo "$out" | grep -q '"PendingTransaction":"/"' || fail "JSON status over -H lacks PendingTransaction"
# without -H the client has no bus at all
run_capture rc out remote status
[ "$rc" = 6 ] || fail "status without -H exited $rc, not 6"

# apply + confirm over -H
run_capture rc out remote -H "root@$SB_FW_ADDR4" apply --no-wait '-A INPUT -p tcp --dport 9999 -j ACCEPT'
[ "$rc" = 0 ] || fail "apply over -H exited $rc"
rule_present 4 "--dport 9999 -j ACCEPT" || fail "the rule applied over -H is not in the kernel"
[ "$(mgr_prop PendingTransaction)" != / ] || fail "no transaction pending after apply over -H"
run_capture rc out remote -H "root@$SB_FW_ADDR4" confirm
[ "$rc" = 0 ] || fail "confirm over -H exited $rc"
[ "$(mgr_prop PendingTransaction)" = / ] || fail "the transaction is still pending after confirm over -H"
rule_present 4 "--dport 9999 -j ACCEPT" || fail "the confirmed rule is gone"

# strict: the confirmation must come through a new SSH login; each -H call
# is one, and the client names its connection
run_capture rc out remote -H "root@$SB_FW_ADDR4" apply --strict --no-wait '-A INPUT -p tcp --dport 9998 -j ACCEPT'
[ "$rc" = 0 ] || fail "strict apply over -H exited $rc"
[ "$(tx_prop "$(mgr_prop PendingTransaction)" ConfirmationMode)" = strict ] || fail "the transaction is not strict"
# bash completion with -H on the command line asks the remote daemon
got=$(in_peer env PATH="$SB/ssh-bin:$BACKSTOP_BUILD_ROOT/client:$PATH" \
        DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/system_bus_socket bash -c \
        'source "$1"; COMP_WORDS=(backstopctl -H "$2" confirm ""); COMP_CWORD=4; _backstopctl; echo "${COMPREPLY[*]}"' \
        sh "$BACKSTOP_SOURCE_ROOT/client/backstopctl.bash" "root@$SB_FW_ADDR4")
[ "$got" = "$(basename "$(mgr_prop PendingTransaction)")" ] || fail "completion over -H offers '$got'"
say "completion over -H: confirm $got"
run_capture rc out remote -H "root@$SB_FW_ADDR4" confirm
[ "$rc" = 0 ] || fail "strict confirm over -H (a new SSH login) exited $rc"
[ "$(mgr_prop PendingTransaction)" = / ] || fail "the strict transaction is still pending after confirm over -H"
rule_present 4 "--dport 9998 -j ACCEPT" || fail "the strictly confirmed rule is gone"

# an unreachable host: nothing listens on 2222
run_capture rc out remote -H "root@$SB_FW_ADDR4:2222" status
[ "$rc" = 6 ] || fail "status on an unreachable host exited $rc, not 6"
echo "$out" | grep -q "^Could not connect to the system bus of root@$SB_FW_ADDR4:2222 over SSH" ||
        fail "no clear message for an unreachable host"
finish
