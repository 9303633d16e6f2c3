# shellcheck shell=bash
# Sourced first by the README's commands (tests/demo.sh, tests/run-tests.sh),
# which want root: on a root shell they run as they are; otherwise
# reexec_as_root runs the script again through sudo when there is one,
# keeping the settings sudo would drop (BACKSTOP_*, *BUILDDIR, CC). Returns
# when neither root nor sudo is at hand (or BACKSTOP_NO_SUDO=1): the caller
# decides whether to go on unprivileged.
#
#   reexec_as_root SCRIPT ARGS...

reexec_as_root() {
        local script v
        [ "$(id -u)" -ne 0 ] || return 0
        [ "${BACKSTOP_NO_SUDO:-0}" != 1 ] || return 0
        command -v sudo >/dev/null || return 0
        script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
        shift
        local -a keep=()
        for v in $(compgen -e); do
                case $v in
                BACKSTOP_* | BUILDDIR | ASAN_BUILDDIR | FUZZ_BUILDDIR | CC) keep+=("$v=${!v}") ;;
                esac
        done
        echo "$(basename "$script"): not root, running it through sudo" >&2
        exec sudo -- env ${keep[@]+"${keep[@]}"} bash "$script" "$@"
}
