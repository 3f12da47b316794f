package dnsforward

import (
	"net/netip"
	"strings"
)

// ParseResolvConf returns the addresses of the "nameserver" lines of
// resolv.conf content, in file order, each with port 53. It skips comments,
// other options and addresses that net/netip cannot parse. IPv6 zones, as in
// fe80::1%eth0, are kept. Unlike glibc, which uses the first three, it
// returns every nameserver.
func ParseResolvConf(content []byte) []netip.AddrPort {
	var servers []netip.AddrPort
	for line := range strings.Lines(string(content)) {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		addr, err := netip.ParseAddr(fields[1])
		if err != nil {
			continue
		}
		servers = append(servers, netip.AddrPortFrom(addr.Unmap(), 53))
	}
	return servers
}
