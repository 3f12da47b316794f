package policy

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"default", func(*Config) {}, ""},
		{"tier red", func(c *Config) { c.Trust.DefaultTier = "red" }, ""},
		{"tier green", func(c *Config) { c.Trust.DefaultTier = "green" }, ""},
		{
			"tier unknown",
			func(c *Config) { c.Trust.DefaultTier = "Yellow" },
			`trust.default_tier = "Yellow" is invalid: use "red", "yellow" or "green"`,
		},
		{
			"tier empty",
			func(c *Config) { c.Trust.DefaultTier = "" },
			`trust.default_tier = "" is invalid: use "red", "yellow" or "green"`,
		},
		{"promotion after one run", func(c *Config) { c.Trust.PromotionAfterRuns = 1 }, ""},
		{
			"promotion after zero runs",
			func(c *Config) { c.Trust.PromotionAfterRuns = 0 },
			"trust.promotion_after_runs = 0 is invalid: use a number of runs of at least 1",
		},
		{"mode offline", func(c *Config) { c.Network.Mode = "offline" }, ""},
		{"mode restrict", func(c *Config) { c.Network.Mode = "restrict" }, ""},
		{
			"mode unknown",
			func(c *Config) { c.Network.Mode = "block" },
			`network.mode = "block" is invalid: use "observe", "offline" or "restrict"`,
		},
		{"one child process", func(c *Config) { c.Process.MaxChildProcesses = 1 }, ""},
		{"100000 child processes", func(c *Config) { c.Process.MaxChildProcesses = 100000 }, ""},
		{
			"zero child processes",
			func(c *Config) { c.Process.MaxChildProcesses = 0 },
			"process.max_child_processes = 0 is out of range: use a value from 1 to 100000",
		},
		{
			"too many child processes",
			func(c *Config) { c.Process.MaxChildProcesses = 100001 },
			"process.max_child_processes = 100001 is out of range: use a value from 1 to 100000",
		},
		{
			"valid patterns",
			func(c *Config) {
				c.Process.AllowedPatterns = []string{"*.exe", "[a-z]?.bat", `\*`}
				c.Process.BlockedPatterns = []string{"cmd.exe"}
			},
			"",
		},
		{
			"unclosed bracket in allowed pattern",
			func(c *Config) { c.Process.AllowedPatterns = []string{"ok", "[a-"} },
			`process.allowed_patterns[1] = "[a-" is not a valid path.Match pattern: look for an unclosed "[" or a trailing "\"`,
		},
		{
			"trailing backslash in blocked pattern",
			func(c *Config) { c.Process.BlockedPatterns = []string{`cmd\`} },
			`process.blocked_patterns[0] = "cmd\\" is not a valid path.Match pattern: look for an unclosed "[" or a trailing "\"`,
		},
		{
			"path in blocked pattern",
			func(c *Config) { c.Process.BlockedPatterns = []string{"/games/x/hello.exe"} },
			`process.blocked_patterns[0] = "/games/x/hello.exe" never matches: patterns are compared with file names only, such as "hello.exe" or "python*"`,
		},
		{
			"Windows path in allowed pattern",
			func(c *Config) { c.Process.AllowedPatterns = []string{`C:\games\hello.exe`} },
			`process.allowed_patterns[0] = "C:\\games\\hello.exe" never matches: patterns are compared with file names only, such as "hello.exe" or "python*"`,
		},
		{
			"empty blocked pattern",
			func(c *Config) { c.Process.BlockedPatterns = []string{""} },
			`process.blocked_patterns[0] = "" never matches: patterns are compared with file names only, such as "hello.exe" or "python*"`,
		},
		{
			"connection rate limit zero",
			func(c *Config) { c.Network.ConnectionRateLimit = 0 },
			"network.connection_rate_limit = 0 is out of range: use a value from 1 to 1000000 attempts per second",
		},
		{"connection rate limit one", func(c *Config) { c.Network.ConnectionRateLimit = 1 }, ""},
		{
			"restrict allowlist",
			func(c *Config) {
				c.Network.Mode = "restrict"
				c.Network.AllowedDomains = []string{"example.com", "*.example.net", "Example.ORG."}
				c.Network.AllowedCIDRs = []string{"192.0.2.0/24", "2001:db8::/32", "127.0.0.1", "::1"}
				c.Network.AllowedPorts = []int{1, 443, 65535}
				c.Network.DNSServers = []string{"192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53"}
			},
			"",
		},
		{"one unique destination", func(c *Config) { c.Network.MaxUniqueDestinations = 1 }, ""},
		{"1000000 unique destinations", func(c *Config) { c.Network.MaxUniqueDestinations = 1000000 }, ""},
		{
			"zero unique destinations",
			func(c *Config) { c.Network.MaxUniqueDestinations = 0 },
			"network.max_unique_destinations = 0 is out of range: use a value from 1 to 1000000 destinations per session",
		},
		{
			"too many unique destinations",
			func(c *Config) { c.Network.MaxUniqueDestinations = 1000001 },
			"network.max_unique_destinations = 1000001 is out of range: use a value from 1 to 1000000 destinations per session",
		},
		{
			"zone actions",
			func(c *Config) {
				c.SacredZones = append(c.SacredZones,
					SacredZone{Label: "a", Path: "/a", Action: "redirect"},
					SacredZone{Label: "b", Path: "~/b", Action: "read-only"},
				)
			},
			"",
		},
		{
			"zone action unknown",
			func(c *Config) { c.SacredZones[0].Action = "block" },
			`sacred_zones entry with path "~/.ssh": action = "block" is invalid: use "deny", "redirect" or "read-only"`,
		},
		{
			"zone path empty",
			func(c *Config) { c.SacredZones = append(c.SacredZones, SacredZone{Label: "x", Action: "deny"}) },
			`sacred_zones entry "x" has no path: set path to an absolute path or one starting with "~/"`,
		},
		{
			"zone path relative",
			func(c *Config) { c.SacredZones = append(c.SacredZones, SacredZone{Path: "Documents", Action: "deny"}) },
			`sacred_zones entry with path "Documents": the path is invalid: make it absolute or start it with "~/" for your home`,
		},
		{
			"zone path tilde user",
			func(c *Config) { c.SacredZones = append(c.SacredZones, SacredZone{Path: "~bob/x", Action: "deny"}) },
			`sacred_zones entry with path "~bob/x": the path is invalid: make it absolute or start it with "~/" for your home`,
		},
		{
			"zone wildcard in directory",
			func(c *Config) {
				c.SacredZones = append(c.SacredZones, SacredZone{Path: "~/.steam/*/ssfn*", Action: "deny"})
			},
			`sacred_zones entry with path "~/.steam/*/ssfn*": only the last path element may contain "*": list each directory as its own entry`,
		},
		{
			"zone bad pattern",
			func(c *Config) { c.SacredZones = append(c.SacredZones, SacredZone{Path: "/srv/[x*", Action: "deny"}) },
			`sacred_zones entry with path "/srv/[x*": its last element = "[x*" is not a valid path.Match pattern: look for an unclosed "[" or a trailing "\"`,
		},
		{
			"zone brackets without star are literal",
			func(c *Config) { c.SacredZones = append(c.SacredZones, SacredZone{Path: "/srv/[x", Action: "deny"}) },
			"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate() = nil, want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("Validate() =\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Trust.DefaultTier = "blue"
	c.Network.Mode = "open"
	c.Process.MaxChildProcesses = -1

	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want three errors")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Errorf("Validate() reported %d problems, want 3:\n%s", len(lines), err)
	}
}
