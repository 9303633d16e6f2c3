#!/bin/bash
# The shell completions of backstopctl against a running backstopd (run by
# test-client-conventions with DBUS_SYSTEM_BUS_ADDRESS set, backstopctl of
# the build tree first in PATH, a chain "svc" in IPv4 and transaction TX
# pending):
#   tests/client-completion.sh TX
# bash: _backstopctl called with COMP_WORDS/COMP_CWORD as bash sets them;
# fish: "complete -C" on the real completion file; zsh: syntax, loading
# with compinit, and real completions in a pseudo-terminal
# (tests/zsh-complete.zsh). Each shell that is not
# installed is skipped with a note. Prints what failed; exit 1 if anything did.
set -uo pipefail

tx=$1
src=${BACKSTOP_SOURCE_ROOT:?}
failed=0

check() { # NAME GOT WANT
        if [ "$2" = "$3" ]; then
                echo "ok - $1"
        else
                echo "FAIL - $1: got '$2', want '$3'"
                failed=1
        fi
}

check_has() { # NAME GOT WORD: GOT (words) holds WORD
        if [[ " $2 " == *" $3 "* ]]; then
                echo "ok - $1"
        else
                echo "FAIL - $1: '$2' lacks '$3'"
                failed=1
        fi
}

# --- bash ---
# shellcheck source=client/backstopctl.bash
source "$src/client/backstopctl.bash"

# bash_complete WORD...: the words of the command line after "backstopctl",
# the last one being completed; prints the sorted candidates on one line.
# What the function writes to stderr goes to $errfile.
errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT
bash_complete() {
        COMP_WORDS=(backstopctl "$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="${COMP_WORDS[*]}"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _backstopctl 2>>"$errfile"
        printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ *$//'
}

bash_cases() { # LABEL
        local l=$1
        check "$l: verbs" "$(bash_complete de)" "default-deny delete deny"
        all=$(bash_complete "")
        check_has "$l: every verb" "$all" "help"
        check_has "$l: global options" "$all" "--no-legend"
        check "$l: --json modes" "$(bash_complete --json=)" "off pretty short"
        check "$l: verb options" "$(bash_complete rules --nu)" "--numbered"
        check "$l: chains (IPv4, with svc)" "$(bash_complete rules "")" "FORWARD INPUT OUTPUT svc"
        check "$l: chains (IPv6)" "$(bash_complete rules -6 "")" "FORWARD INPUT OUTPUT"
        check "$l: chains for delete" "$(bash_complete delete s)" "svc"
        check "$l: no chain after the chain" "$(bash_complete delete INPUT "")" ""
        check "$l: services" "$(bash_complete allow ss)" "ssh"
        check_has "$l: services of services" "$(bash_complete services d)" "dns"
        check "$l: --allow service" "$(bash_complete default-deny --allow htt)" "http http-alt http3 https"
        check "$l: pending transaction (confirm)" "$(bash_complete confirm "")" "$tx"
        check "$l: pending transaction (rollback)" "$(bash_complete rollback "")" "$tx"
        check "$l: pending transaction (extend)" "$(bash_complete extend "")" "$tx"
        check "$l: nothing after extend's TX but seconds" "$(bash_complete extend "$tx" "")" ""
        check "$l: help VERB" "$(bash_complete help mo)" "monitor move"
        check "$l: nothing on stderr" "$(cat "$errfile")" ""

        # The daemon unreachable: quietly nothing.
        local saved_bus=$DBUS_SYSTEM_BUS_ADDRESS
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/backstop-completion-test
        check "$l: no daemon: no chains" "$(bash_complete rules "")" ""
        check "$l: no daemon: no transaction" "$(bash_complete confirm "")" ""
        check "$l: no daemon: still the verbs" "$(bash_complete sta)" "status"
        check "$l: no daemon: nothing on stderr" "$(cat "$errfile")" ""
        export DBUS_SYSTEM_BUS_ADDRESS=$saved_bus
}

# Without bash-completion's helpers, then with them (_init_completion)
# when the package is installed ($BASH_COMPLETION_SCRIPT: another copy).
bash_cases bash
bc=${BASH_COMPLETION_SCRIPT:-/usr/share/bash-completion/bash_completion}
if [ -r "$bc" ]; then
        # shellcheck disable=SC1090
        source "$bc"
        bash_cases "bash+bash-completion"
else
        echo "ok - bash-completion: not installed, skipped # SKIP"
fi

# --- fish ---
if command -v fish >/dev/null; then
        fish -n "$src/client/backstopctl.fish" && echo "ok - fish: syntax" || { echo "FAIL - fish: syntax"; failed=1; }
        fish_complete() { # COMMANDLINE: the candidates (without descriptions), sorted, on one line
                fish --no-config -c "source '$src/client/backstopctl.fish'; complete -C '$1'" 2>>"$errfile" |
                        cut -f1 | sort | tr '\n' ' ' | sed 's/ *$//'
        }
        check "fish: verbs" "$(fish_complete 'backstopctl de')" "default-deny delete deny"
        check "fish: --json modes" "$(fish_complete 'backstopctl --json=')" "--json=off --json=pretty --json=short"
        check "fish: verb options" "$(fish_complete 'backstopctl rules --nu')" "--numbered"
        check "fish: chains" "$(fish_complete 'backstopctl rules ')" "FORWARD INPUT OUTPUT svc"
        check "fish: chains (IPv6)" "$(fish_complete 'backstopctl rules -6 ')" "FORWARD INPUT OUTPUT"
        check "fish: services" "$(fish_complete 'backstopctl allow ss')" "ssh"
        check "fish: pending transaction" "$(fish_complete 'backstopctl confirm ')" "$tx"
        check "fish: nothing on stderr" "$(cat "$errfile")" ""
else
        echo "ok - fish: not installed, skipped # SKIP"
fi

# --- zsh ---
if command -v zsh >/dev/null; then
        zsh -n "$src/client/_backstopctl" && echo "ok - zsh: syntax" || { echo "FAIL - zsh: syntax"; failed=1; }
        # compinit finds it on fpath and binds it to backstopctl
        got=$(zsh -f -c "fpath=('$src/client' \$fpath); autoload -Uz compinit; compinit -u -D; print -r -- \$_comps[backstopctl]" 2>&1)
        check "zsh: compinit binds _backstopctl" "$got" "_backstopctl"
        zsh_complete() { # COMMANDLINE: the candidates, sorted, on one line
                zsh -f "$src/tests/zsh-complete.zsh" "$src/client" "$1" 2>>"$errfile" | tr '\n' ' ' | sed 's/ *$//'
        }
        check "zsh: verbs" "$(zsh_complete 'backstopctl de')" "default-deny delete deny"
        check "zsh: --json modes" "$(zsh_complete 'backstopctl --json=')" "off pretty short"
        check "zsh: chains" "$(zsh_complete 'backstopctl rules ')" "FORWARD INPUT OUTPUT svc"
        check "zsh: chains (IPv6)" "$(zsh_complete 'backstopctl rules -6 ')" "FORWARD INPUT OUTPUT"
        check "zsh: services" "$(zsh_complete 'backstopctl allow ss')" "ssh"
        check "zsh: pending transaction" "$(zsh_complete 'backstopctl confirm ')" "$tx"
        check "zsh: nothing on stderr" "$(cat "$errfile")" ""
else
        echo "ok - zsh: not installed, skipped # SKIP"
fi

exit $failed
