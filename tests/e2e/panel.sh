#!/bin/bash
# The GNOME panel (panel/, org.backstop.Panel) against the real backstopd:
# the daemon in a private network namespace on a private system bus
# (tests/lib/sandbox.sh), the panel on a private session bus and a private X
# server (Xvfb), driven through the actions it exports on the session bus
# (org.gtk.Actions at /org/backstop/Panel), as the notifier or the shell
# would; the daemon's state and the backend's iptables are the oracle.
#
#   keep     a change applied through the panel ("apply-changes", iptables
#            syntax: Apply) shows the keep-or-revert dialog; "keep"
#            confirms it: the transaction is "confirmed", the rule stays
#   revert   a rule removed through the panel ("remove-rule", structured:
#            ApplyChanges delete-number) is gone; "revert" brings it back:
#            "rolled-back", reason "request"
#   move     a second rule moved above the first ("move-rule": Apply of
#            the delete of its text and its insert at 1, one transaction),
#            kept: the kernel's order is the new one
#   lockout  a change that cuts loopback (INPUT policy DROP) is refused by the daemon
#            (LockoutRisk, shown by the panel); "apply-anyway" applies it
#            forced: it is live and pending; "revert" takes it back
#   form     the rule form (add-rule, edit-rule: the form filled and
#            submitted as its buttons do, structured ApplyChanges): a rule
#            inserted at 2 is exactly that line of iptables -S after keep; a
#            bad value (dports 70000) changes nothing, its InvalidArgs message
#            shows in the form (accessibility tree), which keeps the value;
#            an edit (prefilled, target and port typed over) replaces rule
#            2; a rule with -m limit (no field for it) is not edited, nothing
#            changes; a rule cutting loopback gets the lockout dialog,
#            apply-anyway and revert as for other changes
#   connections  a TCP connection from the peer namespace into the
#            firewalled one is listed by the connections view
#            (ListConnections, read when the page is shown)
#   closed, killed  a change applied by a panel started with
#            --confirm-timeout 3, the panel then quit (its action "quit", as
#            when the window is closed) or SIGKILLed before its deadline: it
#            neither keeps nor reverts it on the way out, the daemon rolls
#            it back by itself (reason "timeout")
#   default-deny  the assistant (its window; actions default-deny-check and
#            default-deny, a(sq), as its Check and Apply buttons): without
#            ssh, its check names the peer's connection to port 22 as cut,
#            its apply is refused (LockoutRisk), apply-anyway applies it and
#            revert undoes it; with ssh
#            kept, its check lists the daemon's commands (PreviewDefaultDeny)
#            and no lockout finding, and changes nothing; its apply shows the
#            keep dialog, whose countdown follows a "backstopctl extend"
#            (Deadline's PropertiesChanged); kept, iptables -S of both
#            families holds the recipe and INPUT DROP; checked again, nothing
#            is left to do
#   notifier backstop-notifier with a stand-in notification server
#            (python3-dbusmock's notification_daemon template): a change
#            applied by another client (a direct Apply call) gets the
#            notification "Keep these firewall changes?" with the time left
#            and the actions keep / revert; its "keep" confirms, the next
#            change's "revert" rolls back (reason "request"); a change
#            extended with "backstopctl extend" gets its notification replaced
#            (Notify with the same id) saying the new time left, and is still
#            pending past its old deadline
#
# Screenshots of the status, rules and connections views, of the keep
# and lockout dialogs, of the rule form and of the default-deny assistant are saved in $BACKSTOP_BUILD_ROOT/panel-screenshots/
# (the panel's own rendering, action "screenshot").
source "$(dirname "$0")/e2e-lib.sh"

# fail() of e2e-lib.sh, and the panel's own log first
eval "$(declare -f fail | sed '1s/^fail/e2e_fail/')"
fail() {
        if [ -s "${SB:-/nonexistent}/panel.log" ]; then
                echo "----- panel.log (last 60 lines)"
                tail -n 60 "$SB/panel.log"
        fi >&2
        e2e_fail "$@"
}

require_root
require_backstop
require_bin Xvfb dbus-daemon gdbus busctl socat
PANEL=$BACKSTOP_BUILD_ROOT/panel/backstop-panel
[ -x "$PANEL" ] || skip "the panel is not built (meson -Dpanel=enabled needs gtk4 >= 4.8 and libadwaita-1 >= 1.2)"

sandbox_init
sandbox_netns
sandbox_bus
sandbox_daemon

SHOTS=$BACKSTOP_BUILD_ROOT/panel-screenshots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

# A private session bus for the panel's GApplication, with the private
# runtime dir and home below: the services it starts (the accessibility bus)
# keep their sockets there, not in this machine's ~/.cache/at-spi, where a
# panel test running beside this one would take them over.
mkdir -m 0700 "$SB/xdg" "$SB/home"
XDG_RUNTIME_DIR=$SB/xdg HOME=$SB/home dbus-daemon --session --nofork --nopidfile --print-address=3 3>"$SB/session.address" >"$SB/session-bus.log" 2>&1 &
SB_PIDS+=($!)
sandbox_wait_until 60 test -s "$SB/session.address" || fail "the session bus did not start"
DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$SB/session.address")
export DBUS_SESSION_BUS_ADDRESS

# A private X server on a free display number (-displayfd).
Xvfb -displayfd 3 -nolisten tcp -screen 0 1024x768x24 3>"$SB/x.display" 2>"$SB/xvfb.log" &
SB_PIDS+=($!)
sandbox_wait_until 60 test -s "$SB/x.display" || { cat "$SB/xvfb.log" >&2; fail "Xvfb did not start"; }
DISPLAY=:$(head -n1 "$SB/x.display")
export DISPLAY

# The panel's environment: nothing of this machine's desktop (settings in
# memory, a private runtime dir and home; the accessibility bus is started
# on the private session bus), software
# rendering, and a critical warning of GLib or GTK ends it (a failure here).
export XDG_RUNTIME_DIR=$SB/xdg HOME=$SB/home GSETTINGS_BACKEND=memory
export GDK_BACKEND=x11 GSK_RENDERER=cairo G_DEBUG=fatal-criticals LANG=C.UTF-8
export BACKSTOP_PANEL_SCREENSHOT_DIR=$SHOTS

PANEL_PID=
start_panel() {
        LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$BACKSTOP_SOURCE_ROOT/tests/e2e/panel-lsan.supp" \
                "$PANEL" "$@" >>"$SB/panel.log" 2>&1 &
        PANEL_PID=$!
        SB_PIDS+=("$PANEL_PID")
        sandbox_wait_until 60 panel_ready || { cat "$SB/panel.log" >&2; fail "the panel did not export its actions"; }
        say "panel $PANEL_PID up ($*)"
}
panel_ready() {
        kill -0 "$PANEL_PID" 2>/dev/null || { cat "$SB/panel.log" >&2; fail "the panel exited"; }
        gdbus call --session --dest org.backstop.Panel --object-path /org/backstop/Panel \
                --method org.gtk.Actions.List 2>/dev/null | grep -q "'keep'"
}
# act NAME [PARAMETER as GVariant text]
act() {
        local param=${2:+<$2>}
        say "action $1 ${2:-}"
        gdbus call --session --dest org.backstop.Panel --object-path /org/backstop/Panel \
                --method org.gtk.Actions.Activate "$1" "[$param]" "{}" >/dev/null ||
                fail "activating the panel's action $1 failed"
}
shot() {
        act screenshot "'$1'"
        sandbox_wait_until 60 test -s "$SHOTS/$1.png" || fail "no screenshot of $1 (is it shown?)"
        [ "$(head -c 8 "$SHOTS/$1.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
                fail "$SHOTS/$1.png is not a PNG"
        say "screenshot $SHOTS/$1.png ($(stat -c %s "$SHOTS/$1.png") bytes)"
}
# The accessibility tree (AT-SPI) of the panel, as a screen reader reads it.
A11Y=$BACKSTOP_SOURCE_ROOT/tests/e2e/panel-a11y.py
A11Y_OK=0
if /usr/bin/python3 -c "import gi; gi.require_version('Atspi', '2.0')" 2>/dev/null; then
        A11Y_OK=1
else
        say "the accessibility checks are skipped: gir1.2-atspi-2.0 is missing"
fi
# grep reads the whole tree, never -q: under pipefail, a grep that stops at
# the first match fails the pipeline when the script still writes after it.
a11y_texts() { /usr/bin/python3 "$A11Y" backstop-panel 2>/dev/null | cut -f2; }
shows() { # TEXT: the panel shows TEXT (an accessible's name or text)
        [ "$A11Y_OK" = 1 ] || return 0
        a11y_texts | grep -xF -- "$1" >/dev/null
}
shows_matching() { # REGEX (grep -E, a whole line)
        [ "$A11Y_OK" = 1 ] || return 0
        a11y_texts | grep -xE -- "$1" >/dev/null
}
hides() { # TEXT
        [ "$A11Y_OK" = 1 ] || return 0
        local texts
        texts=$(a11y_texts) || return 1 # a tree not read shows nothing
        ! grep -xF -- "$1" <<<"$texts" >/dev/null
}
countdown() { # the N of the keep dialog's "Reverting in N seconds"
        /usr/bin/python3 "$A11Y" backstop-panel 2>/dev/null | sed -n 's/^label\tReverting in \([0-9]*\) seconds\?$/\1/p' | head -n1
}
counts_below() { local n; n=$(countdown); [ -n "$n" ] && [ "$n" -lt "$1" ]; }
pending_is_set() { [ "$(mgr_prop PendingTransaction)" != / ]; }
pending_is_none() { [ "$(mgr_prop PendingTransaction)" = / ]; }
tx_state_is() { [ "$(tx_prop "$1" State)" = "$2" ]; }

RULE_KEEP="-s 198.51.100.7/32 -j ACCEPT"
RULE_KILLED="-s 198.51.100.9/32 -j DROP"
[ "$(ipt 4 -S INPUT | wc -l)" = 1 ] || fail "INPUT is not empty at the start"

start_panel
shot status

say "--- keep: a change applied through the panel, kept"
t0=$EPOCHREALTIME
act apply-changes "'-A INPUT $RULE_KEEP'"
sandbox_wait_until 60 rule_present 4 "$RULE_KEEP" || fail "the panel's change did not reach the kernel"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction after the panel's change"
tx=$(mgr_prop PendingTransaction)
figure "panel apply to kernel (s)" "$(seconds_between "$t0" "$EPOCHREALTIME")"
left=$(tx_prop "$tx" TimeLeftUSec)
say "transaction $tx, $left µs left"
if [ "$left" -le 20000000 ] || [ "$left" -gt 30000000 ]; then
        fail "the panel's default timer is not 30 s ($left µs left)"
fi
shot keep-dialog
if [ "$A11Y_OK" = 1 ]; then
        sandbox_wait_until 60 shows "Keep these firewall changes?" || fail "the keep dialog is not in the accessibility tree"
        first=$(countdown)
        if [ -z "$first" ] || [ "$first" -gt 30 ]; then
                fail "the keep dialog shows no countdown (\"$first\")"
        fi
        sandbox_wait_until 60 counts_below "$first" || fail "the keep dialog's countdown stays at $first"
        say "the keep dialog counts down: $first, then $(countdown) seconds"
fi
act keep
sandbox_wait_until 60 pending_is_none || fail "the transaction is still pending after keep"
# the views follow the daemon's signals: the dialog is gone, the rule listed
sandbox_wait_until 60 hides "Keep these firewall changes?" || fail "the keep dialog stays after keep"
sandbox_wait_until 60 shows "-s 198.51.100.7/32 -j ACCEPT" || fail "the rules view does not list the kept rule"
sandbox_wait_until 60 shows "No change is waiting for confirmation" || fail "the status view still shows a pending change"
tx_state_is "$tx" confirmed || fail "transaction $tx is $(tx_prop "$tx" State) after keep, not confirmed"
rule_present 4 "$RULE_KEEP" || fail "the kept rule is gone"
shot rules

say "--- revert: a rule removed through the panel, reverted"
act remove-rule "('ipv4', 'INPUT', uint32 1)"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction after remove-rule"
tx=$(mgr_prop PendingTransaction)
rule_present 4 "$RULE_KEEP" && fail "rule 1 of INPUT is still there while its removal is pending"
sandbox_wait_until 60 hides "-s 198.51.100.7/32 -j ACCEPT" || fail "the rules view still lists the removed rule"
sandbox_wait_until 60 shows "A change waits for confirmation" || fail "the status view shows no pending change"
sandbox_wait_until 60 shows "Keep these firewall changes?" || fail "no keep dialog for the removal"
act revert
sandbox_wait_until 60 pending_is_none || fail "the transaction is still pending after revert"
tx_state_is "$tx" rolled-back || fail "transaction $tx is $(tx_prop "$tx" State) after revert"
[ "$(tx_prop "$tx" RollbackReason)" = request ] || fail "rollback reason $(tx_prop "$tx" RollbackReason), not request"
rule_present 4 "$RULE_KEEP" || fail "revert did not bring the removed rule back"
sandbox_wait_until 60 shows "-s 198.51.100.7/32 -j ACCEPT" || fail "the rules view does not list the rule brought back"

say "--- move: a second rule moved above the first, kept"
RULE_MOVED="-s 198.51.100.8/32 -j ACCEPT"
act apply-changes "'-A INPUT $RULE_MOVED'"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction for the second rule"
act keep
sandbox_wait_until 60 pending_is_none || fail "the second rule is still pending after keep"
# the rules view has read it: its row has the button that moves it up
sandbox_wait_until 60 shows "Move rule 2 of INPUT up" || fail "the rules view has no up button for rule 2"
act move-rule "('ipv4', 'INPUT', uint32 2, uint32 1)"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction after move-rule"
tx=$(mgr_prop PendingTransaction)
[ "$(ipt 4 -S INPUT | sed -n 2,3p | tr '\n' '|')" = "-A INPUT $RULE_MOVED|-A INPUT $RULE_KEEP|" ] ||
        fail "INPUT after the move: $(ipt 4 -S INPUT | tr '\n' '|')"
[ "$(ipt 6 -S INPUT | wc -l)" = 1 ] || fail "the IPv4 move changed IPv6 INPUT"
act keep
sandbox_wait_until 60 pending_is_none || fail "the move is still pending after keep"
tx_state_is "$tx" confirmed || fail "the move is $(tx_prop "$tx" State) after keep"
sandbox_wait_until 60 shows "Move rule 2 of INPUT up" || fail "the rules view lost rule 2's up button"

say "--- lockout: refused, then applied anyway"
RULE_LOCKOUT="-P INPUT DROP"
act apply-changes "'$RULE_LOCKOUT'"
# The refusal is an answer, not a state: wait for the panel's message of it.
sandbox_wait_until 60 grep -q "could lock you out" "$SB/panel.log" || fail "the panel did not show the lockout refusal"
pending_is_none || fail "a change refused as a lockout risk is pending"
rule_present 4 "$RULE_LOCKOUT" && fail "a change refused as a lockout risk reached the kernel"
shot lockout-dialog
sandbox_wait_until 60 shows "This change could lock you out" || fail "the lockout dialog is not in the accessibility tree"
act apply-anyway
sandbox_wait_until 60 rule_present 4 "$RULE_LOCKOUT" || fail "apply-anyway did not apply the change"
sandbox_wait_until 60 pending_is_set || fail "the forced change is not pending"
tx=$(mgr_prop PendingTransaction)
act revert
sandbox_wait_until 60 pending_is_none || fail "the forced change is still pending after revert"
rule_present 4 "$RULE_LOCKOUT" && fail "revert left the forced change"
# apply-anyway repeats only a refused change, once: now it has none
act apply-anyway
sandbox_wait_until 60 grep -q "No change was refused as a lockout risk" "$SB/panel.log" ||
        fail "apply-anyway did not say it has nothing to repeat"
pending_is_none || fail "apply-anyway applied a change again"

say "--- form: a rule added, refused and edited through the rule form"
# add-rule and edit-rule type into the form and press its Add / Save button
INPUT_BEFORE=$(ipt 4 -S INPUT)
act add-rule "{'family': <'ipv4'>, 'chain': <'INPUT'>, 'position': <uint32 2>, 'source': <'198.51.100.20'>, 'protocol': <'tcp'>, 'dports': <'8080'>, 'comment': <'from the form'>, 'target': <'REJECT'>, 'reject-with': <'tcp-reset'>}"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction after add-rule"
tx=$(mgr_prop PendingTransaction)
sandbox_wait_until 60 shows "Keep these firewall changes?" || fail "no keep dialog for the form's rule"
act keep
sandbox_wait_until 60 pending_is_none || fail "the form's rule is still pending after keep"
tx_state_is "$tx" confirmed || fail "the form's rule is $(tx_prop "$tx" State) after keep"
RULE_FORM_ADDED='-A INPUT -s 198.51.100.20/32 -p tcp -m tcp --dport 8080 -m comment --comment "from the form" -j REJECT --reject-with tcp-reset'
expected=$(echo "$INPUT_BEFORE" | sed "3i\\$RULE_FORM_ADDED")
[ "$(ipt 4 -S INPUT)" = "$expected" ] || fail "INPUT after add-rule:
$(ipt 4 -S INPUT)
expected:
$expected"
[ "$(ipt 6 -S INPUT | wc -l)" = 1 ] || fail "the IPv4 form rule changed IPv6 INPUT"
say "the form inserted at 2: $RULE_FORM_ADDED"

# a bad value: the daemon's InvalidArgs in the form, which stays open with it
INPUT_BEFORE=$(ipt 4 -S INPUT)
act add-rule "{'chain': <'INPUT'>, 'protocol': <'tcp'>, 'dports': <'70000'>, 'target': <'ACCEPT'>}"
FORM_ERROR='change 1: key "dports" = "70000": port "70000" is out of range (0-65535)'
sandbox_wait_until 60 grep -qF "The rule was not applied: $FORM_ERROR" "$SB/panel.log" ||
        fail "the panel did not get the daemon's refusal of dports 70000"
pending_is_none || fail "a refused form change is pending"
[ "$(ipt 4 -S INPUT)" = "$INPUT_BEFORE" ] || fail "a refused form change changed INPUT: $(ipt 4 -S INPUT)"
[ "$(ipt 6 -S INPUT | wc -l)" = 1 ] || fail "a refused form change changed IPv6 INPUT"
sandbox_wait_until 60 shows "$FORM_ERROR" || fail "the form does not show the daemon's error"
shows "70000" || fail "the form lost the value typed"
shot rule-form

# edit: the form prefilled from ListRules (source, protocol kept), the target
# and port typed over it, the comment emptied: a replace at position 2
sandbox_wait_until 60 shows "Edit rule 3 of INPUT" || fail "the rules view has no edit button for rule 3"
act edit-rule "('ipv4', 'INPUT', uint32 2, {'target': <'DROP'>, 'dports': <'8081'>, 'comment': <''>})"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction after edit-rule"
tx=$(mgr_prop PendingTransaction)
act keep
sandbox_wait_until 60 pending_is_none || fail "the edit is still pending after keep"
tx_state_is "$tx" confirmed || fail "the edit is $(tx_prop "$tx" State) after keep"
expected=$(echo "$INPUT_BEFORE" | sed '3s/.*/-A INPUT -s 198.51.100.20\/32 -p tcp -m tcp --dport 8081 -j DROP/')
[ "$(ipt 4 -S INPUT)" = "$expected" ] || fail "INPUT after edit-rule:
$(ipt 4 -S INPUT)
expected:
$expected"
sandbox_wait_until 60 hides "$FORM_ERROR" || fail "the refused form stays open after the edit"

# a rule with an option the form has no field for (-m limit) is not edited
# here: a replace from the form's fields would drop it
RULE_LIMITED="-s 198.51.100.30/32 -m limit --limit 5/min -j ACCEPT"
act apply-changes "'-A INPUT $RULE_LIMITED'"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction for the limited rule"
act keep
sandbox_wait_until 60 pending_is_none || fail "the limited rule is still pending after keep"
sandbox_wait_until 60 shows "Edit rule 4 of INPUT" || fail "the rules view has no edit button for rule 4"
INPUT_BEFORE=$(ipt 4 -S INPUT)
act edit-rule "('ipv4', 'INPUT', uint32 4, {'target': <'DROP'>})"
sandbox_wait_until 60 grep -qF "The rule was not applied: This rule has options the form has no field for (-m limit --limit 5/min)" "$SB/panel.log" ||
        fail "the form did not refuse to edit a rule with -m limit"
pending_is_none || fail "the refused edit is pending"
[ "$(ipt 4 -S INPUT)" = "$INPUT_BEFORE" ] || fail "the refused edit changed INPUT: $(ipt 4 -S INPUT)"
act apply-changes "'-D INPUT $RULE_LIMITED'"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction for the limited rule's removal"
act keep
sandbox_wait_until 60 pending_is_none || fail "the limited rule's removal is still pending after keep"

# a change of the form that cuts loopback: the lockout dialog, as for the others
refusals=$(grep -c "could lock you out" "$SB/panel.log")
refused_again() { [ "$(grep -c "could lock you out" "$SB/panel.log")" -gt "$refusals" ]; }
act add-rule "{'chain': <'INPUT'>, 'position': <uint32 1>, 'in-interface': <'lo'>, 'target': <'DROP'>}"
sandbox_wait_until 60 refused_again ||
        fail "the form's change that cuts loopback was not refused as a lockout risk"
pending_is_none || fail "the form's lockout risk is pending"
rule_present 4 "-i lo -j DROP" && fail "the form's lockout risk reached the kernel"
act apply-anyway
sandbox_wait_until 60 rule_present 4 "-i lo -j DROP" || fail "apply-anyway did not apply the form's change"
act revert
sandbox_wait_until 60 pending_is_none || fail "the form's forced change is still pending after revert"
rule_present 4 "-i lo -j DROP" && fail "revert left the form's forced change"
act remove-rule "('ipv4', 'INPUT', uint32 2)"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction after removing the form's rule"
act keep
sandbox_wait_until 60 pending_is_none || fail "the removal of the form's rule is still pending"

# left_pending HOW: a panel started with --confirm-timeout 3 applies a
# change and ends (HOW: "quit", its own action, as when the window is
# closed; "kill", SIGKILL, a crash) with the change pending: it neither
# keeps nor reverts it on the way out, the daemon rolls it back at the
# deadline (reason timeout).
left_pending() {
        local how=$1 tx t0 state
        start_panel --confirm-timeout 3
        act apply-changes "'-A INPUT $RULE_KILLED'"
        sandbox_wait_until 60 rule_present 4 "$RULE_KILLED" || fail "the change did not reach the kernel"
        tx=$(mgr_prop PendingTransaction)
        [ "$tx" != / ] || fail "no pending transaction"
        if [ "$how" = kill ]; then
                kill -KILL "$PANEL_PID"
        else
                act quit
        fi
        wait "$PANEL_PID" 2>/dev/null || true
        t0=$EPOCHREALTIME
        state=$(tx_prop "$tx" State)
        case $state in
        pending | rolling-back) ;;
        rolled-back) [ "$(tx_prop "$tx" RollbackReason)" = timeout ] ||
                fail "the panel ($how) rolled its change back on the way out" ;;
        *) fail "transaction $tx is $state once the panel ($how) is gone" ;;
        esac
        # 60 s only keeps a broken daemon from hanging the test: the deadline is 3 s
        wait_rule_gone 4 "$RULE_KILLED" 60 || fail "the daemon did not roll back the change of the panel ($how)"
        figure "rollback after the panel's end, $how (s)" "$(seconds_between "$t0" "$GONE_AT")"
        sandbox_wait_until 60 pending_is_none || fail "still pending after the rollback"
        tx_state_is "$tx" rolled-back || fail "transaction $tx is $(tx_prop "$tx" State)"
        [ "$(tx_prop "$tx" RollbackReason)" = timeout ] || fail "rollback reason $(tx_prop "$tx" RollbackReason), not timeout"
}

say "--- connections: a TCP connection into the firewalled namespace is listed"
sandbox_spawn in_fw socat TCP-LISTEN:9999,reuseaddr,fork EXEC:cat
listens_9999() { [ -n "$(in_fw ss -Htln "sport = :9999")" ]; }
connected_9999() { [ -n "$(in_fw ss -Htn state established "sport = :9999")" ]; }
sandbox_wait_until 60 listens_9999 || fail "socat does not listen"
sandbox_spawn in_peer socat "TCP:$SB_FW_ADDR4:9999" EXEC:"sleep 600"
sandbox_wait_until 60 connected_9999 || fail "no connection to 9999"
act show-view "'connections'"
sandbox_wait_until 60 shows_matching "tcp $SB_PEER_ADDR4:[0-9]+ → $SB_FW_ADDR4:9999" ||
        fail "the connections view does not list the connection to 9999"
shot connections

say "--- default-deny assistant: without ssh, the admin's connection to 22 would be cut"
act show-view "'default-deny'"
sandbox_wait_until 60 shows "Remote login (SSH)" || fail "the assistant does not offer ssh"
# an admin's management connection: the peer to port 22 of the firewalled host
sandbox_spawn in_fw socat TCP-LISTEN:22,reuseaddr,fork EXEC:cat
listens_22() { [ -n "$(in_fw ss -Htln "sport = :22")" ]; }
connected_22() { [ -n "$(in_fw ss -Htn state established "sport = :22")" ]; }
sandbox_wait_until 60 listens_22 || fail "socat does not listen on 22"
sandbox_spawn in_peer socat "TCP:$SB_FW_ADDR4:22" EXEC:"sleep 600"
sandbox_wait_until 60 connected_22 || fail "no connection to 22"
act default-deny-check "[('tcp', uint16 80)]"
sandbox_wait_until 60 shows_matching "tcp $SB_PEER_ADDR4:[0-9]+ -> $SB_FW_ADDR4:22" ||
        fail "the assistant's check does not name the admin's connection to 22 as cut"
refusals=$(grep -c "could lock you out" "$SB/panel.log")
act default-deny "[('tcp', uint16 80)]"
refused_again() { [ "$(grep -c "could lock you out" "$SB/panel.log")" -gt "$refusals" ]; }
sandbox_wait_until 60 refused_again || fail "the assistant's apply without ssh was not refused as a lockout risk"
pending_is_none || fail "the refused default deny is pending"
rule_present 4 "-P INPUT DROP" && fail "the refused default deny reached the kernel"
act apply-anyway
sandbox_wait_until 60 pending_is_set || fail "apply-anyway did not apply the default deny"
rule_present 4 "--dport 80 -j ACCEPT" && rule_present 4 "-P INPUT DROP" || fail "the forced default deny is not live"
act revert
sandbox_wait_until 60 pending_is_none || fail "the forced default deny is still pending after revert"
rule_present 4 "-P INPUT DROP" && fail "revert left INPUT DROP"

say "--- default-deny assistant: checked, applied with ssh kept, extended, kept"
before4=$(ipt 4 -S) before6=$(ipt 6 -S) before_input4=$(ipt 4 -S INPUT)
act default-deny-check "[('tcp', uint16 22)]"
# the daemon's preview, listed in the assistant (PreviewDefaultDeny)
for cmd in "iptables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" \
        "iptables -A INPUT -i lo -j ACCEPT" "iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT" \
        "ip6tables -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT" \
        "iptables -P INPUT DROP" "ip6tables -P INPUT DROP"; do
        sandbox_wait_until 60 shows "$cmd" || fail "the assistant's check does not list: $cmd"
done
shows "No connection and no management access would be cut" || fail "the assistant shows no lockout result"
shot default-deny
[ "$(ipt 4 -S)" = "$before4" ] && [ "$(ipt 6 -S)" = "$before6" ] || fail "the assistant's check changed the rules"
pending_is_none || fail "the assistant's check left a transaction"
act default-deny "[('tcp', uint16 22)]"
sandbox_wait_until 60 pending_is_set || fail "no pending transaction after the assistant's apply"
tx=$(mgr_prop PendingTransaction)
sandbox_wait_until 60 shows "Keep these firewall changes?" || fail "no keep dialog for the default deny"
if [ "$A11Y_OK" = 1 ]; then
        first=$(countdown)
        [ -n "$first" ] && [ "$first" -le 30 ] || fail "the keep dialog shows no countdown (\"$first\")"
        backstopctl extend "$tx" 300 | sed 's/^/    /'
        counts_above() { local n; n=$(countdown); [ -n "$n" ] && [ "$n" -gt "$1" ]; }
        sandbox_wait_until 60 counts_above 200 || fail "the panel's countdown stays at $(countdown) after the extension"
        say "the panel's countdown follows the extension: $first, then $(countdown) seconds"
fi
act keep
sandbox_wait_until 60 pending_is_none || fail "the default deny is still pending after keep"
tx_state_is "$tx" confirmed || fail "the default deny is $(tx_prop "$tx" State) after keep"
for fam in 4 6; do
        s=$(ipt $fam -S INPUT)
        for line in "-P INPUT DROP" "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" \
                "-A INPUT -i lo -j ACCEPT" "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"; do
                grep -qxF -- "$line" <<<"$s" || fail "IPv$fam INPUT lacks '$line' after the assistant: $(tr '\n' '|' <<<"$s")"
        done
done
ipt 6 -S INPUT | grep -qF -- "--icmpv6-type 135 -j ACCEPT" || fail "IPv6 INPUT lacks neighbour solicitations"
# checked again, the recipe has nothing left to do
act default-deny-check "[('tcp', uint16 22)]"
sandbox_wait_until 60 shows "Nothing to change: the default-deny rules are in place" ||
        fail "the assistant's second check does not say that nothing is left to do"
# the later scenarios start from INPUT as it was (the rules kept above)
for fam in 4 6; do
        for rule in "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" "-i lo -j ACCEPT" \
                "-p tcp -m tcp --dport 22 -j ACCEPT"; do
                ipt $fam -D INPUT $rule
        done
        ipt $fam -P INPUT ACCEPT
done
for t in 133 134 135 136; do ipt 6 -D INPUT -p ipv6-icmp -m icmp6 --icmpv6-type $t -j ACCEPT; done
ipt 6 -D INPUT -s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 130 -j ACCEPT
[ "$(ipt 4 -S INPUT)" = "$before_input4" ] || fail "INPUT is not as before the assistant: $(ipt 4 -S INPUT | tr '\n' '|')"


say "--- closed and killed: the panel ends before the deadline, the daemon rolls back"
act quit
wait "$PANEL_PID" 2>/dev/null || true
left_pending quit
left_pending kill
rule_present 4 "$RULE_KEEP" || fail "the kept rule went with the rollback"

say "--- notifier: a change of another client, answered in the notification"
NOTIFIER=$BACKSTOP_BUILD_ROOT/panel/backstop-notifier
if ! /usr/bin/python3 -c 'import dbusmock' 2>/dev/null; then
        say "SKIPPED the notifier: python3-dbusmock is missing"
else
        /usr/bin/python3 -m dbusmock --session --template notification_daemon >"$SB/notifyd.log" 2>&1 &
        SB_PIDS+=($!)
        notifyd_up() {
                gdbus call --session --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications \
                        --method org.freedesktop.Notifications.GetServerInformation >/dev/null 2>&1
        }
        sandbox_wait_until 60 notifyd_up || { cat "$SB/notifyd.log" >&2; fail "the stand-in notification server did not start"; }
        LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$BACKSTOP_SOURCE_ROOT/tests/e2e/panel-lsan.supp" \
                "$NOTIFIER" >>"$SB/panel.log" 2>&1 &
        SB_PIDS+=($!)
        NOTIFIER_PID=$!
        notifications() {
                gdbus call --session --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications \
                        --method org.freedesktop.DBus.Mock.GetMethodCalls Notify
        }
        notified() { # COUNT: that many Notify calls asking to keep, with both actions
                [ "$(notifications | grep -o "Keep these firewall changes?'>, <'Reverting in [0-9]* seconds[^']*'>, <\['keep', 'Keep Changes', 'revert', 'Revert Now'\]>" | wc -l)" -ge "$1" ]
        }
        invoke() { # ID ACTION: the user clicks ACTION of notification ID
                say "notification $1: $2"
                gdbus call --session --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications \
                        --method org.freedesktop.DBus.Mock.EmitSignal org.freedesktop.Notifications ActionInvoked us \
                        "[<uint32 $1>, <'$2'>]" >/dev/null || fail "could not emit ActionInvoked"
        }
        sys_apply() { # CHANGE: applied by another client, 30 s timer
                gdbus call --system --dest org.backstop.Firewall1 --object-path /org/backstop/Firewall1 \
                        --method org.backstop.Firewall1.Apply "['$1']" "{'timeout': <uint32 30>}" | sed 's/^/    /'
        }
        # the notifier knows the daemon once it is on the session bus; give it
        # the time to read the daemon's state before the change
        sandbox_wait_until 60 gdbus introspect --session --dest org.backstop.Notifier --object-path /org/backstop/Notifier >/dev/null 2>&1 ||
                fail "the notifier did not start"
        RULE_NOTIFIED="-s 198.51.100.11/32 -j ACCEPT"
        sys_apply "-A INPUT $RULE_NOTIFIED"
        tx=$(mgr_prop PendingTransaction)
        sandbox_wait_until 60 notified 1 || { notifications >&2; fail "no notification for the pending change"; }
        notifications | sed 's/^/    | /' | cut -c1-300
        invoke 1 keep
        sandbox_wait_until 60 pending_is_none || fail "the notification's keep did not end the transaction"
        tx_state_is "$tx" confirmed || fail "transaction $tx is $(tx_prop "$tx" State) after the notification's keep"
        rule_present 4 "$RULE_NOTIFIED" || fail "the rule kept from the notification is gone"

        sys_apply "-4 -D INPUT 1"
        tx=$(mgr_prop PendingTransaction)
        sandbox_wait_until 60 notified 2 || { notifications >&2; fail "no notification for the second change"; }
        invoke 2 revert
        sandbox_wait_until 60 pending_is_none || fail "the notification's revert did not end the transaction"
        tx_state_is "$tx" rolled-back || fail "transaction $tx is $(tx_prop "$tx" State) after the notification's revert"
        [ "$(tx_prop "$tx" RollbackReason)" = request ] || fail "rollback reason $(tx_prop "$tx" RollbackReason)"

        say "--- notifier: an extension (backstopctl extend) replaces the notification"
        RULE_EXTENDED="-s 198.51.100.12/32 -j ACCEPT"
        gdbus call --system --dest org.backstop.Firewall1 --object-path /org/backstop/Firewall1 \
                --method org.backstop.Firewall1.Apply "['-A INPUT $RULE_EXTENDED']" "{'timeout': <uint32 8>}" >/dev/null
        tx=$(mgr_prop PendingTransaction)
        old_deadline=$(tx_prop "$tx" Deadline)
        sandbox_wait_until 60 notified 3 || { notifications >&2; fail "no notification for the third change"; }
        backstopctl extend "$tx" 300 | sed 's/^/    /'
        # the notification the notifier holds (id 3) is replaced: its new body says
        # the new time left (more than 200 s; it said at most 8 before)
        replaced() {
                notifications | grep -qE "<uint32 3>, <'org.backstop.Panel'>, <'Keep these firewall changes\?'>, <'Reverting in [23][0-9][0-9] seconds"
        }
        sandbox_wait_until 60 replaced || { notifications >&2; fail "the notification was not replaced after the extension"; }
        notifications | grep -oE "<uint32 3>, <'org.backstop.Panel'>, <'Keep these firewall changes\?'>, <'Reverting in [0-9]+ seconds[^']*'>" |
                tail -n1 | sed 's/^/    | /'
        # past the old deadline the change is still there, pending
        sleep_until "$(time_plus "${old_deadline:0:-6}.${old_deadline: -6}" 2)"
        tx_state_is "$tx" pending || fail "transaction $tx is $(tx_prop "$tx" State) past its old deadline after the extension"
        rule_present 4 "$RULE_EXTENDED" || fail "the extended change was rolled back at its old deadline"
        invoke 3 revert
        sandbox_wait_until 60 pending_is_none || fail "the replaced notification's revert did not end the transaction"
        rule_present 4 "$RULE_EXTENDED" && fail "revert left the extended change"
        # SIGTERM, as at the end of a session: it exits 0 (and frees everything,
        # which LeakSanitizer checks in an ASan build)
        kill -TERM "$NOTIFIER_PID"
        rc=0
        wait "$NOTIFIER_PID" 2>/dev/null || rc=$?
        [ "$rc" = 0 ] || fail "the notifier exited with status $rc on SIGTERM"
fi

if grep -qE "CRITICAL|WARNING|ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$SB/panel.log"; then
        cat "$SB/panel.log" >&2
        fail "the panel or the notifier logged warnings or a sanitizer report"
fi
figure "panel scenario (s)" "$(elapsed)"
finish
