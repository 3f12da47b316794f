package supervisor

import (
	"net/netip"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

func TestNameStoreLookup(t *testing.T) {
	n := newNameStore()
	now := time.Now()
	addr := netip.MustParseAddr("192.0.2.1")
	n.record("cdn.example", []netip.Addr{addr}, 60, false, now)
	n.record("www.example", []netip.Addr{netip.MustParseAddr("::ffff:192.0.2.1")}, 30, true, now)

	names, seen, allowed := n.lookup(netip.MustParseAddr("::ffff:192.0.2.1"))
	if !seen {
		t.Fatal("recorded address not seen")
	}
	if !allowed {
		t.Error("address from an allowed answer not marked allowed")
	}
	if len(names) != 2 || names[0] != "cdn.example" || names[1] != "www.example" {
		t.Errorf("names %v, want [cdn.example www.example]", names)
	}
	n.record("cdn.example", []netip.Addr{addr}, 60, false, now)
	if names, _, _ := n.lookup(addr); len(names) != 2 || names[1] != "cdn.example" {
		t.Errorf("names %v after a new answer for cdn.example, want it last", names)
	}
	if _, seen, _ := n.lookup(netip.MustParseAddr("192.0.2.2")); seen {
		t.Error("unrecorded address seen")
	}
}

func TestNameStoreBounded(t *testing.T) {
	n := newNameStore()
	now := time.Now()
	for i := range maxNamesPerAddr + 3 {
		n.record(string(rune('a'+i))+".example", []netip.Addr{netip.MustParseAddr("192.0.2.1")}, 1, false, now)
	}
	names, _, _ := n.lookup(netip.MustParseAddr("192.0.2.1"))
	if len(names) != maxNamesPerAddr {
		t.Errorf("%d names kept, want %d", len(names), maxNamesPerAddr)
	}
	addrs := make([]netip.Addr, 0, maxAddrs+10)
	for i := range maxAddrs + 10 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	n.record("many.example", addrs, 1, false, now)
	if len(n.byAddr) != maxAddrs || n.dropped == 0 {
		t.Errorf("store holds %d addresses with %d dropped, want %d and some dropped", len(n.byAddr), n.dropped, maxAddrs)
	}
}

func TestNetStatsSummary(t *testing.T) {
	s := newNetStats()
	t0 := time.Now()
	s.note("tcp", "192.0.2.1:443", "game.test", audit.DecisionAllow, 100, t0)
	s.note("tcp", "192.0.2.1:443", "", audit.DecisionAllow, 50, t0.Add(time.Second))
	unique := s.note("udp", "192.0.2.2:27015", "", audit.DecisionDeny, -1, t0.Add(2*time.Second))
	if unique != 2 {
		t.Errorf("%d unique destinations, want 2", unique)
	}
	if !s.anomaly(anomalyUnresolvedIP, "192.0.2.2:27015") {
		t.Error("first anomaly not new")
	}
	if s.anomaly(anomalyUnresolvedIP, "192.0.2.2:27015") {
		t.Error("repeated anomaly counted twice")
	}
	s.anomaly(anomalyDeniedByPolicy, "192.0.2.2:27015")

	ev := s.summary()
	dests, _ := ev.Fields["destinations"].([]map[string]any)
	if len(dests) != 2 {
		t.Fatalf("%d destinations in summary, want 2", len(dests))
	}
	first := dests[0]
	if first["target"] != "192.0.2.1:443" || first["count"] != 2 || first["bytes"] != int64(150) || first["domain"] != "game.test" {
		t.Errorf("first destination %v, want 192.0.2.1:443 count 2 bytes 150 domain game.test", first)
	}
	if _, ok := dests[1]["bytes"]; ok {
		t.Errorf("unknown byte count reported: %v", dests[1])
	}
	if ev.Fields["anomalies_total"] != 2 {
		t.Errorf("anomalies_total %v, want 2", ev.Fields["anomalies_total"])
	}
}
