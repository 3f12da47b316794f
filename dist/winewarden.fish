# fish completion for winewarden
set -l commands run status monitor report trust install uninstall steam init doctor help
complete -c winewarden -f -n "not __fish_seen_subcommand_from $commands" -a "$commands"
complete -c winewarden -n "__fish_seen_subcommand_from run" -l game-id -r -d "game identity"
complete -c winewarden -n "__fish_seen_subcommand_from run" -l game-dir -r -a "(__fish_complete_directories)" -d "install directory"
complete -c winewarden -n "__fish_seen_subcommand_from run" -l network -x -a "observe offline restrict"
complete -c winewarden -n "__fish_seen_subcommand_from run" -l allow-degraded
complete -c winewarden -n "__fish_seen_subcommand_from run" -l log-format -x -a "text json"
complete -c winewarden -n "__fish_seen_subcommand_from monitor" -l session -r
complete -c winewarden -n "__fish_seen_subcommand_from monitor" -l speed -r
complete -c winewarden -n "__fish_seen_subcommand_from report" -l last -l json -l no-redact
complete -c winewarden -f -n "__fish_seen_subcommand_from trust" -a "list show set reset help"
complete -c winewarden -f -n "__fish_seen_subcommand_from install uninstall" -a "steam lutris heroic bottles all"
complete -c winewarden -n "__fish_seen_subcommand_from install uninstall" -l dry-run
complete -c winewarden -n "__fish_seen_subcommand_from install" -l wine -r
complete -c winewarden -n "__fish_seen_subcommand_from install" -l game -r
complete -c winewarden -n "__fish_seen_subcommand_from install" -l prefix-command
complete -c winewarden -n "__fish_seen_subcommand_from install" -l bottle -r
complete -c winewarden -n "__fish_seen_subcommand_from install" -l program -r
complete -c winewarden -f -n "__fish_seen_subcommand_from steam" -a "protons proton help"
complete -c winewarden -n "__fish_seen_subcommand_from init" -l force
