#!/bin/bash
# backstopctl as ordinary users against the real polkitd.
#
# The project's polkit/org.backstop.firewall1.policy is installed in
# /usr/share/polkit-1/actions and a rule granting every
# org.backstop.firewall1.* action to a throwaway group in
# /etc/polkit-1/rules.d (both removed at exit; an existing file is never
# replaced). Users are created and removed by the test; the client runs as
# them through setpriv. Without logind only allow_any applies.
#
#   polkit.sh --case member      a member applies a change and confirms it,
#                                lists rules and saves
#   polkit.sh --case non-member  a non-member is refused (exit 5, "Not
#                                authorized") with and without
#                                --no-ask-password; nothing changes
#   polkit.sh --case read-only   each read-only verb, as member and as
#                                non-member, succeeds or is refused exactly
#                                as the policy's allow_any says; the preview
#                                of a lockout shows the connections it cuts
#                                to the member, and to a reader allowed only
#                                read-rules the same findings and rules
#                                without them
source "$(dirname "$0")/e2e-lib.sh"

case_=member
while [ $# -gt 0 ]; do
        case $1 in
        --case) case_=$2; shift 2 ;;
        *) echo "usage: $0 --case member|non-member|read-only" >&2; exit 2 ;;
        esac
done
E2E_NAME="$E2E_NAME ($case_)"

require_root
require_bin /usr/lib/polkit-1/polkitd dbus-daemon useradd userdel groupadd groupdel setpriv busctl "$SB_IPT4"
require_backstop
policy_src=$BACKSTOP_SOURCE_ROOT/polkit/org.backstop.firewall1.policy
[ -f "$policy_src" ] || skip "polkit/org.backstop.firewall1.policy is not written yet"
PY=/usr/bin/python3
require_bin $PY

sandbox_init
sandbox_netns
sandbox_bus
sandbox_open_for_users
sandbox_polkit_lock

tag=bse2e$$
group=${tag}g member=${tag}m outsider=${tag}n rgroup=${tag}rg reader=${tag}r
sandbox_group "$group"
sandbox_group "$rgroup"
sandbox_user "$member" "$group"
sandbox_user "$outsider"
sandbox_user "$reader" "$rgroup"
cat >"$SB/backstop-e2e.rules" <<EOR
// backstop end-to-end test $$: members of $group may do everything,
// members of $rgroup read the rules only.
polkit.addRule(function(action, subject) {
        if (action.id.indexOf("org.backstop.firewall1.") == 0 && subject.isInGroup("$group"))
                return polkit.Result.YES;
        if (action.id == "org.backstop.firewall1.read-rules" && subject.isInGroup("$rgroup"))
                return polkit.Result.YES;
});
EOR
sandbox_install_file "$policy_src" /usr/share/polkit-1/actions/org.backstop.firewall1.policy
sandbox_install_file "$SB/backstop-e2e.rules" "/etc/polkit-1/rules.d/49-backstop-e2e-$$.rules"
# polkitd reads actions and rules at start (files added later are picked up
# only after a while), so it starts after they are in place.
sandbox_polkit
sandbox_daemon

ctl_as() { # USER ARGS...
        local user=$1
        shift
        sandbox_as "$user" timeout 60 "$BACKSTOP_BUILD_ROOT/client/backstopctl" "$@" </dev/null
}
change="-A INPUT -p tcp --dport 9090 -j DROP"
rule="--dport 9090 -j DROP"

t=$EPOCHREALTIME
run_capture rc out ctl_as "$member" --no-ask-password status
[ "$rc" = 0 ] || fail "status as member: exit $rc"
figure "first call (status, member)" "$(seconds_between "$t" "$EPOCHREALTIME") s"

case $case_ in
member)
        say "member $member applies a change"
        t=$EPOCHREALTIME
        run_capture rc out ctl_as "$member" --no-ask-password apply --no-wait --timeout 60 "$change"
        figure "apply as member (client run, polkit check included)" "$(seconds_between "$t" "$EPOCHREALTIME") s"
        [ "$rc" = 0 ] || fail "apply as member: exit $rc"
        rule_present 4 "$rule" || fail "the member's change is not in the kernel"
        tx=$(mgr_prop PendingTransaction)
        [ "$tx" != / ] || fail "no pending transaction"
        owner=$(tx_prop "$tx" Owner)
        [ "$owner" = "$(id -u "$member")" ] || fail "transaction Owner is $owner, expected $(id -u "$member")"
        run_capture rc out ctl_as "$member" --no-ask-password rules INPUT
        [ "$rc" = 0 ] || fail "rules as member: exit $rc"
        echo "$out" | grep -qF -- "$rule" || fail "rules as member does not show the new rule"
        run_capture rc out ctl_as "$member" --no-ask-password confirm
        [ "$rc" = 0 ] || fail "confirm as member: exit $rc"
        [ "$(mgr_prop PendingTransaction)" = / ] || fail "still pending after the member's confirm"
        run_capture rc out ctl_as "$member" --no-ask-password save
        [ "$rc" = 0 ] || fail "save as member: exit $rc"
        [ "$(mgr_prop RulesSaved)" = true ] || fail "RulesSaved not true after the member's save"
        say "and without --no-ask-password (interactive allowed): same answer"
        run_capture rc out ctl_as "$member" apply --no-wait --timeout 60 "-A INPUT -p tcp --dport 9091 -j DROP"
        [ "$rc" = 0 ] || fail "interactive apply as member: exit $rc"
        run_capture rc out ctl_as "$member" rollback
        [ "$rc" = 0 ] || fail "rollback as member: exit $rc"
        rule_present 4 "--dport 9091 -j DROP" && fail "the rolled-back rule is still there"
        ;;
non-member)
        for mode in --no-ask-password interactive; do
                say "non-member $outsider applies a change ($mode)"
                args=()
                [ "$mode" = interactive ] || args=(--no-ask-password)
                t=$EPOCHREALTIME
                run_capture rc out ctl_as "$outsider" "${args[@]}" apply --no-wait --timeout 60 "$change"
                figure "refusal ($mode)" "$(seconds_between "$t" "$EPOCHREALTIME") s"
                [ "$rc" = 5 ] || fail "apply as non-member ($mode): exit $rc, expected 5"
                echo "$out" | grep -qi "not authorized" || fail "the refusal ($mode) does not say \"Not authorized\": $out"
                if [ "$mode" = interactive ] && echo "$out" | grep -q -- "--no-ask-password"; then
                        say "NOTE: the interactive refusal (no polkit agent) advises against --no-ask-password, which was not given"
                fi
                rule_present 4 "$rule" && fail "the non-member's change reached the kernel"
                [ "$(mgr_prop PendingTransaction)" = / ] || fail "a transaction is pending after the refusal"
        done
        say "a member's pending transaction: the non-member may not confirm, roll back or extend it"
        run_capture rc out ctl_as "$member" --no-ask-password apply --no-wait --timeout 60 "$change"
        [ "$rc" = 0 ] || fail "apply as member: exit $rc"
        tx=$(mgr_prop PendingTransaction)
        for verb in confirm rollback "extend 30"; do
                # shellcheck disable=SC2086
                run_capture rc out ctl_as "$outsider" --no-ask-password $verb
                [ "$rc" = 5 ] || fail "$verb as non-member: exit $rc, expected 5"
                [ "$(tx_prop "$tx" State)" = pending ] || fail "the transaction changed after the non-member's $verb"
        done
        run_capture rc out ctl_as "$member" --no-ask-password rollback
        [ "$rc" = 0 ] || fail "rollback as member: exit $rc"
        # (with nothing pending, so that Busy cannot answer first)
        run_capture rc out ctl_as "$outsider" --no-ask-password save
        [ "$rc" = 5 ] || fail "save as non-member: exit $rc, expected 5"
        run_capture rc out ctl_as "$outsider" --no-ask-password zero
        [ "$rc" = 5 ] || fail "zero as non-member: exit $rc, expected 5"
        ;;
read-only)
        # allow_any of each action, from the policy file itself.
        declare -A allow_any
        while read -r id value; do
                allow_any[$id]=$value
        done < <($PY - "$policy_src" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
for a in ET.parse(sys.argv[1]).getroot().iter("action"):
    d = a.find("defaults")
    v = d.findtext("allow_any") if d is not None else None
    print(a.get("id"), (v or "no").strip())
PYEOF
)
        for id in "${!allow_any[@]}"; do say "policy: $id allow_any=${allow_any[$id]}"; done
        # verb -> action (dbus/org.backstop.Firewall1.xml); status reads
        # properties only, which anyone may.
        verbs=("status|" "rules|read-rules" "rules -6 INPUT -v|read-rules" "check|read-rules"
                "preview $change|read-rules" "connections|read-connections")
        for entry in "${verbs[@]}"; do
                verb=${entry%%|*} action=${entry#*|}
                read -ra argv <<<"$verb"
                [ "${argv[0]}" = preview ] && argv=(preview "$change")
                if [ -z "$action" ]; then
                        expect=yes
                else
                        [ -n "${allow_any[org.backstop.firewall1.$action]:-}" ] ||
                                fail "the policy has no action org.backstop.firewall1.$action"
                        expect=${allow_any[org.backstop.firewall1.$action]}
                fi
                for user in "$member" "$outsider"; do
                        run_capture rc out ctl_as "$user" --no-ask-password "${argv[@]}"
                        if [ "$user" = "$member" ] || [ "$expect" = yes ]; then
                                # check exits 1 when a check fails: authorized all the same
                                [ "$rc" = 0 ] || { [ "${argv[0]}" = check ] && [ "$rc" = 1 ] &&
                                        ! echo "$out" | grep -qi "not authorized\|no such object\|failed to"; } ||
                                        fail "'$verb' as $user: exit $rc, expected success (allow_any=$expect)"
                        else
                                [ "$rc" = 5 ] || fail "'$verb' as $user: exit $rc, expected 5 (allow_any=$expect)"
                        fi
                        say "'$verb' as $([ "$user" = "$member" ] && echo member || echo non-member): exit $rc (allow_any=$expect)"
                done
        done
        rule_present 4 "$rule" && fail "preview changed the kernel"

        say "preview of a lockout: the connections only for those who may list them"
        lockout="-P INPUT DROP" ssh="192.0.2.9 5555 192.0.2.1 22" tuple="192.0.2.9:5555 -> 192.0.2.1:22"
        declare -A cut
        for user in "$member" "$reader"; do
                who=$([ "$user" = "$member" ] && echo member || echo reader)
                SSH_CONNECTION=$ssh run_capture rc out ctl_as "$user" --no-ask-password preview "$lockout"
                [ "$rc" = 4 ] || fail "preview of a lockout as $who: exit $rc, expected 4"
                echo "$out" | grep -q "INPUT policy" || fail "the $who does not see the deciding policy"
                cut[$who]=$(echo "$out" | sed -n 's/^Lockout analysis: \([0-9]*\) connection.*/\1/p')
                [ -n "${cut[$who]}" ] || fail "no count of what the preview cuts, as $who"
                SSH_CONNECTION=$ssh run_capture rc json ctl_as "$user" --no-ask-password --json preview "$lockout"
                [ "$rc" = 4 ] || fail "preview --json of a lockout as $who: exit $rc, expected 4"
                if [ "$user" = "$member" ]; then
                        echo "$out" | grep -qF -- "$tuple" || fail "the member does not see the cut connection $tuple"
                        echo "$json" | grep -qF -- "$tuple" || fail "the member's JSON does not name $tuple"
                else
                        echo "$out $json" | grep -q -- "->\|192\.0\.2\.9\|127\.0\.0\.1" &&
                                fail "the reader (read-rules only) sees connections: $out $json"
                        echo "$out" | grep -q "not shown" || fail "the reader is not told the connections are left out"
                        echo "$json" | grep -q '"count"' || fail "the reader's JSON has no counts"
                fi
        done
        [ "${cut[member]}" = "${cut[reader]}" ] ||
                fail "the member is told of ${cut[member]} cut connections, the reader of ${cut[reader]}"
        figure "lockout preview: connections cut (member sees them, reader counts them)" "${cut[member]}"
        ;;
*)
        fail "unknown case $case_"
        ;;
esac
finish
