# bash completion for backstopctl                          -*- shell-script -*-
# SPDX-License-Identifier: LGPL-2.1-or-later

_backstopctl() {
        local cur prev words cword
        _init_completion || return

        local verbs="status rules check connections preview apply default-deny confirm rollback extend zero save monitor"
        local global="-h --help --version --json --no-ask-password -q --quiet"
        local verb="" i
        for ((i = 1; i < cword; i++)); do
                case "${words[i]}" in
                --timeout | --allow) ((i++)) ;;
                -*) ;;
                *) verb=${words[i]}; break ;;
                esac
        done

        case "$prev" in
        --timeout)
                COMPREPLY=($(compgen -W "30 60 120 300 10m" -- "$cur"))
                return ;;
        --allow)
                COMPREPLY=($(compgen -W "22/tcp 80/tcp 443/tcp 53/udp" -- "$cur"))
                return ;;
        esac

        local opts=""
        case "$verb" in
        "") COMPREPLY=($(compgen -W "$verbs $global" -- "$cur")); return ;;
        rules) opts="-4 -6 -v --verbose" ;;
        check) opts="-4 -6 -v --verbose" ;;
        zero) opts="-4 -6" ;;
        connections) opts="-a --all" ;;
        apply) opts="--timeout --strict --force --no-wait --save" ;;
        default-deny) opts="--allow --timeout --strict --force --no-wait --save" ;;
        esac
        if [[ $verb == rules || $verb == zero ]] && [[ $cur != -* ]]; then
                COMPREPLY=($(compgen -W "INPUT FORWARD OUTPUT" -- "$cur"))
                return
        fi
        COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
}
complete -F _backstopctl backstopctl
