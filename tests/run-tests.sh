#!/bin/bash
# The test command (README, and .ci/run calls exactly this): installs what
# is missing, builds with -Werror, runs the whole suite, builds, installs and
# purges the Debian packages (tests/e2e/deb-package.sh), runs the suite again
# under AddressSanitizer + UndefinedBehaviorSanitizer, then each fuzz target
# briefly. Kernel tests run in private network namespaces only and skip
# (exit 77) when not root. The kernel, bus and end-to-end suites run
# against both table-access backends (tests/meson.build registers NAME and
# NAME-nft; `meson test --suite nft` runs the nft ones alone), in both the
# normal and the sanitizer pass.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# Root: to install what is missing and for the kernel, bus and end-to-end
# tests. Without root and without sudo (or with BACKSTOP_NO_SUDO=1) the run
# goes on unprivileged, and those tests skip.
# shellcheck source=tests/lib/as-root.sh
source "$top/tests/lib/as-root.sh"
reexec_as_root "$0" "$@"
cd "$top"

bash tests/install-deps.sh

builddir=${BUILDDIR:-build}
asandir=${ASAN_BUILDDIR:-build-asan}

run_suite() {
        local dir=$1
        shift
        local rc=0
        meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || rc=$?
        return $rc
}

meson setup "$builddir" --reconfigure -Dwerror=true >/dev/null 2>&1 || meson setup "$builddir" -Dwerror=true
ninja -C "$builddir"
rc=0
run_suite "$builddir" || rc=1

# The Debian packages (backstop, backstop-panel): built, checked by
# lintian, installed, checked where dbus-daemon, polkitd, systemd, menus,
# autostart, AppStream and gettext read their files, purged
# (tests/e2e/deb-package.sh). Not in "meson test": it installs packages on
# this machine. Exit 77 (not root, not Debian): skipped.
deb_result=
if [ "${BACKSTOP_SKIP_DEB:-0}" != 1 ]; then
        deb_rc=0
        bash tests/e2e/deb-package.sh || deb_rc=$?
        case $deb_rc in
        0) deb_result=passed ;;
        77) deb_result=skipped ;;
        *)
                deb_result=failed
                rc=1
                ;;
        esac
fi

if [ "${BACKSTOP_SKIP_ASAN:-0}" != 1 ]; then
        meson setup "$asandir" --reconfigure -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null 2>&1 ||
                meson setup "$asandir" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
        ninja -C "$asandir"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                run_suite "$asandir" || rc=1
fi

# Fuzzing: a third build dir with clang and -Dfuzzing=true; every
# tests/fuzz/fuzz-*.c target runs for BACKSTOP_FUZZ_SECONDS from its seed
# corpus (copied, so the source tree is not written to). A crash fails the
# run; its input is kept as $fuzzdir/<target>-crash-* for reproduction.
fuzzdir=${FUZZ_BUILDDIR:-build-fuzz}
# Default: 60 s per target, 30 s once there are more than 3 targets, 20 s
# past 6 (keeps the whole CI run under ~45 minutes); BACKSTOP_FUZZ_SECONDS
# overrides them.
n_fuzz=$(ls tests/fuzz/fuzz-*.c 2>/dev/null | wc -l)
if [ "$n_fuzz" -gt 6 ]; then
        fuzz_seconds=${BACKSTOP_FUZZ_SECONDS:-20}
elif [ "$n_fuzz" -gt 3 ]; then
        fuzz_seconds=${BACKSTOP_FUZZ_SECONDS:-30}
else
        fuzz_seconds=${BACKSTOP_FUZZ_SECONDS:-60}
fi
if [ "${BACKSTOP_SKIP_FUZZ:-0}" != 1 ]; then
        if [ ! -d "$fuzzdir" ]; then
                CC=clang meson setup "$fuzzdir" -Dfuzzing=true
        else
                meson setup "$fuzzdir" --reconfigure -Dfuzzing=true >/dev/null
        fi
        for src in tests/fuzz/fuzz-*.c; do
                [ -e "$src" ] || continue
                name=$(basename "$src" .c)
                # (the libxtables helper too: fuzz-xt-roundtrip runs it)
                ninja -C "$fuzzdir" "tests/fuzz/$name" daemon/xtables/backstop-xtables
                corpus=$(mktemp -d)
                if [ -d "tests/fuzz/corpus/${name#fuzz-}" ]; then
                        cp -r "tests/fuzz/corpus/${name#fuzz-}/." "$corpus/"
                fi
                log="$fuzzdir/$name.log"
                if "$fuzzdir/tests/fuzz/$name" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
                        -artifact_prefix="$fuzzdir/$name-" "$corpus" >"$log" 2>&1; then
                        echo "fuzz: $name OK: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') execs in ${fuzz_seconds}s"
                else
                        tail -n 60 "$log"
                        echo "fuzz: $name FAILED (log: $log)"
                        rc=1
                fi
                rm -rf "$corpus"
        done
fi

# One closing line over both runs: "N passed, N failed, N skipped".
DEB_RESULT=$deb_result python3 - "$builddir" "$asandir" <<'PY'
import json, os, sys
passed = failed = skipped = 0
failures = []
# tests/e2e/deb-package.sh, run outside meson test
deb = os.environ.get("DEB_RESULT")
if deb == "passed":
    passed += 1
elif deb == "skipped":
    skipped += 1
elif deb == "failed":
    failed += 1
    print("---- FAILED: tests/e2e/deb-package.sh (its output is above, after the first suite)")
for d in sys.argv[1:]:
    log = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        continue
    for line in open(log):
        t = json.loads(line)
        res = t.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
        else:
            failed += 1
            failures.append((d, t))
# The failed tests again, last, so that the tail of a CI log names them.
for d, t in failures:
    print(f"---- FAILED in {d}: {t.get('name')} ({t.get('result')}, {t.get('duration', 0):.1f} s)")
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    for l in out.splitlines()[-40:]:
        print("    | " + l)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
