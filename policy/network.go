package policy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// DNS limits a label to 63 bytes and a whole name to 255 bytes on the wire,
// which is 253 bytes in text form without the trailing dot.
const (
	maxLabelLength = 63
	maxNameLength  = 253
)

// defaultDNSPort is the port of a dns_servers entry that names none.
const defaultDNSPort = 53

// Fixes shown at the end of an error about an allowlist entry.
const (
	domainExample = `use a name such as "example.com" or "*.example.com"`
	cidrExample   = `use a prefix such as "192.0.2.0/24" or "2001:db8::/32", or a single address such as "192.0.2.1"`
	serverExample = `use an IP address with an optional port, such as "192.0.2.53", "192.0.2.53:5353" or "[2001:db8::53]:53"`
)

// NetworkRules is the compiled allowlist of restrict mode.
type NetworkRules struct {
	// exact contains the names allowed as they are, and suffixes contains
	// "example.com" for the entry "*.example.com". Both are lower case
	// without a trailing dot.
	exact    map[string]bool
	suffixes map[string]bool
	prefixes []netip.Prefix
	// ports is empty when every port is allowed.
	ports map[uint16]bool
}

// CompileNetworkRules checks and compiles the allowlist keys of n:
// allowed_domains, allowed_cidrs and allowed_ports. It applies the same
// checks as Validate and returns the same messages, one joined error per
// invalid entry. The other keys of n are not read.
func CompileNetworkRules(n Network) (*NetworkRules, error) {
	rules, errs := compileNetworkRules(n)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

func compileNetworkRules(n Network) (*NetworkRules, []error) {
	rules := &NetworkRules{
		exact:    map[string]bool{},
		suffixes: map[string]bool{},
		ports:    map[uint16]bool{},
	}
	var errs []error

	for i, entry := range n.AllowedDomains {
		name, wildcard, err := parseDomain(entry)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("network.allowed_domains[%d] = %q is invalid because %w", i, entry, err))
		case wildcard:
			rules.suffixes[name] = true
		default:
			rules.exact[name] = true
		}
	}

	for i, entry := range n.AllowedCIDRs {
		prefix, err := parseCIDR(entry)
		if err != nil {
			errs = append(errs, fmt.Errorf("network.allowed_cidrs[%d] = %q is invalid because %w", i, entry, err))
			continue
		}
		rules.prefixes = append(rules.prefixes, prefix)
	}

	for i, port := range n.AllowedPorts {
		if port < 1 || port > 65535 {
			errs = append(errs, fmt.Errorf("network.allowed_ports[%d] = %d is out of range: use a port from 1 to 65535", i, port))
			continue
		}
		rules.ports[uint16(port)] = true
	}

	return rules, errs
}

// DomainAllowed reports whether the host name may be looked up and reached.
// name is in text form with "." between labels, as in "www.example.com". The
// comparison ignores ASCII case and a trailing dot. A name with an empty
// label is never allowed.
func (r *NetworkRules) DomainAllowed(name string) bool {
	if r == nil {
		return false
	}
	name = asciiLower(strings.TrimSuffix(name, "."))
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return false
	}
	if r.exact[name] {
		return true
	}

	// Try each parent domain: "a.b.example.com" checks "b.example.com",
	// "example.com" and "com" against the "*." entries.
	rest := name
	for {
		_, parent, found := strings.Cut(rest, ".")
		if !found {
			return false
		}
		if r.suffixes[parent] {
			return true
		}
		rest = parent
	}
}

// AddressAllowed reports whether ip lies in one of allowed_cidrs. An
// IPv4-mapped IPv6 address is compared in its IPv4 form, and an IPv6 zone is
// ignored. Addresses that an allowed DNS answer produced are not known here:
// the caller tracks those.
func (r *NetworkRules) AddressAllowed(ip netip.Addr) bool {
	if r == nil || !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("").Unmap()
	for _, prefix := range r.prefixes {
		if prefix.Contains(ip) {
			return true
		}
	}
	return false
}

// PortAllowed reports whether port is in allowed_ports, or true when that
// list is empty. A nil *NetworkRules allows every port too.
func (r *NetworkRules) PortAllowed(port uint16) bool {
	if r == nil || len(r.ports) == 0 {
		return true
	}
	return r.ports[port]
}

// ParseDNSServers parses network.dns_servers entries: "IP" for port 53,
// "IP:port" or "[IPv6]:port". An IPv6 address may carry a zone, as in
// "[fe80::1%eth0]:53", and needs brackets to take a port, because "::1:53" is
// the address ::1:53 on port 53. The error joins one error per invalid entry,
// each naming it as network.dns_servers[i].
func ParseDNSServers(list []string) ([]netip.AddrPort, error) {
	servers, errs := parseDNSServers(list)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return servers, nil
}

func parseDNSServers(list []string) ([]netip.AddrPort, []error) {
	servers := make([]netip.AddrPort, 0, len(list))
	var errs []error
	for i, entry := range list {
		server, err := parseDNSServer(entry)
		if err != nil {
			errs = append(errs, fmt.Errorf("network.dns_servers[%d] = %q is invalid because %w", i, entry, err))
			continue
		}
		servers = append(servers, server)
	}
	return servers, errs
}

// parseDomain checks one allowed_domains entry and returns the name in lower
// case without the trailing dot and without the leading "*." of a wildcard
// entry. An error completes the sentence "... is invalid because".
func parseDomain(entry string) (name string, wildcard bool, err error) {
	written := strings.TrimSuffix(entry, ".")
	switch {
	case entry == "":
		return "", false, errors.New("it is empty: " + domainExample)
	case written == "":
		return "", false, errors.New("it names only the DNS root: " + domainExample)
	case written == "*":
		return "", false, errors.New(`a lone "*" would allow every name: list the domains the game needs, ` +
			`such as "*.example.com", or set mode = "observe"`)
	}
	if _, err := netip.ParseAddr(written); err == nil {
		return "", false, errors.New("it is an IP address, which no DNS lookup asks for: list it in network.allowed_cidrs instead")
	}

	rest, wildcard := strings.CutPrefix(written, "*.")
	if strings.Contains(rest, "*") {
		return "", false, errors.New(`"*" may only be the whole first label, as in "*.example.com"`)
	}
	if err := checkNameCharacters(rest); err != nil {
		return "", false, err
	}
	if len(written) > maxNameLength {
		return "", false, fmt.Errorf("it is %d bytes long and DNS names have at most %d: %s",
			len(written), maxNameLength, domainExample)
	}
	if err := checkLabels(rest); err != nil {
		return "", false, err
	}
	return asciiLower(rest), wildcard, nil
}

// checkNameCharacters accepts ASCII letters, digits, "-", "_" and ".".
// Underscores appear in service names such as "_ldap._tcp.example.com".
func checkNameCharacters(name string) error {
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			continue
		case r >= utf8.RuneSelf:
			return fmt.Errorf(`it contains %q, but names may contain only ASCII letters, digits, "-", "_" and ".": `+
				`write an internationalized name in its ASCII form, as in "xn--bcher-kva.example" for "bücher.example"`, string(r))
		case r == ':' || r == '/':
			return fmt.Errorf(`it contains %q, but names may contain only letters, digits, "-", "_" and ".": `+
				`write the host name alone, without scheme, port or path, as in "example.com"`, string(r))
		default:
			return fmt.Errorf(`it contains %q, but names may contain only letters, digits, "-", "_" and ".": %s`,
				string(r), domainExample)
		}
	}
	return nil
}

func checkLabels(name string) error {
	if parent, ok := strings.CutPrefix(name, "."); ok {
		return fmt.Errorf(`it starts with ".": write "%s" for that name and "*.%s" for the names below it`,
			parent, parent)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return errors.New("it has two dots in a row: " + domainExample)
		}
		if len(label) > maxLabelLength {
			return fmt.Errorf("its label %q is %d bytes long and DNS labels have at most %d: %s",
				label, len(label), maxLabelLength, domainExample)
		}
	}
	return nil
}

// parseCIDR checks one allowed_cidrs entry. A single address becomes a
// prefix of its full length. An error completes the sentence "... is
// invalid because".
func parseCIDR(entry string) (netip.Prefix, error) {
	var prefix netip.Prefix
	if strings.Contains(entry, "/") {
		var err error
		prefix, err = netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, errors.New("it is not a valid CIDR prefix: " + cidrExample)
		}
	} else {
		addr, err := netip.ParseAddr(entry)
		if err != nil {
			if isHostName(entry) {
				return netip.Prefix{}, errors.New("it is a host name, not an address: list it in network.allowed_domains instead")
			}
			return netip.Prefix{}, errors.New("it is not a valid IP address or CIDR prefix: " + cidrExample)
		}
		if addr.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("it has an IPv6 zone, which an allowed address cannot have: write %q",
				addr.WithZone("").String())
		}
		prefix = netip.PrefixFrom(addr, addr.BitLen())
	}

	// AddressAllowed unmaps the address it checks, so a prefix in the
	// ::ffff:0:0/96 range would never match.
	if prefix.Addr().Is4In6() && prefix.Bits() >= 96 {
		ipv4 := netip.PrefixFrom(prefix.Addr().Unmap(), prefix.Bits()-96).Masked()
		return netip.Prefix{}, fmt.Errorf("it is an IPv4-mapped IPv6 address, which never matches "+
			"because addresses are compared in IPv4 form: write %q", formatPrefix(ipv4))
	}
	if prefix.Bits() == 0 {
		// Like a lone "*" in allowed_domains, it would switch restrict
		// mode off without saying so.
		return netip.Prefix{}, errors.New("it allows every address: list the networks the game needs, or set mode = \"observe\"")
	}
	if masked := prefix.Masked(); masked != prefix {
		return netip.Prefix{}, fmt.Errorf("it has host bits set: write %q for the network or %q for the single address",
			masked.String(), prefix.Addr().String())
	}
	return prefix, nil
}

// formatPrefix writes a prefix of full length as a plain address.
func formatPrefix(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// parseDNSServer checks one dns_servers entry. An error completes the
// sentence "... is invalid because".
func parseDNSServer(entry string) (netip.AddrPort, error) {
	var server netip.AddrPort
	if addr, err := netip.ParseAddr(entry); err == nil {
		server = netip.AddrPortFrom(addr, defaultDNSPort)
	} else if inner, ok := strings.CutPrefix(entry, "["); ok && strings.HasSuffix(inner, "]") {
		// "[2001:db8::53]" without a port.
		addr, err := netip.ParseAddr(strings.TrimSuffix(inner, "]"))
		switch {
		case err != nil:
			return netip.AddrPort{}, errors.New("it is not a valid IPv6 address in brackets: " + serverExample)
		case addr.Is4():
			return netip.AddrPort{}, fmt.Errorf("brackets are only for IPv6 addresses: write %q", addr.String())
		}
		server = netip.AddrPortFrom(addr, defaultDNSPort)
	} else {
		server, err = netip.ParseAddrPort(entry)
		if err != nil {
			return netip.AddrPort{}, dnsServerSyntaxError(entry)
		}
	}

	if server.Addr().IsUnspecified() {
		return netip.AddrPort{}, errors.New("it is the unspecified address, not the address of a resolver: " + serverExample)
	}
	if server.Port() == 0 {
		return netip.AddrPort{}, errors.New(`port 0 is not a valid destination: leave the port out for 53, or use one from 1 to 65535`)
	}
	return server, nil
}

// dnsServerSyntaxError explains an entry that is neither an address nor an
// address with a port.
func dnsServerSyntaxError(entry string) error {
	host, port, err := net.SplitHostPort(entry)
	if err != nil {
		host, port = entry, ""
	}
	addr, addrErr := netip.ParseAddr(host)

	switch {
	case addrErr == nil && err == nil && addr.Is4() && strings.HasPrefix(entry, "["):
		return fmt.Errorf("brackets are only for IPv6 addresses: write %q",
			net.JoinHostPort(host, port))
	case addrErr == nil && err == nil:
		return fmt.Errorf("its port %q is not a number from 1 to 65535: %s", port, serverExample)
	case addrErr != nil && isHostName(host) && strings.Trim(port, "0123456789") == "":
		return errors.New("it is a host name, which the forwarder cannot look up before it has a resolver: " + serverExample)
	}
	return errors.New("it is not a valid IP address with an optional port: " + serverExample)
}

// isHostName reports whether s is a valid allowed_domains entry whose last
// label is not all digits, so that a mistyped IPv4 address such as
// "300.1.1.1" does not pass for a name.
func isHostName(s string) bool {
	name, wildcard, err := parseDomain(s)
	if err != nil || wildcard {
		return false
	}
	last := name[strings.LastIndexByte(name, '.')+1:]
	return strings.ContainsFunc(last, func(r rune) bool { return r < '0' || r > '9' })
}

// asciiLower lowers only A to Z. DNS compares names case-insensitively in
// ASCII alone, so Unicode case folding, which maps the Kelvin sign to "k",
// would make different names equal.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}
