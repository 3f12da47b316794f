//go:build linux

package supervisor

import (
	"net/netip"
	"strconv"
	"sync"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/supervisor/dnsforward"
)

// NetworkConfig is the network policy one supervisor enforces.
type NetworkConfig struct {
	// Mode is ModeObserve (the default when empty), ModeOffline or
	// ModeRestrict. Offline needs the sandbox's own network namespace.
	Mode string
	// Rules is the allowlist of restrict mode. In observe mode its
	// allowed_cidrs exempt addresses from the unresolved-address anomaly,
	// and its allowed_domains from the TXT-query anomaly.
	Rules *policy.NetworkRules
	// DNSUDP and DNSTCP are the forwarder's addresses. When set, every
	// connect or send to port 53 is redirected there. Restrict mode needs
	// them.
	DNSUDP, DNSTCP netip.AddrPort
	// MaxUniqueDestinations is the number of unique destinations per
	// session beyond which an anomaly is counted; zero disables it.
	MaxUniqueDestinations int
	// SharedNetwork: the sandbox has no network namespace of its own, so
	// offline mode refuses loopback too, and every call is emulated,
	// because no kernel layer holds the policy behind the supervisor.
	SharedNetwork bool
	// UnixSockets, when not nil, are the only Unix socket paths (or
	// directories holding them) a connect or send may reach. Abstract
	// sockets are refused. A sandbox without a mount view needs it, as
	// Landlock does not cover connecting to a socket before ABI 9.
	UnixSockets []string
}

// ObserveDNS records one query the forwarder answered: the names and
// addresses for later destination events and restrict decisions, a dns
// event, and a TXT anomaly. The forwarder calls it before it sends the
// answer, so a connect that follows the answer finds the addresses. It is
// safe to call from any goroutine.
func (s *Supervisor) ObserveDNS(ex dnsforward.Exchange) {
	rules := s.cfg.Network.Rules
	allowed := ex.Decision == "forwarded" && (s.cfg.Network.Mode != ModeRestrict || rules.DomainAllowed(ex.Name))
	if len(ex.Addresses) > 0 {
		s.names.record(ex.Name, ex.Addresses, ex.TTL, allowed, ex.Time)
	}
	p := s.dnsClients.get(ex.Transport, int(ex.Client.Port()))

	// A failed upstream is no policy decision: the query was allowed.
	decision := audit.DecisionAllow
	if ex.Decision == dnsforward.DecisionBlocked || ex.Decision == dnsforward.DecisionMalformed {
		decision = audit.DecisionDeny
	}
	fields := map[string]any{"name": ex.Name, "type": ex.Type, "rcode": ex.RCode, "transport": ex.Transport, "result": ex.Decision}
	if len(ex.CNAMEs) > 0 {
		fields["cnames"] = ex.CNAMEs
	}
	if len(ex.Addresses) > 0 {
		addrs := make([]string, len(ex.Addresses))
		for i, a := range ex.Addresses {
			addrs[i] = a.String()
		}
		fields["addresses"] = addrs
		fields["ttl"] = ex.TTL
	}
	if len(ex.Records) > 0 {
		records := make([]map[string]any, len(ex.Records))
		for i, r := range ex.Records {
			records[i] = map[string]any{"name": r.Name, "type": r.Type, "ttl": r.TTL, "data": quote(r.Data)}
		}
		fields["answers"] = records
	}
	if ex.Error != "" {
		fields["error"] = ex.Error
	}
	rule := ""
	if ex.Decision == "blocked" {
		rule = "network.allowed_domains"
	}
	s.emit(p, audit.Event{Kind: audit.KindDNS, Decision: decision, Rule: rule, Target: quote(ex.Name), Fields: fields})

	if ex.Type == "TXT" && !rules.DomainAllowed(ex.Name) && s.stats.anomaly(anomalyTXTQuery, ex.Name) {
		s.emit(p, audit.Event{Kind: audit.KindNetworkAnomaly, Rule: anomalyTXTQuery, Target: quote(ex.Name), Decision: decision,
			Detail: anomalyDetail(anomalyTXTQuery)})
	}
}

// maxDNSClients bounds dnsClients; it is cleared when full, which only
// costs the process names of some dns events.
const maxDNSClients = 4096

// dnsClientTable maps the local port of a socket that the supervisor
// pointed at the forwarder to the process that owns it.
type dnsClientTable struct {
	mu     sync.Mutex
	byPort map[string]*process
}

func (t *dnsClientTable) put(proto string, port int, p *process) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byPort == nil || len(t.byPort) >= maxDNSClients {
		t.byPort = map[string]*process{}
	}
	t.byPort[proto+strconv.Itoa(port)] = p
}

func (t *dnsClientTable) get(transport string, port int) *process {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byPort[transport+strconv.Itoa(port)]
}
