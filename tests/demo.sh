#!/bin/bash
# The main job, for real but in a sandbox: the default-deny walkthrough with
# confirm, then a change that would lock out SSH and its automatic rollback.
# Runs backstopd inside a throwaway network namespace on a private system
# bus; never touches this machine's own firewall. Needs root (namespaces).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" -ne 0 ]; then
        echo "demo: needs root (it creates network namespaces); run: sudo $0" >&2
        exit 1
fi

bash tests/install-deps.sh
builddir=${BUILDDIR:-build}
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" >/dev/null
ninja -C "$builddir" >/dev/null
export BACKSTOP_BUILD_ROOT=$top/$builddir BACKSTOP_SOURCE_ROOT=$top

# shellcheck source=tests/lib/sandbox.sh
source tests/lib/sandbox.sh

bold=$(tput bold 2>/dev/null || true)
norm=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$norm"; }
run() {
        printf '%s$ %s%s\n' "$bold" "$*" "$norm"
        "$@"
}
probe() { # probe NS ADDR PORT: can a NEW connection be made? (2 s)
        if "$1" nc -z -w 2 "$2" "$3" 2>/dev/null; then echo "connected"; else echo "blocked (timed out)"; fi
}

sandbox_init
sandbox_netns
sandbox_bus
sandbox_daemon
# A management service (port 22) and a service nobody should reach (9090) on
# the firewalled host; a web server on the peer for outbound traffic.
sandbox_spawn in_fw socat TCP-LISTEN:22,fork,reuseaddr SYSTEM:"echo SSH-2.0-demo"
sandbox_spawn in_fw socat TCP-LISTEN:9090,fork,reuseaddr SYSTEM:"echo admin-panel"
sandbox_spawn in_peer socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo HTTP/1.0 200 OK"
sleep 0.3

cat <<EOF
Backstop demo. Host "fw" ($SB_FW_ADDR4, $SB_FW_ADDR6) runs backstopd; host "peer"
($SB_PEER_ADDR4) is the admin's machine. Both are network namespaces made for
this demo; this machine's own firewall is not touched.
EOF

step "1. Where we start: policy ACCEPT, no rules"
run backstopctl status
run backstopctl rules
step "2. The reference checks fail: no stateful rule, policy ACCEPT"
run backstopctl check || echo "(check exit code $?: not all checks pass, as expected)"
echo "peer -> fw:9090 (NEW): $(probe in_peer $SB_FW_ADDR4 9090)"

step "3. Default deny, behind a 30 s commit-confirm timer (confirmed from another session below)"
run backstopctl default-deny --allow 22/tcp --timeout 30 --no-wait
run backstopctl rules
run backstopctl rules -6

step "4. While the timer runs: verify before confirming"
run backstopctl zero
echo "fw -> peer:80 (outbound): $(in_fw nc -w 2 $SB_PEER_ADDR4 80 </dev/null | head -1)"
run backstopctl rules -v INPUT
echo "peer -> fw:22   (management, NEW): $(probe in_peer $SB_FW_ADDR4 22)"
echo "peer -> fw:9090 (closed port, NEW): $(probe in_peer $SB_FW_ADDR4 9090)"
echo "peer -> fw:22 over IPv6:            $(probe in_peer $SB_FW_ADDR6 22)"
run backstopctl check

step "5. Management access confirmed from a new connection: confirm and save"
run backstopctl confirm
run backstopctl save
run backstopctl status

step "6. A mistake: a rule that blocks SSH. Forced past the lockout check, 8 s timer, nobody confirms"
run backstopctl apply --force --timeout 8 '-I INPUT 1 -p tcp --dport 22 -j DROP' || rc=$?
echo "backstopctl exit code ${rc:-0} (3 = rolled back)"
echo "peer -> fw:22 after the rollback: $(probe in_peer $SB_FW_ADDR4 22)"
run backstopctl rules INPUT

step "Done: the sandbox is removed on exit."
