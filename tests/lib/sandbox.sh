# shellcheck shell=bash
# A throwaway sandbox for backstop, sourced by the demo and the end-to-end
# tests: two network namespaces joined by a veth pair, a private system bus,
# and backstopd running inside the "firewalled" namespace. Nothing here
# touches the machine's own network namespace: every netfilter change happens
# in a namespace this file created, with XTABLES_LOCKFILE pointed at a
# private file. Everything started is stopped by PID at exit.
#
#   sandbox_init               temp dir, cleanup trap
#   sandbox_netns              namespaces $SB_FW and $SB_PEER, veth, addresses
#   sandbox_bus                private system bus, exports DBUS_SYSTEM_BUS_ADDRESS
#                              (plus the policy files in SB_BUS_INCLUDES)
#   sandbox_daemon             backstopd in $SB_FW (restart: call again)
#   sandbox_stop_daemon [SIG]  stop it by PID
#   in_fw CMD... / in_peer CMD...   run in a namespace
#   sandbox_spawn CMD...       a background process stopped at exit
#   sandbox_on_exit CMD...     run CMD at cleanup (last registered runs first)
#   sandbox_sshd [PORT]        a real sshd in $SB_FW (key login as root)
#   sandbox_ssh ADDR PORT CMD...        ssh from $SB_PEER, CMD run remotely
#   sandbox_ssh_ctl ADDR PORT ARGS...   backstopctl ARGS over ssh
#   sandbox_ssh_path           a directory with an "ssh" that logs in as sandbox_ssh does
#   sandbox_polkit             the real polkitd on the private bus
#   sandbox_polkit_lock        one sandbox at a time uses the polkit directories
#   sandbox_monitor            record the daemon's signals in $SB/signals.log
#   sandbox_fleet_host N       host N of a fleet: its own namespace, bus, daemon, sshd
#   sandbox_fleet_use N        make host N the one the functions above act on
#
# Addresses are from the documentation ranges: 192.0.2.1 (fw) / 192.0.2.2
# (peer), 2001:db8:b5::1 / 2001:db8:b5::2.
#
# The table-access backend is BACKSTOP_TEST_BACKEND (tests/test-backend.h):
# legacy (the default) or nft. backstopd runs with --backend=$SB_BACKEND,
# and $SB_IPT4 / $SB_IPT6 (iptables-legacy / ip6tables-legacy, or
# iptables-nft / ip6tables-nft) are the oracle: the ruleset that backend
# writes and the host's iptables of that kind shows.

SB_FW_ADDR4=192.0.2.1
SB_PEER_ADDR4=192.0.2.2
SB_FW_ADDR6=2001:db8:b5::1
SB_PEER_ADDR6=2001:db8:b5::2

: "${BACKSTOP_BUILD_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
: "${BACKSTOP_SOURCE_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

SB_BACKEND=${BACKSTOP_TEST_BACKEND:-legacy}
case $SB_BACKEND in
legacy | nft) ;;
*)
        echo "BACKSTOP_TEST_BACKEND=$SB_BACKEND: not legacy or nft" >&2
        exit 2
        ;;
esac
# shellcheck disable=SC2034 # for the scripts that source this file
SB_IPT4=iptables-$SB_BACKEND
# shellcheck disable=SC2034
SB_IPT6=ip6tables-$SB_BACKEND

SB_PIDS=()
SB_DAEMON_PID=
SB_EXIT_HOOKS=()

sandbox_init() {
        SB=$(mktemp -d /tmp/backstop-sandbox.XXXXXX)
        SB_ROOT=$SB
        SB_FW=bsfw-$$
        SB_PEER=bspeer-$$
        export XTABLES_LOCKFILE=$SB/xtables.lock
        export BACKSTOP_RUNTIME_DIR=$SB/run
        export BACKSTOP_STATE_DIR=$SB/state
        mkdir -p "$BACKSTOP_RUNTIME_DIR" "$BACKSTOP_STATE_DIR"
        trap sandbox_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
}

sandbox_cleanup() {
        local pid i ns
        # Hooks first, newest first: they may still need the bus or the daemon.
        for ((i = ${#SB_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
                eval "${SB_EXIT_HOOKS[i]}" || true
        done
        for pid in "${SB_PIDS[@]}" $SB_DAEMON_PID ${SB_FLEET_PID[@]+"${SB_FLEET_PID[@]}"}; do
                kill "$pid" 2>/dev/null || true
        done
        for pid in "${SB_PIDS[@]}" $SB_DAEMON_PID ${SB_FLEET_PID[@]+"${SB_FLEET_PID[@]}"}; do
                wait "$pid" 2>/dev/null || true
        done
        # Whatever still runs inside our own namespaces (ssh sessions and what
        # they started) was started by us: stop it by PID, then drop the netns.
        for ns in ${SB_FW:-} ${SB_PEER:-} ${SB_FLEET_NS[@]+"${SB_FLEET_NS[@]}"}; do
                sandbox_kill_netns "$ns"
                ip netns del "$ns" 2>/dev/null || true
        done
        [ -n "${SB_ROOT:-}" ] && rm -rf "$SB_ROOT"
        return 0
}

# Stop every process living in network namespace $1 (one we created).
sandbox_kill_netns() {
        local ns=$1 pids i
        pids=$(ip netns pids "$ns" 2>/dev/null) || return 0
        [ -n "$pids" ] || return 0
        # shellcheck disable=SC2086
        kill $pids 2>/dev/null || true
        for i in $(seq 20); do
                pids=$(ip netns pids "$ns" 2>/dev/null) || return 0
                [ -n "$pids" ] || return 0
                sleep 0.1
        done
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
}

# Register a command (one string, eval'ed) to run at cleanup.
sandbox_on_exit() {
        SB_EXIT_HOOKS+=("$*")
}

# sandbox_wait_until MAXSEC CMD...: run CMD every 50 ms until it succeeds;
# 1 if it did not within MAXSEC seconds. The bound is generous: it only
# keeps a broken part from hanging the run, a slow machine must not hit it.
sandbox_wait_until() {
        local max=$1 end
        shift
        end=$(awk -v a="$EPOCHREALTIME" -v m="$max" 'BEGIN { printf "%.6f", a + m }')
        until "$@"; do
                awk -v a="$EPOCHREALTIME" -v e="$end" 'BEGIN { exit !(a > e) }' && return 1
                sleep 0.05
        done
}

in_fw() { ip netns exec "$SB_FW" "$@"; }
in_peer() { ip netns exec "$SB_PEER" "$@"; }

sandbox_netns() {
        ip netns add "$SB_FW"
        ip netns add "$SB_PEER"
        ip link add bs0-$$ netns "$SB_FW" type veth peer name bs1-$$ netns "$SB_PEER"
        in_fw ip link set lo up
        in_peer ip link set lo up
        in_fw ip link set bs0-$$ name veth0
        in_peer ip link set bs1-$$ name veth0
        in_fw ip addr add $SB_FW_ADDR4/24 dev veth0
        in_peer ip addr add $SB_PEER_ADDR4/24 dev veth0
        in_fw ip -6 addr add $SB_FW_ADDR6/64 dev veth0 nodad
        in_peer ip -6 addr add $SB_PEER_ADDR6/64 dev veth0 nodad
        in_fw ip link set veth0 up
        in_peer ip link set veth0 up
        in_fw sysctl -qw net.netfilter.nf_conntrack_timestamp=1 2>/dev/null || true
}

# A background process we own; its PID is stopped at exit. in_fw/in_peer
# are expanded here so that the PID recorded is the program's own ("ip netns
# exec" execs it), not that of a subshell running the function, which would
# leave the program behind when killed.
sandbox_spawn() {
        local cmd=$1
        shift
        case $cmd in
        in_fw) ip netns exec "$SB_FW" "$@" & ;;
        in_peer) ip netns exec "$SB_PEER" "$@" & ;;
        *) "$cmd" "$@" & ;;
        esac
        SB_PIDS+=($!)
        SB_LAST_PID=$!
}

# Extra bus policy files to include (e.g. a peer daemon's, by the benchmark):
# set before sandbox_bus.
SB_BUS_INCLUDES=()

sandbox_bus() {
        local inc extra=""
        for inc in ${SB_BUS_INCLUDES[@]+"${SB_BUS_INCLUDES[@]}"}; do
                extra+="  <include>$inc</include>"$'\n'
        done
        cat >"$SB/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=$SB/system_bus_socket</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <!-- root may monitor (dbus-monitor in the tests) -->
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <include ignore_missing="yes">$BACKSTOP_SOURCE_ROOT/dbus/org.backstop.Firewall1.conf</include>
  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
$extra</busconfig>
EOF
        local addrfile=$SB/bus.address
        dbus-daemon --config-file="$SB/bus.conf" --nofork --nopidfile --print-address=3 \
                3>"$addrfile" 2>"$SB/bus.log" &
        SB_PIDS+=($!)
        sandbox_wait_until 60 test -s "$addrfile" ||
                { echo "sandbox: dbus-daemon did not start within 60 s" >&2; cat "$SB/bus.log" >&2; return 1; }
        DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$addrfile")
        export DBUS_SYSTEM_BUS_ADDRESS
}

# Wait until org.backstop.Firewall1 has an owner; with a PID, until that
# process owns it (a restarted daemon, not the dead one's stale name).
sandbox_wait_name() {
        local pid=${1:-} end
        # Up to 60 s: a start under ASan on a busy machine is slow.
        end=$(awk -v a="$EPOCHREALTIME" 'BEGIN { printf "%.6f", a + 60 }')
        while awk -v a="$EPOCHREALTIME" -v e="$end" 'BEGIN { exit !(a <= e) }'; do
                if [ -n "$pid" ]; then
                        if dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                                org.freedesktop.DBus.GetConnectionUnixProcessID string:org.backstop.Firewall1 2>/dev/null |
                                grep -qw "uint32 $pid"; then
                                return 0
                        fi
                        kill -0 "$pid" 2>/dev/null || { echo "sandbox: backstopd (pid $pid) exited" >&2; return 1; }
                elif dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                        org.freedesktop.DBus.NameHasOwner string:org.backstop.Firewall1 2>/dev/null |
                        grep -q "boolean true"; then
                        return 0
                fi
                sleep 0.05
        done
        echo "sandbox: backstopd did not take its bus name within 60 s" >&2
        return 1
}

# SB_DAEMON_UNIT_CAPS=1: backstopd gets only the capabilities its systemd
# unit's CapabilityBoundingSet= gives it (setpriv --bounding-set).
sandbox_daemon() {
        local -a caps=()
        if [ "${SB_DAEMON_UNIT_CAPS:-0}" = 1 ]; then
                local set
                set=$(sed -n 's/^CapabilityBoundingSet=//p' "$BACKSTOP_SOURCE_ROOT/systemd/backstopd.service.in" |
                        tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
                caps=(setpriv --bounding-set="-all,$set")
        fi
        # ip netns exec, env and setpriv all exec: $! is backstopd's own
        # PID, so that sandbox_stop_daemon KILL really kills the daemon.
        ip netns exec "$SB_FW" env XTABLES_LOCKFILE="$XTABLES_LOCKFILE" BACKSTOP_RUNTIME_DIR="$BACKSTOP_RUNTIME_DIR" \
                BACKSTOP_STATE_DIR="$BACKSTOP_STATE_DIR" DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" \
                BACKSTOP_XTABLES_HELPER="$BACKSTOP_BUILD_ROOT/daemon/xtables/backstop-xtables" \
                "${caps[@]}" "$BACKSTOP_BUILD_ROOT/daemon/backstopd" --backend="$SB_BACKEND" 2>>"$SB/backstopd.log" &
        SB_DAEMON_PID=$!
        sandbox_wait_name "$SB_DAEMON_PID"
}

sandbox_stop_daemon() {
        local sig=${1:-TERM}
        [ -n "$SB_DAEMON_PID" ] || return 0
        kill -"$sig" "$SB_DAEMON_PID" 2>/dev/null || true
        wait "$SB_DAEMON_PID" 2>/dev/null || true
        SB_DAEMON_PID=
}

backstopctl() {
        "$BACKSTOP_BUILD_ROOT/client/backstopctl" "$@"
}

# --- OpenSSH: a real sshd in $SB_FW, the admin's ssh client in $SB_PEER ---

SB_SSH_DIR=
SB_SSHD_PIDS=()

# Host key, the admin's key pair and authorized_keys, once per sandbox.
sandbox_ssh_keys() {
        [ -n "$SB_SSH_DIR" ] && return 0
        SB_SSH_DIR=$SB/ssh
        mkdir -p "$SB_SSH_DIR"
        ssh-keygen -q -t ed25519 -N '' -f "$SB_SSH_DIR/host_ed25519" -C backstop-sandbox-host
        ssh-keygen -q -t ed25519 -N '' -f "$SB_SSH_DIR/admin_ed25519" -C backstop-sandbox-admin
        cp "$SB_SSH_DIR/admin_ed25519.pub" "$SB_SSH_DIR/authorized_keys"
}

# sandbox_sshd [PORT]: start sshd in $SB_FW on PORT (default 22), all
# addresses of both families. Sessions get the sandbox's environment
# (DBUS_SYSTEM_BUS_ADDRESS, XTABLES_LOCKFILE, every BACKSTOP_* variable, the
# sanitizers' options)
# through SetEnv; SSH_CONNECTION is set by sshd itself.
sandbox_sshd() {
        local port=${1:-22} conf setenv="" v i
        sandbox_ssh_keys
        for v in DBUS_SYSTEM_BUS_ADDRESS XTABLES_LOCKFILE ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS \
                $(compgen -e | grep '^BACKSTOP_'); do
                [ -n "${!v:-}" ] && setenv+=" $v=${!v}"
        done
        conf=$SB/sshd_config.$port
        cat >"$conf" <<EOC
Port $port
AddressFamily any
ListenAddress 0.0.0.0
ListenAddress ::
HostKey $SB_SSH_DIR/host_ed25519
PidFile none
AuthorizedKeysFile $SB_SSH_DIR/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
X11Forwarding no
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 100
MaxSessions 50
LogLevel VERBOSE
SetEnv$setenv
EOC
        # sshd insists on its privilege separation directory /run/sshd. It
        # gets a private mount namespace with a tmpfs on /run holding one, so
        # that nothing is created on (or removed from) the machine's /run,
        # where other sshds may rely on it. (Its sessions need nothing there:
        # the bus address and XTABLES_LOCKFILE point into $SB.) There, the
        # system bus's standard socket /run/dbus/system_bus_socket is the
        # sandbox's bus, for programs that ignore DBUS_SYSTEM_BUS_ADDRESS
        # (systemd-stdio-bridge, which "backstopctl -H" runs over ssh). Each
        # program execs the next: $! is sshd's PID.
        ip netns exec "$SB_FW" unshare --mount --propagation private sh -c \
                'mount -t tmpfs -o mode=0755 sandbox-run /run && mkdir -m 0755 /run/sshd /run/dbus &&
                 ln -s "$0/system_bus_socket" /run/dbus/system_bus_socket && exec "$@"' "$SB" \
                /usr/sbin/sshd -D -e -f "$conf" 2>>"$SB/sshd.log" &
        SB_PIDS+=($!)
        SB_SSHD_PIDS+=($!)
        # both listeners, IPv4 and IPv6
        sandbox_wait_until 60 sandbox_sshd_listens "$port" && return 0
        echo "sandbox: sshd did not listen on port $port within 60 s" >&2
        cat "$SB/sshd.log" >&2
        return 1
}

sandbox_sshd_listens() { # PORT: both listeners (IPv4 and IPv6) are up
        [ "$(in_fw ss -Htln "sport = :$1" 2>/dev/null | wc -l)" -ge 2 ]
}

# Options of the admin's ssh client. Extra options (e.g. -S for a master
# connection) go in the array SB_SSH_EXTRA; they come first on the command
# line because for ssh the first value of an option wins.
# ConnectTimeout (which also bounds the handshake and key exchange) is 20 s,
# for logins that must work, even on a busy machine. A login that is
# expected to FAIL must give its own short one: SB_SSH_EXTRA=(-o
# ConnectTimeout=2), or use sandbox_ssh_login_blocked.
sandbox_ssh_opts() {
        SB_SSH_OPTS=(-F /dev/null -i "$SB_SSH_DIR/admin_ed25519" -o IdentitiesOnly=yes
                -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
                -o ConnectTimeout=20 -o LogLevel=ERROR -o ServerAliveInterval=0)
}

# sandbox_ssh ADDR PORT CMD...: run CMD (a remote shell command line) on the
# firewalled host as root, from the peer namespace. Returns ssh's status
# (255 when the connection or login failed).
sandbox_ssh() {
        local addr=$1 port=$2
        shift 2
        sandbox_ssh_opts
        ip netns exec "$SB_PEER" ssh ${SB_SSH_EXTRA:+"${SB_SSH_EXTRA[@]}"} "${SB_SSH_OPTS[@]}" \
                -p "$port" "root@$addr" "$@"
}

# Quote ARGS for the remote shell: backstopctl ARGS.
sandbox_ctl_cmdline() {
        local out q a
        out=$(printf '%q' "$BACKSTOP_BUILD_ROOT/client/backstopctl")
        for a in "$@"; do
                printf -v q '%q' "$a"
                out+=" $q"
        done
        printf '%s' "$out"
}

# sandbox_ssh_ctl ADDR PORT ARGS...: backstopctl ARGS over ssh.
sandbox_ssh_ctl() {
        local addr=$1 port=$2
        shift 2
        sandbox_ssh "$addr" "$port" "$(sandbox_ctl_cmdline "$@")"
}

# sandbox_ssh_path: $SB/ssh-bin holds an "ssh" that runs the real one with
# the admin's key and the options of sandbox_ssh, as a ~/.ssh/config would,
# for programs that run "ssh" themselves (backstopctl -H: sd-bus runs "ssh
# -xT HOST systemd-stdio-bridge"). Put it first in PATH.
sandbox_ssh_path() {
        local q
        sandbox_ssh_keys
        sandbox_ssh_opts
        mkdir -p "$SB/ssh-bin"
        printf -v q ' %q' "${SB_SSH_OPTS[@]}"
        printf '#!/bin/sh\nexec /usr/bin/ssh%s "$@"\n' "$q" >"$SB/ssh-bin/ssh"
        chmod 0755 "$SB/ssh-bin/ssh"
}

# Does a new ssh login to ADDR:PORT work? (ConnectTimeout 20 s)
sandbox_ssh_login() {
        sandbox_ssh "$1" "$2" true </dev/null
}

# sandbox_ssh_login_blocked ADDR PORT [SECONDS]: a new ssh login that is
# expected to fail (a DROP rule): it gives up after SECONDS (default 2) of
# no answer. Returns ssh's status; its message is on stderr.
sandbox_ssh_login_blocked() {
        local -a SB_SSH_EXTRA=(-o ConnectTimeout="${3:-2}")
        sandbox_ssh "$1" "$2" true </dev/null
}

# --- polkit: the real polkitd on the private bus ---

# Starts polkitd (it drops to its own user) and waits for its bus name.
sandbox_polkit() {
        local i
        DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS /usr/lib/polkit-1/polkitd --no-debug \
                >>"$SB/polkitd.log" 2>&1 &
        SB_PIDS+=($!)
        SB_POLKIT_PID=$!
        sandbox_wait_until 60 sandbox_polkit_owned && return 0
        echo "sandbox: polkitd did not take its bus name within 60 s" >&2
        cat "$SB/polkitd.log" >&2
        return 1
}

sandbox_polkit_owned() {
        dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                org.freedesktop.DBus.NameHasOwner string:org.freedesktop.PolicyKit1 2>/dev/null |
                grep -q "boolean true"
}

# Serialize the users of the machine-wide polkit directories (tests run from
# several worktrees at once): one sandbox at a time installs actions and
# rules, else one's cleanup would remove a file the other's polkitd uses. The
# lock is on the directory itself (no lock file is left behind) and is
# released when the process exits.
sandbox_polkit_lock() {
        exec {SB_POLKIT_LOCK_FD}</usr/share/polkit-1/actions
        flock -w 600 "$SB_POLKIT_LOCK_FD" || { echo "sandbox: polkit directories stayed locked" >&2; return 1; }
}

# sandbox_install_file SRC DEST: copy SRC to DEST (mode 0644) and remove it at
# exit. Never replaces a file it did not create: if DEST exists with the same
# content it is used as it is (and left alone); if it differs, fail.
sandbox_install_file() {
        local src=$1 dest=$2
        if [ -e "$dest" ]; then
                cmp -s "$src" "$dest" && return 0
                echo "sandbox: $dest exists and differs from $src; not replacing it" >&2
                return 1
        fi
        install -m 0644 "$src" "$dest"
        sandbox_on_exit "rm -f '$dest'"
}

# Let other users reach the bus socket under $SB (mktemp made it 0700).
sandbox_open_for_users() {
        chmod 0711 "$SB"
}

# sandbox_user NAME [GROUP]: a throwaway user (no home, no login shell),
# removed at exit. Its group memberships are the optional GROUP.
sandbox_user() {
        local name=$1 group=${2:-}
        useradd --system --no-create-home --shell /usr/sbin/nologin --user-group \
                ${group:+--groups "$group"} "$name"
        sandbox_on_exit "userdel '$name' 2>/dev/null; groupdel '$name' 2>/dev/null"
}

sandbox_group() {
        groupadd --system "$1"
        sandbox_on_exit "groupdel '$1' 2>/dev/null"
}

# sandbox_as USER CMD...: run CMD as USER (its groups), with the sandbox's bus.
sandbox_as() {
        local user=$1
        shift
        setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
                env DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" "$@"
}

# --- signals ---

# Record the daemon's signals (with dbus-monitor's timestamps) in
# $SB/signals.log. Returns once dbus-monitor is a monitor: it prints the
# NameLost of its own unique name when it becomes one.
sandbox_monitor() {
        dbus-monitor --system "type='signal',interface='org.backstop.Firewall1'" \
                >"$SB/signals.log" 2>>"$SB/monitor.log" &
        SB_PIDS+=($!)
        sandbox_wait_until 60 grep -q "member=NameLost" "$SB/signals.log" ||
                { echo "sandbox: dbus-monitor did not start monitoring within 60 s" >&2; cat "$SB/monitor.log" >&2; return 1; }
}

# sandbox_wait_signal MEMBER [MAXSEC]: wait until $SB/signals.log shows the
# signal MEMBER (dbus-monitor writes it a moment after it was sent).
sandbox_wait_signal() {
        sandbox_wait_until "${2:-30}" grep -q "member=$1" "$SB/signals.log"
}

# --- a fleet: several firewalled hosts, one admin namespace ---

# Host N (1..9) has its own network namespace joined to $SB_PEER by a veth
# pair of its own, its own directory $SB_ROOT/hostN (private system bus,
# runtime and state directories, logs), its own backstopd and an sshd on 22;
# the admin's key and XTABLES_LOCKFILE are shared. Host 1 is the sandbox's
# usual $SB_FW (192.0.2.1); host N>1 is 203.0.113.(4N+1)/30, its peer end
# 203.0.113.(4N+2). sandbox_fleet_use N points SB, SB_FW, SB_DAEMON_PID,
# DBUS_SYSTEM_BUS_ADDRESS and BACKSTOP_RUNTIME_DIR/STATE_DIR at host N, so
# that in_fw, sandbox_daemon, sandbox_stop_daemon, ipt, ... act on it.
SB_FLEET_NS=()
declare -A SB_FLEET_DIR SB_FLEET_BUS SB_FLEET_PID SB_FLEET_ADDR SB_FLEET_NSOF
SB_FLEET_CUR=

sandbox_fleet_host() {
        local n=$1 ns
        [ -n "$SB_SSH_DIR" ] || { SB=$SB_ROOT; sandbox_ssh_keys; }
        if [ "$n" = 1 ]; then
                sandbox_netns
                SB_FLEET_ADDR[1]=$SB_FW_ADDR4
        else
                ns=bsfw$n-$$
                ip netns add "$ns"
                SB_FLEET_NS+=("$ns")
                ip link add bs$n-$$ netns "$ns" type veth peer name bsp$n-$$ netns "$SB_PEER"
                ip -n "$ns" link set lo up
                ip -n "$ns" link set bs$n-$$ name veth0
                ip -n "$ns" addr add 203.0.113.$((4 * n + 1))/30 dev veth0
                ip -n "$SB_PEER" addr add 203.0.113.$((4 * n + 2))/30 dev bsp$n-$$
                ip -n "$ns" link set veth0 up
                ip -n "$SB_PEER" link set bsp$n-$$ up
                SB_FW=$ns
                SB_FLEET_ADDR[$n]=203.0.113.$((4 * n + 1))
        fi
        SB_FLEET_NS+=("$SB_FW")
        SB=$SB_ROOT/host$n
        export BACKSTOP_RUNTIME_DIR=$SB/run BACKSTOP_STATE_DIR=$SB/state
        mkdir -p "$BACKSTOP_RUNTIME_DIR" "$BACKSTOP_STATE_DIR"
        SB_DAEMON_PID=
        sandbox_bus
        sandbox_daemon
        sandbox_sshd 22
        SB_FLEET_DIR[$n]=$SB
        SB_FLEET_BUS[$n]=$DBUS_SYSTEM_BUS_ADDRESS
        SB_FLEET_PID[$n]=$SB_DAEMON_PID
        SB_FLEET_NSOF[$n]=$SB_FW
        SB_FLEET_CUR=$n
}

sandbox_fleet_use() {
        local n=$1
        [ -n "$SB_FLEET_CUR" ] && SB_FLEET_PID[$SB_FLEET_CUR]=$SB_DAEMON_PID
        SB=${SB_FLEET_DIR[$n]}
        SB_FW=${SB_FLEET_NSOF[$n]}
        SB_DAEMON_PID=${SB_FLEET_PID[$n]}
        export DBUS_SYSTEM_BUS_ADDRESS=${SB_FLEET_BUS[$n]}
        export BACKSTOP_RUNTIME_DIR=$SB/run BACKSTOP_STATE_DIR=$SB/state
        SB_FLEET_CUR=$n
}
