package supervisor

import (
	"sort"
	"sync"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// Reasons of network anomalies, stored in the event's Rule. Each counts
// against the game's trust once per session and target.
const (
	anomalyUnresolvedIP       = "unresolved_ip"       // a connection to an address no DNS answer produced
	anomalyDeniedByPolicy     = "denied_by_policy"    // a destination the network policy refused
	anomalyRateLimit          = "rate_limit"          // the connection rate limit refused calls
	anomalyTXTQuery           = "dns_txt"             // a TXT query for a name not on allowed_domains
	anomalyUniqueDestinations = "unique_destinations" // more unique destinations than max_unique_destinations
)

// Bounds of netStats: destinations beyond maxDestinations are counted in
// one overflow number, and the summary lists at most maxSummaryDestinations.
const (
	maxDestinations        = 4096
	maxSummaryDestinations = 1024
	maxAnomalyKeys         = 4096
)

// netStats aggregates the destinations and anomalies of one session. It
// is safe for concurrent use.
type netStats struct {
	mu        sync.Mutex
	dests     map[string]*destStat
	overflow  int
	anomalies map[string]int
	// seen holds reason+target pairs already counted, so that a retry
	// loop against one blocked address is one anomaly.
	seen map[string]struct{}
}

// destStat is one unique destination: protocol and target.
type destStat struct {
	Target   string
	Protocol string
	Domain   string
	Decision string
	First    time.Time
	Count    int
	// Bytes counts payload bytes the supervisor sent itself; it is -1
	// when the kernel sent some without the supervisor seeing them.
	Bytes int64
}

func newNetStats() *netStats {
	return &netStats{dests: map[string]*destStat{}, anomalies: map[string]int{}, seen: map[string]struct{}{}}
}

// note counts one attempt to reach target and returns the number of
// unique destinations so far. bytes is the payload size the supervisor sent,
// or -1 when unknown.
func (n *netStats) note(protocol, target, domain, decision string, bytes int64, now time.Time) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	key := protocol + " " + target
	d := n.dests[key]
	if d == nil {
		if len(n.dests) >= maxDestinations {
			n.overflow++
			return len(n.dests) + n.overflow
		}
		d = &destStat{Target: target, Protocol: protocol, Domain: domain, Decision: decision, First: now}
		n.dests[key] = d
	}
	d.Count++
	if d.Domain == "" {
		d.Domain = domain
	}
	if decision == audit.DecisionAllow {
		d.Decision = decision
	}
	switch {
	case bytes < 0 || d.Bytes < 0:
		d.Bytes = -1
	default:
		d.Bytes += bytes
	}
	return len(n.dests) + n.overflow
}

// anomaly counts reason for target unless it was counted before in this
// session, and reports whether it was new.
func (n *netStats) anomaly(reason, target string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	key := reason + " " + target
	if _, ok := n.seen[key]; ok {
		return false
	}
	if len(n.seen) < maxAnomalyKeys {
		n.seen[key] = struct{}{}
	}
	n.anomalies[reason]++
	return true
}

// summary builds the session's network_summary event: anomaly counts and
// the unique destinations in the order they were first seen.
func (n *netStats) summary() audit.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	list := make([]*destStat, 0, len(n.dests))
	for _, d := range n.dests {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].First.Before(list[j].First) })

	omitted := n.overflow
	if len(list) > maxSummaryDestinations {
		omitted += len(list) - maxSummaryDestinations
		list = list[:maxSummaryDestinations]
	}
	dests := make([]map[string]any, 0, len(list))
	for _, d := range list {
		m := map[string]any{"target": d.Target, "protocol": d.Protocol, "decision": d.Decision,
			"first_seen": d.First.UTC().Format(time.RFC3339Nano), "count": d.Count}
		if d.Domain != "" {
			m["domain"] = d.Domain
		}
		if d.Bytes >= 0 {
			m["bytes"] = d.Bytes
		}
		dests = append(dests, m)
	}

	anomalies := map[string]any{}
	total := 0
	for reason, c := range n.anomalies {
		anomalies[reason] = c
		total += c
	}
	return audit.Event{Kind: audit.KindNetworkSummary, Fields: map[string]any{
		"destinations": dests, "unique_destinations": len(n.dests) + n.overflow, "omitted": omitted,
		"anomalies": anomalies, "anomalies_total": total,
	}}
}
