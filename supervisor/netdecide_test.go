//go:build linux

package supervisor

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/policy"
)

func inetDest(addr string, port uint16) Destination {
	a := netip.MustParseAddr(addr)
	family := "inet"
	if a.Is6() {
		family = "inet6"
	}
	return Destination{Family: family, Addr: a, Port: port}
}

func TestDecideDestination(t *testing.T) {
	rules, err := policy.CompileNetworkRules(policy.Network{
		AllowedDomains: []string{"*.game.test"},
		AllowedCIDRs:   []string{"192.0.2.0/24"},
		AllowedPorts:   []int{443, 53, 27015},
	})
	if err != nil {
		t.Fatal(err)
	}
	anyPort, err := policy.CompileNetworkRules(policy.Network{AllowedCIDRs: []string{"192.0.2.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	stream, dgram := unix.SOCK_STREAM, unix.SOCK_DGRAM
	tests := []struct {
		name string
		q    destQuery
		want destVerdict
	}{
		{"observe resolved", destQuery{mode: ModeObserve, dest: inetDest("198.51.100.1", 443), sockType: stream, seen: true},
			destVerdict{action: actContinue}},
		{"observe unresolved is an anomaly", destQuery{mode: ModeObserve, dest: inetDest("198.51.100.1", 443), sockType: stream},
			destVerdict{action: actContinue, anomaly: anomalyUnresolvedIP}},
		{"observe allowed cidr is no anomaly", destQuery{mode: ModeObserve, rules: rules, dest: inetDest("192.0.2.9", 80), sockType: stream},
			destVerdict{action: actContinue}},
		{"observe mapped address in cidr", destQuery{mode: ModeObserve, rules: rules, dest: inetDest("::ffff:192.0.2.9", 80), sockType: stream},
			destVerdict{action: actContinue}},
		{"observe dns redirected", destQuery{mode: ModeObserve, dest: inetDest("10.0.0.1", 53), sockType: dgram, forwarder: true},
			destVerdict{action: actRedirect}},
		{"observe dns without forwarder", destQuery{mode: ModeObserve, dest: inetDest("10.0.0.1", 53), sockType: dgram, seen: true},
			destVerdict{action: actContinue}},
		{"observe forwarder itself", destQuery{mode: ModeObserve, dest: inetDest("127.0.0.1", 5353), sockType: dgram, forwarder: true, forwarderDest: true},
			destVerdict{action: actContinue}},
		{"observe unix", destQuery{mode: ModeObserve, dest: Destination{Family: "unix", Path: "/tmp/x"}},
			destVerdict{action: actContinue}},
		{"offline loopback", destQuery{mode: ModeOffline, dest: inetDest("127.0.0.1", 8080), sockType: stream},
			destVerdict{action: actContinue}},
		{"offline loopback dns refused", destQuery{mode: ModeOffline, dest: inetDest("127.0.0.53", 53), sockType: stream},
			destVerdict{action: actDeny, errno: unix.ECONNREFUSED, rule: "network.mode"}},
		{"offline remote", destQuery{mode: ModeOffline, dest: inetDest("198.51.100.1", 443), sockType: stream},
			destVerdict{action: actDeny, errno: unix.ENETUNREACH, rule: "network.mode"}},
		{"offline ipv6 loopback", destQuery{mode: ModeOffline, dest: inetDest("::1", 8080), sockType: stream},
			destVerdict{action: actContinue}},
		{"restrict allowed answer", destQuery{mode: ModeRestrict, rules: rules, dest: inetDest("198.51.100.1", 443), sockType: stream, seen: true, allowedAnswer: true},
			destVerdict{action: actEmulate, rule: "network.allowed_domains"}},
		{"restrict cidr", destQuery{mode: ModeRestrict, rules: rules, dest: inetDest("192.0.2.1", 27015), sockType: dgram},
			destVerdict{action: actEmulate, rule: "network.allowed_cidrs"}},
		{"restrict raw address", destQuery{mode: ModeRestrict, rules: rules, dest: inetDest("198.51.100.1", 443), sockType: stream},
			destVerdict{action: actDeny, errno: unix.EACCES, rule: "network.allowed_domains", anomaly: anomalyUnresolvedIP}},
		{"restrict address of an unlisted answer", destQuery{mode: ModeRestrict, rules: rules, dest: inetDest("198.51.100.1", 443), sockType: stream, seen: true},
			destVerdict{action: actDeny, errno: unix.EACCES, rule: "network.allowed_domains", anomaly: anomalyDeniedByPolicy}},
		{"restrict port not listed", destQuery{mode: ModeRestrict, rules: rules, dest: inetDest("192.0.2.1", 8080), sockType: stream},
			destVerdict{action: actDeny, errno: unix.EACCES, rule: "network.allowed_ports", anomaly: anomalyDeniedByPolicy}},
		{"restrict no port list", destQuery{mode: ModeRestrict, rules: anyPort, dest: inetDest("192.0.2.1", 8080), sockType: stream},
			destVerdict{action: actEmulate, rule: "network.allowed_cidrs"}},
		{"restrict dns redirected", destQuery{mode: ModeRestrict, rules: rules, dest: inetDest("8.8.8.8", 53), sockType: stream, forwarder: true},
			destVerdict{action: actRedirect}},
		{"restrict forwarder itself", destQuery{mode: ModeRestrict, rules: rules, dest: inetDest("127.0.0.1", 5353), sockType: dgram, forwarder: true, forwarderDest: true},
			destVerdict{action: actEmulate}},
		{"restrict raw socket", destQuery{mode: ModeRestrict, rules: rules, dest: inetDest("192.0.2.1", 443), sockType: unix.SOCK_RAW},
			destVerdict{action: actDeny, errno: unix.EACCES, rule: "network.mode", anomaly: anomalyDeniedByPolicy}},
		{"restrict unix path emulated", destQuery{mode: ModeRestrict, dest: Destination{Family: "unix", Path: "/tmp/.wine-1000/server/socket"}},
			destVerdict{action: actEmulate}},
		{"restrict abstract unix denied", destQuery{mode: ModeRestrict, dest: Destination{Family: "unix", Abstract: true, Path: "/tmp/.X11-unix/X0"}},
			destVerdict{action: actDeny, errno: unix.EPERM, rule: "network.mode"}},
		{"restrict netlink emulated", destQuery{mode: ModeRestrict, dest: Destination{Family: "netlink"}},
			destVerdict{action: actEmulate}},
		{"restrict disconnect emulated", destQuery{mode: ModeRestrict, dest: Destination{Family: "af0"}, sockType: unix.SOCK_DGRAM},
			destVerdict{action: actEmulate}},
		{"restrict other family", destQuery{mode: ModeRestrict, dest: Destination{Family: "af40"}},
			destVerdict{action: actDeny, errno: unix.EAFNOSUPPORT, rule: "network.mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decideDestination(tt.q); got != tt.want {
				t.Errorf("decideDestination = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Restrict mode never lets the kernel run a call itself: every verdict
// is emulation, redirection or denial.
func TestRestrictNeverContinues(t *testing.T) {
	families := []Destination{
		inetDest("127.0.0.1", 80), inetDest("::1", 53), inetDest("0.0.0.0", 0),
		{Family: "unix", Path: "/x"}, {Family: "unix", Abstract: true}, {Family: "unix"},
		{Family: "netlink"}, {Family: "af0"}, {Family: "af17"},
	}
	for _, d := range families {
		for _, typ := range []int{unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_RAW, unix.SOCK_SEQPACKET} {
			for _, flags := range []int{0, 1, 2, 3} {
				q := destQuery{mode: ModeRestrict, dest: d, sockType: typ, forwarder: flags&1 != 0, seen: flags&2 != 0, allowedAnswer: flags&2 != 0}
				if v := decideDestination(q); v.action == actContinue {
					t.Errorf("restrict mode continues %s (type %d, flags %d)", d, typ, flags)
				}
			}
		}
	}
}

func TestDecideWithoutNamespaces(t *testing.T) {
	allowed := []string{"/tmp/.wine-1000/server-fe00-1f", "/tmp/.X11-unix/X0"}
	unixDest := func(path string, abstract bool) Destination {
		return Destination{Family: "unix", Path: path, Abstract: abstract}
	}
	tests := []struct {
		name string
		q    destQuery
		want destVerdict
	}{
		{"own wineserver socket", destQuery{mode: ModeObserve, unixSockets: allowed, dest: unixDest("/tmp/.wine-1000/server-fe00-1f/socket", false)},
			destVerdict{action: actEmulate}},
		{"display socket", destQuery{mode: ModeOffline, unixSockets: allowed, dest: unixDest("/tmp/.X11-unix/X0", false)},
			destVerdict{action: actEmulate}},
		// Checked on the opened file before the connect.
		{"relative path", destQuery{mode: ModeObserve, unixSockets: allowed, dest: unixDest("socket", false)},
			destVerdict{action: actEmulate}},
		{"another prefix's wineserver", destQuery{mode: ModeObserve, unixSockets: allowed, dest: unixDest("/tmp/.wine-1000/server-fe00-20/socket", false)},
			destVerdict{action: actDeny, errno: unix.EACCES, rule: "unix_socket"}},
		{"a sibling with the allowed name as prefix", destQuery{mode: ModeObserve, unixSockets: allowed, dest: unixDest("/tmp/.X11-unix/X01", false)},
			destVerdict{action: actDeny, errno: unix.EACCES, rule: "unix_socket"}},
		{"session bus", destQuery{mode: ModeRestrict, unixSockets: allowed, dest: unixDest("/run/user/1000/bus", false)},
			destVerdict{action: actDeny, errno: unix.EACCES, rule: "unix_socket"}},
		{"abstract socket", destQuery{mode: ModeObserve, unixSockets: allowed, dest: unixDest("/tmp/.X11-unix/X0", true)},
			destVerdict{action: actDeny, errno: unix.EPERM, rule: "unix_socket"}},
		// Without a network namespace, loopback is the host's own.
		{"offline loopback, shared network", destQuery{mode: ModeOffline, sharedNetwork: true, dest: inetDest("127.0.0.1", 631)},
			destVerdict{action: actDeny, errno: unix.ECONNREFUSED, rule: "network.mode"}},
		{"offline loopback, own namespace", destQuery{mode: ModeOffline, dest: inetDest("127.0.0.1", 631)},
			destVerdict{action: actContinue}},
	}
	for _, tc := range tests {
		if got := decideDestination(tc.q); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
