#!/bin/bash
# The README's two commands, tests/demo.sh and tests/run-tests.sh, run as
# they are on a root shell, and through sudo otherwise: run as uid 65534
# with a stand-in sudo first on PATH (it prints what it was asked to run),
# each asks sudo to run itself with its arguments and the BACKSTOP_*
# settings; as root, the demo never calls sudo; as uid 65534 with no sudo
# at all, the demo says it needs root and exits 1.
source "$(dirname "$0")/e2e-lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (runs the scripts as uid 65534)"
require_bin setpriv

D=$(mktemp -d /tmp/backstop-readme.XXXXXX)
trap 'rm -rf "$D"' EXIT
chmod 0755 "$D"
mkdir "$D/sudo-bin" "$D/no-sudo-bin"
cat >"$D/sudo-bin/sudo" <<'SH'
#!/bin/sh
echo "SUDO $*"
SH
chmod 0755 "$D/sudo-bin/sudo"
for b in bash env id dirname basename cat; do
        ln -s "$(command -v "$b")" "$D/no-sudo-bin/$b"
done
src=$BACKSTOP_SOURCE_ROOT
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

for script in tests/demo.sh tests/run-tests.sh; do
        out=$(cd "$src" && as_nobody env -i PATH="$D/sudo-bin:/usr/bin:/bin" BACKSTOP_PROBE=x \
                bash "$script" --backend=nft 2>&1) || true
        while IFS= read -r l; do echo "    $script as uid 65534: $l"; done <<<"$out"
        grep -qxF "SUDO -- env BACKSTOP_PROBE=x bash $src/$script --backend=nft" <<<"$out" ||
                fail "$script as uid 65534 did not run itself through sudo"
        say "$script as uid 65534: runs itself through sudo"
done

# As root: straight on (to the argument check, which refuses --bogus).
rc=0
out=$(cd "$src" && PATH="$D/sudo-bin:$PATH" bash tests/demo.sh --bogus 2>&1) || rc=$?
echo "$out" | sed 's/^/    demo.sh as root | /'
! grep -q '^SUDO' <<<"$out" || fail "tests/demo.sh called sudo as root"
[ "$rc" = 2 ] || fail "tests/demo.sh --bogus as root: exit $rc, not 2 (usage)"
say "tests/demo.sh as root: no sudo"

# As uid 65534 without sudo: the demo stops, naming the need for root.
rc=0
out=$(cd "$src" && as_nobody env -i PATH="$D/no-sudo-bin" bash tests/demo.sh 2>&1) || rc=$?
echo "$out" | sed 's/^/    demo.sh as uid 65534, no sudo | /'
[ "$rc" = 1 ] || fail "tests/demo.sh as uid 65534 without sudo: exit $rc, not 1"
grep -q "needs root" <<<"$out" || fail "tests/demo.sh without root and sudo does not say it needs root"
say "tests/demo.sh as uid 65534 without sudo: needs root, exit 1"
say "PASS"
