#compdef winewarden
# zsh completion for winewarden

_winewarden() {
    local -a commands
    commands=(
        'run:run a Wine or Proton command line in the sandbox'
        'status:running sessions and known games'
        'monitor:live dashboard of a running session'
        'report:what a session blocked, contacted and started'
        'trust:see or change a game'"'"'s trust tier'
        'install:put WineWarden into a game launcher'
        'uninstall:take WineWarden out of a game launcher'
        'steam:list Protons, or choose the one a game runs with'
        'init:write a commented default config file'
        'doctor:check what this machine can enforce'
        'help:show the usage'
    )
    if (( CURRENT == 2 )); then
        _describe command commands
        return
    fi
    case $words[2] in
    run)
        _arguments '--game-id[game identity]:id:' '--game-dir[install directory]:dir:_files -/' \
            '--network[network mode]:mode:(observe offline restrict)' '--allow-degraded[run with missing layers]' \
            '--log-format[log format]:format:(text json)' '*::command:_normal' ;;
    monitor) _arguments '--session[session id or last]:id:' '--speed[replay speed]:speed:' ;;
    report) _arguments '--last[the latest session]' '--json[complete report as JSON]' '--no-redact[keep paths and names]' ;;
    trust) _arguments '1:action:(list show set reset help)' '2:game:' '3:tier:(red yellow green)' ;;
    install|uninstall) _arguments '1:launcher:(steam lutris heroic bottles all)' '--dry-run[change nothing]' \
        '--wine[base Wine version]:name:' '--game[Heroic app name]:app:' '--prefix-command[Lutris prefix_command]' \
        '--bottle[bottle name]:bottle:' '--program[program name]:program:' ;;
    steam) _arguments '1:action:(protons proton help)' ;;
    init) _arguments '--force[overwrite the config file]' ;;
    esac
}

_winewarden "$@"
