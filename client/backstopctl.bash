# bash completion for backstopctl                          -*- shell-script -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Verbs and options from the lists below; chains, pending transactions and
# service names from backstopctl itself (of the host named with -H, when
# given), quietly nothing when backstopd cannot be reached.

# backstopctl as the command line being completed runs it: with its -H.
_backstopctl_run() {
        local -a host=()
        local i
        for ((i = 1; i < ${#words[@]}; i++)); do
                case "${words[i]}" in
                -H | --host) host=(--host "${words[i + 1]}") ;;
                --host=*) host=("${words[i]}") ;;
                esac
        done
        "${words[0]:-backstopctl}" "${host[@]}" --no-ask-password --no-pager "$@" 2>/dev/null
}

# The service names "backstopctl services" lists (/etc/services and the
# built-in ones; no bus call).
_backstopctl_services() {
        _backstopctl_run --no-legend services | while read -r name _; do echo "$name"; done
}

# The chains of the family the command line names (-6, else IPv4), from the
# daemon's rules: the built-in ones (-P) and the user-defined ones (-N).
_backstopctl_chains() {
        local family=-4 w
        for w in "${words[@]}"; do
                [[ $w == -6 ]] && family=-6
        done
        _backstopctl_run rules "$family" | while read -r op chain _; do
                [[ $op == -P || $op == -N ]] && echo "$chain"
        done
}

# The pending transaction's id (there is at most one).
_backstopctl_transactions() {
        _backstopctl_run --json=short status | sed -n 's|.*"PendingTransaction":"[^"]*/\([0-9]*\)".*|\1|p'
}

_backstopctl() {
        local cur prev words cword
        if declare -F _init_completion >/dev/null; then
                _init_completion -n = || return
        else
                words=("${COMP_WORDS[@]}")
                cword=$COMP_CWORD
                cur=${COMP_WORDS[COMP_CWORD]}
                prev=${COMP_WORDS[COMP_CWORD - 1]}
        fi

        local verbs="status rules check connections preview apply default-deny confirm rollback extend zero save monitor allow deny reject services delete move diff help"
        local global="-h --help --version --json --json= --no-pager --no-legend --no-ask-password -q --quiet -H --host="
        local confirm="--timeout --strict --force --no-wait --save"
        local verb="" i nargs=0
        for ((i = 1; i < cword; i++)); do
                case "${words[i]}" in
                --timeout | --allow | --from | -H | --host) ((i++)) ;;
                -*) ;;
                *)
                        if [[ -z $verb ]]; then
                                verb=${words[i]}
                        else
                                ((nargs++))
                        fi
                        ;;
                esac
        done

        case "$prev" in
        --timeout)
                COMPREPLY=($(compgen -W "30 60 120 300 10m" -- "$cur"))
                return ;;
        --allow)
                COMPREPLY=($(compgen -W "$(_backstopctl_services)" -- "$cur"))
                return ;;
        --from)
                return ;;
        -H | --host)
                COMPREPLY=($(compgen -A hostname -- "$cur"))
                return ;;
        esac
        case "$cur" in
        --json=*)
                COMPREPLY=($(compgen -W "short pretty off" -- "${cur#--json=}"))
                return ;;
        --host=*)
                COMPREPLY=($(compgen -A hostname -- "${cur#--host=}"))
                return ;;
        esac

        local opts="" args=""
        case "$verb" in
        "") COMPREPLY=($(compgen -W "$verbs $global" -- "$cur")); return ;;
        rules) opts="-4 -6 -v --verbose --numbered"; ((nargs == 0)) && args=chains ;;
        check) opts="-4 -6 -v --verbose" ;;
        connections) opts="-a --all" ;;
        zero) opts="-4 -6"; ((nargs == 0)) && args=chains ;;
        diff) opts="-4 -6" ;;
        apply) opts="$confirm" ;;
        default-deny) opts="--allow --dry-run $confirm" ;;
        allow | deny | reject) opts="-4 -6 --from $confirm"; args=services ;;
        services) args=services ;;
        delete | move) opts="-4 -6 $confirm"; ((nargs == 0)) && args=chains ;;
        confirm | rollback) ((nargs == 0)) && args=transactions ;;
        extend) ((nargs == 0)) && args=transactions ;;
        help) ((nargs == 0)) && args=verbs ;;
        esac
        if [[ $cur != -* && -n $args ]]; then
                case "$args" in
                chains) COMPREPLY=($(compgen -W "$(_backstopctl_chains)" -- "$cur")) ;;
                services) COMPREPLY=($(compgen -W "$(_backstopctl_services)" -- "$cur")) ;;
                transactions) COMPREPLY=($(compgen -W "$(_backstopctl_transactions)" -- "$cur")) ;;
                verbs) COMPREPLY=($(compgen -W "$verbs" -- "$cur")) ;;
                esac
                return
        fi
        [[ $cur == -* ]] && COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
        [[ ${COMPREPLY[0]:-} == *= ]] && compopt -o nospace 2>/dev/null
        return 0
}
complete -F _backstopctl backstopctl
