package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func TestParseKeepsDefaultsForMissingKeys(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		change func(*Config) // turns Default() into the expected result
	}{
		{"empty file", "", func(*Config) {}},
		{"comments only", "# nothing here\n\n", func(*Config) {}},
		{"empty table", "[process]\n", func(*Config) {}},
		{
			"one key in a table",
			"[process]\nmax_child_processes = 7\n",
			func(c *Config) { c.Process.MaxChildProcesses = 7 },
		},
		{
			"false overrides true",
			"[winewarden]\nenabled = false\n",
			func(c *Config) { c.WineWarden.Enabled = false },
		},
		{
			"dotted key at top level",
			"network.mode = \"offline\"\n",
			func(c *Config) { c.Network.Mode = "offline" },
		},
		{
			"inline table",
			"trust = { default_tier = \"red\" }\n",
			func(c *Config) { c.Trust.DefaultTier = "red" },
		},
		{
			"patterns",
			"[process]\nallowed_patterns = [\"*.exe\"]\nblocked_patterns = [\"cmd.exe\", \"powershell*\"]\n",
			func(c *Config) {
				c.Process.AllowedPatterns = []string{"*.exe"}
				c.Process.BlockedPatterns = []string{"cmd.exe", "powershell*"}
			},
		},
		{
			"network allowlist",
			"[network]\nmode = \"restrict\"\nallowed_domains = [\"example.com\", \"*.example.net\"]\n" +
				"allowed_cidrs = [\"192.0.2.0/24\"]\nallowed_ports = [443, 27015]\n" +
				"dns_servers = [\"192.0.2.53\"]\nmax_unique_destinations = 20\n",
			func(c *Config) {
				c.Network.Mode = "restrict"
				c.Network.AllowedDomains = []string{"example.com", "*.example.net"}
				c.Network.AllowedCIDRs = []string{"192.0.2.0/24"}
				c.Network.AllowedPorts = []int{443, 27015}
				c.Network.DNSServers = []string{"192.0.2.53"}
				c.Network.MaxUniqueDestinations = 20
			},
		},
		{
			"empty network lists",
			"[network]\nallowed_domains = []\nallowed_cidrs = []\nallowed_ports = []\ndns_servers = []\n",
			func(*Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.doc), "config.toml")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			tt.change(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", tt.doc, got, want)
			}
		})
	}
}

func TestParseMergesSacredZones(t *testing.T) {
	doc := `
[[sacred_zones]]
label = "tax documents"
path = "~/Documents/taxes"

[[sacred_zones]]
path = "~/.ssh/"
action = "read-only"

[[sacred_zones]]
label = "game saves"
path = "/srv/saves"
action = "redirect"

[[sacred_zones]]
path = "~/.gnupg"
label = "my keys"

[[sacred_zones]]
path = "/srv/saves"
action = "deny"
`
	got, err := Parse([]byte(doc), "config.toml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	want := Default().SacredZones
	want[0].Action = "read-only" // same path as "~/.ssh/" after cleaning, label kept
	want[1].Label = "my keys"    // action kept
	want = append(want,
		SacredZone{Label: "tax documents", Path: "~/Documents/taxes", Action: "deny"},
		SacredZone{Label: "game saves", Path: "/srv/saves", Action: "deny"},
	)
	if !reflect.DeepEqual(got.SacredZones, want) {
		t.Errorf("SacredZones =\n%+v\nwant\n%+v", got.SacredZones, want)
	}
}

func TestParseLabelsZoneWithoutLabel(t *testing.T) {
	got, err := Parse([]byte("[[sacred_zones]]\npath = \"/opt/secret\"\n"), "config.toml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	last := got.SacredZones[len(got.SacredZones)-1]
	want := SacredZone{Label: "/opt/secret", Path: "/opt/secret", Action: "deny"}
	if last != want {
		t.Errorf("added zone = %+v, want %+v", last, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{
			"unknown key",
			"[winewarden]\nenabled = true\n\n[process]\nallowed_patterns = []\n\nmax_childs = 3\n",
			`config.toml:7: unknown key "process.max_childs"; valid keys in [process] are ` +
				`allow_shell_execution, allowed_patterns, blocked_patterns, max_child_processes`,
		},
		{
			"unknown key in inline table",
			"\nprocess = { max_childs = 3 }\n",
			`config.toml:2: unknown key "process.max_childs"; valid keys in [process] are ` +
				`allow_shell_execution, allowed_patterns, blocked_patterns, max_child_processes`,
		},
		{
			"unknown key in zone",
			"[[sacred_zones]]\npath = \"/a\"\n[[sacred_zones]]\npath = \"/b\"\nactoin = \"deny\"\n",
			`config.toml:5: unknown key "sacred_zones.actoin"; valid keys in [[sacred_zones]] are action, label, path`,
		},
		{
			"unknown key in inline zone",
			"sacred_zones = [\n  { path = \"/a\" },\n  { path = \"/b\", lable = \"b\" },\n]\n",
			`config.toml:3: unknown key "sacred_zones.lable"; valid keys in [[sacred_zones]] are action, label, path`,
		},
		{
			"unknown top-level key",
			"# comment\nverbose = true\n",
			`config.toml:2: unknown key "verbose"; valid keys at the top level are ` +
				`network, process, sacred_zones, steam, tiers, trust, winewarden`,
		},
		{
			"unknown table",
			"[winewarden]\n[logging]\nlevel = 1\n",
			`config.toml:2: unknown table "logging"; valid keys at the top level are ` +
				`network, process, sacred_zones, steam, tiers, trust, winewarden`,
		},
		{
			"unknown subtable",
			"[network.proxy]\n",
			`config.toml:1: unknown table "network.proxy"; valid keys in [network] are ` +
				`allowed_cidrs, allowed_domains, allowed_ports, connection_rate_limit, destination_monitoring, ` +
				`dns_awareness, dns_servers, max_unique_destinations, mode`,
		},
		{
			"quoted unknown key",
			"\"a.b\" = 1\n",
			`config.toml:1: unknown key "\"a.b\""; valid keys at the top level are ` +
				`network, process, sacred_zones, steam, tiers, trust, winewarden`,
		},
		{
			"string for boolean",
			"[winewarden]\n\nenabled = \"yes\"\n",
			`config.toml:3: key "winewarden.enabled": expected a boolean, found a string`,
		},
		{
			"float for integer",
			"[trust]\npromotion_after_runs = 2.5\n",
			`config.toml:2: key "trust.promotion_after_runs": expected an integer, found a float`,
		},
		{
			"integer for string",
			"[network]\ndns_awareness = true\nmode = 1\n",
			`config.toml:3: key "network.mode": expected a string, found an integer`,
		},
		{
			"string for array",
			"[process]\nblocked_patterns = \"cmd.exe\"\n",
			`config.toml:2: key "process.blocked_patterns": expected an array of strings, found a string`,
		},
		{
			"integer in array",
			"[process]\nblocked_patterns = [\"a\", 2]\n",
			`config.toml:2: key "process.blocked_patterns": expected an array of strings, found an array containing an integer`,
		},
		{
			"string in port list",
			"[network]\nallowed_ports = [80, \"443\"]\n",
			`config.toml:2: key "network.allowed_ports": expected an array of integers, found an array containing a string`,
		},
		{
			"integer for port list",
			"[network]\n\nallowed_ports = 443\n",
			`config.toml:3: key "network.allowed_ports": expected an array of integers, found an integer`,
		},
		{
			"integer in domain list",
			"[network]\nallowed_domains = [1]\n",
			`config.toml:2: key "network.allowed_domains": expected an array of strings, found an array containing an integer`,
		},
		{
			"string for unique destinations",
			"[network]\nmax_unique_destinations = \"100\"\n",
			`config.toml:2: key "network.max_unique_destinations": expected an integer, found a string`,
		},
		{
			"wrong type in inline table",
			"process = { max_child_processes = \"many\" }\n",
			`config.toml:1: key "process.max_child_processes": expected an integer, found a string`,
		},
		{
			"wrong type in zone",
			"[[sacred_zones]]\npath = 42\n",
			`config.toml:2: key "sacred_zones.path": expected a string, found an integer`,
		},
		{
			"table for boolean",
			"[winewarden.enabled]\n",
			`config.toml:1: key "winewarden.enabled": expected a boolean, found a table`,
		},
		{
			"value for table",
			"trust = 3\n",
			`config.toml:1: key "trust": expected a table, found an integer`,
		},
		{
			"array of tables for table",
			"[[network]]\n",
			`config.toml:1: key "network": expected a table, found an array of tables`,
		},
		{
			"integer too large",
			"[process]\nmax_child_processes = 99999999999999999999\n",
			`config.toml:2: key "process.max_child_processes": decimal number is too large to fit in a 64-bit signed integer`,
		},
		{
			"missing value",
			"[winewarden]\nenabled = \n",
			`config.toml:2:11: invalid TOML: unexpected character U+000A at start of value`,
		},
		{
			"unclosed table header",
			"[trust]\nauto_promote = true\n[network\n",
			`config.toml:3:9: invalid TOML: expected ']' to close table name`,
		},
		{
			"duplicate key",
			"[winewarden]\nenabled = true\nenabled = false\n",
			`config.toml:3:1: invalid TOML: key enabled is already defined`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "config.toml")
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error %q", tt.doc, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error =\n%s\nwant\n%s", tt.doc, err, tt.want)
			}
		})
	}
}

func TestParseReportsEveryUnknownKey(t *testing.T) {
	doc := "[winewarden]\nenable = true\n[trust]\ntier = \"red\"\n"
	_, err := Parse([]byte(doc), "config.toml")
	if err == nil {
		t.Fatal("Parse succeeded, want errors for two unknown keys")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 {
		t.Fatalf("error has %d lines, want 2:\n%s", len(lines), err)
	}
	if !strings.HasPrefix(lines[0], `config.toml:2: unknown key "winewarden.enable"`) {
		t.Errorf("first error = %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], `config.toml:4: unknown key "trust.tier"`) {
		t.Errorf("second error = %q", lines[1])
	}
}

func TestParseErrorKeepsDecodeError(t *testing.T) {
	_, err := Parse([]byte("[winewarden]\nenabled = 1\n"), "config.toml")
	var decodeErr *toml.DecodeError
	if !errors.As(err, &decodeErr) {
		t.Fatalf("error %v does not wrap *toml.DecodeError", err)
	}
	if line, _ := decodeErr.Position(); line != 2 {
		t.Errorf("DecodeError line = %d, want 2", line)
	}
}

func TestParseRunsValidate(t *testing.T) {
	doc := "[trust]\ndefault_tier = \"blue\"\n[network]\nmode = \"open\"\n"
	_, err := Parse([]byte(doc), "config.toml")
	want := `config.toml: trust.default_tier = "blue" is invalid: use "red", "yellow" or "green"` + "\n" +
		`config.toml: network.mode = "open" is invalid: use "observe", "offline" or "restrict"`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error =\n%v\nwant\n%s", err, want)
	}
}

func TestParseRunsNetworkChecks(t *testing.T) {
	doc := "[network]\nallowed_domains = [\"*\"]\nallowed_cidrs = [\"192.0.2.1/24\"]\n" +
		"allowed_ports = [0]\ndns_servers = [\"dns.example\"]\nmax_unique_destinations = 0\n"
	_, err := Parse([]byte(doc), "config.toml")
	if err == nil {
		t.Fatal("Parse succeeded, want an error for each network entry")
	}
	wantPrefixes := []string{
		`config.toml: network.allowed_domains[0] = "*" is invalid because`,
		`config.toml: network.allowed_cidrs[0] = "192.0.2.1/24" is invalid because`,
		`config.toml: network.allowed_ports[0] = 0 is out of range`,
		`config.toml: network.dns_servers[0] = "dns.example" is invalid because`,
		`config.toml: network.max_unique_destinations = 0 is out of range`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(wantPrefixes) {
		t.Fatalf("Parse reported %d problems, want %d:\n%s", len(lines), len(wantPrefixes), err)
	}
	for i, want := range wantPrefixes {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("problem %d = %q, want it to start with %q", i, lines[i], want)
		}
	}
}

func TestLoadMissingFileReturnsDefault(t *testing.T) {
	got, err := Load(filepath.Join(t.TempDir(), "winewarden", "config.toml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Errorf("Load of a missing file = %+v, want Default()", got)
	}
}

func TestLoadParsesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("[network]\nmode = \"offline\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Network.Mode != "offline" {
		t.Errorf("network.mode = %q, want offline", got.Network.Mode)
	}
}

func TestLoadErrorNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("[network]\nmod = \"offline\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := path + `:2: unknown key "network.mod"`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load error = %v, want it to start with %q", err, want)
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if !errors.Is(err, syscall.EISDIR) {
		t.Fatalf("Load(directory) error = %v, want EISDIR", err)
	}
	want := "reading config file " + dir + ": is a directory; it must be a regular file, so move the directory elsewhere"
	if err.Error() != want {
		t.Errorf("Load(directory) error =\n%s\nwant\n%s", err, want)
	}
}

func TestLoadUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		skipUnlessStrict(t, "running as root, which reads files whatever their mode")
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(""), 0o000); err != nil {
		t.Fatal(err)
	}

	_, err := Load(path)
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Load(unreadable) error = %v, want permission denied", err)
	}
	want := "reading config file " + path + ": permission denied; give your user read access, for example with chmod u+r " + path
	if err.Error() != want {
		t.Errorf("Load(unreadable) error =\n%s\nwant\n%s", err, want)
	}
}

// skipUnlessStrict skips the test, or fails it when WINEWARDEN_TEST_STRICT=1
// (set by CI), where every test must run.
func skipUnlessStrict(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("WINEWARDEN_TEST_STRICT") == "1" {
		t.Fatalf("cannot run: %s", reason)
	}
	t.Skipf("skipping: %s", reason)
}
