# bash completion for backstopctl                          -*- shell-script -*-
# SPDX-License-Identifier: LGPL-2.1-or-later

# The names "backstopctl services" lists (no bus call: it reads /etc/services).
_backstopctl_services() {
        backstopctl services 2>/dev/null | while read -r name _; do echo "$name"; done
}

_backstopctl() {
        local cur prev words cword
        _init_completion || return

        local verbs="status rules check connections preview apply default-deny confirm rollback extend zero save monitor allow deny reject services delete move diff"
        local global="-h --help --version --json --no-ask-password -q --quiet"
        local verb="" i
        for ((i = 1; i < cword; i++)); do
                case "${words[i]}" in
                --timeout | --allow | --from) ((i++)) ;;
                -*) ;;
                *) verb=${words[i]}; break ;;
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
        esac

        local opts=""
        case "$verb" in
        "") COMPREPLY=($(compgen -W "$verbs $global" -- "$cur")); return ;;
        rules) opts="-4 -6 -v --verbose --numbered" ;;
        delete | move) opts="-4 -6 --timeout --strict --force --no-wait --save" ;;
        check) opts="-4 -6 -v --verbose" ;;
        zero | diff) opts="-4 -6" ;;
        connections) opts="-a --all" ;;
        apply) opts="--timeout --strict --force --no-wait --save" ;;
        default-deny) opts="--allow --timeout --strict --force --no-wait --save" ;;
        allow | deny | reject) opts="-4 -6 --from --timeout --strict --force --no-wait --save" ;;
        esac
        if [[ $verb == allow || $verb == deny || $verb == reject || $verb == services ]] && [[ $cur != -* ]]; then
                COMPREPLY=($(compgen -W "$(_backstopctl_services)" -- "$cur"))
                return
        fi
        if [[ $verb == delete || $verb == move ]] && [[ $cur != -* ]] && [[ $prev == "$verb" || $prev == -[46] ]]; then
                COMPREPLY=($(compgen -W "INPUT FORWARD OUTPUT" -- "$cur"))
                return
        fi
        if [[ $verb == rules || $verb == zero ]] && [[ $cur != -* ]]; then
                COMPREPLY=($(compgen -W "INPUT FORWARD OUTPUT" -- "$cur"))
                return
        fi
        COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
}
complete -F _backstopctl backstopctl
