//go:build linux

package wrapper

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/winewarden/winewarden/launcher"
	"github.com/winewarden/winewarden/policy"
)

// CompatArgv turns Steam's call of the compatibility tool, `winewarden
// compat VERB -- GAME ARGS`, into the command the sandbox runs: the chosen
// Proton's script with the same verb and game. The Proton is the game's
// [steam] proton (games/steam-APPID.toml), else config.toml's.
func CompatArgv(args []string) ([]string, error) {
	if len(args) == 0 || !launcher.ProtonVerbs[args[0]] {
		return nil, fmt.Errorf("winewarden compat: Steam passes a verb first (run, waitforexitandrun, getcompatpath, getnativepath), got %q", args)
	}
	verb, game := args[0], args[1:]
	if len(game) > 0 && game[0] == "--" {
		game = game[1:]
	}

	dirs, err := currentDirs()
	if err != nil {
		return nil, err
	}
	cfg, err := policy.Load(dirs.ConfigFile)
	if err != nil {
		return nil, err
	}
	ctx, err := launcher.FromEnv(os.Getenv, launcher.Chain{}, dirs.Home)
	if err != nil {
		return nil, err
	}
	if ctx.Launcher != launcher.Steam {
		return nil, fmt.Errorf("winewarden compat runs as Steam's compatibility tool, but STEAM_COMPAT_DATA_PATH is not set: use winewarden run outside Steam")
	}
	// The game's own file can choose another Proton than config.toml.
	cfg, _, err = policy.LoadGame(cfg, gamePolicyPath(dirs.ConfigFile, ctx.GameID()))
	if err != nil {
		return nil, err
	}
	if cfg.Steam.Proton == "" {
		return nil, fmt.Errorf("no Proton is chosen for Steam games: run `winewarden steam protons` to list them, then `winewarden steam proton %s \"NAME\"` (or `default` for every game)", ctx.ID)
	}

	root := os.Getenv("STEAM_COMPAT_CLIENT_INSTALL_PATH")
	if _, err := os.Stat(filepath.Join(root, "steamapps")); root == "" || err != nil {
		if root, err = launcher.SteamRoot(dirs.Home); err != nil {
			return nil, err
		}
	}
	proton, err := launcher.FindProton(root, cfg.Steam.Proton)
	if err != nil {
		return nil, err
	}
	return append([]string{filepath.Join(proton.Dir, "proton"), verb}, game...), nil
}
