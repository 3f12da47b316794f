package policy

import (
	"reflect"
	"testing"
)

func TestDefaultFileParsesToDefault(t *testing.T) {
	got, err := Parse(DefaultFile, "default.toml")
	if err != nil {
		t.Fatalf("Parse(DefaultFile): %v", err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(DefaultFile) = %+v\nwant Default() = %+v", got, want)
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestDefaultReturnsFreshCopy(t *testing.T) {
	first := Default()
	first.SacredZones[0].Action = "read-only"
	first.Process.AllowedPatterns = append(first.Process.AllowedPatterns, "x")
	first.Network.AllowedDomains = append(first.Network.AllowedDomains, "example.com")
	first.Network.AllowedPorts = append(first.Network.AllowedPorts, 443)

	second := Default()
	if second.SacredZones[0].Action != "deny" {
		t.Errorf("changing one Default() changed the next: zone action %q", second.SacredZones[0].Action)
	}
	if len(second.Process.AllowedPatterns) != 0 {
		t.Errorf("changing one Default() changed the next: allowed_patterns %q", second.Process.AllowedPatterns)
	}
	if len(second.Network.AllowedDomains) != 0 || len(second.Network.AllowedPorts) != 0 {
		t.Errorf("changing one Default() changed the next: allowed_domains %q, allowed_ports %v",
			second.Network.AllowedDomains, second.Network.AllowedPorts)
	}
}

func TestDefaultValues(t *testing.T) {
	c := Default()
	checks := []struct {
		key       string
		got, want any
	}{
		{"winewarden.enabled", c.WineWarden.Enabled, true},
		{"winewarden.no_prompts_during_gameplay", c.WineWarden.NoPromptsDuringGameplay, true},
		{"winewarden.emergency_only", c.WineWarden.EmergencyOnly, true},
		{"trust.default_tier", c.Trust.DefaultTier, "yellow"},
		{"trust.auto_promote", c.Trust.AutoPromote, true},
		{"trust.promotion_after_runs", c.Trust.PromotionAfterRuns, 5},
		{"process.allowed_patterns", c.Process.AllowedPatterns, []string{}},
		{"process.blocked_patterns", c.Process.BlockedPatterns, []string{}},
		{"process.max_child_processes", c.Process.MaxChildProcesses, 50},
		{"process.allow_shell_execution", c.Process.AllowShellExecution, false},
		{"network.mode", c.Network.Mode, "observe"},
		{"network.dns_awareness", c.Network.DNSAwareness, true},
		{"network.destination_monitoring", c.Network.DestinationMonitoring, true},
		{"network.connection_rate_limit", c.Network.ConnectionRateLimit, 1000},
		{"network.allowed_domains", c.Network.AllowedDomains, []string{}},
		{"network.allowed_cidrs", c.Network.AllowedCIDRs, []string{}},
		{"network.allowed_ports", c.Network.AllowedPorts, []int{}},
		{"network.dns_servers", c.Network.DNSServers, []string{}},
		{"network.max_unique_destinations", c.Network.MaxUniqueDestinations, 100},
	}
	for _, check := range checks {
		if !reflect.DeepEqual(check.got, check.want) {
			t.Errorf("%s = %#v, want %#v", check.key, check.got, check.want)
		}
	}
}

func TestDefaultZones(t *testing.T) {
	want := []string{
		"~/.ssh", "~/.gnupg", "~/.mozilla", "~/.config/google-chrome", "~/.config/chromium",
		"~/.config/BraveSoftware", "~/.config/discord", "~/.local/share/TelegramDesktop",
		"~/.password-store", "~/.local/share/keyrings", "~/.electrum", "~/.bitcoin", "~/.ethereum",
		"~/.config/Exodus",
		"~/.steam/steam/config/loginusers.vdf", "~/.steam/steam/config/config.vdf", "~/.steam/steam/ssfn*",
		"~/.local/share/Steam/config/loginusers.vdf", "~/.local/share/Steam/config/config.vdf",
		"~/.local/share/Steam/ssfn*",
		"~/.bashrc", "~/.bash_profile", "~/.bash_login", "~/.profile", "~/.zshrc", "~/.zprofile",
		"~/.zshenv", "~/.config/fish",
		"~/.config/autostart", "~/.config/systemd", "~/.config/winewarden",
	}
	zones := Default().SacredZones
	if len(zones) != len(want) {
		t.Fatalf("Default() has %d sacred zones, want %d", len(zones), len(want))
	}
	for i, z := range zones {
		if z.Path != want[i] {
			t.Errorf("zone %d path = %q, want %q", i, z.Path, want[i])
		}
		if z.Action != "deny" {
			t.Errorf("zone %q action = %q, want deny", z.Path, z.Action)
		}
		if z.Label == "" {
			t.Errorf("zone %q has no label", z.Path)
		}
	}
}
