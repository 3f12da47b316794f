package launcher

import (
	"os"
	"path/filepath"
	"testing"
)

func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFromEnvLaunchers(t *testing.T) {
	home := t.TempDir()
	bottle := filepath.Join(home, ".local/share/bottles/bottles/My Games")
	writeFile(t, filepath.Join(bottle, "bottle.yml"), "Name: My Games\nRunner: soda-9.0\n")
	proton, err := ParseCommand([]string{"/s/steamapps/common/Proton 9.0/proton", "waitforexitandrun", "/g/Game.exe"})
	if err != nil {
		t.Fatal(err)
	}
	shortcut, err := ParseCommand([]string{"/s/ubuntu12_32/reaper", "SteamLaunch", "AppId=3094383012", "--", "/s/steamapps/common/Proton 9.0/proton", "run", "/g/x.exe"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		env    map[string]string
		chain  Chain
		gameID string
		prefix string
	}{
		{"steam game", map[string]string{"SteamAppId": "1245620", "STEAM_COMPAT_APP_ID": "1245620",
			"STEAM_COMPAT_DATA_PATH": "/lib/steamapps/compatdata/1245620"}, proton,
			"steam-1245620", "/lib/steamapps/compatdata/1245620"},
		{"steam shortcut from reaper", map[string]string{"STEAM_COMPAT_APP_ID": "0",
			"STEAM_COMPAT_DATA_PATH": "/s/steamapps/compatdata/3094383012"}, shortcut,
			"steam-3094383012", "/s/steamapps/compatdata/3094383012"},
		{"steam shortcut from compatdata", map[string]string{"SteamAppId": "0",
			"STEAM_COMPAT_DATA_PATH": "/s/steamapps/compatdata/2864212345/"}, proton,
			"steam-2864212345", "/s/steamapps/compatdata/2864212345"},
		{"umu", map[string]string{"GAMEID": "umu-starcitizen", "WINEPREFIX": "/p/sc", "PROTONPATH": "GE-Proton",
			"STEAM_COMPAT_DATA_PATH": "/p/sc"}, proton, "umu-starcitizen", "/p/sc"},
		{"umu default prefix", map[string]string{"GAMEID": "0"}, proton, "umu-0", filepath.Join(home, "Games/umu/0")},
		{"heroic through umu", map[string]string{"HEROIC_APP_NAME": "Fortnite/Epic", "HEROIC_APP_SOURCE": "epic",
			"GAMEID": "umu-0", "WINEPREFIX": "/h/pfx", "STEAM_COMPAT_DATA_PATH": "/h/pfx"}, proton,
			"heroic-Fortnite_Epic", "/h/pfx"},
		{"bottles", map[string]string{"WINEPREFIX": bottle}, proton, "bottles-My_Games", bottle},
		{"plain wine", map[string]string{"WINEPREFIX": "/p/plain"}, proton, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromEnv(envOf(tc.env), tc.chain, home)
			if err != nil {
				t.Fatal(err)
			}
			if c.GameID() != tc.gameID {
				t.Errorf("game id %q, want %q", c.GameID(), tc.gameID)
			}
			if c.Prefix != tc.prefix {
				t.Errorf("prefix %q, want %q", c.Prefix, tc.prefix)
			}
		})
	}
}

func TestFromEnvRejectsBadSteamValues(t *testing.T) {
	proton, _ := ParseCommand([]string{"/s/proton", "run", "x.exe"})
	for name, env := range map[string]map[string]string{
		"relative compatdata": {"SteamAppId": "70", "STEAM_COMPAT_DATA_PATH": "compatdata/70"},
		"app id not a number": {"SteamAppId": "../../etc", "STEAM_COMPAT_DATA_PATH": "/s/compatdata/70"},
	} {
		if c, err := FromEnv(envOf(env), proton, t.TempDir()); err == nil {
			t.Errorf("%s: accepted as %+v", name, c)
		}
	}
}

func TestFromEnvLutrisConfig(t *testing.T) {
	home := t.TempDir()
	games := filepath.Join(home, ".local/share/lutris/games")
	writeFile(t, filepath.Join(games, "a-game-1700000000.yml"), "game:\n  exe: /home/alice/Games/a/a.exe\n  prefix: /home/alice/Games/a\nwine:\n  version: lutris-8\n")
	writeFile(t, filepath.Join(games, "b-game-1700000001.yml"), "game:\n  exe: ~/Games/b/b.exe\n  prefix: ~/Games/b\n")
	writeFile(t, filepath.Join(games, "broken-1.yml"), "game: [unclosed\n")
	chain := func(exe string) Chain {
		c, err := ParseCommand([]string{"wine", exe})
		if err != nil {
			t.Fatal(err)
		}
		// Lutris runs wine with the exe as its argument.
		c.Target = []string{exe}
		return c
	}
	cases := []struct {
		name, exe, prefix, want string
	}{
		{"by exe", "/home/alice/Games/a/a.exe", "/elsewhere", "lutris-a-game-1700000000"},
		{"by exe under ~", filepath.Join(home, "Games/b/b.exe"), "", "lutris-b-game-1700000001"},
		{"by prefix", "/home/alice/Games/a/launcher.exe", "/home/alice/Games/a", "lutris-a-game-1700000000"},
		{"unknown", "/x/y.exe", "/x", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"LUTRIS_GAME_UUID": "5c7f1d3e-0000-4000-8000-000000000000", "WINEPREFIX": tc.prefix}
			c, err := FromEnv(envOf(env), chain(tc.exe), home)
			if err != nil {
				t.Fatal(err)
			}
			if c.Launcher != Lutris || c.GameID() != tc.want {
				t.Errorf("launcher %q game id %q, want lutris and %q (%s)", c.Launcher, c.GameID(), tc.want, c.Detail)
			}
		})
	}
}
