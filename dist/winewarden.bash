# bash completion for winewarden
_winewarden() {
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "run status monitor report trust install uninstall steam init doctor help" -- "$cur"))
        return
    fi
    case "$cmd" in
    run)
        for w in "${COMP_WORDS[@]:2:COMP_CWORD-2}"; do
            if [ "$w" = "--" ]; then
                COMPREPLY=($(compgen -c -f -- "$cur"))
                return
            fi
        done
        case "$prev" in
        --network) COMPREPLY=($(compgen -W "observe offline restrict" -- "$cur")) ;;
        --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
        --game-dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "--game-id --game-dir --network --allow-degraded --log-format --" -- "$cur")) ;;
        esac ;;
    monitor) COMPREPLY=($(compgen -W "--session --speed" -- "$cur")) ;;
    report) COMPREPLY=($(compgen -W "--last --json --no-redact" -- "$cur")) ;;
    trust)
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "list show set reset help" -- "$cur"))
        elif [ "${COMP_WORDS[2]}" = set ] && [ "$COMP_CWORD" -eq 4 ]; then
            COMPREPLY=($(compgen -W "red yellow green" -- "$cur"))
        fi ;;
    install|uninstall)
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "steam lutris heroic bottles all" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "--dry-run --wine --game --prefix-command --bottle --program" -- "$cur"))
        fi ;;
    steam)
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "protons proton help" -- "$cur"))
        fi ;;
    init) COMPREPLY=($(compgen -W "--force" -- "$cur")) ;;
    esac
}
complete -F _winewarden winewarden
