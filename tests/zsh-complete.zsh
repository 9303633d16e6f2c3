# zsh -f tests/zsh-complete.zsh SRCDIR COMMANDLINE: the candidates zsh's
# completion (SRCDIR/_backstopctl) offers at the end of COMMANDLINE, one a
# line, sorted: a real zle completion, run in a pseudo-terminal (zsh/zpty).
zmodload zsh/zpty
export CAPTURE_SRC=$1
zpty z zsh -f -i
zpty -w z "source ${0:A:h}/zsh-complete-setup.zsh"
zpty -w z "$2"$'\t'
local line
zpty -r z line '*'$'\0''*'
zpty -r z line '*'$'\0''*'
print -r -- "$line" | tr -d '\r' | sed -n 's/^CAND://p' | sort -u
zpty -d z
