package policy

import (
	"net/netip"
	"strings"
	"testing"
)

// mustCompile compiles an allowlist that the test expects to be valid.
func mustCompile(t *testing.T, n Network) *NetworkRules {
	t.Helper()
	rules, err := CompileNetworkRules(n)
	if err != nil {
		t.Fatalf("CompileNetworkRules: %v", err)
	}
	return rules
}

func TestDomainAllowed(t *testing.T) {
	rules := mustCompile(t, Network{AllowedDomains: []string{
		"example.com",
		"*.example.net",
		"Mixed.Case.ORG.",
		"kexample.com",
		"_srv._tcp.example.org",
	}})
	tests := []struct {
		name string
		want bool
	}{
		// Exact entries.
		{"example.com", true},
		{"EXAMPLE.COM", true},
		{"Example.Com.", true},
		{"www.example.com", false},
		{"badexample.com", false},
		{"example.com.evil.test", false},
		{"example.co", false},
		{"mixed.case.org", true},
		{"MIXED.case.Org", true},
		{"_srv._tcp.example.org", true},

		// Wildcard entries cover names below the domain, not the domain.
		{"example.net", false},
		{"a.example.net", true},
		{"a.b.example.net", true},
		{"A.Example.NET.", true},
		{"*.example.net", true},
		{"badexample.net", false},
		{"a.badexample.net", false},
		{"example.net.evil.test", false},
		{"a.example.net.evil.test", false},

		// Malformed names.
		{"", false},
		{".", false},
		{"..", false},
		{".example.com", false},
		{"example.com..", false},
		{"a..example.net", false},
		{"a.example.net..", false},

		// Only ASCII letters fold: the Kelvin sign is not "k".
		{"\u212aexample.com", false},
		{"Kexample.com", true},
	}
	for _, tt := range tests {
		if got := rules.DomainAllowed(tt.name); got != tt.want {
			t.Errorf("DomainAllowed(%+q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDomainAllowedWildcardTopLevel(t *testing.T) {
	rules := mustCompile(t, Network{AllowedDomains: []string{"*.test"}})
	for name, want := range map[string]bool{
		"test":           false,
		"a.test":         true,
		"a.b.test":       true,
		"a.test.invalid": false,
		"atest":          false,
	} {
		if got := rules.DomainAllowed(name); got != want {
			t.Errorf("DomainAllowed(%q) with *.test = %v, want %v", name, got, want)
		}
	}
}

func TestDomainAllowedEmptyList(t *testing.T) {
	rules := mustCompile(t, Network{})
	for _, name := range []string{"example.com", "localhost", ""} {
		if rules.DomainAllowed(name) {
			t.Errorf("DomainAllowed(%q) with no allowed_domains = true, want false", name)
		}
	}
}

func TestAddressAllowed(t *testing.T) {
	rules := mustCompile(t, Network{AllowedCIDRs: []string{
		"192.0.2.0/24",
		"2001:db8::/32",
		"127.0.0.1",
		"::1",
		"fe80::/10",
		"198.51.100.7/32",
	}})
	tests := []struct {
		addr string
		want bool
	}{
		{"192.0.2.0", true},
		{"192.0.2.255", true},
		{"192.0.1.255", false},
		{"192.0.3.0", false},
		{"127.0.0.1", true},
		{"127.0.0.2", false},
		{"198.51.100.7", true},
		{"198.51.100.8", false},
		{"0.0.0.0", false},

		// IPv4-mapped IPv6 addresses are compared in IPv4 form.
		{"::ffff:192.0.2.7", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:192.0.3.1", false},
		// An IPv4-compatible address is IPv6, not mapped.
		{"::192.0.2.7", false},

		{"2001:db8::1", true},
		{"2001:db8:ffff:ffff::1", true},
		{"2001:db9::1", false},
		{"2001:db7:ffff::1", false},
		{"::1", true},
		{"::2", false},
		{"::", false},

		// The zone does not change which address it is.
		{"fe80::1%eth0", true},
		{"fe80::1", true},
		{"fec0::1", false},
	}
	for _, tt := range tests {
		if got := rules.AddressAllowed(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("AddressAllowed(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestAddressAllowedInvalidAddress(t *testing.T) {
	rules := mustCompile(t, Network{AllowedCIDRs: []string{"0.0.0.0/1", "128.0.0.0/1", "::/1"}})
	if rules.AddressAllowed(netip.Addr{}) {
		t.Error("AddressAllowed(netip.Addr{}) = true, want false")
	}
	if !rules.AddressAllowed(netip.MustParseAddr("203.0.113.9")) {
		t.Error("AddressAllowed(203.0.113.9) with 128.0.0.0/1 = false, want true")
	}
}

func TestAddressAllowedEmptyList(t *testing.T) {
	rules := mustCompile(t, Network{})
	for _, addr := range []string{"127.0.0.1", "::1", "192.0.2.1"} {
		if rules.AddressAllowed(netip.MustParseAddr(addr)) {
			t.Errorf("AddressAllowed(%s) with no allowed_cidrs = true, want false", addr)
		}
	}
}

func TestPortAllowed(t *testing.T) {
	tests := []struct {
		name    string
		allowed []int
		port    uint16
		want    bool
	}{
		{"empty list allows 0", nil, 0, true},
		{"empty list allows 1", nil, 1, true},
		{"empty list allows 443", []int{}, 443, true},
		{"empty list allows 65535", nil, 65535, true},
		{"listed port", []int{80, 443}, 443, true},
		{"other listed port", []int{80, 443}, 80, true},
		{"unlisted port", []int{80, 443}, 8080, false},
		{"port 0 with a list", []int{80, 443}, 0, false},
		{"highest port listed", []int{65535}, 65535, true},
		{"lowest port listed", []int{1}, 1, true},
		{"duplicates", []int{53, 53}, 53, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := mustCompile(t, Network{AllowedPorts: tt.allowed})
			if got := rules.PortAllowed(tt.port); got != tt.want {
				t.Errorf("PortAllowed(%d) with allowed_ports %v = %v, want %v", tt.port, tt.allowed, got, tt.want)
			}
		})
	}
}

func TestNilNetworkRules(t *testing.T) {
	var rules *NetworkRules
	if rules.DomainAllowed("example.com") {
		t.Error("nil DomainAllowed = true, want false")
	}
	if rules.AddressAllowed(netip.MustParseAddr("127.0.0.1")) {
		t.Error("nil AddressAllowed = true, want false")
	}
	if !rules.PortAllowed(443) {
		t.Error("nil PortAllowed = false, want true")
	}
}

// invalidNetworkEntries pairs an invalid [network] setting with the message
// that both CompileNetworkRules and Validate return for it.
var invalidNetworkEntries = []struct {
	name    string
	network Network
	want    string
}{
	{
		"empty domain",
		Network{AllowedDomains: []string{""}},
		`network.allowed_domains[0] = "" is invalid because it is empty: use a name such as "example.com" or "*.example.com"`,
	},
	{
		"root domain",
		Network{AllowedDomains: []string{"."}},
		`network.allowed_domains[0] = "." is invalid because it names only the DNS root: use a name such as "example.com" or "*.example.com"`,
	},
	{
		"lone star",
		Network{AllowedDomains: []string{"example.com", "*"}},
		`network.allowed_domains[1] = "*" is invalid because a lone "*" would allow every name: ` +
			`list the domains the game needs, such as "*.example.com", or set mode = "observe"`,
	},
	{
		"lone star with trailing dot",
		Network{AllowedDomains: []string{"*."}},
		`network.allowed_domains[0] = "*." is invalid because a lone "*" would allow every name: ` +
			`list the domains the game needs, such as "*.example.com", or set mode = "observe"`,
	},
	{
		"star inside label",
		Network{AllowedDomains: []string{"*example.com"}},
		`network.allowed_domains[0] = "*example.com" is invalid because "*" may only be the whole first label, as in "*.example.com"`,
	},
	{
		"star in second label",
		Network{AllowedDomains: []string{"www.*.example.com"}},
		`network.allowed_domains[0] = "www.*.example.com" is invalid because "*" may only be the whole first label, as in "*.example.com"`,
	},
	{
		"two stars",
		Network{AllowedDomains: []string{"*.*.example.com"}},
		`network.allowed_domains[0] = "*.*.example.com" is invalid because "*" may only be the whole first label, as in "*.example.com"`,
	},
	{
		"star as last label",
		Network{AllowedDomains: []string{"example.*"}},
		`network.allowed_domains[0] = "example.*" is invalid because "*" may only be the whole first label, as in "*.example.com"`,
	},
	{
		"leading dot",
		Network{AllowedDomains: []string{".example.com"}},
		`network.allowed_domains[0] = ".example.com" is invalid because it starts with ".": ` +
			`write "example.com" for that name and "*.example.com" for the names below it`,
	},
	{
		"two dots",
		Network{AllowedDomains: []string{"www..example.com"}},
		`network.allowed_domains[0] = "www..example.com" is invalid because it has two dots in a row: use a name such as "example.com" or "*.example.com"`,
	},
	{
		"two trailing dots",
		Network{AllowedDomains: []string{"example.com.."}},
		`network.allowed_domains[0] = "example.com.." is invalid because it has two dots in a row: use a name such as "example.com" or "*.example.com"`,
	},
	{
		"wildcard without domain",
		Network{AllowedDomains: []string{"*.."}},
		`network.allowed_domains[0] = "*.." is invalid because it has two dots in a row: use a name such as "example.com" or "*.example.com"`,
	},
	{
		"label of 64 bytes",
		Network{AllowedDomains: []string{strings.Repeat("a", 64) + ".example.com"}},
		`network.allowed_domains[0] = "` + strings.Repeat("a", 64) + `.example.com" is invalid because its label "` +
			strings.Repeat("a", 64) + `" is 64 bytes long and DNS labels have at most 63: use a name such as "example.com" or "*.example.com"`,
	},
	{
		"name of 254 bytes",
		Network{AllowedDomains: []string{name254}},
		`network.allowed_domains[0] = "` + name254 + `" is invalid because it is 254 bytes long and DNS names have at most 253: ` +
			`use a name such as "example.com" or "*.example.com"`,
	},
	{
		"URL",
		Network{AllowedDomains: []string{"https://example.com/"}},
		`network.allowed_domains[0] = "https://example.com/" is invalid because it contains ":", but names may contain only ` +
			`letters, digits, "-", "_" and ".": write the host name alone, without scheme, port or path, as in "example.com"`,
	},
	{
		"name with port",
		Network{AllowedDomains: []string{"example.com:443"}},
		`network.allowed_domains[0] = "example.com:443" is invalid because it contains ":", but names may contain only ` +
			`letters, digits, "-", "_" and ".": write the host name alone, without scheme, port or path, as in "example.com"`,
	},
	{
		"space",
		Network{AllowedDomains: []string{"my host.example"}},
		`network.allowed_domains[0] = "my host.example" is invalid because it contains " ", but names may contain only ` +
			`letters, digits, "-", "_" and ".": use a name such as "example.com" or "*.example.com"`,
	},
	{
		"non-ASCII letter",
		Network{AllowedDomains: []string{"*.bücher.example"}},
		`network.allowed_domains[0] = "*.bücher.example" is invalid because it contains "ü", but names may contain only ` +
			`ASCII letters, digits, "-", "_" and ".": write an internationalized name in its ASCII form, ` +
			`as in "xn--bcher-kva.example" for "bücher.example"`,
	},
	{
		"IPv4 address as domain",
		Network{AllowedDomains: []string{"192.0.2.1"}},
		`network.allowed_domains[0] = "192.0.2.1" is invalid because it is an IP address, which no DNS lookup asks for: ` +
			`list it in network.allowed_cidrs instead`,
	},
	{
		"IPv6 address as domain",
		Network{AllowedDomains: []string{"2001:db8::1"}},
		`network.allowed_domains[0] = "2001:db8::1" is invalid because it is an IP address, which no DNS lookup asks for: ` +
			`list it in network.allowed_cidrs instead`,
	},
	{
		"host bits set",
		Network{AllowedCIDRs: []string{"192.0.2.1/24"}},
		`network.allowed_cidrs[0] = "192.0.2.1/24" is invalid because it has host bits set: ` +
			`write "192.0.2.0/24" for the network or "192.0.2.1" for the single address`,
	},
	{
		"every IPv4 address",
		Network{AllowedCIDRs: []string{"0.0.0.0/0"}},
		`network.allowed_cidrs[0] = "0.0.0.0/0" is invalid because it allows every address: ` +
			`list the networks the game needs, or set mode = "observe"`,
	},
	{
		"every IPv6 address",
		Network{AllowedCIDRs: []string{"::/0"}},
		`network.allowed_cidrs[0] = "::/0" is invalid because it allows every address: ` +
			`list the networks the game needs, or set mode = "observe"`,
	},
	{
		"IPv6 host bits set",
		Network{AllowedCIDRs: []string{"2001:db8::1/32"}},
		`network.allowed_cidrs[0] = "2001:db8::1/32" is invalid because it has host bits set: ` +
			`write "2001:db8::/32" for the network or "2001:db8::1" for the single address`,
	},
	{
		"prefix too long",
		Network{AllowedCIDRs: []string{"192.0.2.0/33"}},
		`network.allowed_cidrs[0] = "192.0.2.0/33" is invalid because it is not a valid CIDR prefix: ` +
			`use a prefix such as "192.0.2.0/24" or "2001:db8::/32", or a single address such as "192.0.2.1"`,
	},
	{
		"empty prefix length",
		Network{AllowedCIDRs: []string{"192.0.2.0/"}},
		`network.allowed_cidrs[0] = "192.0.2.0/" is invalid because it is not a valid CIDR prefix: ` +
			`use a prefix such as "192.0.2.0/24" or "2001:db8::/32", or a single address such as "192.0.2.1"`,
	},
	{
		"octet out of range",
		Network{AllowedCIDRs: []string{"300.1.1.1"}},
		`network.allowed_cidrs[0] = "300.1.1.1" is invalid because it is not a valid IP address or CIDR prefix: ` +
			`use a prefix such as "192.0.2.0/24" or "2001:db8::/32", or a single address such as "192.0.2.1"`,
	},
	{
		"empty CIDR",
		Network{AllowedCIDRs: []string{""}},
		`network.allowed_cidrs[0] = "" is invalid because it is not a valid IP address or CIDR prefix: ` +
			`use a prefix such as "192.0.2.0/24" or "2001:db8::/32", or a single address such as "192.0.2.1"`,
	},
	{
		"host name as CIDR",
		Network{AllowedCIDRs: []string{"example.com"}},
		`network.allowed_cidrs[0] = "example.com" is invalid because it is a host name, not an address: ` +
			`list it in network.allowed_domains instead`,
	},
	{
		"zoned address",
		Network{AllowedCIDRs: []string{"fe80::1%eth0"}},
		`network.allowed_cidrs[0] = "fe80::1%eth0" is invalid because it has an IPv6 zone, which an allowed address cannot have: write "fe80::1"`,
	},
	{
		"mapped prefix",
		Network{AllowedCIDRs: []string{"::ffff:192.0.2.0/120"}},
		`network.allowed_cidrs[0] = "::ffff:192.0.2.0/120" is invalid because it is an IPv4-mapped IPv6 address, ` +
			`which never matches because addresses are compared in IPv4 form: write "192.0.2.0/24"`,
	},
	{
		"mapped prefix with host bits",
		Network{AllowedCIDRs: []string{"::ffff:192.0.2.9/120"}},
		`network.allowed_cidrs[0] = "::ffff:192.0.2.9/120" is invalid because it is an IPv4-mapped IPv6 address, ` +
			`which never matches because addresses are compared in IPv4 form: write "192.0.2.0/24"`,
	},
	{
		"mapped address",
		Network{AllowedCIDRs: []string{"::ffff:192.0.2.1"}},
		`network.allowed_cidrs[0] = "::ffff:192.0.2.1" is invalid because it is an IPv4-mapped IPv6 address, ` +
			`which never matches because addresses are compared in IPv4 form: write "192.0.2.1"`,
	},
	{
		"port 0",
		Network{AllowedPorts: []int{443, 0}},
		"network.allowed_ports[1] = 0 is out of range: use a port from 1 to 65535",
	},
	{
		"port 65536",
		Network{AllowedPorts: []int{65536}},
		"network.allowed_ports[0] = 65536 is out of range: use a port from 1 to 65535",
	},
	{
		"negative port",
		Network{AllowedPorts: []int{-443}},
		"network.allowed_ports[0] = -443 is out of range: use a port from 1 to 65535",
	},
}

// name254 is a valid-looking name of 254 bytes: four labels of 62 bytes and
// one of 2, with four dots between them.
var name254 = strings.Repeat(strings.Repeat("a", 62)+".", 4) + "bc"

func TestCompileNetworkRulesRejects(t *testing.T) {
	for _, tt := range invalidNetworkEntries {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := CompileNetworkRules(tt.network)
			if err == nil {
				t.Fatalf("CompileNetworkRules succeeded, want error %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("CompileNetworkRules error =\n%s\nwant\n%s", err, tt.want)
			}
			if rules != nil {
				t.Errorf("CompileNetworkRules returned rules with an error")
			}
		})
	}
}

func TestValidateRejectsNetworkEntries(t *testing.T) {
	for _, tt := range invalidNetworkEntries {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Network.AllowedDomains = tt.network.AllowedDomains
			c.Network.AllowedCIDRs = tt.network.AllowedCIDRs
			c.Network.AllowedPorts = tt.network.AllowedPorts
			err := c.Validate()
			if err == nil || err.Error() != tt.want {
				t.Errorf("Validate() =\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestCompileNetworkRulesAcceptsEdges(t *testing.T) {
	n := Network{
		AllowedDomains: []string{
			"localhost",
			"EXAMPLE.com.",
			"*.example.org",
			"_dmarc.example.com",
			"xn--bcher-kva.example",
			"a-b.example",
			"1.2.3",
			strings.Repeat("a", 63) + ".example",
			name254[:253],
		},
		AllowedCIDRs: []string{"0.0.0.0/1", "::/1", "192.0.2.1", "2001:db8::1", "10.0.0.0/8", "64:ff9b::/96"},
		AllowedPorts: []int{1, 65535},
	}
	rules := mustCompile(t, n)
	if !rules.DomainAllowed("example.com") {
		t.Error(`DomainAllowed("example.com") = false after "EXAMPLE.com."`)
	}
	if !rules.DomainAllowed(name254[:253]) {
		t.Error("DomainAllowed of the 253-byte entry = false")
	}
}

func TestCompileNetworkRulesReportsEveryEntry(t *testing.T) {
	n := Network{
		AllowedDomains: []string{"ok.example", "", "*"},
		AllowedCIDRs:   []string{"192.0.2.1/24"},
		AllowedPorts:   []int{0},
	}
	_, err := CompileNetworkRules(n)
	if err == nil {
		t.Fatal("CompileNetworkRules succeeded, want four errors")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 4 {
		t.Errorf("CompileNetworkRules reported %d problems, want 4:\n%s", len(lines), err)
	}
}

func TestCompileNetworkRulesReadsOnlyAllowlist(t *testing.T) {
	n := Network{
		Mode:                  "bogus",
		DNSServers:            []string{"not an address"},
		MaxUniqueDestinations: -1,
		ConnectionRateLimit:   -1,
	}
	if _, err := CompileNetworkRules(n); err != nil {
		t.Errorf("CompileNetworkRules = %v, want nil because only the allowlist keys are checked", err)
	}
}

func TestParseDNSServers(t *testing.T) {
	tests := []struct {
		entry string
		want  string
	}{
		{"192.0.2.53", "192.0.2.53:53"},
		{"192.0.2.53:5353", "192.0.2.53:5353"},
		{"192.0.2.53:1", "192.0.2.53:1"},
		{"192.0.2.53:65535", "192.0.2.53:65535"},
		{"127.0.0.53", "127.0.0.53:53"},
		{"2001:db8::53", "[2001:db8::53]:53"},
		{"[2001:db8::53]", "[2001:db8::53]:53"},
		{"[2001:db8::53]:5353", "[2001:db8::53]:5353"},
		{"::1", "[::1]:53"},
		{"[fe80::1%eth0]:53", "[fe80::1%eth0]:53"},
		{"fe80::1%eth0", "[fe80::1%eth0]:53"},
		// Without brackets every group belongs to the address.
		{"::1:53", "[::1:53]:53"},
	}
	for _, tt := range tests {
		servers, err := ParseDNSServers([]string{tt.entry})
		if err != nil {
			t.Errorf("ParseDNSServers(%q): %v", tt.entry, err)
			continue
		}
		if len(servers) != 1 || servers[0].String() != tt.want {
			t.Errorf("ParseDNSServers(%q) = %v, want [%s]", tt.entry, servers, tt.want)
		}
	}
}

func TestParseDNSServersKeepsOrder(t *testing.T) {
	servers, err := ParseDNSServers([]string{"192.0.2.2", "192.0.2.1", "[2001:db8::1]:54"})
	if err != nil {
		t.Fatalf("ParseDNSServers: %v", err)
	}
	want := []netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.2:53"),
		netip.MustParseAddrPort("192.0.2.1:53"),
		netip.MustParseAddrPort("[2001:db8::1]:54"),
	}
	if len(servers) != len(want) {
		t.Fatalf("ParseDNSServers = %v, want %v", servers, want)
	}
	for i := range want {
		if servers[i] != want[i] {
			t.Errorf("server %d = %v, want %v", i, servers[i], want[i])
		}
	}
}

func TestParseDNSServersEmpty(t *testing.T) {
	servers, err := ParseDNSServers(nil)
	if err != nil || len(servers) != 0 {
		t.Errorf("ParseDNSServers(nil) = %v, %v, want no servers and no error", servers, err)
	}
}

func TestParseDNSServersRejects(t *testing.T) {
	const example = `use an IP address with an optional port, such as "192.0.2.53", "192.0.2.53:5353" or "[2001:db8::53]:53"`
	tests := []struct {
		entry string
		want  string
	}{
		{"", `it is not a valid IP address with an optional port: ` + example},
		{"192.0.2.300", `it is not a valid IP address with an optional port: ` + example},
		{"192.0.2.53:", `its port "" is not a number from 1 to 65535: ` + example},
		{"192.0.2.53:65536", `its port "65536" is not a number from 1 to 65535: ` + example},
		{"192.0.2.53:dns", `its port "dns" is not a number from 1 to 65535: ` + example},
		{"[2001:db8::53]:-1", `its port "-1" is not a number from 1 to 65535: ` + example},
		{"192.0.2.53:0", `port 0 is not a valid destination: leave the port out for 53, or use one from 1 to 65535`},
		{"[192.0.2.53]:53", `brackets are only for IPv6 addresses: write "192.0.2.53:53"`},
		{"[192.0.2.53]", `brackets are only for IPv6 addresses: write "192.0.2.53"`},
		{"[2001:db8::zz]", `it is not a valid IPv6 address in brackets: ` + example},
		{"0.0.0.0", `it is the unspecified address, not the address of a resolver: ` + example},
		{"[::]:53", `it is the unspecified address, not the address of a resolver: ` + example},
		{"dns.example", `it is a host name, which the forwarder cannot look up before it has a resolver: ` + example},
		{"dns.example:853", `it is a host name, which the forwarder cannot look up before it has a resolver: ` + example},
		{"udp://192.0.2.53", `it is not a valid IP address with an optional port: ` + example},
	}
	for _, tt := range tests {
		_, err := ParseDNSServers([]string{"192.0.2.1", tt.entry})
		want := `network.dns_servers[1] = "` + tt.entry + `" is invalid because ` + tt.want
		if err == nil {
			t.Errorf("ParseDNSServers(%q) succeeded, want error %q", tt.entry, want)
			continue
		}
		if err.Error() != want {
			t.Errorf("ParseDNSServers(%q) error =\n%s\nwant\n%s", tt.entry, err, want)
		}

		c := Default()
		c.Network.DNSServers = []string{"192.0.2.1", tt.entry}
		if err := c.Validate(); err == nil || err.Error() != want {
			t.Errorf("Validate() with dns_servers entry %q =\n%v\nwant\n%s", tt.entry, err, want)
		}
	}
}

func TestParseDNSServersReportsEveryEntry(t *testing.T) {
	_, err := ParseDNSServers([]string{"bad", "192.0.2.1", "0.0.0.0"})
	if err == nil {
		t.Fatal("ParseDNSServers succeeded, want two errors")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 {
		t.Fatalf("ParseDNSServers reported %d problems, want 2:\n%s", len(lines), err)
	}
	if !strings.HasPrefix(lines[0], "network.dns_servers[0] ") || !strings.HasPrefix(lines[1], "network.dns_servers[2] ") {
		t.Errorf("errors do not name entries 0 and 2:\n%s", err)
	}
}
