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
#   sandbox_daemon             backstopd in $SB_FW (restart: call again)
#   sandbox_stop_daemon [SIG]  stop it by PID
#   in_fw CMD... / in_peer CMD...   run in a namespace
#
# Addresses are from the documentation ranges: 192.0.2.1 (fw) / 192.0.2.2
# (peer), 2001:db8:b5::1 / 2001:db8:b5::2.

SB_FW_ADDR4=192.0.2.1
SB_PEER_ADDR4=192.0.2.2
SB_FW_ADDR6=2001:db8:b5::1
SB_PEER_ADDR6=2001:db8:b5::2

: "${BACKSTOP_BUILD_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
: "${BACKSTOP_SOURCE_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

SB_PIDS=()
SB_DAEMON_PID=

sandbox_init() {
        SB=$(mktemp -d /tmp/backstop-sandbox.XXXXXX)
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
        local pid
        for pid in "${SB_PIDS[@]}" $SB_DAEMON_PID; do
                kill "$pid" 2>/dev/null || true
        done
        for pid in "${SB_PIDS[@]}" $SB_DAEMON_PID; do
                wait "$pid" 2>/dev/null || true
        done
        ip netns del "$SB_FW" 2>/dev/null || true
        ip netns del "$SB_PEER" 2>/dev/null || true
        [ -n "${SB:-}" ] && rm -rf "$SB"
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

# A background process we own; its PID is stopped at exit.
sandbox_spawn() {
        "$@" &
        SB_PIDS+=($!)
}

sandbox_bus() {
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
  <include>$BACKSTOP_SOURCE_ROOT/dbus/org.backstop.Firewall1.conf</include>
  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
</busconfig>
EOF
        local addrfile=$SB/bus.address
        dbus-daemon --config-file="$SB/bus.conf" --nofork --nopidfile --print-address=3 \
                3>"$addrfile" 2>"$SB/bus.log" &
        SB_PIDS+=($!)
        local i
        for i in $(seq 100); do
                [ -s "$addrfile" ] && break
                sleep 0.05
        done
        [ -s "$addrfile" ] || { echo "sandbox: dbus-daemon did not start" >&2; cat "$SB/bus.log" >&2; return 1; }
        DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$addrfile")
        export DBUS_SYSTEM_BUS_ADDRESS
}

sandbox_wait_name() {
        local i
        for i in $(seq 200); do
                if dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                        org.freedesktop.DBus.NameHasOwner string:org.backstop.Firewall1 2>/dev/null |
                        grep -q "boolean true"; then
                        return 0
                fi
                sleep 0.05
        done
        echo "sandbox: backstopd did not take its bus name" >&2
        return 1
}

sandbox_daemon() {
        in_fw env XTABLES_LOCKFILE="$XTABLES_LOCKFILE" BACKSTOP_RUNTIME_DIR="$BACKSTOP_RUNTIME_DIR" \
                BACKSTOP_STATE_DIR="$BACKSTOP_STATE_DIR" DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" \
                "$BACKSTOP_BUILD_ROOT/daemon/backstopd" 2>>"$SB/backstopd.log" &
        SB_DAEMON_PID=$!
        sandbox_wait_name
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
