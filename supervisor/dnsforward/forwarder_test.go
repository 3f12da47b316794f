package dnsforward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestForwardRecordTypes(t *testing.T) {
	tests := []struct {
		name      string
		qtype     dnsmessage.Type
		rcode     string
		records   []Record
		cnames    []string
		addresses []netip.Addr
		ttl       uint32
	}{
		{name: "a.test.", qtype: dnsmessage.TypeA, rcode: "NOERROR",
			records:   []Record{{"a.test", "A", 300, "192.0.2.1"}},
			addresses: addrs("192.0.2.1"), ttl: 300},
		{name: "A.Test.", qtype: dnsmessage.TypeA, rcode: "NOERROR",
			records:   []Record{{"a.test", "A", 300, "192.0.2.1"}},
			addresses: addrs("192.0.2.1"), ttl: 300},
		{name: "aaaa.test.", qtype: dnsmessage.TypeAAAA, rcode: "NOERROR",
			records:   []Record{{"aaaa.test", "AAAA", 300, "2001:db8::1"}},
			addresses: addrs("2001:db8::1"), ttl: 300},
		{name: "chain-a.test.", qtype: dnsmessage.TypeA, rcode: "NOERROR",
			records: []Record{
				{"chain-a.test", "CNAME", 300, "chain-b.test"},
				{"chain-b.test", "CNAME", 120, "chain-c.test"},
				{"chain-c.test", "A", 60, "192.0.2.3"},
			},
			cnames: []string{"chain-b.test", "chain-c.test"}, addresses: addrs("192.0.2.3"), ttl: 60},
		{name: "chain-a.test.", qtype: dnsmessage.TypeAAAA, rcode: "NOERROR",
			records: []Record{
				{"chain-a.test", "CNAME", 300, "chain-b.test"},
				{"chain-b.test", "CNAME", 120, "chain-c.test"},
				{"chain-c.test", "AAAA", 60, "2001:db8::3"},
			},
			cnames: []string{"chain-b.test", "chain-c.test"}, addresses: addrs("2001:db8::3"), ttl: 60},
		{name: "mx.test.", qtype: dnsmessage.TypeMX, rcode: "NOERROR",
			records: []Record{{"mx.test", "MX", 300, "10 mail.test"}}},
		{name: "ns.test.", qtype: dnsmessage.TypeNS, rcode: "NOERROR",
			records: []Record{{"ns.test", "NS", 300, "ns1.test"}}},
		{name: "txt.test.", qtype: dnsmessage.TypeTXT, rcode: "NOERROR",
			records: []Record{{"txt.test", "TXT", 300, `"v=spf1 -all" "hello world"`}}},
		{name: "_game._tcp.srv.test.", qtype: dnsmessage.TypeSRV, rcode: "NOERROR",
			records: []Record{{"_game._tcp.srv.test", "SRV", 300, "1 2 443 host.test"}}},
		{name: "https.test.", qtype: dnsmessage.TypeHTTPS, rcode: "NOERROR",
			records: []Record{{"https.test", "HTTPS", 300, "<3 bytes>"}}},
		{name: "type99.test.", qtype: 99, rcode: "NOERROR",
			records: []Record{{"type99.test", "TYPE99", 300, "<5 bytes>"}}},
		{name: "nx.test.", qtype: dnsmessage.TypeA, rcode: "NXDOMAIN"},
	}

	upstream := startUpstream(t, testZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}}, defaultLimits)

	for _, transport := range []string{"udp", "tcp"} {
		for i, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s%s", transport, tt.name, typeName(tt.qtype)), func(t *testing.T) {
				id := uint16(1000 + i)
				resp := exchangeOver(t, f, transport, newQuery(id, tt.name, tt.qtype, 0))
				ex := f.nextExchange(t)

				want := testZone("udp", id, questionOf(tt.name, tt.qtype))[0]
				if !bytes.Equal(resp, want) {
					t.Errorf("response differs from the upstream's apart from the id:\ngot  %x\nwant %x", resp, want)
				}
				if ex.Transport != transport {
					t.Errorf("Transport = %q, want %q", ex.Transport, transport)
				}
				if ex.ID != id {
					t.Errorf("ID = %d, want %d", ex.ID, id)
				}
				if want := strings.ToLower(strings.TrimSuffix(tt.name, ".")); ex.Name != want {
					t.Errorf("Name = %q, want %q", ex.Name, want)
				}
				if want := typeName(tt.qtype); ex.Type != want {
					t.Errorf("Type = %q, want %q", ex.Type, want)
				}
				if ex.Decision != DecisionForwarded {
					t.Errorf("Decision = %q, want %q", ex.Decision, DecisionForwarded)
				}
				if ex.RCode != tt.rcode {
					t.Errorf("RCode = %q, want %q", ex.RCode, tt.rcode)
				}
				if !slices.Equal(ex.Records, tt.records) {
					t.Errorf("Records = %v, want %v", ex.Records, tt.records)
				}
				if !slices.Equal(ex.CNAMEs, tt.cnames) {
					t.Errorf("CNAMEs = %v, want %v", ex.CNAMEs, tt.cnames)
				}
				if !slices.Equal(ex.Addresses, tt.addresses) {
					t.Errorf("Addresses = %v, want %v", ex.Addresses, tt.addresses)
				}
				if ex.TTL != tt.ttl {
					t.Errorf("TTL = %d, want %d", ex.TTL, tt.ttl)
				}
				if ex.Error != "" {
					t.Errorf("Error = %q, want none", ex.Error)
				}
				if !ex.Client.Addr().IsLoopback() {
					t.Errorf("Client = %s, want a loopback address", ex.Client)
				}
			})
		}
	}
}

// glibc sends the A and AAAA queries back to back on one TCP connection
// before reading either response.
func TestTCPPipelinedQueries(t *testing.T) {
	upstream := startUpstream(t, testZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}}, defaultLimits)
	conn := dialTCP(t, f.TCPAddr())
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatalf("setting deadline: %v", err)
	}

	both := append(frame(newQuery(1, "dual.test.", dnsmessage.TypeA, 0)), frame(newQuery(2, "dual.test.", dnsmessage.TypeAAAA, 0))...)
	if _, err := conn.Write(both); err != nil {
		t.Fatalf("sending both queries: %v", err)
	}
	got := map[uint16]string{}
	for range 2 {
		resp, err := readFrame(conn)
		if err != nil {
			t.Fatalf("reading response: %v", err)
		}
		m := unpack(t, resp)
		if len(m.Answers) != 1 {
			t.Fatalf("response %d has %d answers, want 1", m.ID, len(m.Answers))
		}
		got[m.ID] = m.Answers[0].Header.Type.String()
	}
	if got[1] != "TypeA" {
		t.Errorf("response to id 1 has %q, want TypeA", got[1])
	}
	if got[2] != "TypeAAAA" {
		t.Errorf("response to id 2 has %q, want TypeAAAA", got[2])
	}
}

func TestResolverLookupNetIP(t *testing.T) {
	upstream := startUpstream(t, testZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}}, defaultLimits)
	resolver := &net.Resolver{
		PreferGo: true,
		// The address argument comes from the system configuration and is
		// ignored: every query goes to the forwarder.
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			if strings.HasPrefix(network, "tcp") {
				return d.DialContext(ctx, "tcp", f.TCPAddr().String())
			}
			return d.DialContext(ctx, "udp", f.UDPAddr().String())
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	got, err := resolver.LookupNetIP(ctx, "ip", "chain-a.test.")
	if err != nil {
		t.Fatalf("LookupNetIP: %v", err)
	}
	slices.SortFunc(got, netip.Addr.Compare)
	want := addrs("192.0.2.3", "2001:db8::3")
	if !slices.Equal(got, want) {
		t.Errorf("LookupNetIP = %v, want %v", got, want)
	}
}

func TestBlockedName(t *testing.T) {
	upstream := startUpstream(t, testZone)
	var mu sync.Mutex
	var allowCalls []string
	allow := func(name string) bool {
		mu.Lock()
		allowCalls = append(allowCalls, name)
		mu.Unlock()
		return name != "blocked.test"
	}
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}, Allow: allow}, defaultLimits)

	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			resp := exchangeOver(t, f, transport, newQuery(77, "Blocked.Test.", dnsmessage.TypeA, 0))
			ex := f.nextExchange(t)
			m := unpack(t, resp)

			if m.ID != 77 {
				t.Errorf("ID = %d, want 77", m.ID)
			}
			if !m.Response {
				t.Error("response bit not set")
			}
			if m.RCode != dnsmessage.RCodeNameError {
				t.Errorf("RCode = %v, want NXDOMAIN", m.RCode)
			}
			if !m.RecursionDesired {
				t.Error("RD not copied from the query")
			}
			if !m.RecursionAvailable {
				t.Error("RA not set")
			}
			if want := []dnsmessage.Question{questionOf("Blocked.Test.", dnsmessage.TypeA)}; !slices.Equal(m.Questions, want) {
				t.Errorf("Questions = %v, want %v", m.Questions, want)
			}
			if n := len(m.Answers) + len(m.Authorities) + len(m.Additionals); n != 0 {
				t.Errorf("response has %d records, want 0", n)
			}
			if ex.Decision != DecisionBlocked {
				t.Errorf("Decision = %q, want %q", ex.Decision, DecisionBlocked)
			}
			if ex.RCode != "NXDOMAIN" {
				t.Errorf("RCode = %q, want NXDOMAIN", ex.RCode)
			}
		})
	}

	if n := upstream.seen("blocked.test"); n != 0 {
		t.Errorf("upstream received %d queries for blocked.test, want 0", n)
	}
	if n := upstream.udpQueries.Load() + upstream.tcpQueries.Load(); n != 0 {
		t.Errorf("upstream received %d queries, want 0", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"blocked.test", "blocked.test"}; !slices.Equal(allowCalls, want) {
		t.Errorf("Allow called with %q, want %q", allowCalls, want)
	}
}

func TestUDPResponseOverLimit(t *testing.T) {
	upstream := startUpstream(t, testZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}}, defaultLimits)
	question := questionOf("big.test.", dnsmessage.TypeTXT)

	t.Run("without edns", func(t *testing.T) {
		resp := exchangeOver(t, f, "udp", newQuery(5, "big.test.", dnsmessage.TypeTXT, 0))
		ex := f.nextExchange(t)
		m := unpack(t, resp)
		if len(resp) > 512 {
			t.Errorf("response is %d bytes, want at most 512", len(resp))
		}
		if !m.Truncated {
			t.Error("TC not set")
		}
		if m.ID != 5 {
			t.Errorf("ID = %d, want 5", m.ID)
		}
		if want := []dnsmessage.Question{question}; !slices.Equal(m.Questions, want) {
			t.Errorf("Questions = %v, want %v", m.Questions, want)
		}
		if len(m.Answers) != 0 {
			t.Errorf("response has %d answers, want 0", len(m.Answers))
		}
		if len(ex.Records) != 1 {
			t.Errorf("Exchange has %d records, want the upstream's 1", len(ex.Records))
		}
	})

	t.Run("edns 4096", func(t *testing.T) {
		resp := exchangeOver(t, f, "udp", newQuery(6, "big.test.", dnsmessage.TypeTXT, 4096))
		f.nextExchange(t)
		want := testZone("udp", 6, question)[0]
		if !bytes.Equal(resp, want) {
			t.Errorf("got %d bytes, want the upstream's %d bytes unchanged", len(resp), len(want))
		}
	})

	t.Run("tcp", func(t *testing.T) {
		resp := exchangeOver(t, f, "tcp", newQuery(7, "big.test.", dnsmessage.TypeTXT, 0))
		f.nextExchange(t)
		want := testZone("udp", 7, question)[0]
		if !bytes.Equal(resp, want) {
			t.Errorf("got %d bytes, want the upstream's %d bytes unchanged", len(resp), len(want))
		}
	})
}

func TestUpstreamFailover(t *testing.T) {
	silent := startUpstream(t, silentZone)
	working := startUpstream(t, testZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{silent.addr, working.addr}}, defaultLimits)

	start := time.Now()
	resp := exchangeOver(t, f, "udp", newQuery(9, "a.test.", dnsmessage.TypeA, 0))
	elapsed := time.Since(start)
	ex := f.nextExchange(t)

	if h := headerOf(t, resp); h.RCode != dnsmessage.RCodeSuccess {
		t.Errorf("RCode = %v, want NOERROR", h.RCode)
	}
	if ex.Decision != DecisionForwarded {
		t.Errorf("Decision = %q, want %q", ex.Decision, DecisionForwarded)
	}
	if n := silent.udpQueries.Load(); n != 1 {
		t.Errorf("first upstream received %d queries, want 1", n)
	}
	if elapsed < testTimeout {
		t.Errorf("answered after %s, want at least the timeout of the first upstream (%s)", elapsed, testTimeout)
	}
}

func TestStartInvalidConfig(t *testing.T) {
	valid := netip.MustParseAddrPort("127.0.0.1:53")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no upstreams", Config{}, "no upstream resolvers configured"},
		{"zero port", Config{Upstreams: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}}, "127.0.0.1:0 is not a valid address and port"},
		{"invalid address", Config{Upstreams: []netip.AddrPort{valid, {}}}, "is not a valid address and port"},
		{"negative timeout", Config{Upstreams: []netip.AddrPort{valid}, Timeout: -time.Second}, "timeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Start(tt.cfg)
			if err == nil {
				f.Close()
				t.Fatalf("Start succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}

	_, err := Start(Config{})
	if !errors.Is(err, ErrNoUpstream) {
		t.Errorf("Start without upstreams: %v, want ErrNoUpstream", err)
	}
}

func TestCloseTwice(t *testing.T) {
	upstream := startUpstream(t, testZone)
	f, err := Start(Config{Upstreams: []netip.AddrPort{upstream.addr}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("first Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// The supervisor records answered addresses in Observe; a client that
// connects as soon as it reads the answer must find them recorded.
func TestObserveBeforeAnswer(t *testing.T) {
	upstream := startUpstream(t, testZone)
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			var observed atomic.Bool
			cfg := Config{Upstreams: []netip.AddrPort{upstream.addr}, Timeout: testTimeout}
			cfg.Observe = func(Exchange) {
				// Long enough that a reply sent first would arrive before this returns.
				time.Sleep(50 * time.Millisecond)
				observed.Store(true)
			}
			f, err := start(cfg, defaultLimits)
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			defer f.Close()
			tf := &testForwarder{Forwarder: f}
			exchangeOver(t, tf, transport, newQuery(7, "a.test.", dnsmessage.TypeA, 0))
			if !observed.Load() {
				t.Error("the answer reached the client before Observe returned")
			}
		})
	}
}
