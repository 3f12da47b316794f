package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andygrunwald/vdf"

	"github.com/winewarden/winewarden/launcher"
)

const steamConfig = `"InstallConfigStore"
{
	"Software"
	{
		"Valve"
		{
			"Steam"
			{
				"AutoUpdateWindowEnabled"		"0"
				"CompatToolMapping"
				{
					"0"
					{
						"name"		"proton_experimental"
						"config"		""
						"priority"		"75"
					}
					"1245620"
					{
						"name"		"GE-Proton9-20"
						"config"		""
						"priority"		"250"
					}
				}
				// a comment with "quotes" and { braces }
				"Path \"quoted\""		"C:\\Games"
			}
		}
	}
	"Music"
	{
		"CrawlSteamInstallFolders"		"1"
	}
}
`

func compatName(t *testing.T, text, app string) string {
	t.Helper()
	m, err := vdf.NewParser(strings.NewReader(text)).Parse()
	if err != nil {
		t.Fatalf("edited file does not parse: %v\n%s", err, text)
	}
	return launcher.VDFString(m, "InstallConfigStore", "Software", "Valve", "Steam", "CompatToolMapping", app, "name")
}

func TestSetCompatToolCases(t *testing.T) {
	withoutMapping := strings.Replace(steamConfig, steamConfig[strings.Index(steamConfig, "\t\t\t\t\"CompatToolMapping\""):strings.Index(steamConfig, "\t\t\t\t// a comment")], "", 1)
	cases := []struct {
		name, text, app string
	}{
		{"new app", steamConfig, "70"},
		{"app mapped to another tool", steamConfig, "1245620"},
		{"every game", steamConfig, "0"},
		{"no mapping yet", withoutMapping, "70"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := setCompatTool([]byte(tc.text), "config.vdf", tc.app)
			if err != nil {
				t.Fatal(err)
			}
			if got := compatName(t, string(out), tc.app); got != "WineWarden" {
				t.Errorf("app %s maps to %q", tc.app, got)
			}
			if tc.app != "1245620" && strings.Contains(tc.text, "GE-Proton9-20") && compatName(t, string(out), "1245620") != "GE-Proton9-20" {
				t.Error("another game's mapping changed")
			}
			if !strings.Contains(string(out), `"CrawlSteamInstallFolders"		"1"`) || !strings.Contains(string(out), "// a comment") {
				t.Errorf("other content changed:\n%s", out)
			}
			again, err := setCompatTool(out, "config.vdf", tc.app)
			if err != nil || string(again) != string(out) {
				t.Errorf("setting it twice changed the file: %v", err)
			}
		})
	}
}

func TestSetCompatToolRejectsBrokenFiles(t *testing.T) {
	for name, text := range map[string]string{
		"truncated":     steamConfig[:len(steamConfig)/2],
		"no steam":      "\"InstallConfigStore\"\n{\n\t\"Music\"\n\t{\n\t}\n}\n",
		"unterminated":  "\"InstallConfigStore\n{\n}\n",
		"stray content": "\"InstallConfigStore\"\n{\n}\n}\n",
	} {
		if out, err := setCompatTool([]byte(text), "config.vdf", "70"); err == nil {
			t.Errorf("%s: edited to\n%s", name, out)
		}
	}
}

func steamHome(t *testing.T) (home, config string) {
	t.Helper()
	home = t.TempDir()
	root := filepath.Join(home, ".local/share/Steam")
	writeFile(t, filepath.Join(root, "steamapps/libraryfolders.vdf"), "\"libraryfolders\"\n{\n}\n", 0o644)
	config = filepath.Join(root, "config/config.vdf")
	writeFile(t, config, steamConfig, 0o600)
	return home, config
}

func TestSteamCompatToolInstallAndUninstall(t *testing.T) {
	home, config := steamHome(t)
	o, _ := options(t, home, "/opt/winewarden")
	if err := SteamCompatTool(o, []string{"70", "default"}); err != nil {
		t.Fatal(err)
	}
	text := readFile(t, config)
	if compatName(t, text, "70") != "WineWarden" || compatName(t, text, "0") != "WineWarden" {
		t.Errorf("config.vdf after the install:\n%s", text)
	}
	if err := Uninstall(o, "steam"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, config); got != steamConfig {
		t.Errorf("uninstall did not restore config.vdf:\n%s", got)
	}
}

func TestSteamCompatToolUninstallAfterSteamRewrote(t *testing.T) {
	home, config := steamHome(t)
	o, _ := options(t, home, "/opt/winewarden")
	if err := SteamCompatTool(o, []string{"70"}); err != nil {
		t.Fatal(err)
	}
	// Steam rewrites the file on exit, with a setting of its own added.
	rewritten := strings.Replace(readFile(t, config), `"AutoUpdateWindowEnabled"		"0"`, `"AutoUpdateWindowEnabled"		"1"`, 1)
	writeFile(t, config, rewritten, 0o600)
	if err := Uninstall(o, "steam"); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, config)
	if compatName(t, got, "70") != "" || compatName(t, got, "1245620") != "GE-Proton9-20" || !strings.Contains(got, `"AutoUpdateWindowEnabled"		"1"`) {
		t.Errorf("config.vdf after the uninstall:\n%s", got)
	}
	if got != strings.Replace(steamConfig, `"AutoUpdateWindowEnabled"		"0"`, `"AutoUpdateWindowEnabled"		"1"`, 1) {
		t.Errorf("uninstall left more than Steam's own change:\n%s", got)
	}
}

// startFakeSteam runs a process named steam until the test ends or the
// returned function stops it.
func startFakeSteam(t *testing.T) (stop func()) {
	t.Helper()
	steam := filepath.Join(t.TempDir(), "steam")
	data, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, steam, string(data), 0o755)
	cmd := exec.Command(steam, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	t.Cleanup(stop)
	time.Sleep(100 * time.Millisecond)
	return stop
}

func TestUninstallWaitsForSteamToQuit(t *testing.T) {
	home, config := steamHome(t)
	o, _ := options(t, home, "/opt/winewarden")
	if err := SteamCompatTool(o, []string{"70"}); err != nil {
		t.Fatal(err)
	}
	installed := readFile(t, config)

	stop := startFakeSteam(t)
	if err := Uninstall(o, "steam"); err == nil || !strings.Contains(err.Error(), "quit it") {
		t.Errorf("uninstall with Steam running: %v", err)
	}
	if readFile(t, config) != installed {
		t.Error("config.vdf changed while Steam ran")
	}
	if Installed(o.DataHome)["steam"] == 0 {
		t.Error("the entry left the record, so a later uninstall cannot restore the file")
	}

	stop()
	if err := Uninstall(o, "steam"); err != nil {
		t.Fatal(err)
	}
	if readFile(t, config) != steamConfig {
		t.Error("uninstall after Steam quit did not restore config.vdf")
	}
}

func TestSteamCompatToolRefusedWhileSteamRuns(t *testing.T) {
	home, config := steamHome(t)
	startFakeSteam(t)
	o, _ := options(t, home, "/opt/winewarden")
	if err := SteamCompatTool(o, []string{"70"}); err == nil || !strings.Contains(err.Error(), "quit Steam") {
		t.Errorf("with Steam running: %v", err)
	}
	if readFile(t, config) != steamConfig {
		t.Error("config.vdf changed while Steam ran")
	}
	if err := SteamCompatTool(o, []string{"../70"}); err == nil {
		t.Error("an invalid app id was accepted")
	}
}
