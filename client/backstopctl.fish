# SPDX-License-Identifier: LGPL-2.1-or-later
# fish completion for backstopctl. Chains, pending transactions and service
# names come from backstopctl itself (of the host named with -H, when
# given), quietly nothing when backstopd cannot be reached.

set -l __backstopctl_verbs status rules check connections preview apply default-deny confirm rollback extend zero save monitor allow deny reject services delete move diff help

# backstopctl as the command line being completed runs it: with its -H.
function __backstopctl_run
    set -l tokens (commandline -opc)
    set -l host
    set -l i 2
    while test $i -le (count $tokens)
        switch $tokens[$i]
            case -H --host
                set host --host $tokens[(math $i + 1)]
            case '--host=*'
                set host $tokens[$i]
        end
        set i (math $i + 1)
    end
    command $tokens[1] $host --no-ask-password --no-pager $argv 2>/dev/null
end

function __backstopctl_chains
    set -l family -4
    contains -- -6 (commandline -opc); and set family -6
    __backstopctl_run rules $family | string match -r -g '^-[PN] (\S+)'
end

function __backstopctl_services
    __backstopctl_run --no-legend services | string replace -r '\s.*' ''
end

function __backstopctl_transactions
    __backstopctl_run --json=short status | string match -r -g '"PendingTransaction":"[^"]*/([0-9]+)"'
end

# The positional words on the command line: the verb, then its arguments
# (options and their values left out).
function __backstopctl_positionals
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --timeout --allow --from -H --host
                set skip 1
            case '-*'
            case '*'
                echo $t
        end
    end
end

function __backstopctl_verb
    set -l words (__backstopctl_positionals)
    test (count $words) -gt 0; and echo $words[1]
end

function __backstopctl_nargs
    math (count (__backstopctl_positionals)) - 1
end

# true when the verb is one of argv and it has no argument yet
function __backstopctl_first_arg_of
    contains -- (__backstopctl_verb) $argv; and test (__backstopctl_nargs) -eq 0
end

complete -c backstopctl -f

# global options
complete -c backstopctl -s h -l help -d 'Show the help (after a command: its help)'
complete -c backstopctl -l version -d 'Show the version'
complete -c backstopctl -l json -x -a 'short pretty off' -d 'Print JSON'
complete -c backstopctl -l no-pager -d 'Do not pipe long output into a pager'
complete -c backstopctl -l no-legend -d 'Tables without their header and closing line'
complete -c backstopctl -l no-ask-password -d 'Do not ask for a password'
complete -c backstopctl -s q -l quiet -d 'Print only errors and requested data'
complete -c backstopctl -s H -l host -x -a '(__fish_print_hostnames)' -d 'Operate on a remote host over SSH'

# verbs
complete -c backstopctl -n "not __backstopctl_verb" -a status -d 'Backend, policies, rule counts, pending transaction'
complete -c backstopctl -n "not __backstopctl_verb" -a rules -d 'Print the rules as iptables -S does'
complete -c backstopctl -n "not __backstopctl_verb" -a check -d 'Run the reference checks'
complete -c backstopctl -n "not __backstopctl_verb" -a connections -d 'Tracked connections'
complete -c backstopctl -n "not __backstopctl_verb" -a preview -d 'Resulting rules, lockout analysis, commands'
complete -c backstopctl -n "not __backstopctl_verb" -a apply -d 'Apply changes behind the confirm timer'
complete -c backstopctl -n "not __backstopctl_verb" -a default-deny -d 'Stateful rule, loopback, services, INPUT DROP'
complete -c backstopctl -n "not __backstopctl_verb" -a confirm -d 'Keep a pending transaction'
complete -c backstopctl -n "not __backstopctl_verb" -a rollback -d 'Undo a pending transaction now'
complete -c backstopctl -n "not __backstopctl_verb" -a extend -d "Move a pending transaction's deadline"
complete -c backstopctl -n "not __backstopctl_verb" -a zero -d 'Zero counters'
complete -c backstopctl -n "not __backstopctl_verb" -a save -d 'Save the running rules for the next boot'
complete -c backstopctl -n "not __backstopctl_verb" -a monitor -d 'Print transactions and changes as they happen'
complete -c backstopctl -n "not __backstopctl_verb" -a allow -d 'Accept a service in INPUT'
complete -c backstopctl -n "not __backstopctl_verb" -a deny -d 'Drop a service in INPUT'
complete -c backstopctl -n "not __backstopctl_verb" -a reject -d 'Reject a service in INPUT'
complete -c backstopctl -n "not __backstopctl_verb" -a services -d 'The service names and their ports'
complete -c backstopctl -n "not __backstopctl_verb" -a delete -d 'Delete rule N of a chain'
complete -c backstopctl -n "not __backstopctl_verb" -a move -d 'Move rule N of a chain'
complete -c backstopctl -n "not __backstopctl_verb" -a diff -d 'The saved rules against the running ones'
complete -c backstopctl -n "not __backstopctl_verb" -a help -d "Show the help, or a command's"

# per-verb options
set -l family_verbs rules check zero diff allow deny reject delete move
complete -c backstopctl -n "contains -- (__backstopctl_verb) $family_verbs" -s 4 -d 'IPv4 only'
complete -c backstopctl -n "contains -- (__backstopctl_verb) $family_verbs" -s 6 -d 'IPv6 only'
complete -c backstopctl -n "contains -- (__backstopctl_verb) rules check" -s v -l verbose -d 'With counters / details'
complete -c backstopctl -n "contains -- (__backstopctl_verb) rules" -l numbered -d 'Number the rules'
complete -c backstopctl -n "contains -- (__backstopctl_verb) connections" -s a -l all -d 'Outbound and forwarded too'
set -l confirm_verbs apply default-deny allow deny reject delete move
complete -c backstopctl -n "contains -- (__backstopctl_verb) $confirm_verbs" -l timeout -x -a '30 60 120 300 10m' -d 'Seconds until automatic rollback'
complete -c backstopctl -n "contains -- (__backstopctl_verb) $confirm_verbs" -l strict -d 'Confirmation must come from a new SSH login'
complete -c backstopctl -n "contains -- (__backstopctl_verb) $confirm_verbs" -l force -d 'Apply even if the lockout check finds a risk'
complete -c backstopctl -n "contains -- (__backstopctl_verb) $confirm_verbs" -l no-wait -d 'Print the transaction and return at once'
complete -c backstopctl -n "contains -- (__backstopctl_verb) $confirm_verbs" -l save -d 'Save the rules once confirmed'
complete -c backstopctl -n "contains -- (__backstopctl_verb) default-deny" -l allow -x -a '(__backstopctl_services)' -d 'Keep a service open'
complete -c backstopctl -n "contains -- (__backstopctl_verb) default-deny" -l dry-run -d 'Show what it would do, change nothing'
complete -c backstopctl -n "contains -- (__backstopctl_verb) allow deny reject" -l from -x -d 'Only from this source'

# arguments
complete -c backstopctl -n "__backstopctl_first_arg_of rules zero delete move" -a '(__backstopctl_chains)' -d chain
complete -c backstopctl -n "contains -- (__backstopctl_verb) allow deny reject services" -a '(__backstopctl_services)' -d service
complete -c backstopctl -n "__backstopctl_first_arg_of confirm rollback extend" -a '(__backstopctl_transactions)' -d 'pending transaction'
complete -c backstopctl -n "__backstopctl_first_arg_of help" -a "$__backstopctl_verbs"
