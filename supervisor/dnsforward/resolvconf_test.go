package dnsforward

import (
	"net/netip"
	"slices"
	"testing"
)

func TestParseResolvConf(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"empty", "", nil},
		{"ipv4 and ipv6", "nameserver 192.0.2.53\nnameserver 2001:db8::53\n", []string{"192.0.2.53:53", "[2001:db8::53]:53"}},
		{"ipv6 zone kept", "nameserver fe80::1%eth0\n", []string{"[fe80::1%eth0]:53"}},
		{"mapped ipv4 unmapped", "nameserver ::ffff:192.0.2.1\n", []string{"192.0.2.1:53"}},
		{"comments and options skipped", "# nameserver 192.0.2.1\n; nameserver 192.0.2.2\nsearch example.com\noptions edns0 trust-ad\nnameserver 192.0.2.3\n", []string{"192.0.2.3:53"}},
		{"tabs, spaces and trailing text", "  nameserver\t192.0.2.4   # local\r\n", []string{"192.0.2.4:53"}},
		{"invalid addresses skipped", "nameserver\nnameserver example.com\nnameserver 192.0.2.300\nnameserver 192.0.2.5\n", []string{"192.0.2.5:53"}},
		{"no final newline", "nameserver 192.0.2.6", []string{"192.0.2.6:53"}},
		{"keyword is case sensitive like glibc", "NAMESERVER 192.0.2.7\n", nil},
		{"more than three kept in order", "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 192.0.2.4\n",
			[]string{"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53", "192.0.2.4:53"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []netip.AddrPort
			for _, s := range tt.want {
				want = append(want, netip.MustParseAddrPort(s))
			}
			if got := ParseResolvConf([]byte(tt.content)); !slices.Equal(got, want) {
				t.Errorf("ParseResolvConf = %v, want %v", got, want)
			}
		})
	}
}
