package launcher

import (
	"slices"
	"strings"
	"testing"
)

const (
	steamDir = "/home/alice/.local/share/Steam"
	sniper   = "/home/alice/.local/share/Steam/steamapps/common/SteamLinuxRuntime_sniper/_v2-entry-point"
	proton9  = "/home/alice/.local/share/Steam/steamapps/common/Proton 9.0 (Beta)/proton"
)

func TestParseCommandSteamOrders(t *testing.T) {
	game := "/mnt/Games Drive/SteamLibrary/steamapps/common/Some Game/Game.exe"
	cases := []struct {
		name  string
		argv  []string
		outer int
	}{
		{"newer: launch wrapper outside reaper", []string{
			steamDir + "/ubuntu12_32/steam-launch-wrapper", "--",
			steamDir + "/ubuntu12_32/reaper", "SteamLaunch", "AppId=1245620", "--",
			sniper, "--verb=waitforexitandrun", "--",
			proton9, "waitforexitandrun", game, "-dx12",
		}, 2},
		{"older: reaper outside the launch wrapper", []string{
			steamDir + "/ubuntu12_32/reaper", "SteamLaunch", "AppId=1245620", "--",
			steamDir + "/ubuntu12_32/steam-launch-wrapper", "--",
			sniper, "--verb=waitforexitandrun", "--",
			proton9, "waitforexitandrun", game, "-dx12",
		}, 2},
		{"soldier era: reaper only", []string{
			steamDir + "/ubuntu12_32/reaper", "SteamLaunch", "AppId=1245620", "--",
			"/home/alice/.local/share/Steam/steamapps/common/SteamLinuxRuntime_soldier/_v2-entry-point", "--verb=waitforexitandrun", "--",
			proton9, "waitforexitandrun", game, "-dx12",
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCommand(tc.argv)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Outer) != tc.outer {
				t.Errorf("%d outer wrappers, want %d", len(c.Outer), tc.outer)
			}
			if c.AppID != "1245620" || c.Install {
				t.Errorf("app id %q install %v", c.AppID, c.Install)
			}
			if !strings.HasSuffix(c.Runtime[0], "/_v2-entry-point") || c.Runtime[len(c.Runtime)-1] != "--" {
				t.Errorf("runtime %q", c.Runtime)
			}
			if c.Proton != proton9 || c.Verb != "waitforexitandrun" {
				t.Errorf("proton %q verb %q", c.Proton, c.Verb)
			}
			if c.GameExe() != game || !slices.Equal(c.GameArgs(), []string{game, "-dx12"}) {
				t.Errorf("target %q", c.Target)
			}
		})
	}
}

func TestParseCommandShortcutAndInstall(t *testing.T) {
	// A non-Steam shortcut: a 32-bit id with the high bit set, no runtime.
	c, err := ParseCommand([]string{
		steamDir + "/ubuntu12_32/steam-launch-wrapper", "--oom-score-adjust", "900", "--",
		steamDir + "/ubuntu12_32/reaper", "SteamLaunch", "AppId=3094383012", "--",
		"/home/alice/.local/share/Steam/compatibilitytools.d/GE-Proton9-20/proton", "waitforexitandrun",
		"/home/alice/Games/Old Game/setup.exe",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.AppID != "3094383012" || c.Runtime != nil || c.GameExe() != "/home/alice/Games/Old Game/setup.exe" {
		t.Errorf("shortcut: app id %q runtime %q game %q", c.AppID, c.Runtime, c.GameExe())
	}

	c, err = ParseCommand([]string{steamDir + "/ubuntu12_32/reaper", "SteamLaunch", "AppId=70", "Install=1", "--",
		proton9, "run", steamDir + "/legacycompat/iscriptevaluator.exe", "evaluatorscript_70.vdf"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Install || c.Verb != "run" {
		t.Errorf("install script: install %v verb %q", c.Install, c.Verb)
	}
}

func TestParseCommandWithoutProton(t *testing.T) {
	c, err := ParseCommand([]string{"wine", "/home/alice/Games/x.exe"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Proton != "" || len(c.Outer) != 0 || c.GameExe() != "wine" {
		t.Errorf("plain command parsed as %+v", c)
	}
	c, err = ParseCommand([]string{"/home/alice/.local/share/umu/umu", "--verb", "waitforexitandrun", "--",
		"/home/alice/.local/share/umu/umu-shim", "/opt/GE-Proton/proton", "waitforexitandrun", "x.exe"})
	if err != nil {
		t.Fatal(err)
	}
	// umu's shim runs proton, so the sandbox runs the shim's command.
	if c.Runtime == nil || c.Target[0] != "/home/alice/.local/share/umu/umu-shim" || c.Proton != "/opt/GE-Proton/proton" {
		t.Errorf("umu command parsed as %+v", c)
	}
	if c.GameExe() != "x.exe" {
		t.Errorf("umu game %q, want x.exe", c.GameExe())
	}
}

func TestParseCommandRejectsBrokenChains(t *testing.T) {
	cases := map[string][]string{
		"no separator":         {steamDir + "/ubuntu12_32/reaper", "SteamLaunch", "AppId=1"},
		"nothing after":        {steamDir + "/ubuntu12_32/steam-launch-wrapper", "--"},
		"proton without verb":  {proton9, "/x/game.exe"},
		"proton at the end":    {proton9},
		"two runtimes":         {sniper, "--", sniper, "--", proton9, "run", "x.exe"},
		"empty":                {},
		"reaper without --":    {steamDir + "/ubuntu12_32/reaper", "--verb", proton9},
		"launch wrapper alone": {"steam-launch-wrapper"},
	}
	for name, argv := range cases {
		if c, err := ParseCommand(argv); err == nil {
			t.Errorf("%s: parsed as %+v, want an error", name, c)
		}
	}
}
