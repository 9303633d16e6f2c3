#!/bin/bash
# Permanent only when confirmed, and a reboot undoes what was not:
#   1. default-deny --save, confirmed: the rules are saved on confirm
#      (RulesSaved becomes true);
#   2. another change is applied and left pending (RulesSaved false);
#   3. "reboot": backstopd stops, the runtime directory (a tmpfs at boot) is
#      emptied, and the boot-time restore (backstopd --restore, what
#      backstopd-restore.service runs) loads the saved rules into a fresh
#      network namespace: they equal the confirmed rules, without the pending
#      change, for IPv4 and IPv6;
#   4. backstopd started on the rebooted host has nothing pending;
#   5. one word of rules.v6 corrupted, "reboot" again: the restore loads
#      neither file but the fail-closed rules, for IPv4 and IPv6 (loopback,
#      ESTABLISHED,RELATED, the management port, ICMPv6 neighbour
#      discovery, INPUT DROP), exits non-zero, and the daemon started
#      afterwards shows it (BootRestore, backstopctl status).
source "$(dirname "$0")/e2e-lib.sh"
require_root
require_bin "$SB_IPT4" "$SB_IPT6" busctl dbus-daemon
require_backstop

sandbox_init
sandbox_netns
sandbox_bus
sandbox_daemon
ctl() { in_fw "$BACKSTOP_BUILD_ROOT/client/backstopctl" "$@"; }

say "1. default-deny --save, then confirm"
run_capture rc out ctl default-deny --allow 22/tcp --save --no-wait --timeout 60
[ "$rc" = 0 ] || fail "default-deny: exit $rc"
[ "$(mgr_prop RulesSaved)" = false ] || fail "RulesSaved is true before the confirm"
run_capture rc out ctl confirm
[ "$rc" = 0 ] || fail "confirm: exit $rc"
[ "$(mgr_prop RulesSaved)" = true ] || fail "RulesSaved is not true after confirming a --save transaction"
ls -l "$BACKSTOP_STATE_DIR" | sed 's/^/    state dir | /'
for fam in 4 6; do ipt $fam -S >"$SB/confirmed.v$fam"; done

say "2. another change, left pending"
run_capture rc out ctl apply --no-wait --timeout 600 "-I INPUT 2 -p tcp --dport 8080 -j ACCEPT"
[ "$rc" = 0 ] || fail "apply: exit $rc"
rule_present 4 "--dport 8080 -j ACCEPT" || fail "the pending change is not in the kernel"
[ "$(mgr_prop RulesSaved)" = false ] || fail "RulesSaved is true while an unsaved change is live"
run_capture rc out ctl save
[ "$rc" = 7 ] || fail "save while a transaction is pending: exit $rc, expected 7 (busy)"

say "3. reboot: stop the daemon, empty the runtime dir, restore into a fresh namespace"
# SIGKILL, as a power cut would: no chance to roll back on the way down
sandbox_stop_daemon KILL
find "$BACKSTOP_RUNTIME_DIR" -mindepth 1 -delete
boot=bsboot-$$
ip netns add "$boot"
sandbox_on_exit "sandbox_kill_netns $boot; ip netns del $boot 2>/dev/null"
ip netns exec "$boot" ip link set lo up
t=$EPOCHREALTIME
run_capture rc out ip netns exec "$boot" "$BACKSTOP_BUILD_ROOT/daemon/backstopd" --restore --backend="$SB_BACKEND" \
        --state-dir="$BACKSTOP_STATE_DIR" --runtime-dir="$BACKSTOP_RUNTIME_DIR"
[ "$rc" = 0 ] || fail "backstopd --restore: exit $rc"
figure "backstopd --restore" "$(seconds_between "$t" "$EPOCHREALTIME") s"
for fam in 4 6; do
        if [ $fam = 6 ]; then tool=$SB_IPT6; else tool=$SB_IPT4; fi
        ip netns exec "$boot" "$tool" -S >"$SB/restored.v$fam"
        sed 's/^/    restored v'$fam' | /' "$SB/restored.v$fam"
        diff -u "$SB/confirmed.v$fam" "$SB/restored.v$fam" || fail "IPv$fam: the restored rules differ from the confirmed ones"
done

say "4. backstopd on the rebooted host"
# the rebooted host is the fresh namespace now
SB_FW_OLD=$SB_FW
SB_FW=$boot
sandbox_daemon
[ "$(mgr_prop PendingTransaction)" = / ] || fail "a transaction is pending after the reboot"
[ "$(mgr_prop RulesSaved)" = true ] || fail "RulesSaved is not true after the restore"
[ "$(mgr_prop BootRestore)" = restored ] || fail "BootRestore is not \"restored\" after the restore"

say "5. rules.v6 corrupted (one word), reboot again: fail-closed, both families"
sandbox_stop_daemon KILL
find "$BACKSTOP_RUNTIME_DIR" -mindepth 1 -delete
grep -q -- "--dport 22 " "$BACKSTOP_STATE_DIR/rules.v6" || fail "no 22/tcp rule in the saved rules.v6"
sed -i 's/--dport 22 /--dprot 22 /' "$BACKSTOP_STATE_DIR/rules.v6"
boot2=bsboot2-$$
ip netns add "$boot2"
sandbox_on_exit "sandbox_kill_netns $boot2; ip netns del $boot2 2>/dev/null"
ip netns exec "$boot2" ip link set lo up
# management port 2222 (the saved rules have 22): the fail-closed rules
# are told apart from the saved ones in both families
run_capture rc out ip netns exec "$boot2" "$BACKSTOP_BUILD_ROOT/daemon/backstopd" --restore --backend="$SB_BACKEND" \
        --state-dir="$BACKSTOP_STATE_DIR" --runtime-dir="$BACKSTOP_RUNTIME_DIR" --management-port=2222/tcp
sed 's/^/    restore | /' <<<"$out"
[ "$rc" != 0 ] || fail "backstopd --restore with a corrupt rules.v6 exited 0"
for fam in 4 6; do
        if [ $fam = 6 ]; then tool=$SB_IPT6; else tool=$SB_IPT4; fi
        ip netns exec "$boot2" "$tool" -S >"$SB/failclosed.v$fam"
        sed 's/^/    fail-closed v'$fam' | /' "$SB/failclosed.v$fam"
        for want in "-P INPUT DROP" "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" \
                    "-A INPUT -i lo -j ACCEPT" "-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT"; do
                grep -qxF -- "$want" "$SB/failclosed.v$fam" || fail "IPv$fam after the failed restore: no '$want'"
        done
        ! grep -q -- "--dport 22 " "$SB/failclosed.v$fam" || fail "IPv$fam: the saved rules were loaded"
done
for type in 133 134 135 136; do
        grep -qxF -- "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type $type -j ACCEPT" "$SB/failclosed.v6" ||
                fail "IPv6 after the failed restore: ICMPv6 type $type (neighbour discovery) not accepted"
done
grep -q "^fail-closed: .*rules.v6" "$BACKSTOP_RUNTIME_DIR/boot-restore" || fail "no fail-closed record"
SB_FW=$boot2
sandbox_daemon
boot_restore=$(mgr_prop BootRestore)
echo "    BootRestore | $boot_restore"
case "$boot_restore" in "fail-closed: "*rules.v6*) ;; *) fail "BootRestore: '$boot_restore'" ;; esac
run_capture rc out ctl status
sed 's/^/    status | /' <<<"$out"
grep -q "Boot restore: FAILED CLOSED" <<<"$out" || fail "backstopctl status does not show the fail-closed boot"
run_capture rc out ctl --json status
grep -q '"BootRestore":"fail-closed: ' <<<"$out" || fail "backstopctl --json status has no BootRestore"
SB_FW=$SB_FW_OLD
finish
