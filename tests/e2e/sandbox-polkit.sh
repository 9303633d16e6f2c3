#!/bin/bash
# The polkit fixtures checked with no backstop part involved: the real
# polkitd on the private bus, an action file and a group rule installed under
# /usr/share/polkit-1 and /etc/polkit-1 (and removed afterwards), throwaway
# users. pkcheck as a member of the test group is authorized, as a
# non-member it is not, and the files and users are gone after the run.
source "$(dirname "$0")/e2e-lib.sh"
require_root
require_bin /usr/lib/polkit-1/polkitd pkcheck dbus-daemon useradd userdel groupadd setpriv

if [ "${1:-}" != inner ]; then
        out=$(mktemp)
        rc=0
        bash "$0" inner >"$out" 2>&1 || rc=$?
        cat "$out"
        left=$(sed -n 's/^CREATED //p' "$out")
        rm -f "$out"
        [ "$rc" -eq 0 ] || exit "$rc"
        [ -n "$left" ] || fail "the inner run did not name what it created"
        for x in $left; do
                case $x in
                /*) [ -e "$x" ] && fail "$x left behind" ;;
                *) getent passwd "$x" >/dev/null && fail "user $x left behind"
                   getent group "$x" >/dev/null && fail "group $x left behind" ;;
                esac
        done
        say "cleanup: files, users and group gone"
        exit 0
fi

sandbox_init
sandbox_bus
sandbox_open_for_users
sandbox_polkit_lock

tag=bse2e$$
action=org.backstop.e2etest$$.probe
actions_file=/usr/share/polkit-1/actions/org.backstop.e2etest$$.policy
rules_file=/etc/polkit-1/rules.d/49-backstop-e2etest$$.rules
cat >"$SB/test.policy" <<EOP
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE policyconfig PUBLIC "-//freedesktop//DTD PolicyKit Policy Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/PolicyKit/1/policyconfig.dtd">
<policyconfig>
  <action id="$action">
    <description>backstop e2e fixture probe</description>
    <message>backstop e2e fixture probe</message>
    <defaults><allow_any>no</allow_any><allow_inactive>no</allow_inactive><allow_active>no</allow_active></defaults>
  </action>
</policyconfig>
EOP
cat >"$SB/test.rules" <<EOR
polkit.addRule(function(action, subject) {
        if (action.id == "$action" && subject.isInGroup("${tag}g"))
                return polkit.Result.YES;
});
EOR
sandbox_group "${tag}g"
sandbox_user "${tag}m" "${tag}g"
sandbox_user "${tag}n"
sandbox_install_file "$SB/test.policy" "$actions_file"
sandbox_install_file "$SB/test.rules" "$rules_file"
echo "CREATED $actions_file $rules_file ${tag}g ${tag}m ${tag}n"
# polkitd reads actions and rules at start; files added while it runs are
# picked up only after a while (seen: up to more than 10 s).
sandbox_polkit

probe() { # USER: pkcheck on the user's own process
        sandbox_as "$1" sh -c "exec pkcheck --action-id $action --process \$\$" 2>&1
}
# (a short wait all the same, in case polkitd is still loading)
t=$EPOCHREALTIME
ok=
for i in $(seq 100); do
        if probe "${tag}m" >/dev/null; then ok=1; break; fi
        sleep 0.1
done
[ -n "$ok" ] || fail "member ${tag}m not authorized: $(probe "${tag}m")"
figure "first authorized pkcheck after polkitd started" "$(seconds_between "$t" "$EPOCHREALTIME") s"
say "member: authorized"
out=$(probe "${tag}n") && fail "non-member ${tag}n authorized: $out"
say "non-member: $out"
say "fixtures OK"
