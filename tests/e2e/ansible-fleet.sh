#!/bin/bash
# The Ansible collection backstop.firewall (ansible/) rolling changes across a
# fleet of three hosts, each a network namespace with a real sshd and a real
# backstopd on its own private system bus (sandbox_fleet_host), driven by
# ansible-playbook from the admin namespace over real SSH:
#   0. each Python file compiles, ansible-doc reads each module's
#      documentation, ansible-test sanity passes (the tests that need no
#      PyPI), ansible-galaxy collection build works;
#   1. the collection's rollout playbook (serial 1, max_fail_percentage 0,
#      role safe_change: apply behind the timer, reset_connection, strict
#      confirm over the new connection, saved on confirm) in check mode
#      reports the change on each host and changes nothing; for real, it
#      makes every host default-deny: each host's own iptables -S shows it,
#      its saved files hold it, nothing is pending;
#   2. idempotence: the same rollout again reports no change on any host,
#      in check mode too;
#   3. check mode (--check --diff) of a new change reports it with the
#      pre-flight result and changes nothing on any host;
#   4. a rollout whose second host gets a change that cuts new SSH logins
#      (force: past the pre-flight): host 1 confirmed; host 2 unreachable at
#      the confirm, the play fails; its daemon rolls the change back by itself
#      and the host is reachable again; host 3's rules never change;
#   5. the list-of-changes rollout again on host 1: no change; a list of
#      which one change holds already applies only the other one (without
#      save: not saved); apply, then confirm with save: saved;
#   6. confirming (by id) a transaction whose 1 s timer ran out fails, saying
#      it is not pending; a change the daemon refuses fails with its message.
source "$(dirname "$0")/e2e-lib.sh"

require_root
require_bin /usr/sbin/sshd ssh ssh-keygen "$SB_IPT4" "$SB_IPT6" ss dbus-daemon ansible-playbook ansible-doc python3
require_backstop

collections=$BACKSTOP_SOURCE_ROOT/ansible
collection=$collections/ansible_collections/backstop/firewall
# The apply → new login → confirm of a healthy host fits in a few seconds; the
# window leaves room for a busy machine. A cut host gives up after ansible's
# connection timeout (10 s), well inside it.
window=30

sandbox_init

say "0. the collection: it compiles, ansible-doc reads its modules, ansible-test sanity, ansible-galaxy builds it"
for m in "$collection"/plugins/*/*.py; do
        # compile() rather than py_compile: nothing is written into the tree
        python3 -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' "$m" ||
                fail "$m does not compile"
done
for m in "module apply" "module confirm" "role safe_change"; do
        set -- $m
        ANSIBLE_COLLECTIONS_PATH=$collections ANSIBLE_HOME=$SB_ROOT/ansible-home \
                ansible-doc -t "$1" "backstop.firewall.$2" >/dev/null || fail "ansible-doc -t $1 backstop.firewall.$2 failed"
done
# ansible-test sanity on a copy (it writes tests/output). Offline, the tests
# that install pinned requirements from PyPI into a virtualenv cannot run:
# they are skipped here, and ansible-doc is run above by hand instead.
if command -v ansible-test >/dev/null; then
        mkdir -p "$SB_ROOT/sanity/ansible_collections/backstop"
        cp -r "$collection" "$SB_ROOT/sanity/ansible_collections/backstop/firewall"
        rm -rf "$SB_ROOT/sanity/ansible_collections/backstop/firewall/tests/output"
        skips=()
        for t in ansible-doc import pep8 pylint runtime-metadata validate-modules yamllint; do
                skips+=(--skip-test "$t")
        done
        run_capture rc out env -C "$SB_ROOT/sanity/ansible_collections/backstop/firewall" HOME="$SB_ROOT/home" \
                ansible-test sanity --local --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "${skips[@]}"
        [ "$rc" = 0 ] || fail "ansible-test sanity: exit $rc"
fi
run_capture rc out env HOME="$SB_ROOT/home" ansible-galaxy collection build --output-path "$SB_ROOT/galaxy" "$collection"
[ "$rc" = 0 ] || fail "ansible-galaxy collection build: exit $rc"

for n in 1 2 3; do
        sandbox_fleet_host $n
done
E2E_T0=$EPOCHREALTIME

# Ansible's files stay in the sandbox: configuration, control sockets, its
# temporary directories on the controller and on the hosts (which share this
# machine's file system).
cat >"$SB_ROOT/ansible.cfg" <<EOF
[defaults]
collections_path = $collections
inventory = $SB_ROOT/inventory
host_key_checking = False
retry_files_enabled = False
interpreter_python = /usr/bin/python3
local_tmp = $SB_ROOT/ansible-local
remote_tmp = $SB_ROOT/ansible-remote
timeout = 10
forks = 1
[ssh_connection]
ssh_args = -F /dev/null -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ServerAliveInterval=0
control_path_dir = $SB_ROOT/cp
pipelining = True
EOF
{
        echo "[fleet]"
        for n in 1 2 3; do
                echo "host$n ansible_host=${SB_FLEET_ADDR[$n]}"
        done
        echo "[fleet:vars]"
        echo "ansible_user=root"
        echo "ansible_ssh_private_key_file=$SB_SSH_DIR/admin_ed25519"
        echo "backstop_backstopctl=$BACKSTOP_BUILD_ROOT/client/backstopctl"
        echo "backstop_timeout=$window"
} >"$SB_ROOT/inventory"

# play OUT_VAR PLAYBOOK ARGS...: ansible-playbook from the admin namespace;
# its exit status in PLAY_RC, its output in $OUT_VAR (and printed).
play() {
        local __out=$1
        shift
        local t=$EPOCHREALTIME
        run_capture PLAY_RC "$__out" in_peer env ANSIBLE_CONFIG="$SB_ROOT/ansible.cfg" ANSIBLE_HOME="$SB_ROOT/ansible-home" \
                ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ansible-playbook "$@"
        figure "ansible-playbook $*" "$(seconds_between "$t" "$EPOCHREALTIME") s"
}

# recap OUTPUT HOST: the PLAY RECAP line of HOST ("ok=2 changed=1 ...").
recap() {
        printf '%s\n' "$1" | sed -n "s/^$2 *: //p" | tr -s ' '
}

host_rules() { # N: iptables -S and ip6tables -S of host N
        ip netns exec "${SB_FLEET_NSOF[$1]}" "$SB_IPT4" -S
        ip netns exec "${SB_FLEET_NSOF[$1]}" "$SB_IPT6" -S
}

has_rule() { # N LINE: is LINE one of host N's iptables -S / ip6tables -S lines?
        grep -qx -- "$2" <<<"$(host_rules "$1")"
}

policy() { # N FAMILY: the INPUT policy of host N
        if [ "$2" = 6 ]; then local ipt=$SB_IPT6; else local ipt=$SB_IPT4; fi
        ip netns exec "${SB_FLEET_NSOF[$1]}" "$ipt" -S INPUT | sed -n 's/^-P INPUT //p'
}

pending() { # N: the pending transaction of host N ("/" when none)
        sandbox_fleet_use "$1"
        mgr_prop PendingTransaction
}

# check_run_changed_nothing OUTPUT: a --check run that passed, reported a
# change on every host, and left each host's rules as in $SB_ROOT/before.N,
# with nothing pending.
check_run_changed_nothing() {
        local n r
        [ "$PLAY_RC" = 0 ] || fail "the check-mode run failed: exit $PLAY_RC"
        for n in 1 2 3; do
                r=$(recap "$1" host$n)
                [[ $r == *"changed=1 "* ]] || fail "host$n: check mode reports '$r', expected changed=1"
                host_rules $n | cmp -s - "$SB_ROOT/before.$n" || fail "host$n: check mode changed the rules"
                [ "$(pending $n)" = / ] || fail "host$n: check mode left a transaction pending"
        done
}

say "1. default-deny across the fleet in check mode: reported, nothing changes"
for n in 1 2 3; do host_rules $n >"$SB_ROOT/before.$n"; done
play out backstop.firewall.rollout --check --diff
check_run_changed_nothing "$out"
printf '%s\n' "$out" | grep -qx -- "+-P INPUT DROP" || fail "the diff does not show the INPUT policy DROP"

say "1. default-deny across the fleet (serial 1, strict confirm over a new connection, saved)"
play out backstop.firewall.rollout
[ "$PLAY_RC" = 0 ] || fail "the rollout failed: exit $PLAY_RC"
for n in 1 2 3; do
        r=$(recap "$out" host$n)
        say "host$n: $r"
        [[ $r == *"changed=2 "* && $r == *"failed=0"* && $r == *"unreachable=0"* ]] || fail "host$n: recap '$r'"
        for fam in 4 6; do
                [ "$(policy $n $fam)" = DROP ] || fail "host$n: IPv$fam INPUT policy is $(policy $n $fam)"
        done
        has_rule $n "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT" || fail "host$n: no 22/tcp accept"
        has_rule $n "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" ||
                fail "host$n: no stateful rule"
        [ "$(pending $n)" = / ] || fail "host$n: a transaction is still pending"
        [ "$(mgr_prop RulesSaved)" = true ] || fail "host$n: RulesSaved is not true"
        state=${SB_FLEET_DIR[$n]}/state
        grep -q -- "^:INPUT DROP" "$state/rules.v4" || fail "host$n: the saved rules.v4 has no INPUT DROP"
        grep -q -- "--dport 22 -j ACCEPT" "$state/rules.v4" || fail "host$n: the saved rules.v4 has no 22/tcp accept"
        grep -q -- "^:INPUT DROP" "$state/rules.v6" || fail "host$n: the saved rules.v6 has no INPUT DROP"
        grep -q "TransactionConfirmed\|confirmed" "${SB_FLEET_DIR[$n]}/backstopd.log" ||
                say "host$n: (the daemon's log does not name the confirmation)"
done
# Strict: the confirmation came over a new connection, as the daemon checked.
host_rules 1 | sed 's/^/    host1 | /'

say "2. the same rollout again: no change"
play out backstop.firewall.rollout
[ "$PLAY_RC" = 0 ] || fail "the second rollout failed: exit $PLAY_RC"
for n in 1 2 3; do
        r=$(recap "$out" host$n)
        [[ $r == *"changed=0"* && $r == *"failed=0"* ]] || fail "host$n: the second run reports '$r', expected changed=0"
done
# Check mode previews the recipe as the module writes it down: it must agree
# with the rules the daemon made (the allow given as a service name here).
play out backstop.firewall.rollout --check -e '{"backstop_allow": ["ssh"]}'
[ "$PLAY_RC" = 0 ] || fail "the check-mode rollout failed: exit $PLAY_RC"
for n in 1 2 3; do
        r=$(recap "$out" host$n)
        [[ $r == *"changed=0"* ]] || fail "host$n: check mode of the default-deny in place reports '$r', expected changed=0"
done

say "3. check mode: a new change is reported and nothing changes"
for n in 1 2 3; do host_rules $n >"$SB_ROOT/before.$n"; done
cat >"$SB_ROOT/changes.yml" <<'EOF'
- name: A list of changes across the fleet, one host at a time
  hosts: fleet
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  roles:
    - role: backstop.firewall.safe_change
      vars:
        backstop_changes: "{{ fleet_changes }}"
        backstop_force: "{{ fleet_force | default(false) }}"
EOF
play out "$SB_ROOT/changes.yml" --check --diff -e '{"fleet_changes": ["-A INPUT -p tcp --dport 8443 -j ACCEPT"]}'
check_run_changed_nothing "$out"
printf '%s\n' "$out" | grep -q -- "^+-A INPUT -p tcp -m tcp --dport 8443 -j ACCEPT" ||
        fail "the diff does not show the new rule"
# A change that would cut SSH: the pre-flight result fails the check run.
play out "$SB_ROOT/changes.yml" --check -l host1 \
        -e '{"fleet_changes": ["-I INPUT 1 -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP"]}'
[ "$PLAY_RC" != 0 ] || fail "check mode passed a change the pre-flight check refuses"
printf '%s\n' "$out" | grep -q "pre-flight" || fail "the check-mode failure does not name the pre-flight check"
host_rules 1 | cmp -s - "$SB_ROOT/before.1" || fail "host1: the refused check run changed the rules"

say "4. host2's change cuts new SSH logins (forced): the rollout stops there"
for n in 1 2 3; do host_rules $n >"$SB_ROOT/before.$n"; done
cut="-I INPUT 1 -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP"
mkdir -p "$SB_ROOT/group_vars" "$SB_ROOT/host_vars"
printf 'fleet_changes: ["-A INPUT -p tcp --dport 8080 -j ACCEPT"]\n' >"$SB_ROOT/group_vars/fleet.yml"
printf 'fleet_changes: ["%s"]\nfleet_force: true\n' "$cut" >"$SB_ROOT/host_vars/host2.yml"
t_play=$EPOCHREALTIME
play out "$SB_ROOT/changes.yml"
[ "$PLAY_RC" != 0 ] || fail "the rollout passed although host2 was cut off"
r1=$(recap "$out" host1)
r2=$(recap "$out" host2)
r3=$(recap "$out" host3)
say "host1: $r1 / host2: $r2 / host3: ${r3:-(not in the recap)}"
[[ $r1 == *"changed=2 "* && $r1 == *"failed=0"* && $r1 == *"unreachable=0"* ]] || fail "host1: recap '$r1'"
[[ $r2 == *"unreachable=1"* || $r2 == *"failed=1"* ]] || fail "host2: recap '$r2', expected it failed"
[[ -z $r3 || $r3 == *"ok=0"*"changed=0"* ]] || fail "host3 was touched: recap '$r3'"
has_rule 1 "-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT" || fail "host1: the 8080 rule is missing"
[ "$(pending 1)" = / ] || fail "host1: its transaction is still pending"
# host2: the cut rule went in; its daemon rolls it back at the deadline.
sandbox_fleet_use 2
rollback_gone() { ! grep -q -- "--ctstate NEW -j DROP" <<<"$(host_rules 2)"; }
sandbox_wait_until $((window + 30)) rollback_gone || fail "host2: the cut rule was not rolled back"
figure "host2 rolled back after the play started" "$(seconds_between "$t_play" "$EPOCHREALTIME") s"
grep -q "rolled back\|timeout" "$SB/backstopd.log" || say "host2: (the daemon's log does not name the rollback)"
host_rules 2 | cmp -s - "$SB_ROOT/before.2" || fail "host2: the rules after the rollback differ from before"
sandbox_ssh_login "${SB_FLEET_ADDR[2]}" 22 || fail "host2: not reachable after the rollback"
host_rules 3 | cmp -s - "$SB_ROOT/before.3" || fail "host3: its rules changed"
[ "$(pending 3)" = / ] || fail "host3: a transaction is pending"

say "5. the same list again on host1: no change"
play out "$SB_ROOT/changes.yml" -l host1
[ "$PLAY_RC" = 0 ] || fail "the second run on host1 failed: exit $PLAY_RC"
r1=$(recap "$out" host1)
[[ $r1 == *"changed=0"* ]] || fail "host1: the second run reports '$r1', expected changed=0"
# once per family
[ "$(host_rules 1 | grep -cx -- "-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT")" = 2 ] ||
        fail "host1: the 8080 rule is not there exactly once per family"

say "5b. a list of which one change holds already: only the other one is applied"
play out "$SB_ROOT/changes.yml" -l host1 -e backstop_save=false \
        -e '{"fleet_changes": ["-A INPUT -p tcp --dport 8080 -j ACCEPT", "-A INPUT -p tcp --dport 8081 -j ACCEPT"]}'
[ "$PLAY_RC" = 0 ] || fail "the run on host1 failed: exit $PLAY_RC"
[[ $(recap "$out" host1) == *"changed=2 "* ]] || fail "host1: recap '$(recap "$out" host1)', expected changed=2"
for port in 8080 8081; do
        [ "$(host_rules 1 | grep -cx -- "-A INPUT -p tcp -m tcp --dport $port -j ACCEPT")" = 2 ] ||
                fail "host1: the $port rule is not there exactly once per family"
done
state=${SB_FLEET_DIR[1]}/state
grep -q -- "--dport 8080 -j ACCEPT" "$state/rules.v4" || fail "host1: 8080 (applied with save) is not saved"
grep -q -- "--dport 8081 -j ACCEPT" "$state/rules.v4" && fail "host1: 8081 (applied without save) was saved"

say "5c. confirm with save: the rules are saved after the confirmation"
cat >"$SB_ROOT/save.yml" <<'EOF'
- name: Apply without save, confirm with save
  hosts: host1
  gather_facts: false
  tasks:
    - name: Apply
      backstop.firewall.apply:
        changes: ["-A INPUT -p tcp --dport 8082 -j ACCEPT"]
        backstopctl: "{{ backstop_backstopctl }}"
      register: fw
    - name: Reconnect
      ansible.builtin.meta: reset_connection
    - name: Confirm and save
      backstop.firewall.confirm:
        transaction: "{{ fw.transaction }}"
        save: true
        backstopctl: "{{ backstop_backstopctl }}"
      register: confirmed
    - name: The module says so
      ansible.builtin.assert:
        that: [confirmed is changed, confirmed.saved, confirmed.state == 'confirmed']
EOF
play out "$SB_ROOT/save.yml"
[ "$PLAY_RC" = 0 ] || fail "apply + confirm with save failed: exit $PLAY_RC"
grep -q -- "--dport 8081 -j ACCEPT" "$state/rules.v4" || fail "host1: 8081 is not saved after confirm with save"
grep -q -- "--dport 8082 -j ACCEPT" "$state/rules.v4" || fail "host1: 8082 is not saved after confirm with save"
[ "$(pending 1)" = / ] || fail "host1: a transaction is still pending"

say "6. a transaction its timer rolled back cannot be confirmed; a bad change fails with the daemon's message"
host_rules 3 >"$SB_ROOT/before.3"
cat >"$SB_ROOT/expire.yml" <<'EOF'
- name: Apply with a 1 s timer, let it run out, then confirm
  hosts: host3
  gather_facts: false
  tasks:
    - name: Apply
      backstop.firewall.apply:
        changes: ["-A INPUT -p tcp --dport 7070 -j ACCEPT"]
        timeout: "1"
        backstopctl: "{{ backstop_backstopctl }}"
      register: fw
    - name: Wait until the daemon has rolled it back
      ansible.builtin.command: "{{ backstop_backstopctl }} --json status"
      register: st
      until: (st.stdout | from_json).manager.PendingTransaction == '/'
      retries: 60
      delay: 1
      changed_when: false
    - name: Confirm it
      backstop.firewall.confirm:
        transaction: "{{ fw.transaction_id }}"
        backstopctl: "{{ backstop_backstopctl }}"
EOF
play out "$SB_ROOT/expire.yml"
[ "$PLAY_RC" != 0 ] || fail "confirming a rolled-back transaction passed"
printf '%s\n' "$out" | grep -q "fatal: \[host3\].*is not pending" || fail "the confirm failure does not say the transaction is not pending"
host_rules 3 | cmp -s - "$SB_ROOT/before.3" || fail "host3: the rolled-back change is still there"
play out "$SB_ROOT/changes.yml" -l host3 -e '{"fleet_changes": ["-A INPUT -p tcp --dport 70000 -j ACCEPT"]}'
[ "$PLAY_RC" != 0 ] || fail "a change with port 70000 passed"
printf '%s\n' "$out" | grep -q "fatal: \[host3\].*70000" || fail "the failure does not name the bad value"
host_rules 3 | cmp -s - "$SB_ROOT/before.3" || fail "host3: the refused change changed the rules"

for n in 3 2 1; do
        sandbox_fleet_use $n
        finish_daemon
done
figure "scenario run time" "$(elapsed) s"
say PASS
