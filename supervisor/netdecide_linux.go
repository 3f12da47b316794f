//go:build linux

package supervisor

import (
	"net/netip"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/policy"
)

// Network modes, as in the [network] mode setting.
const (
	ModeObserve  = "observe"
	ModeOffline  = "offline"
	ModeRestrict = "restrict"
)

// netAction is the supervisor's action for one destination.
type netAction int

const (
	// actContinue lets the kernel run the call. Only safe where nothing is
	// enforced (observe mode) or where a kernel layer enforces (the private
	// network namespace of offline mode).
	actContinue netAction = iota
	// actEmulate runs the call in the supervisor on its copy of the
	// socket, with the address it copied and checked.
	actEmulate
	// actRedirect emulates the call with the DNS forwarder as destination.
	actRedirect
	// actDeny fails the call with errno.
	actDeny
)

// destQuery is everything decideDestination looks at.
type destQuery struct {
	mode     string
	rules    *policy.NetworkRules
	dest     Destination
	sockType int // SO_TYPE of the socket: unix.SOCK_STREAM, SOCK_DGRAM...
	// forwarder is set when the DNS forwarder runs, and forwarderDest when
	// dest is one of its own addresses.
	forwarder     bool
	forwarderDest bool
	// seen and allowedAnswer report whether any DNS answer, or any answer
	// to an allowed name, produced dest's address in this session.
	seen          bool
	allowedAnswer bool
	// sharedNetwork and unixSockets are NetworkConfig's.
	sharedNetwork bool
	unixSockets   []string
}

// destVerdict is the decision for one destination.
type destVerdict struct {
	action netAction
	errno  unix.Errno
	rule   string
	// anomaly is the reason to count, or "".
	anomaly string
}

// decideDestination applies the network mode and allowlist to one
// destination. It is pure: the caller gathers the facts and acts on the
// verdict.
func decideDestination(q destQuery) destVerdict {
	d := q.dest
	if d.Family != "inet" && d.Family != "inet6" {
		return decideLocal(q)
	}
	ip := d.Addr.Unmap()
	switch q.mode {
	case ModeOffline:
		// The private network namespace refuses everything but loopback
		// already; the verdict only makes the failure immediate and logged.
		if d.Port == 53 {
			// Also on loopback, where the sandbox's resolv.conf points:
			// the refusal makes lookups fail at once and is logged.
			return destVerdict{action: actDeny, errno: unix.ECONNREFUSED, rule: "network.mode"}
		}
		if ip.IsLoopback() && !q.sharedNetwork {
			return destVerdict{action: actContinue}
		}
		if ip.IsLoopback() {
			// Loopback is the host's own: its services are off limits.
			return destVerdict{action: actDeny, errno: unix.ECONNREFUSED, rule: "network.mode"}
		}
		return destVerdict{action: actDeny, errno: unix.ENETUNREACH, rule: "network.mode"}
	case ModeRestrict:
		return decideRestrict(q, ip)
	}
	// Observe mode.
	if q.forwarderDest {
		return destVerdict{action: actContinue}
	}
	if d.Port == 53 && q.forwarder && redirectable(q.sockType) {
		return destVerdict{action: actRedirect}
	}
	v := destVerdict{action: actContinue}
	if !q.seen && !q.rules.AddressAllowed(ip) {
		v.anomaly = anomalyUnresolvedIP
	}
	return v
}

func decideRestrict(q destQuery, ip netip.Addr) destVerdict {
	d := q.dest
	if q.forwarderDest {
		return destVerdict{action: actEmulate}
	}
	if d.Port == 53 && q.forwarder && redirectable(q.sockType) {
		return destVerdict{action: actRedirect}
	}
	if !redirectable(q.sockType) {
		// Raw and packet sockets need capabilities the sandbox does not
		// have; anything else of that kind is not a game's traffic.
		return destVerdict{action: actDeny, errno: unix.EACCES, rule: "network.mode", anomaly: anomalyDeniedByPolicy}
	}
	if !q.rules.PortAllowed(d.Port) {
		return destVerdict{action: actDeny, errno: unix.EACCES, rule: "network.allowed_ports", anomaly: anomalyDeniedByPolicy}
	}
	if q.rules.AddressAllowed(ip) {
		return destVerdict{action: actEmulate, rule: "network.allowed_cidrs"}
	}
	if q.allowedAnswer {
		return destVerdict{action: actEmulate, rule: "network.allowed_domains"}
	}
	if q.seen {
		return destVerdict{action: actDeny, errno: unix.EACCES, rule: "network.allowed_domains", anomaly: anomalyDeniedByPolicy}
	}
	return destVerdict{action: actDeny, errno: unix.EACCES, rule: "network.allowed_domains", anomaly: anomalyUnresolvedIP}
}

// decideLocal handles destinations that are not IP addresses: Unix and
// netlink sockets and other families.
func decideLocal(q destQuery) destVerdict {
	if q.unixSockets != nil && q.dest.Family == "unix" {
		return decideUnix(q)
	}
	if q.mode != ModeRestrict {
		return destVerdict{action: actContinue}
	}
	// In restrict mode even local calls are emulated, because a racing
	// thread could swap the descriptor for an IP socket between the check
	// and the kernel's own run of the call.
	switch {
	case q.dest.Family == "unix" && q.dest.Abstract:
		// The supervisor is outside the sandbox's Landlock domain, so it
		// cannot reproduce the abstract-socket scoping a connect from
		// inside gets.
		return destVerdict{action: actDeny, errno: unix.EPERM, rule: "network.mode"}
	case q.dest.Family == "unix", q.dest.Family == "netlink":
		return destVerdict{action: actEmulate}
	case q.dest.Family == "af0":
		// AF_UNSPEC dissolves a socket's association, which glibc does
		// after probing source addresses to sort getaddrinfo's results.
		// It reaches nothing, and a send then needs a checked address.
		return destVerdict{action: actEmulate}
	}
	return destVerdict{action: actDeny, errno: unix.EAFNOSUPPORT, rule: "network.mode"}
}

// redirectable reports whether the socket type is one the forwarder and
// the restrict policy handle: stream (TCP) and datagram (UDP) sockets.
func redirectable(sockType int) bool {
	return sockType == unix.SOCK_STREAM || sockType == unix.SOCK_DGRAM
}

// decideUnix checks a Unix socket destination against the allowed paths.
// The path is the caller's text. A relative one (wineserver's clients
// connect to "socket" in its directory) is left to the check of the socket
// file the supervisor opens before it connects. That check also makes a
// symlink or a rename in between gain nothing.
func decideUnix(q destQuery) destVerdict {
	d := q.dest
	// Wine itself looks for D-Bus and other local services, so a refusal
	// is logged but counts no anomaly.
	if d.Abstract {
		return destVerdict{action: actDeny, errno: unix.EPERM, rule: "unix_socket"}
	}
	if d.Path == "" || !filepath.IsAbs(d.Path) || allowedSocket(q.unixSockets, d.Path) {
		return destVerdict{action: actEmulate}
	}
	return destVerdict{action: actDeny, errno: unix.EACCES, rule: "unix_socket"}
}

// allowedSocket reports whether the absolute path is one of the allowed
// sockets or lies in an allowed directory.
func allowedSocket(allowed []string, path string) bool {
	if !filepath.IsAbs(path) {
		return false
	}
	path = filepath.Clean(path)
	for _, a := range allowed {
		if path == a || strings.HasPrefix(path, a+"/") {
			return true
		}
	}
	return false
}
