//go:build linux

package wrapper

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/install"
	"github.com/winewarden/winewarden/launcher"
	"github.com/winewarden/winewarden/policy"
)

// relaunchInside runs a launcher chain with the sandbox moved inside it.
// Steam's launch wrapper and reaper keep tracking the game from outside.
// The Steam Linux Runtime sets its container up before the sandbox starts
// in it, because Landlock would forbid the container's mounts. The new
// command line is the chain's wrappers, then this winewarden with the same
// flags, then the target, and it replaces the running process.
func relaunchInside(chain launcher.Chain, flags []string, log *slog.Logger) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the winewarden binary: %w", err)
	}
	var argv []string
	for _, w := range chain.Outer {
		argv = append(argv, w...)
	}
	argv = append(argv, chain.Runtime...)
	argv = append(argv, self, "run")
	argv = append(argv, slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return f == "--" })...)
	argv = append(argv, "--")
	argv = append(argv, chain.Target...)
	if chain.Runtime != nil {
		// The runtime's container shows the home directory but its own
		// /usr, and its own libraries to a dynamic binary.
		if home, _ := os.UserHomeDir(); home != "" && !policy.Within(self, home) {
			log.Warn("winewarden is outside the home directory, which the Steam Linux Runtime's container may not show: install it with make install", "path", self)
		}
		if dynamic, err := install.IsDynamic(self); err == nil && dynamic {
			log.Warn("winewarden is dynamically linked, and the Steam Linux Runtime's container has other libraries: install the static build with make install", "path", self)
		}
	}
	log.Info("moving the sandbox inside the launcher's wrappers", "app_id", chain.AppID, "runtime", len(chain.Runtime) > 0)
	return unix.Exec(argv[0], argv, os.Environ())
}

// launcherGame reads the launcher's environment for the run: the returned
// Context names the game and its prefix, and the directories are the
// Proton build's, which the sandbox shows read-only.
func launcherGame(chain launcher.Chain, home string, log *slog.Logger) (launcher.Context, []string, error) {
	ctx, err := launcher.FromEnv(os.Getenv, chain, home)
	if err != nil {
		return ctx, nil, err
	}
	var tools []string
	if chain.Proton != "" {
		dir := filepath.Dir(chain.Proton)
		if !filepath.IsAbs(dir) {
			return ctx, nil, fmt.Errorf("proton %s is not an absolute path", chain.Proton)
		}
		tools = append(tools, dir)
	}
	if ctx.Launcher != "" {
		log.Info("game started by a launcher", "launcher", ctx.Launcher, "game", ctx.GameID(), "from", ctx.Detail)
	}
	return ctx, tools, nil
}

// gamePolicyPath returns the game's own policy file beside config.toml:
// games/<game id>.toml.
func gamePolicyPath(configFile, gameID string) string {
	return filepath.Join(filepath.Dir(configFile), "games", gameID+".toml")
}

// applyGamePolicy reads the game's policy file over cfg.
func applyGamePolicy(cfg policy.Config, configFile, gameID string, log *slog.Logger) (policy.Config, error) {
	path := gamePolicyPath(configFile, gameID)
	game, found, err := policy.LoadGame(cfg, path)
	if err != nil {
		return cfg, err
	}
	if found {
		log.Info("game policy file applied", "path", path)
	}
	return game, nil
}

// describeLaunchers lists, for winewarden doctor, the launchers found in
// the home directory, what install put into them, and the Proton that the
// Steam compatibility tool runs.
func describeLaunchers(cfg policy.Config) []string {
	dirs, err := currentDirs()
	if err != nil {
		return []string{err.Error()}
	}
	found := presentLaunchers(dirs.Home)
	if len(found) == 0 {
		return []string{"no Steam, Lutris, Heroic or Bottles installation found"}
	}
	installed := install.Installed(dirs.DataHome)
	var out []string
	for _, l := range found {
		state := "found, not set up (winewarden install " + l + ")"
		if n := installed[l]; n > 0 {
			files := "files"
			if n == 1 {
				files = "file"
			}
			state = fmt.Sprintf("set up: %d %s installed or edited (winewarden uninstall %s)", n, files, l)
		}
		out = append(out, l+": "+state)
	}
	proton := cfg.Steam.Proton
	if proton == "" {
		proton = "none chosen (winewarden steam proton default NAME)"
	}
	out = append(out, "Steam tool's default Proton: "+proton)
	if slices.Contains(found, launcher.Steam) {
		note := steamProfileNote
		switch {
		case inFlatpak():
			note = "they run in the degraded Flatpak profile, like every game started inside a Flatpak"
		case !cfg.Steam.ShowClient:
			note = steamClientNote
		}
		out = append(out, "Steam games: "+note)
	}
	return out
}

// steamClientNote is logged for a Steam game run without the Steam client
// in view (steam.show_client = false).
const steamClientNote = "the game runs in its own process namespace, so it cannot see the Steam client's process: games that need the Steam API or Steam DRM may not start (steam.show_client = true shows it)"

// steamProfileNote is logged for a Steam game run with the Steam client in
// view: what that gives up, and what still holds.
const steamProfileNote = "Steam profile: the game shares the host's process list, System V IPC and /dev/shm with the Steam client, so it can see every process of the host with its command line, and read and write other programs' shared memory in /dev/shm. " +
	"Still in force: Landlock's filesystem rules, and its ptrace and signal scoping (the game cannot signal, trace or read the memory or environment of any process outside the sandbox), the virtual home, the syscall filter and the supervisor. " +
	"Set steam.show_client = false in the game's policy file to hide the host's processes from a game that runs without the Steam client"

// showSteamClient prepares the Steam profile, in which the host's
// processes, IPC and /dev/shm stay in view. So do the parts of the Steam
// client that a game's Steam API uses. Proton loads the client library
// through ~/.steam/sdk32 and sdk64, the client's pid file and registry are
// in ~/.steam, and Proton copies the legacycompat folder into the prefix. The sacred zones (Steam's login files among them) stay
// hidden.
func (p *plan) showSteamClient(dirs xdgDirs, getenv func(string) string, log *slog.Logger) {
	p.view.SharedProcesses = true
	steamDir := filepath.Join(dirs.Home, ".steam")
	parts := []ReadOnlyBind{
		{Source: filepath.Join(steamDir, "sdk32"), Target: filepath.Join(steamDir, "sdk32")},
		{Source: filepath.Join(steamDir, "sdk64"), Target: filepath.Join(steamDir, "sdk64")},
		{Source: filepath.Join(steamDir, "steam.pid"), Target: filepath.Join(steamDir, "steam.pid"), File: true},
		{Source: filepath.Join(steamDir, "registry.vdf"), Target: filepath.Join(steamDir, "registry.vdf"), File: true},
	}
	if client := getenv("STEAM_COMPAT_CLIENT_INSTALL_PATH"); filepath.IsAbs(client) {
		if root, err := filepath.EvalSymlinks(client); err == nil {
			legacy := filepath.Join(root, "legacycompat")
			parts = append(parts, ReadOnlyBind{Source: legacy, Target: legacy})
		}
	}
	for _, w := range parts {
		src, err := filepath.EvalSymlinks(w.Source)
		if err != nil {
			continue
		}
		info, err := os.Stat(src)
		if err != nil || info.Mode().IsRegular() != w.File || (!w.File && !info.IsDir()) {
			continue
		}
		masks, err := p.checkExposed("Steam client", src, dirs, "")
		if err == nil && len(masks) > 0 {
			err = fmt.Errorf("%s contains a sacred zone", src)
		}
		if err != nil {
			log.Warn("not showing this part of the Steam client to the game", "path", w.Source, "err", err)
			continue
		}
		w.Source = src
		p.view.ReadOnlyBinds = append(p.view.ReadOnlyBinds, w)
	}
}
