#!/bin/bash
# The README's main job must stay true: run tests/demo.sh against this build
# and check that each step shows what the README says it shows, on the
# backend under test (BACKSTOP_TEST_BACKEND: tests/demo.sh --backend=).
set -uo pipefail
[ "$(id -u)" -eq 0 ] || { echo "needs root: skipped"; exit 77; }
for p in sshd ssh socat nc dbus-daemon; do
        command -v "$p" >/dev/null || [ -x /usr/sbin/$p ] || { echo "$p missing: skipped"; exit 77; }
done
backend=${BACKSTOP_TEST_BACKEND:-legacy}
out=$(BACKSTOP_DEMO_PREBUILT=1 bash "$BACKSTOP_SOURCE_ROOT/tests/demo.sh" --backend="$backend" 2>&1)
rc=$?
printf '%s\n' "$out"
fail=0
expect() {
        if ! grep -qF -- "$1" <<<"$out"; then
                echo "FAIL demo: missing: $1"
                fail=1
        fi
}
[ $rc -eq 0 ] || { echo "FAIL demo: exit code $rc"; fail=1; }
expect "backstopd --backend=$backend: the rules are iptables-$backend's"
expect "(exit code 1: not all checks pass, as expected)"
expect "(established) by policy DROP of INPUT"
expect "(exit code 4: 4 = refused for lockout risk; nothing changed)"
expect "peer -> fw:9090 (NEW, IPv4):  blocked"
expect "peer -> fw:9090 (NEW, IPv6):  blocked"
expect "new ssh login over IPv4:      works"
expect "new ssh login over IPv6:      works"
expect "All 14 checks passed."
expect "Transaction 1 confirmed"
expect "[meanwhile] new ssh login during the window: FAILS"
expect "(backstopctl exit code 3: 3 = rolled back)"
expect "new ssh login after the rollback: works"
exit $fail
