# Sourced in the interactive zsh that tests/zsh-complete.zsh drives in a
# pseudo-terminal: compinit with the completion under test ($CAPTURE_SRC on
# fpath), Tab completes, Enter runs nothing, and compadd prints each
# candidate as "CAND:word" between two NUL lines.
PROMPT=''
fpath=("$CAPTURE_SRC" $fpath)
autoload -Uz compinit
compinit -u -D
bindkey '^M' undefined-key
bindkey '^J' undefined-key
bindkey '^I' complete-word
null-line() { echo -E - $'\0' }
compprefuncs=(null-line)
comppostfuncs=(null-line exit)
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd() {
        if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
                builtin compadd "$@"
                return $?
        fi
        typeset -a __hits
        builtin compadd -A __hits "$@"
        (( $#__hits )) || return 1
        local h
        for h in $__hits; do echo -E - "CAND:$h"; done
}
