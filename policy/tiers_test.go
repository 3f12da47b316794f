package policy

import (
	"strings"
	"testing"
)

func TestResolveDefaultTiers(t *testing.T) {
	base := Default()
	base.Process.AllowedPatterns = []string{"cmd.exe"}
	cases := []struct {
		tier string
		want Profile
	}{
		{"red", Profile{Tier: "red", NetworkMode: "offline", AllowShellExecution: false, MaxChildProcesses: 30, Filesystem: FilesystemStrict}},
		{"yellow", Profile{Tier: "yellow", NetworkMode: "observe", AllowShellExecution: false, MaxChildProcesses: 50, Filesystem: FilesystemStandard}},
		{"green", Profile{Tier: "green", NetworkMode: "observe", AllowShellExecution: true, MaxChildProcesses: 200, Filesystem: FilesystemStandard}},
		{"", Profile{Tier: "red", NetworkMode: "offline", AllowShellExecution: false, MaxChildProcesses: 30, Filesystem: FilesystemStrict}},
		{"purple", Profile{Tier: "red", NetworkMode: "offline", AllowShellExecution: false, MaxChildProcesses: 30, Filesystem: FilesystemStrict}},
	}
	for _, c := range cases {
		cfg, p := Resolve(base, c.tier)
		if p != c.want {
			t.Errorf("Resolve(%q) profile %+v, want %+v", c.tier, p, c.want)
		}
		if cfg.Network.Mode != p.NetworkMode || cfg.Process.MaxChildProcesses != p.MaxChildProcesses {
			t.Errorf("Resolve(%q) config does not match its profile", c.tier)
		}
		red := p.Tier == "red"
		if red != (len(cfg.Process.AllowedPatterns) == 0) {
			t.Errorf("Resolve(%q) allowed_patterns %q", c.tier, cfg.Process.AllowedPatterns)
		}
		if len(cfg.SacredZones) != len(base.SacredZones) {
			t.Errorf("Resolve(%q) changed the sacred zones", c.tier)
		}
	}
	if len(base.Process.AllowedPatterns) != 1 {
		t.Error("Resolve changed its input")
	}
}

func TestTierProfileFromFile(t *testing.T) {
	cfg, err := Parse([]byte("[tiers.red]\nnetwork_mode = \"restrict\"\n[tiers.yellow]\nmax_child_processes = 80\n"), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	_, red := Resolve(cfg, "red")
	if red.NetworkMode != "restrict" || red.Filesystem != FilesystemStrict || red.MaxChildProcesses != 30 {
		t.Errorf("red profile %+v: the file's key replaces only network_mode", red)
	}
	_, yellow := Resolve(cfg, "yellow")
	if yellow.MaxChildProcesses != 80 || yellow.NetworkMode != "observe" {
		t.Errorf("yellow profile %+v", yellow)
	}
}

func TestTierProfileErrors(t *testing.T) {
	cases := map[string]string{
		"[tiers.red]\nnetwork_mode = \"open\"\n":        `tiers.red.network_mode = "open" is invalid`,
		"[tiers.green]\nfilesystem = \"loose\"\n":       `tiers.green.filesystem = "loose" is invalid: use "standard" or "strict"`,
		"[tiers.yellow]\nmax_child_processes = 0\n":     "tiers.yellow.max_child_processes = 0 is out of range",
		"[tiers.green]\nallowed_patterns = [\"a/b\"]\n": `tiers.green.allowed_patterns[0] = "a/b" never matches`,
		"[tiers.blue]\n":                   `unknown table "tiers.blue"`,
		"[tiers.red]\nsacred_zones = []\n": `unknown key "tiers.red.sacred_zones"`,
	}
	for doc, want := range cases {
		_, err := Parse([]byte(doc), "config.toml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error %v, want it to contain %q", doc, err, want)
		}
	}
}

func TestTierProfileTypeErrors(t *testing.T) {
	cases := map[string]string{
		"[tiers.red]\nallow_shell_execution = \"yes\"\n": `config.toml:2: key "tiers.red.allow_shell_execution": expected a boolean, found a string`,
		"[tiers.yellow]\nmax_child_processes = \"x\"\n":  `config.toml:2: key "tiers.yellow.max_child_processes": expected an integer, found a string`,
		"[tiers.green]\nallowed_patterns = [1]\n":        `config.toml:2: key "tiers.green.allowed_patterns": expected an array of strings, found an array containing an integer`,
		"[tiers]\nred = { network_mode = 5 }\n":          `key "tiers.red.network_mode": expected a string, found an integer`,
	}
	for doc, want := range cases {
		_, err := Parse([]byte(doc), "config.toml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error\n%v\nwant it to contain\n%s", doc, err, want)
		}
	}
}
