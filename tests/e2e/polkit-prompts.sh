#!/bin/bash
# Password prompts of an administrator, with the real polkitd, the real
# setuid polkit-agent-helper-1 and PAM (pam_unix against /etc/shadow): the
# project's policy as it is shipped (no rule of ours), the distribution's
# admin identities (polkit.addAdminRule in /usr/share/polkit-1/rules.d:
# unix-group:sudo on Debian), a throwaway user in that group with a random
# password (removed at exit). The calls run on a pseudo-terminal
# (pty-password.py) where pkttyagent, registered for the calling process,
# asks for the password; the script types it and the prompts are counted
# from the agent's "==== AUTHENTICATING FOR ACTION ====" lines.
#
# The setuid helper (polkit-agent-helper-1) ignores DBUS_SYSTEM_BUS_ADDRESS
# (GLib does not trust the environment of a setuid program) and reports the
# result to polkitd on the default system bus socket: the admin's commands
# run in a private mount namespace where /run/dbus/system_bus_socket is the
# sandbox's bus (a tmpfs over /run/dbus; the machine's /run is untouched).
#
# Without logind every subject has no session: allow_any applies
# (auth_admin_keep for apply, auth_admin for apply-unconfirmed). polkitd
# keeps an auth_admin_keep authorization for five minutes for the process
# that was authorized and the one action only: a new process is asked again.
#
#   keep          one process (polkit-client.py, as the panel: one process
#                 for the session) applies a change, confirms it, applies a
#                 second change and confirms it: one prompt in all
#   per-process   backstopctl apply --no-wait, then backstopctl confirm: one
#                 prompt each (two processes)
#   auth_admin    one process applies twice with timeout 0 (apply plus
#                 apply-unconfirmed): apply is asked once, apply-unconfirmed
#                 at each call
#   wrong         a wrong password: refused (AccessDenied), the ruleset of
#                 the namespace unchanged, nothing pending
#   panel         the panel (panel/, when built) as the admin, under Xvfb, its
#                 agent registered for its process: two changes applied and
#                 kept through its actions (apply-changes, keep): one
#                 prompt for apply
source "$(dirname "$0")/e2e-lib.sh"

require_root
require_bin /usr/lib/polkit-1/polkitd /usr/lib/polkit-1/polkit-agent-helper-1 pkttyagent dbus-daemon \
        useradd userdel chpasswd setpriv unshare mount busctl "$SB_IPT4"
require_backstop
PY=/usr/bin/python3
require_bin $PY
$PY -c 'from gi.repository import Gio' 2>/dev/null || skip "python3-gi is missing"
[ -u /usr/lib/polkit-1/polkit-agent-helper-1 ] || skip "polkit-agent-helper-1 is not setuid root"
# The admin group of the distribution's polkit rules.
admin_group=$(sed -n 's/.*"unix-group:\([a-z_][a-z0-9_-]*\)".*/\1/p' /usr/share/polkit-1/rules.d/*.rules 2>/dev/null | head -n1)
[ -n "$admin_group" ] || skip "no addAdminRule with a unix-group in /usr/share/polkit-1/rules.d"
getent group "$admin_group" >/dev/null || skip "the admin group $admin_group does not exist"
policy_src=$BACKSTOP_SOURCE_ROOT/polkit/org.backstop.firewall1.policy
HERE=$BACKSTOP_SOURCE_ROOT/tests/e2e

sandbox_init
sandbox_netns
sandbox_bus
sandbox_open_for_users
sandbox_polkit_lock
# a rule of the admin's own could decide the actions without asking (checked
# under the lock: the other polkit scenarios install theirs there)
if ls /etc/polkit-1/rules.d/*.rules >/dev/null 2>&1; then
        skip "/etc/polkit-1/rules.d has rules of this machine's own; not testing the shipped defaults"
fi
sandbox_install_file "$policy_src" /usr/share/polkit-1/actions/org.backstop.firewall1.policy
sandbox_polkit
sandbox_daemon
say "admin identities: unix-group:$admin_group (from /usr/share/polkit-1/rules.d)"

admin=bspk$$
sandbox_user "$admin" "$admin_group"
# The admin's background processes (PIDs of simple commands, and those the
# panel's shell wrote), stopped before the user is removed: userdel refuses
# a user who still runs something (hooks run newest first).
ADMIN_PIDS=()
admin_stop() {
        local pid
        # shellcheck disable=SC2046 # one PID per word
        kill $(cat "$SB/admin-xdg/agent.pid" "$SB/admin-xdg/panel.pid" 2>/dev/null) ${ADMIN_PIDS[@]+"${ADMIN_PIDS[@]}"} 2>/dev/null
        for pid in ${ADMIN_PIDS[@]+"${ADMIN_PIDS[@]}"}; do
                wait "$pid" 2>/dev/null
        done
        return 0
}
sandbox_on_exit admin_stop
# A random password, in files only the user reads (the right one and a wrong one).
head -c 18 /dev/urandom | base64 >"$SB/password"
head -c 18 /dev/urandom | base64 >"$SB/wrong-password"
echo "$admin:$(cat "$SB/password")" | chpasswd
chown "$admin" "$SB/password" "$SB/wrong-password"
chmod 0400 "$SB/password" "$SB/wrong-password"

# as_admin PASSWORD-FILE CMD...: CMD as the admin on a terminal of its own,
# the password typed at each prompt, the sandbox's bus at the default path
# (above); the transcript in $SB/transcript.
[ -d /run/dbus ] || skip "/run/dbus is missing (the mount point of the bus for the setuid helper)"
as_admin_cmd() { # PASSWORD-FILE CMD...: sets ADMIN_CMD, the command line
        local pwfile=$1
        shift
        # shellcheck disable=SC2016 # expanded by that sh
        ADMIN_CMD=(unshare --mount --propagation private sh -c
                'mount -t tmpfs -o mode=0755 backstop-bus /run/dbus && ln -s "$1" /run/dbus/system_bus_socket &&
                shift && exec "$@"' sh "$SB/system_bus_socket"
                setpriv --reuid="$admin" --regid="$(id -g "$admin")" --init-groups
                env DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS"
                timeout 300 "$PY" "$HERE/pty-password.py" "$pwfile" "$@")
}
as_admin() {
        local rc=0
        as_admin_cmd "$@"
        "${ADMIN_CMD[@]}" >"$SB/transcript" 2>&1 || rc=$?
        sed 's/^/    | /' "$SB/transcript"
        return $rc
}
prompts() { # [ACTION]: how many times the last transcript's agent asked (for ACTION)
        grep -c "==== AUTHENTICATING FOR org.backstop.firewall1.${1:-}" "$SB/transcript" || true
}
client() { as_admin "$SB/password" $PY "$HERE/polkit-client.py" "$@"; }
CTL=$BACKSTOP_BUILD_ROOT/client/backstopctl
pending_none() { [ "$(mgr_prop PendingTransaction)" = / ]; }

say "--- keep: one process, two changes, each confirmed"
t=$EPOCHREALTIME
client "apply:60:-A INPUT -s 198.51.100.1/32 -j ACCEPT" confirm \
        "apply:60:-A INPUT -s 198.51.100.2/32 -j ACCEPT" confirm || fail "the admin's changes failed"
figure "two changes and their confirmations, one process (s)" "$(seconds_between "$t" "$EPOCHREALTIME")"
n=$(prompts)
figure "prompts for two changes in one process" "$n"
[ "$n" = 1 ] || fail "asked $n times for two changes in one process, expected once (auth_admin_keep)"
grep -q "==== AUTHENTICATION COMPLETE ====" "$SB/transcript" || fail "the agent did not complete the authentication"
rule_present 4 "-s 198.51.100.1/32 -j ACCEPT" || fail "the first change is not in the kernel"
rule_present 4 "-s 198.51.100.2/32 -j ACCEPT" || fail "the second change is not in the kernel"
pending_none || fail "a change is still pending after its confirmation"

say "--- per-process: backstopctl apply, then backstopctl confirm"
as_admin "$SB/password" "$CTL" apply --no-wait --timeout 60 "-A INPUT -s 198.51.100.3/32 -j ACCEPT" ||
        fail "backstopctl apply as the admin failed"
n1=$(prompts apply)
as_admin "$SB/password" "$CTL" confirm || fail "backstopctl confirm as the admin failed"
n2=$(prompts apply)
figure "prompts for backstopctl apply, then backstopctl confirm" "$n1 + $n2"
if [ "$n1" != 1 ] || [ "$n2" != 1 ]; then
        fail "asked $n1 + $n2 times, expected once per backstopctl process"
fi
pending_none || fail "the change is still pending after backstopctl confirm"

say "--- auth_admin: apply-unconfirmed is asked at every call"
client "apply:0:-A INPUT -s 198.51.100.4/32 -j ACCEPT" "apply:0:-A INPUT -s 198.51.100.5/32 -j ACCEPT" ||
        fail "the admin's unconfirmed changes failed"
keep=$(prompts 'apply ') unconfirmed=$(prompts apply-unconfirmed)
figure "prompts for two unconfirmed changes in one process (apply, apply-unconfirmed)" "$keep, $unconfirmed"
[ "$unconfirmed" = 2 ] || fail "apply-unconfirmed (auth_admin) asked $unconfirmed times for two calls, expected 2"
[ "$keep" = 1 ] || fail "apply (auth_admin_keep) asked $keep times in one process, expected once"
rule_present 4 "-s 198.51.100.5/32 -j ACCEPT" || fail "the unconfirmed change is not in the kernel"
pending_none || fail "an unconfirmed change is pending"

say "--- wrong password: refused, nothing changed"
before4=$(ipt 4 -S) before6=$(ipt 6 -S)
rc=0
as_admin "$SB/wrong-password" $PY "$HERE/polkit-client.py" "apply:60:-A INPUT -s 198.51.100.6/32 -j DROP" || rc=$?
[ "$rc" = 1 ] || fail "the client with a wrong password exited $rc, expected 1 (refused)"
grep -q "apply:60:.* error org.freedesktop.DBus.Error.AccessDenied" \
        "$SB/transcript" || fail "the refusal is not AccessDenied"
[ "$(prompts)" -ge 1 ] || fail "the agent was not asked"
grep -q "AUTHENTICATION FAILED" "$SB/transcript" || fail "the agent did not report the failure"
[ "$(ipt 4 -S)" = "$before4" ] || fail "IPv4 rules changed after a wrong password"
[ "$(ipt 6 -S)" = "$before6" ] || fail "IPv6 rules changed after a wrong password"
pending_none || fail "a transaction is pending after a wrong password"

# The panel itself, as the admin, with the agent registered for its process
# (a shell registers pkttyagent for its own pid, then becomes the panel:
# same pid, same start time), driven through its actions on the admin's
# session bus as tests/e2e/panel.sh does.
PANEL=$BACKSTOP_BUILD_ROOT/panel/backstop-panel
if [ ! -x "$PANEL" ] || ! command -v Xvfb >/dev/null || ! command -v gdbus >/dev/null; then
        say "SKIPPED the panel: not built, or Xvfb or gdbus missing"
        finish
        exit 0
fi
say "--- panel: two changes applied and kept in the panel"
Xvfb -displayfd 3 -nolisten tcp -screen 0 1024x768x24 3>"$SB/x.display" 2>"$SB/xvfb.log" &
SB_PIDS+=($!)
sandbox_wait_until 60 test -s "$SB/x.display" || fail "Xvfb did not start"
mkdir -m 0700 "$SB/admin-home" "$SB/admin-xdg"
chown "$admin" "$SB/admin-home" "$SB/admin-xdg"
# (a simple command, not a function: $! is the process itself, stopped at exit)
setpriv --reuid="$admin" --regid="$(id -g "$admin")" --init-groups \
        dbus-daemon --session --nofork --nopidfile --print-address=3 3>"$SB/session.address" 2>"$SB/session-bus.log" &
ADMIN_PIDS+=($!)
sandbox_wait_until 60 test -s "$SB/session.address" || fail "the admin's session bus did not start"
session=$(head -n1 "$SB/session.address")
# shellcheck disable=SC2016 # expanded by that sh
as_admin_cmd "$SB/password" env DISPLAY=":$(head -n1 "$SB/x.display")" \
        DBUS_SESSION_BUS_ADDRESS="$session" HOME="$SB/admin-home" XDG_RUNTIME_DIR="$SB/admin-xdg" \
        GSETTINGS_BACKEND=memory GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none LANG=C.UTF-8 sh -c '
        ready=$XDG_RUNTIME_DIR/agent-ready
        mkfifo "$ready"
        pkttyagent --process $$ --notify-fd 5 5>"$ready" &
        echo $! >"$XDG_RUNTIME_DIR/agent.pid"
        echo $$ >"$XDG_RUNTIME_DIR/panel.pid"
        cat "$ready" >/dev/null
        exec "$1"' sh "$PANEL"
"${ADMIN_CMD[@]}" >"$SB/panel-transcript" 2>&1 &
ADMIN_PIDS+=($!)
panel_call() { # METHOD ARGS...: org.gtk.Actions of the panel, as the admin
        sandbox_as "$admin" env DBUS_SESSION_BUS_ADDRESS="$session" gdbus call --session --dest org.backstop.Panel \
                --object-path /org/backstop/Panel --method "org.gtk.Actions.$1" "${@:2}"
}
panel_ready() { panel_call List 2>/dev/null | grep -q "'keep'"; }
act() { say "panel action $1 ${2:-}"; panel_call Activate "$1" "[${2:+<$2>}]" "{}" >/dev/null || fail "action $1 failed"; }
pending_set() { [ "$(mgr_prop PendingTransaction)" != / ]; }
sandbox_wait_until 60 panel_ready || { cat "$SB/panel-transcript"; fail "the panel did not export its actions"; }
for rule in "-s 198.51.100.7/32 -j ACCEPT" "-s 198.51.100.8/32 -j ACCEPT"; do
        act apply-changes "'-A INPUT $rule'"
        sandbox_wait_until 120 pending_set || { cat "$SB/panel-transcript"; fail "the panel's change is not pending"; }
        act keep
        sandbox_wait_until 60 pending_none || fail "the panel's change is still pending after keep"
        rule_present 4 "$rule" || fail "the panel's change $rule is not in the kernel"
done
act quit
kill "$(cat "$SB/admin-xdg/agent.pid")"
wait "${ADMIN_PIDS[-1]}" || true
sed 's/^/    | /' "$SB/panel-transcript"
cp "$SB/panel-transcript" "$SB/transcript"
n=$(prompts 'apply ')
figure "prompts of the panel for two changes and their keep (apply)" "$n"
[ "$n" = 1 ] || fail "the panel asked $n times for two changes, expected once (auth_admin_keep)"
finish
