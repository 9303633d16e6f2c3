#!/bin/bash
# The fixtures the SSH scenarios rely on, checked with no backstop part
# involved: a key login as root from the peer namespace to sshd in the
# firewalled one works over IPv4 and IPv6, the session runs in the firewalled
# namespace with the sandbox's environment and sshd's SSH_CONNECTION, a
# NEW-DROP rule written with iptables ($SB_IPT4, $SB_IPT6) blocks new logins but not the
# open session, and the sandbox leaves no process or namespace behind.
source "$(dirname "$0")/e2e-lib.sh"
require_root
require_bin /usr/sbin/sshd ssh ssh-keygen "$SB_IPT4" "$SB_IPT6" ss

if [ "${1:-}" != inner ]; then
        # Run the sandbox in a child, then check what it left behind.
        out=$(mktemp)
        rc=0
        bash "$0" inner >"$out" 2>&1 || rc=$?
        cat "$out"
        fw=$(sed -n 's/^NETNS //p' "$out" | head -1)
        pids=$(sed -n 's/^PIDS //p' "$out" | head -1)
        rm -f "$out"
        [ "$rc" -eq 0 ] || exit "$rc"
        [ -n "$fw" ] || fail "the inner run did not name its namespaces"
        for ns in $fw; do
                ip netns list | grep -qw "$ns" && fail "namespace $ns left behind"
        done
        for pid in $pids; do
                kill -0 "$pid" 2>/dev/null && fail "process $pid left behind"
        done
        say "cleanup: namespaces and processes gone"
        exit 0
fi

sandbox_init
sandbox_netns
sandbox_sshd 22
sandbox_sshd 2222
echo "NETNS $SB_FW $SB_PEER"
echo "PIDS ${SB_SSHD_PIDS[*]}"

t=$EPOCHREALTIME
sandbox_ssh_login $SB_FW_ADDR4 22 || fail "ssh login over IPv4 failed"
figure "ssh login (IPv4, open)" "$(seconds_between "$t" "$EPOCHREALTIME") s"
t=$EPOCHREALTIME
sandbox_ssh_login $SB_FW_ADDR6 22 || fail "ssh login over IPv6 failed"
figure "ssh login (IPv6, open)" "$(seconds_between "$t" "$EPOCHREALTIME") s"
sandbox_ssh_login $SB_FW_ADDR4 2222 || fail "ssh login on port 2222 failed"

env_out=$(sandbox_ssh $SB_FW_ADDR4 22 'echo "conn=$SSH_CONNECTION"; echo "lock=$XTABLES_LOCKFILE"; echo "rt=$BACKSTOP_RUNTIME_DIR"; ip -o -4 addr show dev veth0')
echo "$env_out" | sed 's/^/    | /'
echo "$env_out" | grep -q "^conn=$SB_PEER_ADDR4 [0-9]* $SB_FW_ADDR4 22\$" || fail "SSH_CONNECTION not as expected"
echo "$env_out" | grep -qx "lock=$XTABLES_LOCKFILE" || fail "XTABLES_LOCKFILE not passed to the session"
echo "$env_out" | grep -qx "rt=$BACKSTOP_RUNTIME_DIR" || fail "BACKSTOP_RUNTIME_DIR not passed to the session"
echo "$env_out" | grep -q "inet $SB_FW_ADDR4/" || fail "the session does not run in the firewalled namespace"

# An open session, then a rule that drops NEW connections to 22.
sandbox_spawn in_peer ssh "${SB_SSH_OPTS[@]}" -p 22 root@$SB_FW_ADDR4 'echo open; sleep 60'
open_session() { [ -n "$(in_fw ss -Htn state established "sport = :22" 2>/dev/null)" ]; }
sandbox_wait_until 60 open_session || fail "the open ssh session was not established within 60 s"
for fam in 4 6; do
        ipt $fam -I INPUT 1 -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP
done
t=$EPOCHREALTIME
err=$(sandbox_ssh_login_blocked $SB_FW_ADDR4 22 3 2>&1) && fail "ssh login worked although NEW to 22 is dropped"
say "blocked login: $err"
echo "$err" | grep -qi "timed out" || fail "the blocked login did not time out: $err"
figure "blocked login gives up after" "$(seconds_between "$t" "$EPOCHREALTIME") s"
sandbox_ssh_login_blocked $SB_FW_ADDR6 22 3 2>/dev/null && fail "ssh login over IPv6 worked although NEW to 22 is dropped"
sandbox_ssh_login $SB_FW_ADDR4 2222 || fail "port 2222 should not be affected"
for fam in 4 6; do
        ipt $fam -D INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP
done
sandbox_ssh_login $SB_FW_ADDR4 22 || fail "ssh login failed after the rule was removed"
say "fixtures OK"
