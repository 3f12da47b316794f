package launcher

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Launcher names, as game ids and per-game policy files use them.
const (
	Steam   = "steam"
	Umu     = "umu"
	Lutris  = "lutris"
	Heroic  = "heroic"
	Bottles = "bottles"
)

// Context describes the game a launcher starts, as its environment names it.
type Context struct {
	// Launcher is one of the launcher constants, or "" when the
	// environment names none.
	Launcher string
	// ID is the launcher's own id of the game: a Steam app id, umu's
	// GAMEID, a Lutris game config, a Heroic app name or a bottle's name.
	ID string
	// Prefix is the directory the game writes its Wine prefix in: the
	// prefix itself, or for Steam and Proton the compatdata directory
	// that holds pfx and Proton's own files. It is "" when the launcher
	// leaves it to WINEPREFIX.
	Prefix string
	// Detail names the source of the id, for the session log.
	Detail string
}

// GameID returns the WineWarden game id, "<launcher>-<id>", with every
// character outside [A-Za-z0-9._-] replaced, or "" without a launcher. An
// id that already starts with "<launcher>-", as umu's do, is kept as it is.
func (c Context) GameID() string {
	if c.Launcher == "" || c.ID == "" {
		return ""
	}
	id := unsafeIDChars.ReplaceAllString(c.ID, "_")
	if len(id) > 100 {
		id = id[:100]
	}
	if strings.HasPrefix(id, c.Launcher+"-") {
		return id
	}
	return c.Launcher + "-" + id
}

var unsafeIDChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// FromEnv finds the launcher and the game from the environment (getenv)
// and the parsed command. home is the user's home directory, where Lutris
// keeps its game configs.
func FromEnv(getenv func(string) string, chain Chain, home string) (Context, error) {
	// Heroic also sets umu's GAMEID when it runs Proton through umu, and
	// Steam's variables, so the more specific launchers come first.
	if name := getenv("HEROIC_APP_NAME"); name != "" {
		detail := "HEROIC_APP_NAME"
		if source := getenv("HEROIC_APP_SOURCE"); source != "" {
			detail += ", store " + source
		}
		return Context{Launcher: Heroic, ID: name, Prefix: getenv("WINEPREFIX"), Detail: detail}, nil
	}
	if uuid := getenv("LUTRIS_GAME_UUID"); uuid != "" {
		return lutrisGame(getenv, chain, home)
	}
	if data := getenv("STEAM_COMPAT_DATA_PATH"); data != "" && getenv("GAMEID") == "" {
		return steamGame(getenv, chain, data)
	}
	if id := getenv("GAMEID"); id != "" {
		prefix := getenv("WINEPREFIX")
		if prefix == "" {
			prefix = filepath.Join(home, "Games", "umu", id)
		}
		return Context{Launcher: Umu, ID: id, Prefix: prefix, Detail: "GAMEID"}, nil
	}
	if prefix := getenv("WINEPREFIX"); prefix != "" {
		if _, err := os.Stat(filepath.Join(prefix, "bottle.yml")); err == nil {
			return Context{Launcher: Bottles, ID: filepath.Base(filepath.Clean(prefix)), Prefix: prefix,
				Detail: "bottle.yml in WINEPREFIX"}, nil
		}
	}
	return Context{}, nil
}

// steamGame identifies a Steam game by its app id, or a non-Steam
// shortcut by its compatdata directory's name, the shortcut's id.
func steamGame(getenv func(string) string, chain Chain, data string) (Context, error) {
	if !filepath.IsAbs(data) {
		return Context{}, fmt.Errorf("STEAM_COMPAT_DATA_PATH %q is not an absolute path", data)
	}
	data = filepath.Clean(data)
	c := Context{Launcher: Steam, Prefix: data}
	for _, name := range []string{"SteamAppId", "STEAM_COMPAT_APP_ID"} {
		if id := getenv(name); id != "" && id != "0" {
			c.ID, c.Detail = id, name
			break
		}
	}
	if c.ID == "" && chain.AppID != "" && chain.AppID != "0" {
		c.ID, c.Detail = chain.AppID, "reaper's AppId"
	}
	if c.ID == "" {
		c.ID, c.Detail = filepath.Base(data), "the compatdata directory of a non-Steam shortcut"
	}
	if !ValidAppID(c.ID) {
		return Context{}, fmt.Errorf("Steam app id %q is not a number", c.ID)
	}
	return c, nil
}

// ValidAppID reports whether s is a Steam app id: a 32-bit unsigned
// decimal number, as non-Steam shortcuts' ids are too.
func ValidAppID(s string) bool {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

// lutrisGame identifies a Lutris game by its game config, whose file name
// ("<slug>-<timestamp>") stays the same from run to run, unlike
// LUTRIS_GAME_UUID. The config is the one whose exe is the game's, or
// else whose prefix is WINEPREFIX.
func lutrisGame(getenv func(string) string, chain Chain, home string) (Context, error) {
	prefix := getenv("WINEPREFIX")
	c := Context{Launcher: Lutris, Prefix: prefix}
	configs, err := lutrisConfigs(home)
	if err != nil {
		return c, err
	}
	exe := chain.GameExe()
	byPrefix := ""
	for _, cfg := range configs {
		if exe != "" && cfg.Exe != "" && samePath(cfg.Exe, exe) {
			c.ID, c.Detail = cfg.ID, "Lutris game config "+cfg.Path
			return c, nil
		}
		if prefix != "" && cfg.Prefix != "" && samePath(cfg.Prefix, prefix) && byPrefix == "" {
			byPrefix = cfg.ID
			c.Detail = "Lutris game config " + cfg.Path
		}
	}
	if byPrefix != "" {
		c.ID = byPrefix
		return c, nil
	}
	// No config names the game: the run still counts as Lutris's, under
	// the id of its .exe.
	c.Detail = "no Lutris game config names " + exe
	return c, nil
}

func samePath(a, b string) bool {
	return filepath.Clean(a) == filepath.Clean(b)
}
