package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadGameOverlaysGlobalConfig(t *testing.T) {
	global, err := Parse([]byte(`
[network]
mode = "restrict"
allowed_domains = ["a.game.test"]

[steam]
proton = "Proton 9.0"
`), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "steam-1245620.toml")
	if err := os.WriteFile(path, []byte(`
[network]
allowed_domains = ["b.game.test"]

[steam]
proton = "GE-Proton9-20"

[tiers.red]
network_mode = "restrict"

[[sacred_zones]]
path = "~/.ssh"
action = "deny"
label = "keys"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	game, found, err := LoadGame(global, path)
	if err != nil || !found {
		t.Fatalf("LoadGame: found %v, %v", found, err)
	}
	if game.Network.Mode != "restrict" {
		t.Errorf("network mode %q, want the global restrict", game.Network.Mode)
	}
	if !slices.Equal(game.Network.AllowedDomains, []string{"b.game.test"}) || game.Steam.Proton != "GE-Proton9-20" {
		t.Errorf("game file not applied: domains %q proton %q", game.Network.AllowedDomains, game.Steam.Proton)
	}
	if *game.Tiers.Red.NetworkMode != "restrict" || *global.Tiers.Red.NetworkMode != "offline" {
		t.Errorf("red network mode: game %q, global %q (want restrict and offline)", *game.Tiers.Red.NetworkMode, *global.Tiers.Red.NetworkMode)
	}
	if len(game.SacredZones) != len(global.SacredZones) {
		t.Errorf("%d sacred zones, want the global %d", len(game.SacredZones), len(global.SacredZones))
	}
	if !slices.Equal(global.Network.AllowedDomains, []string{"a.game.test"}) || global.Steam.Proton != "Proton 9.0" {
		t.Error("the game file changed the global config")
	}
}

func TestLoadGameMissingAndInvalid(t *testing.T) {
	global := Default()
	dir := t.TempDir()
	game, found, err := LoadGame(global, filepath.Join(dir, "none.toml"))
	if err != nil || found || game.Network.Mode != global.Network.Mode {
		t.Errorf("a missing game file: found %v, %v", found, err)
	}
	path := filepath.Join(dir, "heroic-x.toml")
	if err := os.WriteFile(path, []byte("[network]\nmode = \"everything\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadGame(global, path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("an invalid game file gave %v, want an error naming it", err)
	}
}
