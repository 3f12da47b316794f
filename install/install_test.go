package install

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andygrunwald/vdf"
	"go.yaml.in/yaml/v3"
)

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// staticBinary builds a statically linked program from testdata/elf/true.c.
func staticBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "winewarden")
	cmd := exec.Command("gcc", "-static", "-O2", "-o", out, "../testdata/elf/true.c")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc -static: %v\n%s", err, msg)
	}
	return out
}

func options(t *testing.T, home, binary string) (Options, *bytes.Buffer) {
	var out bytes.Buffer
	return Options{Home: home, DataHome: filepath.Join(home, ".local/share/winewarden"), Binary: binary, Out: &out}, &out
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(path, "/.local/share/winewarden/") {
			files[path] = readFile(t, path)
		}
		return nil
	})
	return files
}

func sameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for path, content := range before {
		if after[path] != content {
			t.Errorf("%s differs from before the install", path)
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok {
			t.Errorf("%s was left behind", path)
		}
	}
}

func TestSteamInstallAndUninstall(t *testing.T) {
	home := t.TempDir()
	root := filepath.Join(home, ".local/share/Steam")
	writeFile(t, filepath.Join(root, "steamapps/libraryfolders.vdf"), "\"libraryfolders\"\n{\n}\n", 0o644)
	before := snapshot(t, home)
	o, out := options(t, home, staticBinary(t))

	if err := Steam(o); err != nil {
		t.Fatal(err)
	}
	dir := SteamToolDir(root)
	tool, err := vdf.NewParser(strings.NewReader(readFile(t, filepath.Join(dir, "compatibilitytool.vdf")))).Parse()
	if err != nil {
		t.Fatal(err)
	}
	entry := tool["compatibilitytools"].(map[string]any)["compat_tools"].(map[string]any)["WineWarden"].(map[string]any)
	if entry["display_name"] != "WineWarden" || entry["install_path"] != "." || entry["from_oslist"] != "windows" {
		t.Errorf("compatibilitytool.vdf entry %v", entry)
	}
	manifest, err := vdf.NewParser(strings.NewReader(readFile(t, filepath.Join(dir, "toolmanifest.vdf")))).Parse()
	if err != nil {
		t.Fatal(err)
	}
	m := manifest["manifest"].(map[string]any)
	if m["commandline"] != "/winewarden compat %verb% --" || m["version"] != "2" || m["require_tool_appid"] != "1628350" {
		t.Errorf("toolmanifest.vdf %v", m)
	}
	if info, err := os.Stat(filepath.Join(dir, "winewarden")); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("tool binary: %v %v", info, err)
	}

	out.Reset()
	if err := Steam(o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "already installed") {
		t.Errorf("a second install changed something:\n%s", out)
	}

	if err := Uninstall(o, "steam"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, home))
	if _, err := os.Stat(filepath.Join(root, "compatibilitytools.d")); !os.IsNotExist(err) {
		t.Error("the compatibilitytools.d directory the install created was left behind")
	}
}

func TestSteamInstallKeepsUserFiles(t *testing.T) {
	home := t.TempDir()
	root := filepath.Join(home, ".local/share/Steam")
	writeFile(t, filepath.Join(root, "steamapps/libraryfolders.vdf"), "\"libraryfolders\"\n{\n}\n", 0o644)
	// A hand-made tool of the same name, whose file the install replaces.
	writeFile(t, filepath.Join(SteamToolDir(root), "compatibilitytool.vdf"), "// mine\n\"compatibilitytools\" { }\n", 0o600)
	before := snapshot(t, home)
	o, _ := options(t, home, staticBinary(t))
	if err := Steam(o); err != nil {
		t.Fatal(err)
	}
	if err := Uninstall(o, "steam"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, home))
	info, err := os.Stat(filepath.Join(SteamToolDir(root), "compatibilitytool.vdf"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("restored file: %v, %v", info, err)
	}
}

func TestSteamInstallRejectsDynamicBinary(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".local/share/Steam/steamapps/libraryfolders.vdf"), "\"libraryfolders\"\n{\n}\n", 0o644)
	o, _ := options(t, home, "/bin/true")
	err := Steam(o)
	if err == nil || !strings.Contains(err.Error(), "make static") {
		t.Errorf("a dynamic binary gave %v", err)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".local/share/Steam/steamapps/libraryfolders.vdf"), "\"libraryfolders\"\n{\n}\n", 0o644)
	writeFile(t, filepath.Join(home, ".config/heroic/config.json"), `{"defaultSettings": {"wineVersion": {}}, "version": "v0"}`, 0o644)
	before := snapshot(t, home)
	o, out := options(t, home, staticBinary(t))
	o.DryRun = true
	if err := Steam(o); err != nil {
		t.Fatal(err)
	}
	if err := Heroic(o, ""); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, home))
	if !strings.Contains(out.String(), "would create") || !strings.Contains(out.String(), "would edit") {
		t.Errorf("dry run printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(home, ".local/share/winewarden")); !os.IsNotExist(err) {
		t.Error("a dry run wrote the install record")
	}
}

const heroicConfig = `{
  "defaultSettings": {
    "checkUpdatesInterval": 10,
    "wrapperOptions": [
      {
        "exe": "gamemoderun",
        "args": ""
      }
    ],
    "winePrefix": "~/Games/Heroic/Prefixes/default",
    "note": "a <b>&amp;</b> \u00e9",
    "ratio": 1.50
  },
  "version": "v0"
}
`

func TestHeroicWrapperKeepsEverythingElse(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".config/heroic/config.json")
	writeFile(t, path, heroicConfig, 0o644)
	before := snapshot(t, home)
	o, out := options(t, home, "/home/alice/.local/bin/winewarden")
	if err := Heroic(o, ""); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	want := strings.Replace(heroicConfig, `"wrapperOptions": [
      {`, `"wrapperOptions": [
      {
        "exe": "/home/alice/.local/bin/winewarden",
        "args": "run --"
      },
      {`, 1)
	if got != want {
		t.Errorf("config.json after the install:\n%s\nwant:\n%s", got, want)
	}

	out.Reset()
	if err := Heroic(o, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "already installed") || readFile(t, path) != want {
		t.Errorf("a second install changed the file:\n%s", out)
	}
	if err := Uninstall(o, "heroic"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, home))
}

func TestHeroicGameConfig(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".config/heroic/GamesConfig/Quail.json")
	writeFile(t, path, `{"Quail":{"winePrefix":"/h/Quail","wineVersion":{"bin":"/usr/bin/wine","name":"Wine - 8.0","type":"wine"}},"version":"v0.1","explicit":false}`, 0o644)
	o, _ := options(t, home, "/opt/winewarden")
	if err := Heroic(o, "Quail"); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	if !strings.Contains(got, `"wrapperOptions": [
      {
        "exe": "/opt/winewarden",
        "args": "run --"
      }
    ]`) || !strings.Contains(got, `"explicit": false`) || strings.HasSuffix(got, "\n") {
		t.Errorf("game config after the install:\n%s", got)
	}
	if err := Heroic(o, "Missing"); err == nil || !strings.Contains(err.Error(), "open the game's settings in Heroic once") {
		t.Errorf("a game without settings gave %v", err)
	}
	if err := Heroic(o, "../config"); err == nil {
		t.Error("an app name with a path was accepted")
	}
}

func TestCorruptedLauncherFilesLeftAlone(t *testing.T) {
	cases := map[string]string{
		"truncated":          `{"defaultSettings": {"wrapperOptions": [`,
		"not an object":      `["defaultSettings"]`,
		"no default section": `{"version": "v0"}`,
		"wrappers not list":  `{"defaultSettings": {"wrapperOptions": "gamemoderun"}}`,
		"trailing garbage":   `{"defaultSettings": {}} {`,
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			writeFile(t, filepath.Join(home, ".config/heroic/config.json"), text, 0o644)
			before := snapshot(t, home)
			o, _ := options(t, home, "/opt/winewarden")
			if err := Heroic(o, ""); err == nil {
				t.Error("the install succeeded")
			}
			sameFiles(t, before, snapshot(t, home))
			if _, err := os.Stat(filepath.Join(home, ".local/share/winewarden/backups")); !os.IsNotExist(err) {
				t.Error("a backup was made of a file that was not edited")
			}
		})
	}
}

func TestWineVersionsForLutrisAndBottles(t *testing.T) {
	home := t.TempDir()
	lutrisWine := filepath.Join(home, ".local/share/lutris/runners/wine/lutris-GE 8")
	writeFile(t, filepath.Join(lutrisWine, "bin/wine"), "#!/bin/sh\n", 0o755)
	writeFile(t, filepath.Join(lutrisWine, "bin/wineserver"), "#!/bin/sh\n", 0o755)
	bottlesRunner := filepath.Join(home, ".local/share/bottles/runners/soda-9.0")
	writeFile(t, filepath.Join(bottlesRunner, "bin/wine"), "#!/bin/sh\n", 0o755)
	before := snapshot(t, home)

	// A stand-in winewarden that prints its arguments, one per line.
	binary := filepath.Join(t.TempDir(), "it's winewarden")
	writeFile(t, binary, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n", 0o755)
	o, _ := options(t, home, binary)
	if err := Lutris(o, "lutris-GE 8"); err != nil {
		t.Fatal(err)
	}
	if err := Bottles(o, "soda-9.0"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ script, real string }{
		{".local/share/lutris/runners/wine/winewarden-lutris-GE 8/bin/wine", filepath.Join(lutrisWine, "bin/wine")},
		{".local/share/lutris/runners/wine/winewarden-lutris-GE 8/bin/wine64", filepath.Join(lutrisWine, "bin/wine")},
		{".local/share/lutris/runners/wine/winewarden-lutris-GE 8/bin/wineserver", filepath.Join(lutrisWine, "bin/wineserver")},
		{".local/share/bottles/runners/winewarden-soda-9.0/bin/wine64", filepath.Join(bottlesRunner, "bin/wine")},
	} {
		out, err := exec.Command(filepath.Join(home, tc.script), "C:\\Games\\a b.exe", "--x='y'").Output()
		if err != nil {
			t.Fatalf("%s: %v", tc.script, err)
		}
		want := "run\n--\n" + tc.real + "\nC:\\Games\\a b.exe\n--x='y'\n"
		if string(out) != want {
			t.Errorf("%s ran:\n%s\nwant:\n%s", tc.script, out, want)
		}
	}
	// Version queries and wineserver's stop and wait go to the real
	// programs, outside the sandbox.
	for _, tc := range [][]string{{"wine", "--version"}, {"wineserver", "-k"}, {"wineserver", "-w"}} {
		script := filepath.Join(home, ".local/share/lutris/runners/wine/winewarden-lutris-GE 8/bin", tc[0])
		out, err := exec.Command(script, tc[1]).Output()
		if err != nil || len(out) != 0 {
			t.Errorf("%s %s went through winewarden: %q %v", tc[0], tc[1], out, err)
		}
	}
	if err := Lutris(o, "winewarden-lutris-GE 8"); err == nil {
		t.Error("a WineWarden version was accepted as the base of another")
	}
	if err := Lutris(o, "missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a missing Wine version gave %v", err)
	}
	for _, l := range []string{"lutris", "bottles"} {
		if err := Uninstall(o, l); err != nil {
			t.Fatal(err)
		}
	}
	sameFiles(t, before, snapshot(t, home))
}

func TestUninstallKeepsChangedFiles(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".local/share/bottles/runners/soda-9.0/bin/wine"), "#!/bin/sh\n", 0o755)
	o, _ := options(t, home, "/opt/winewarden")
	if err := Bottles(o, "soda-9.0"); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(home, ".local/share/bottles/runners/winewarden-soda-9.0/bin/wine")
	writeFile(t, script, "#!/bin/sh\n# edited by hand\n", 0o755)
	err := Uninstall(o, "bottles")
	if err == nil || !strings.Contains(err.Error(), "changed since it was installed") {
		t.Errorf("uninstall gave %v, want the changed file reported", err)
	}
	if got := readFile(t, script); !strings.Contains(got, "edited by hand") {
		t.Error("the changed file was removed")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "wine64")); !os.IsNotExist(err) {
		t.Error("an unchanged file was kept")
	}
}

const bottleYAML = `Name: Games
Arch: win64
Runner: soda-9.0-1
External_Programs:
  0f9d2c1e:
    executable: Launcher.exe
    name: Launcher
    path: C:\Games\Launcher.exe
    arguments: -skip
  7a1b3c4d:
    executable: Game.exe
    name: Game
    path: /home/alice/Games/Game.exe
    arguments: 'DXVK_HUD=1 %command% -windowed'
Environment_Variables: {}
`

func TestBottlesProgramLaunchOptions(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".local/share/bottles/bottles/Games/bottle.yml")
	writeFile(t, path, bottleYAML, 0o644)
	before := snapshot(t, home)
	o, _ := options(t, home, "/opt/winewarden")
	for _, program := range []string{"Launcher", "Game"} {
		if err := BottlesProgram(o, "Games", program); err != nil {
			t.Fatal(err)
		}
	}
	var doc struct {
		Name     string `yaml:"Name"`
		Runner   string `yaml:"Runner"`
		Programs map[string]struct {
			Name      string `yaml:"name"`
			Path      string `yaml:"path"`
			Arguments string `yaml:"arguments"`
		} `yaml:"External_Programs"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, path)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Name != "Games" || doc.Runner != "soda-9.0-1" || doc.Programs["0f9d2c1e"].Path != `C:\Games\Launcher.exe` {
		t.Errorf("other keys changed: %+v", doc)
	}
	if got := doc.Programs["0f9d2c1e"].Arguments; got != "'/opt/winewarden' run -- %command% -skip" {
		t.Errorf("Launcher arguments %q", got)
	}
	if got := doc.Programs["7a1b3c4d"].Arguments; got != "DXVK_HUD=1 '/opt/winewarden' run -- %command% -windowed" {
		t.Errorf("Game arguments %q", got)
	}
	// A second install changes nothing, and uninstall restores the file.
	edited := readFile(t, path)
	if err := BottlesProgram(o, "Games", "Game"); err != nil || readFile(t, path) != edited {
		t.Errorf("a second install: %v", err)
	}
	if err := BottlesProgram(o, "Games", "Missing"); err == nil || !strings.Contains(err.Error(), `"Launcher", "Game"`) {
		t.Errorf("a missing program gave %v", err)
	}
	if err := Uninstall(o, "bottles"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, home))
}

func TestLutrisPrefixCommand(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".local/share/lutris/system.yml")
	writeFile(t, path, "system:\n  gamemode: true\n  env:\n    DXVK_HUD: fps\nwine:\n  version: lutris-8\n", 0o644)
	before := snapshot(t, home)
	o, _ := options(t, home, "/opt/winewarden")
	if err := LutrisPrefixCommand(o); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		System struct {
			Gamemode      bool              `yaml:"gamemode"`
			Env           map[string]string `yaml:"env"`
			PrefixCommand string            `yaml:"prefix_command"`
		} `yaml:"system"`
		Wine map[string]string `yaml:"wine"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, path)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.System.PrefixCommand != "'/opt/winewarden' run --" || !doc.System.Gamemode || doc.System.Env["DXVK_HUD"] != "fps" || doc.Wine["version"] != "lutris-8" {
		t.Errorf("system.yml after the install: %+v", doc)
	}
	if err := Uninstall(o, "lutris"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, home))

	// A prefix command of the user's own is kept.
	writeFile(t, path, "system:\n  prefix_command: firejail\n", 0o644)
	if err := LutrisPrefixCommand(o); err == nil || !strings.Contains(err.Error(), "firejail") {
		t.Errorf("an existing prefix_command gave %v", err)
	}
}

func TestCorruptedYAMLLeftAlone(t *testing.T) {
	for name, text := range map[string]string{
		"unclosed":    "system: [unclosed\n",
		"not mapping": "- a\n- b\n",
		"tab indent":  "system:\n\tprefix_command: x\n",
		"system list": "system:\n  - a\n",
	} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			writeFile(t, filepath.Join(home, ".local/share/lutris/system.yml"), text, 0o644)
			writeFile(t, filepath.Join(home, ".local/share/bottles/bottles/B/bottle.yml"), text, 0o644)
			before := snapshot(t, home)
			o, _ := options(t, home, "/opt/winewarden")
			if err := LutrisPrefixCommand(o); err == nil {
				t.Error("Lutris: the install succeeded")
			}
			if err := BottlesProgram(o, "B", "Game"); err == nil {
				t.Error("Bottles: the install succeeded")
			}
			sameFiles(t, before, snapshot(t, home))
		})
	}
}

func TestReinstallAfterLauncherChangeKeepsItsChange(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".config/heroic/config.json")
	writeFile(t, path, `{"defaultSettings": {"wrapperOptions": []}, "version": "v0"}`+"\n", 0o644)
	o, _ := options(t, home, "/opt/winewarden")
	if err := Heroic(o, ""); err != nil {
		t.Fatal(err)
	}
	// Heroic saves its settings: the wrapper removed, a language added.
	changed := `{"defaultSettings": {"wrapperOptions": [], "language": "de"}, "version": "v0"}` + "\n"
	writeFile(t, path, changed, 0o644)
	if err := Heroic(o, ""); err != nil {
		t.Fatal(err)
	}
	if err := Uninstall(o, "heroic"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != changed {
		t.Errorf("uninstall restored an older copy:\n%s\nwant Heroic's latest:\n%s", got, changed)
	}
}

func TestUninstallTakesEditOutOfChangedFile(t *testing.T) {
	home := t.TempDir()
	heroic := filepath.Join(home, ".config/heroic/config.json")
	writeFile(t, heroic, `{"defaultSettings": {"wrapperOptions": [{"exe": "gamemoderun", "args": ""}]}, "version": "v0"}`, 0o644)
	lutris := filepath.Join(home, ".local/share/lutris/system.yml")
	writeFile(t, lutris, "system:\n  gamemode: true\n", 0o644)
	bottle := filepath.Join(home, ".local/share/bottles/bottles/Games/bottle.yml")
	writeFile(t, bottle, bottleYAML, 0o644)
	o, out := options(t, home, "/opt/winewarden")
	if err := Heroic(o, ""); err != nil {
		t.Fatal(err)
	}
	if err := LutrisPrefixCommand(o); err != nil {
		t.Fatal(err)
	}
	if err := BottlesProgram(o, "Games", "Game"); err != nil {
		t.Fatal(err)
	}
	// Each launcher saves its settings afterwards, with a change of its own.
	writeFile(t, heroic, strings.Replace(readFile(t, heroic), `"version": "v0"`, `"version": "v0", "language": "de"`, 1), 0o644)
	writeFile(t, lutris, readFile(t, lutris)+"wine:\n  version: lutris-8\n", 0o644)
	writeFile(t, bottle, readFile(t, bottle)+"Versioning: true\n", 0o644)
	for _, l := range []string{"heroic", "lutris", "bottles"} {
		if err := Uninstall(o, l); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
	}
	for path, want := range map[string][]string{
		heroic: {`"language": "de"`, `"exe": "gamemoderun"`},
		lutris: {"version: lutris-8", "gamemode: true"},
		bottle: {"Versioning: true", "arguments: DXVK_HUD=1 %command% -windowed"},
	} {
		got := readFile(t, path)
		if strings.Contains(got, "/opt/winewarden") {
			t.Errorf("%s still runs WineWarden:\n%s", path, got)
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s lost %q:\n%s", path, w, got)
			}
		}
	}
	out.Reset()
	if err := Uninstall(o, "heroic"); err != nil || !strings.Contains(out.String(), "nothing installed") {
		t.Errorf("a second uninstall: %v\n%s", err, out)
	}
}

func TestFlatpakWineVersionCarriesBinary(t *testing.T) {
	home := t.TempDir()
	runner := filepath.Join(home, ".var/app/com.usebottles.bottles/data/bottles/runners/soda-9.0")
	writeFile(t, filepath.Join(runner, "bin/wine"), "#!/bin/sh\n", 0o755)
	before := snapshot(t, home)

	// A dynamic binary would not run inside the Flatpak.
	o, _ := options(t, home, "/bin/true")
	err := Bottles(o, "soda-9.0")
	if err == nil || !strings.Contains(err.Error(), "make static") || !strings.Contains(err.Error(), "bottles's Flatpak") {
		t.Errorf("a dynamic binary for a Flatpak build gave %v", err)
	}

	binary := staticBinary(t)
	o, out := options(t, home, binary)
	if err := Bottles(o, "soda-9.0"); err != nil {
		t.Fatal(err)
	}
	version := filepath.Join(home, ".var/app/com.usebottles.bottles/data/bottles/runners/winewarden-soda-9.0")
	if readFile(t, filepath.Join(version, "winewarden")) != readFile(t, binary) {
		t.Error("the Flatpak version does not carry a copy of the binary")
	}
	script := readFile(t, filepath.Join(version, "bin/wine"))
	if !strings.Contains(script, shellQuote(filepath.Join(version, "winewarden"))+" run -- ") {
		t.Errorf("the script does not run the copy inside the Flatpak's data:\n%s", script)
	}
	if !strings.Contains(out.String(), "degraded Flatpak profile") {
		t.Errorf("install did not explain the Flatpak profile:\n%s", out.String())
	}
	if !strings.Contains(out.String(), shellQuote(filepath.Join(version, "winewarden"))+" run -- %command%") {
		t.Errorf("the launch options install suggests do not run the copy:\n%s", out.String())
	}
	if err := Uninstall(o, "bottles"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, home))
}

func TestFlatpakHeroicRunsCopy(t *testing.T) {
	home := t.TempDir()
	app := filepath.Join(home, ".var/app/com.heroicgameslauncher.hgl")
	path := filepath.Join(app, "config/heroic/config.json")
	writeFile(t, path, heroicConfig, 0o644)
	before := snapshot(t, home)
	binary := staticBinary(t)
	o, out := options(t, home, binary)
	if err := Heroic(o, ""); err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(app, "data/winewarden/winewarden")
	if readFile(t, copied) != readFile(t, binary) {
		t.Error("Heroic's Flatpak has no copy of the binary in its data directory")
	}
	if got := readFile(t, path); !strings.Contains(got, `"exe": "`+copied+`"`) {
		t.Errorf("the wrapper does not run the copy:\n%s", got)
	}
	if !strings.Contains(out.String(), "degraded Flatpak profile") {
		t.Errorf("install did not explain the Flatpak profile:\n%s", out.String())
	}
	if err := Uninstall(o, "heroic"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, home))
}

func TestFlatpakLaunchOptionsRunCopy(t *testing.T) {
	home := t.TempDir()
	app := filepath.Join(home, ".var/app")
	bottle := filepath.Join(app, "com.usebottles.bottles/data/bottles/bottles/Games/bottle.yml")
	writeFile(t, bottle, bottleYAML, 0o644)
	system := filepath.Join(app, "net.lutris.Lutris/data/lutris/system.yml")
	writeFile(t, system, "system:\n  gamemode: true\n", 0o644)
	before := snapshot(t, home)

	binary := staticBinary(t)
	o, _ := options(t, home, binary)
	if err := BottlesProgram(o, "Games", "Game"); err != nil {
		t.Fatal(err)
	}
	if err := LutrisPrefixCommand(o); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ file, copy string }{
		{bottle, filepath.Join(app, "com.usebottles.bottles/data/winewarden/winewarden")},
		{system, filepath.Join(app, "net.lutris.Lutris/data/winewarden/winewarden")},
	} {
		if readFile(t, tc.copy) != readFile(t, binary) {
			t.Errorf("%s is not a copy of the binary", tc.copy)
		}
		if got := readFile(t, tc.file); !strings.Contains(got, tc.copy) {
			t.Errorf("%s does not run the copy:\n%s", tc.file, got)
		}
	}

	for _, l := range []string{"bottles", "lutris"} {
		if err := Uninstall(o, l); err != nil {
			t.Fatal(err)
		}
	}
	sameFiles(t, before, snapshot(t, home))
}
