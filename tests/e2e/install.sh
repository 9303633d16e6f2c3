#!/bin/bash
# "meson install --destdir" into a temp dir: the daemon, the client, the
# systemd units, the D-Bus bus policy, activation file and introspection XML,
# the polkit policy, the man pages and the shell completions land where they
# belong: what a system daemon reads (bus policy, activation file, polkit
# actions, units, tmpfiles) in the directory that daemon reads, as its
# pkg-config file names it, whatever the build's prefix; the rest under the
# prefix. What refers to a path (ExecStart=, Exec=, SystemdService=) finds it
# installed; "systemd-analyze verify" has nothing to say about the units
# (checked on copies whose programs point into the temp dir, with the temp
# unit dir on SYSTEMD_UNIT_PATH, as no systemd runs here); "systemd-analyze
# security --offline=true" scores backstopd.service at 2.6 or better (it
# keeps CAP_SETUID, CAP_SETGID and the @setuid calls to start its libxtables
# helper as nobody; see backstopd.service); the helper is in libexecdir,
# where the daemon looks for it. Then the same placement for builds
# configured with --prefix=/usr/local and --prefix=/opt/backstop (read from
# "meson introspect --installed", no build).
source "$(dirname "$0")/e2e-lib.sh"
require_bin meson pkg-config systemd-analyze xmllint zsh fish
PY=/usr/bin/python3
require_bin $PY
[ -x "$BACKSTOP_BUILD_ROOT/daemon/backstopd" ] || skip "backstopd is not built"
[ -x "$BACKSTOP_BUILD_ROOT/client/backstopctl" ] || skip "backstopctl is not built"

D=$(mktemp -d /tmp/backstop-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
dest=$D/root

say "meson install --destdir $dest"
meson install -C "$BACKSTOP_BUILD_ROOT" --no-rebuild --destdir "$dest" >"$D/install.log" 2>&1 ||
        { cat "$D/install.log"; fail "meson install failed"; }
(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) >"$D/files"
sed 's/^/    installed | /' "$D/files"

# The build's directories, absolute.
eval "$($PY - "$BACKSTOP_BUILD_ROOT" <<'PYEOF'
import json, subprocess, sys, os
opts = json.loads(subprocess.check_output(["meson", "introspect", "--buildoptions", sys.argv[1]]))
v = {o["name"]: o["value"] for o in opts}
p = v["prefix"]
for k in ("bindir", "sbindir", "libexecdir", "datadir", "mandir", "sysconfdir"):
    d = v[k]
    print(f'{k}={os.path.join(p, d) if not d.startswith("/") else d}')
print(f'prefix={p}')
PYEOF
)"
say "prefix $prefix"

errors=0
problem() {
        echo "    PROBLEM: $*"
        errors=$((errors + 1))
}

# pkg-config PKG VAR FALLBACK: the directory a system daemon reads, as its
# pkg-config file names it (not relative to our prefix: the daemon does not
# know our prefix); FALLBACK when pkg-config does not know PKG.
pc_dir() {
        local pkg=$1 var=$2 fallback=$3
        if pkg-config --exists "$pkg" 2>/dev/null; then
                pkg-config --variable="$var" "$pkg"
        else
                echo "(pkg-config knows no $pkg: using $fallback)" >&2
                echo "$fallback"
        fi
}

# pkg-config PKG VAR [FALLBACK]: the directory pkg-config names, and the same
# with its prefix set to the build's (what a build with pkgconfig_define
# gives); FALLBACK when pkg-config does not know PKG. For what no daemon
# reads (interfaces, completions).
pc_dirs() {
        local pkg=$1 var=$2 fallback=${3:-}
        if pkg-config --exists "$pkg" 2>/dev/null; then
                pkg-config --variable="$var" "$pkg"
                pkg-config --define-variable=prefix="$prefix" --variable="$var" "$pkg"
        else
                echo "(pkg-config knows no $pkg: using $fallback)" >&2
        fi
        [ -z "$fallback" ] || echo "$fallback"
}

# find_in NAME DIR...: the first DIR holding NAME in the destdir; sets FOUND.
find_in() {
        local name=$1 d
        shift
        FOUND=
        for d in "$@"; do
                if [ -e "$dest$d/$name" ]; then
                        FOUND=$d/$name
                        return 0
                fi
        done
        return 1
}

check() { # WHAT NAME DIRS...
        local what=$1 name=$2
        shift 2
        if find_in "$name" "$@"; then
                say "$what: $FOUND"
        else
                problem "$what $name not in any of: $(echo "$@" | tr '\n' ' ')"
        fi
}

unitdirs=("$(pc_dir systemd systemdsystemunitdir /lib/systemd/system)")
busdirs=("$(pc_dir dbus-1 datadir /usr/share)/dbus-1/system.d")
svcdirs=("$(pc_dir dbus-1 system_bus_services_dir /usr/share/dbus-1/system-services)")
actiondirs=("$(pc_dir polkit-gobject-1 actiondir /usr/share/polkit-1/actions)")
tmpfilesdirs=("$(pc_dir systemd tmpfilesdir /usr/lib/tmpfiles.d)")
mapfile -t ifdirs < <(pc_dirs dbus-1 interfaces_dir "$datadir/dbus-1/interfaces" | sort -u)
mapfile -t compdirs < <(pc_dirs bash-completion completionsdir "$datadir/bash-completion/completions" | sort -u)
mapfile -t fishdirs < <(pc_dirs fish completionsdir "$datadir/fish/vendor_completions.d" | sort -u)
# zsh has no pkg-config file
zshdirs=("$datadir/zsh/site-functions")

# Every installed file lies under the prefix, /etc, or a directory that
# pkg-config named (systemd's may be outside the prefix).
while IFS= read -r f; do
        ok=
        for d in "$prefix" /etc "${unitdirs[@]}" "${tmpfilesdirs[@]}" "${busdirs[@]}" "${svcdirs[@]}" \
                "${actiondirs[@]}" "${compdirs[@]}" "${fishdirs[@]}"; do
                case $f in "$d"/*) ok=1 ;; esac
        done
        case $f in *=*) ok= ;; esac
        [ -n "$ok" ] || problem "installed outside the prefix and the directories pkg-config names: $f"
done <"$D/files"

check "client" backstopctl "$bindir"
[ -z "$FOUND" ] || [ -x "$dest$FOUND" ] || problem "$FOUND is not executable"
check "daemon" backstopd "$sbindir" "$libexecdir" "$bindir" "$prefix/lib/backstop" "$libexecdir/backstop"
daemon=$FOUND
check "libxtables helper" backstop-xtables "$libexecdir"
[ -z "$FOUND" ] || [ -x "$dest$FOUND" ] || problem "$FOUND is not executable"
[ -z "$FOUND" ] || [ -z "$daemon" ] || grep -qa "$FOUND" "$dest$daemon" ||
        problem "backstopd does not name $FOUND"
check "D-Bus bus policy" org.backstop.Firewall1.conf "${busdirs[@]}"
[ -z "$FOUND" ] || xmllint --noout "$dest$FOUND" || problem "$FOUND is not well-formed XML"
check "D-Bus activation file" org.backstop.Firewall1.service "${svcdirs[@]}"
activation=$FOUND
check "introspection XML" org.backstop.Firewall1.xml "${ifdirs[@]}"
[ -z "$FOUND" ] || cmp -s "$dest$FOUND" "$BACKSTOP_SOURCE_ROOT/dbus/org.backstop.Firewall1.xml" ||
        problem "$FOUND differs from dbus/org.backstop.Firewall1.xml"
check "polkit policy" org.backstop.firewall1.policy "${actiondirs[@]}"
[ -z "$FOUND" ] || xmllint --noout "$dest$FOUND" || problem "$FOUND is not well-formed XML"
if grep -q 'tmpfiles' "$D/files"; then
        check "tmpfiles snippet" backstop.conf "${tmpfilesdirs[@]}"
fi
check "bash completion" backstopctl "${compdirs[@]}"
if [ -n "$FOUND" ]; then
        bash -c "source '$dest$FOUND' && complete -p backstopctl" >/dev/null 2>&1 ||
                problem "sourcing $FOUND does not define a completion for backstopctl"
fi
check "zsh completion" _backstopctl "${zshdirs[@]}"
[ -z "$FOUND" ] || zsh -n "$dest$FOUND" || problem "$FOUND does not parse in zsh"
check "fish completion" backstopctl.fish "${fishdirs[@]}"
[ -z "$FOUND" ] || fish -n "$dest$FOUND" || problem "$FOUND does not parse in fish"
for page in backstopctl.1 backstopd.8; do
        f=$(grep -E "^$mandir/man[0-9]/${page%.*}\.[0-9](\.gz)?$" "$D/files" | head -1) || true
        if [ -z "$f" ]; then
                problem "man page $page not under $mandir"
                continue
        fi
        say "man page: $f"
        out=$(MANWIDTH=80 man --warnings -l "$dest$f" 2>&1 >/dev/null) || problem "man cannot render $f"
        [ -z "$out" ] || { echo "$out" | sed 's/^/    man | /'; problem "man warns about $f"; }
done

# Units: the daemon's and the boot-time restore unit, in the unit directory.
unitdir=
for d in "${unitdirs[@]}"; do
        [ -e "$dest$d/backstopd.service" ] && unitdir=$d
done
units=()
if [ -z "$unitdir" ]; then
        problem "backstopd.service not in any of: ${unitdirs[*]}"
else
        say "units in $unitdir:"
        for u in "$dest$unitdir"/*; do
                units+=("$(basename "$u")")
                echo "    $(basename "$u")"
        done
        [ ${#units[@]} -ge 2 ] || problem "only ${units[*]} in $unitdir: no boot-time restore unit"
fi

# Everything a unit or the activation file runs must be installed.
exec_paths() { # FILE: the program of each Exec*= line
        sed -n 's/^\(ExecStart\|ExecStartPre\|ExecStartPost\|ExecStop\|ExecReload\|Exec\)=[-@:+!]*\([^ ]*\).*/\2/p' "$1"
}
for u in "${units[@]}"; do
        for p in $(exec_paths "$dest$unitdir/$u"); do
                # ours, installed; or a program of the host (iptables-legacy-restore)
                [ -x "$dest$p" ] || [ -x "$p" ] || problem "$u runs $p, which is neither installed nor on this host"
        done
done
if [ -n "$activation" ]; then
        sed 's/^/    activation | /' "$dest$activation"
        grep -qx "Name=org.backstop.Firewall1" "$dest$activation" || problem "activation file: no Name=org.backstop.Firewall1"
        grep -qx "User=root" "$dest$activation" || problem "activation file: no User=root"
        svc=$(sed -n 's/^SystemdService=//p' "$dest$activation")
        [ -n "$svc" ] || problem "activation file: no SystemdService="
        # SystemdService= names a unit installed, or the Alias= of one (the
        # alias exists only while that unit is enabled)
        [ -z "$svc" ] || [ -e "$dest$unitdir/$svc" ] || grep -qx "Alias=$svc" "$dest$unitdir"/*.service ||
                problem "activation file: SystemdService=$svc is neither an installed unit nor an Alias= of one"
        for p in $(exec_paths "$dest$activation"); do
                [ "$p" = /bin/false ] || [ -x "$dest$p" ] || problem "activation file runs $p, which is not installed"
        done
fi
[ -z "$daemon" ] || [ -z "$unitdir" ] || grep -q "^ExecStart=.*$daemon" "$dest$unitdir/backstopd.service" ||
        problem "backstopd.service does not run the installed $daemon"

# systemd-analyze verify, on copies pointing at the installed programs.
if [ -n "$unitdir" ]; then
        mkdir -p "$D/units"
        for u in "${units[@]}"; do
                # Exec lines whose program is installed point into the destdir.
                while IFS= read -r line; do
                        if [[ $line =~ ^(Exec[A-Za-z]*=[-@:+!]*)(/[^ ]*)(.*)$ ]] && [ -x "$dest${BASH_REMATCH[2]}" ]; then
                                line=${BASH_REMATCH[1]}$dest${BASH_REMATCH[2]}${BASH_REMATCH[3]}
                        fi
                        printf '%s\n' "$line"
                done <"$dest$unitdir/$u" >"$D/units/$u"
        done
        for u in "${units[@]}"; do
                case $u in *.service | *.socket | *.timer | *.target | *.path) ;; *) continue ;; esac
                out=$(SYSTEMD_UNIT_PATH=$D/units: systemd-analyze verify "$D/units/$u" 2>&1) || problem "systemd-analyze verify $u failed"
                if [ -n "$out" ]; then
                        echo "$out" | sed 's/^/    verify | /'
                        problem "systemd-analyze verify has something to say about $u"
                else
                        say "systemd-analyze verify $u: clean"
                fi
        done
        for u in "${units[@]}"; do
                case $u in *.service) ;; *) continue ;; esac
                out=$(systemd-analyze security --offline=true --no-pager "$dest$unitdir/$u" 2>&1) || true
                score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
                [ -n "$score" ] || { echo "$out" | tail -5; problem "no security score for $u"; continue; }
                figure "systemd-analyze security $u" "$score ($(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: [0-9.]* \([A-Z]*\).*/\1/p'))"
                if [ "$u" = backstopd.service ]; then
                        awk -v s="$score" 'BEGIN { exit !(s <= 2.6) }' || {
                                echo "$out" | grep '✗' | sed 's/^/    security | /'
                                problem "backstopd.service scores $score, more than 2.6"
                        }
                fi
        done
fi

# Other prefixes: what the daemons read stays in their directories, the
# programs move with the prefix and the units and activation file run them
# there.
for other in /usr/local /opt/backstop; do
        b=$D/build-${other//\//_}
        meson setup "$b" "$BACKSTOP_SOURCE_ROOT" --prefix="$other" -Dtests=false >"$D/setup.log" 2>&1 ||
                { cat "$D/setup.log"; fail "meson setup --prefix=$other failed"; }
        meson introspect --installed "$b" | $PY -c 'import json, sys; print("\n".join(json.load(sys.stdin).values()))' |
                sort >"$D/installed-${other//\//_}"
        expect() { # NAME DIR
                if grep -qx "$2/$1" "$D/installed-${other//\//_}"; then
                        say "prefix $other: $2/$1"
                else
                        problem "prefix $other: $1 not in $2 (installed: $(grep "/$1\$" "$D/installed-${other//\//_}" || echo nowhere))"
                fi
        }
        expect org.backstop.Firewall1.conf "${busdirs[0]}"
        expect org.backstop.Firewall1.service "${svcdirs[0]}"
        expect org.backstop.firewall1.policy "${actiondirs[0]}"
        expect backstopd.service "${unitdirs[0]}"
        expect backstopd-restore.service "${unitdirs[0]}"
        expect backstop.conf "${tmpfilesdirs[0]}"
        expect backstopd "$other/sbin"
        expect backstopctl "$other/bin"
        grep -qx "Exec=$other/sbin/backstopd" "$b/dbus/org.backstop.Firewall1.service" ||
                problem "prefix $other: the activation file does not run $other/sbin/backstopd"
        grep -q "^ExecStart=$other/sbin/backstopd" "$b/systemd/backstopd.service" ||
                problem "prefix $other: backstopd.service does not run $other/sbin/backstopd"
done

[ "$errors" = 0 ] || fail "$errors problem(s) with the installed files"
say "PASS"
