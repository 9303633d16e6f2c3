#!/bin/bash
# The main job, for real but in a sandbox: a remote admin applies default
# deny over SSH behind the commit-confirm timer, verifies and confirms it,
# then makes a change that would lock SSH out and watches the daemon roll it
# back. backstopd runs inside a throwaway network namespace on a private
# system bus, sshd next to it, the admin's ssh client in a second namespace
# joined by a veth pair. This machine's own firewall is never touched.
# Needs root (namespaces). Cleans up everything, also when interrupted.
#
#   tests/demo.sh [--backend=legacy|nft]
#
# --backend: the ruleset backstopd writes, iptables-legacy's (the default)
# or iptables-nft's (nf_tables); the namespace's ruleset is that one.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/as-root.sh
source "$top/tests/lib/as-root.sh"
reexec_as_root "$0" "$@"
cd "$top"

for arg in "$@"; do
        case $arg in
        --backend=legacy | --backend=nft) export BACKSTOP_TEST_BACKEND=${arg#--backend=} ;;
        *)
                echo "usage: $0 [--backend=legacy|nft]" >&2
                exit 2
                ;;
        esac
done

if [ "$(id -u)" -ne 0 ]; then
        echo "demo: needs root (it creates network namespaces): run it as root" >&2
        exit 1
fi

# Under meson test (tests/e2e/demo.sh) the build exists already and the
# test environment names it; otherwise install what is missing and build.
if [ -z "${BACKSTOP_DEMO_PREBUILT:-}" ]; then
        bash tests/install-deps.sh
        builddir=${BUILDDIR:-build}
        [ -f "$builddir/build.ninja" ] || meson setup "$builddir" >/dev/null
        ninja -C "$builddir" >/dev/null
        export BACKSTOP_BUILD_ROOT=$top/$builddir
fi
export BACKSTOP_SOURCE_ROOT=$top

# shellcheck source=tests/lib/sandbox.sh
source tests/lib/sandbox.sh

if [ -t 1 ]; then
        bold=$(tput bold 2>/dev/null || true)
        norm=$(tput sgr0 2>/dev/null || true)
else
        bold= norm=
fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$norm"; }
# The admin types on the peer host; every backstopctl runs over a NEW ssh
# connection to the firewalled host, as a remote admin's would.
admin() {
        # show the command as typed: a change with blanks is one quoted argument
        local shown="" a
        for a in "$@"; do
                case $a in *" "*) shown+=" '$a'" ;; *) shown+=" $a" ;; esac
        done
        printf '%sadmin@peer$ ssh fw backstopctl%s%s\n' "$bold" "$shown" "$norm"
        local rc try
        for try in 1 2 3; do
                rc=0
                sandbox_ssh_ctl "$SB_FW_ADDR4" 22 "$@" || rc=$?
                # 255: ssh itself failed before running anything (a busy
                # machine can reset a handshake); backstopctl exits 0-8
                [ $rc -eq 255 ] || return $rc
                sleep 0.5
        done
        return $rc
}
probe() { # probe NS ADDR PORT: does a NEW TCP connection get through? (2 s)
        local out
        if out=$("$1" nc -z -v -w 2 "$2" "$3" 2>&1); then
                echo "connected"
        elif grep -qi refused <<<"$out"; then
                echo "refused (reached the host, nothing listens)"
        else
                echo "blocked (no answer within 2 s)"
        fi
}
ssh_login() { # a NEW ssh login from the peer to ADDR
        if sandbox_ssh_login "$1" 22 >/dev/null 2>&1; then echo "works"; else echo "FAILS"; fi
}

sandbox_init
sandbox_netns
sandbox_bus
sandbox_daemon
sandbox_sshd 22
# A service nobody outside should reach on the firewalled host, and a web
# server on the admin's side for outbound traffic (both IPv4 and IPv6).
sandbox_spawn in_fw socat TCP6-LISTEN:9090,fork,reuseaddr SYSTEM:"echo admin-panel"
sandbox_spawn in_peer socat TCP6-LISTEN:80,fork,reuseaddr SYSTEM:"echo HTTP/1.0 200 OK"
sleep 0.3

cat <<EOF
${bold}Backstop demo${norm}
  fw   ($SB_FW_ADDR4, $SB_FW_ADDR6): backstopd, sshd on 22, a private service on 9090
  peer ($SB_PEER_ADDR4, $SB_PEER_ADDR6): the admin's machine
  backstopd --backend=$SB_BACKEND: the rules are $SB_IPT4's
Both are network namespaces made for this demo; this machine's firewall is untouched.
EOF

# The admin's interactive SSH session, open for the whole demo: the one
# connection a careless default-deny would cut.
sandbox_ssh_keys
sandbox_ssh_opts
ip netns exec "$SB_PEER" ssh "${SB_SSH_OPTS[@]}" -p 22 "root@$SB_FW_ADDR4" "sleep 3600" </dev/null &
SB_PIDS+=($!)
session_open() { [ -n "$(in_fw ss -Htn state established "sport = :22" 2>/dev/null)" ]; }
sandbox_wait_until 60 session_open || { echo "the admin's ssh session did not open" >&2; exit 1; }

step "1. Where we start: INPUT policy ACCEPT, no rules"
admin status
admin rules
admin connections

step "2. The reference checks fail"
admin check || echo "(exit code $?: not all checks pass, as expected)"
echo "peer -> fw:9090 (NEW): $(probe in_peer $SB_FW_ADDR4 9090)"

step "3. The classic mistake, '-P INPUT DROP' alone, is refused: it would cut the open SSH session"
admin apply --timeout 60 '-P INPUT DROP' || echo "(exit code $?: 4 = refused for lockout risk; nothing changed)"

step "4. Default deny, behind a 60 s commit-confirm timer"
admin default-deny --allow 22/tcp --timeout 60 --no-wait
admin rules
admin rules -6

step "5. While the timer runs: verify before confirming"
admin zero
echo "fw -> peer:80 over IPv4 (outbound): $(in_fw nc -w 2 $SB_PEER_ADDR4 80 </dev/null | head -1)"
echo "fw -> peer:80 over IPv6 (outbound): $(in_fw nc -w 2 $SB_PEER_ADDR6 80 </dev/null | head -1)"
admin rules -v INPUT
echo "peer -> fw:9090 (NEW, IPv4):  $(probe in_peer $SB_FW_ADDR4 9090)"
echo "peer -> fw:9090 (NEW, IPv6):  $(probe in_peer $SB_FW_ADDR6 9090)"
echo "new ssh login over IPv4:      $(ssh_login $SB_FW_ADDR4)"
echo "new ssh login over IPv6:      $(ssh_login $SB_FW_ADDR6)"
admin check

step "6. A new login works, so confirm (from that new login) and save"
admin confirm
admin save
admin status

step "7. A mistake: block new SSH connections, forced past the lockout check, 8 s timer, nobody confirms"
# [meanwhile]: once the rule is in place, a new login (it gives up after 3 s
# without an answer), well inside the 8 s window.
rule_in_place() { in_fw "$SB_IPT4" -C INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP 2>/dev/null; }
( sandbox_wait_until 60 rule_in_place
  if sandbox_ssh_login_blocked $SB_FW_ADDR4 22 3 >/dev/null 2>&1; then r=works; else r=FAILS; fi
  echo "   [meanwhile] new ssh login during the window: $r" ) &
rc=0
admin apply --force --timeout 8 '-I INPUT 1 -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP' || rc=$?
wait $! 2>/dev/null || true
echo "(backstopctl exit code $rc: 3 = rolled back)"
echo "new ssh login after the rollback: $(ssh_login $SB_FW_ADDR4)"
admin rules INPUT
admin status

step "Done. The sandbox (namespaces, bus, daemon, sshd) is removed on exit."
