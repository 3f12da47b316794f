package dnsforward

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func manyAddresses(n int) []netip.Addr {
	var out []netip.Addr
	for i := range n {
		out = append(out, netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", i)))
	}
	return out
}

// hostileNames are the testZone names whose upstream answers are hostile.
var hostileNames = []string{
	"loop.test.", "trunc.test.", "overrun.test.", "overrun-cname.test.", "shortlen.test.", "spoofid.test.", "spoofq.test.",
	"tc.test.", "many.test.", "tcgarbage.test.", "garbage.test.", "silent.test.",
}

func TestHostileUpstream(t *testing.T) {
	tests := []struct {
		name      string
		decision  string
		rcode     string
		errorPart string // substring of Exchange.Error; "" for no error
		addresses []netip.Addr
		via       string // upstream transport of the response the client must get unchanged; "" for SERVFAIL
	}{
		{"loop.test.", DecisionForwarded, "NOERROR", "parsing answer 1", nil, "udp"},
		{"trunc.test.", DecisionForwarded, "NOERROR", "parsing answer 1", nil, "udp"},
		{"overrun.test.", DecisionForwarded, "NOERROR", "parsing answer 1", nil, "udp"},
		{"overrun-cname.test.", DecisionForwarded, "NOERROR", "parsing answer 1", nil, "udp"},
		{"shortlen.test.", DecisionForwarded, "NOERROR", "A record data is 2 bytes, expected 4", nil, "udp"},
		{"spoofid.test.", DecisionForwarded, "NOERROR", "", addrs("192.0.2.6"), "udp"},
		{"spoofq.test.", DecisionForwarded, "NOERROR", "", addrs("192.0.2.6"), "udp"},
		{"tc.test.", DecisionForwarded, "NOERROR", "", addrs("192.0.2.7"), "tcp"},
		{"many.test.", DecisionForwarded, "NOERROR", "more than 64 records", manyAddresses(64), "udp"},
		{"tcgarbage.test.", DecisionFailed, "SERVFAIL", "tcp response does not match the query", nil, ""},
		{"garbage.test.", DecisionFailed, "SERVFAIL", "after ignoring 1 that did not match", nil, ""},
		{"silent.test.", DecisionFailed, "SERVFAIL", "i/o timeout", nil, ""},
	}

	upstream := startUpstream(t, testZone)
	logs := &recordingHandler{}
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}, Logger: slog.New(logs)}, defaultLimits)

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := uint16(2000 + i)
			question := questionOf(tt.name, dnsmessage.TypeA)
			resp := exchangeOver(t, f, "udp", newQuery(id, tt.name, dnsmessage.TypeA, 4096))
			ex := f.nextExchange(t)

			if tt.via != "" {
				sent := testZone(tt.via, id, question)
				if want := sent[len(sent)-1]; !bytes.Equal(resp, want) {
					t.Errorf("response differs from the upstream's apart from the id:\ngot  %x\nwant %x", resp, want)
				}
			} else {
				m := unpack(t, resp)
				if m.ID != id {
					t.Errorf("ID = %d, want %d", m.ID, id)
				}
				if m.RCode != dnsmessage.RCodeServerFailure {
					t.Errorf("RCode = %v, want SERVFAIL", m.RCode)
				}
				if want := []dnsmessage.Question{question}; !slices.Equal(m.Questions, want) {
					t.Errorf("Questions = %v, want %v", m.Questions, want)
				}
			}
			if ex.Decision != tt.decision {
				t.Errorf("Decision = %q, want %q", ex.Decision, tt.decision)
			}
			if ex.RCode != tt.rcode {
				t.Errorf("RCode = %q, want %q", ex.RCode, tt.rcode)
			}
			if tt.errorPart == "" && ex.Error != "" {
				t.Errorf("Error = %q, want none", ex.Error)
			}
			if !strings.Contains(ex.Error, tt.errorPart) {
				t.Errorf("Error = %q, want it to contain %q", ex.Error, tt.errorPart)
			}
			if !slices.Equal(ex.Addresses, tt.addresses) {
				t.Errorf("Addresses = %v, want %v", ex.Addresses, tt.addresses)
			}
		})
	}

	t.Run("normal query afterwards", func(t *testing.T) {
		resp := exchangeOver(t, f, "udp", newQuery(1, "a.test.", dnsmessage.TypeA, 0))
		if want := testZone("udp", 1, questionOf("a.test.", dnsmessage.TypeA))[0]; !bytes.Equal(resp, want) {
			t.Errorf("got %x, want %x", resp, want)
		}
	})

	// Close writes the last report. spoofid, spoofq and garbage each sent
	// one response that does not match.
	f.Close()
	if _, total := logs.counts("ignored upstream responses that do not match the query"); total != 3 {
		t.Errorf("logged %d ignored responses, want 3", total)
	}
	if _, total := logs.counts("upstream attempts failed"); total != 3 {
		t.Errorf("logged %d failed upstream attempts, want 3 (tcgarbage, garbage, silent)", total)
	}
}

func TestSilentUpstreamsServfail(t *testing.T) {
	first := startUpstream(t, silentZone)
	second := startUpstream(t, silentZone)
	const timeout = 150 * time.Millisecond
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{first.addr, second.addr}, Timeout: timeout}, defaultLimits)

	start := time.Now()
	resp := exchangeOver(t, f, "udp", newQuery(3, "a.test.", dnsmessage.TypeA, 0))
	elapsed := time.Since(start)
	ex := f.nextExchange(t)

	if h := headerOf(t, resp); h.RCode != dnsmessage.RCodeServerFailure {
		t.Errorf("RCode = %v, want SERVFAIL", h.RCode)
	}
	if ex.Decision != DecisionFailed {
		t.Errorf("Decision = %q, want %q", ex.Decision, DecisionFailed)
	}
	if elapsed < 2*timeout {
		t.Errorf("SERVFAIL after %s, want at least 2 × %s", elapsed, timeout)
	}
	if elapsed > 2*timeout+time.Second {
		t.Errorf("SERVFAIL after %s, want about 2 × %s", elapsed, timeout)
	}
	if n := second.udpQueries.Load(); n != 1 {
		t.Errorf("second upstream received %d queries, want 1", n)
	}
}

func TestCloseInterruptsUpstream(t *testing.T) {
	upstream := startUpstream(t, silentZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}, Timeout: 10 * time.Second}, defaultLimits)
	conn := dialUDP(t, f.UDPAddr())
	if _, err := conn.Write(newQuery(4, "a.test.", dnsmessage.TypeA, 0)); err != nil {
		t.Fatalf("sending query: %v", err)
	}
	waitFor(t, "the query to reach the upstream", func() bool { return upstream.udpQueries.Load() == 1 })

	start := time.Now()
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Close took %s with a query waiting on a 10s upstream timeout, want under 2s", elapsed)
	}
	ex := f.nextExchange(t)
	if ex.Error != errClosed.Error() {
		t.Errorf("Error = %q, want %q", ex.Error, errClosed)
	}
}

func TestCloseNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()

	upstream := startUpstream(t, testZone)
	f, err := start(Config{Upstreams: []netip.AddrPort{upstream.addr}, Timeout: testTimeout}, defaultLimits)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	var wg sync.WaitGroup
	for i, name := range hostileNames {
		query := newQuery(uint16(i), name, dnsmessage.TypeA, 0)
		// Errors show up as a missing answer, which this test does not check.
		wg.Go(func() {
			conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(f.UDPAddr()))
			if err != nil {
				return
			}
			defer conn.Close()
			conn.Write(query)
			readUDP(conn, 5*time.Second)
		})
		wg.Go(func() {
			conn, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(f.TCPAddr()))
			if err != nil {
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			conn.Write(frame(query))
			readFrame(conn)
		})
	}
	wg.Wait()
	// One TCP client stays connected and idle, which Close must end.
	dialTCP(t, f.TCPAddr())

	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	upstream.close()

	var after int
	deadline := time.Now().Add(2 * time.Second)
	for {
		after = runtime.NumGoroutine()
		if after <= before+2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if after > before+2 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("%d goroutines after Close, want at most %d (%d before Start):\n%s", after, before+2, before, buf[:n])
	}
}

func TestHostileQueries(t *testing.T) {
	withQR := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 0xBEEF, Response: true})
	must(withQR.StartQuestions())
	must(withQR.Question(questionOf("a.test.", dnsmessage.TypeA)))
	responseBit, err := withQR.Finish()
	must(err)

	two := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 0xBEEF, RecursionDesired: true})
	must(two.StartQuestions())
	must(two.Question(questionOf("a.test.", dnsmessage.TypeA)))
	must(two.Question(questionOf("b.test.", dnsmessage.TypeA)))
	twoQuestions, err := two.Finish()
	must(err)

	empty := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 0xBEEF})
	noQuestion, err := empty.Finish()
	must(err)

	status := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 0xBEEF, OpCode: 2})
	must(status.StartQuestions())
	must(status.Question(questionOf("a.test.", dnsmessage.TypeA)))
	opcodeStatus, err := status.Finish()
	must(err)

	cut := newQuery(0xBEEF, "a.test.", dnsmessage.TypeA, 0)
	cut = cut[:len(cut)-3]

	tests := []struct {
		name      string
		raw       []byte
		rcode     string // "" when the query is dropped
		errorPart string
	}{
		{"empty", []byte{}, "", "query of 0 bytes is shorter than the 12-byte header"},
		{"three bytes", []byte{0xBE, 0xEF, 0}, "", "query of 3 bytes is shorter"},
		{"response bit", responseBit, "", "response bit set in query"},
		{"two questions", twoQuestions, "FORMERR", "more than one question"},
		{"no question", noQuestion, "FORMERR", "query has no question"},
		{"cut question", cut, "FORMERR", "parsing question"},
		{"opcode status", opcodeStatus, "NOTIMP", "opcode 2 not supported"},
	}

	upstream := startUpstream(t, testZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}}, defaultLimits)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := dialUDP(t, f.UDPAddr())
			if _, err := conn.Write(tt.raw); err != nil {
				t.Fatalf("sending query: %v", err)
			}
			ex := f.nextExchange(t)

			if tt.rcode == "" {
				// No reply may follow the exchange.
				expectNoUDPReply(t, conn, 100*time.Millisecond)
			} else {
				resp, err := readUDP(conn, 5*time.Second)
				if err != nil {
					t.Fatalf("reading response: %v", err)
				}
				h := headerOf(t, resp)
				if h.ID != 0xBEEF {
					t.Errorf("ID = %#x, want 0xbeef", h.ID)
				}
				if !h.Response {
					t.Error("response bit not set")
				}
				if got := rcodeName(h.RCode); got != tt.rcode {
					t.Errorf("RCode = %s, want %s", got, tt.rcode)
				}
			}
			if ex.Decision != DecisionMalformed {
				t.Errorf("Decision = %q, want %q", ex.Decision, DecisionMalformed)
			}
			if ex.RCode != tt.rcode {
				t.Errorf("Exchange.RCode = %q, want %q", ex.RCode, tt.rcode)
			}
			if !strings.Contains(ex.Error, tt.errorPart) {
				t.Errorf("Error = %q, want it to contain %q", ex.Error, tt.errorPart)
			}
		})
	}

	if n := upstream.udpQueries.Load() + upstream.tcpQueries.Load(); n != 0 {
		t.Errorf("upstream received %d queries, want 0", n)
	}
}

func TestTCPClientClosed(t *testing.T) {
	const idle = 200 * time.Millisecond
	lim := defaultLimits
	lim.idleTimeout = idle
	upstream := startUpstream(t, testZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}}, lim)

	tests := []struct {
		name       string
		send       []byte
		byDeadline bool // closed when the idle timeout expires, not at once
	}{
		{"length without body", []byte{0xFF, 0xFF}, true},
		{"half a message", frame(newQuery(1, "a.test.", dnsmessage.TypeA, 0))[:10], true},
		{"idle", nil, true},
		{"zero length", []byte{0, 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := dialTCP(t, f.TCPAddr())
			start := time.Now()
			if _, err := conn.Write(tt.send); err != nil {
				t.Fatalf("sending: %v", err)
			}
			expectClosed(t, conn, 3*time.Second)
			elapsed := time.Since(start)
			if tt.byDeadline && elapsed < idle/2 {
				t.Errorf("closed after %s, want about the idle timeout of %s", elapsed, idle)
			}
			if !tt.byDeadline && elapsed >= idle/2 {
				t.Errorf("closed after %s, want at once, before the idle timeout of %s", elapsed, idle)
			}
		})
	}
}

func TestTCPClientLimit(t *testing.T) {
	lim := defaultLimits
	lim.maxTCPClients = 2
	upstream := startUpstream(t, testZone)
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}}, lim)
	query := newQuery(1, "a.test.", dnsmessage.TypeA, 0)

	first := dialTCP(t, f.TCPAddr())
	tcpExchange(t, first, query)
	second := dialTCP(t, f.TCPAddr())
	tcpExchange(t, second, query)

	third := dialTCP(t, f.TCPAddr())
	expectClosed(t, third, 3*time.Second)

	first.Close()
	waitFor(t, "a client slot after closing a client", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.clients) < 2
	})
	fourth := dialTCP(t, f.TCPAddr())
	if resp := tcpExchange(t, fourth, query); headerOf(t, resp).RCode != dnsmessage.RCodeSuccess {
		t.Errorf("query on a new client after closing one: RCode %v, want NOERROR", headerOf(t, resp).RCode)
	}
}

func TestInFlightLimitDropsUDP(t *testing.T) {
	lim := defaultLimits
	lim.maxInFlight = 1
	lim.reportEvery = 50 * time.Millisecond
	logs := &recordingHandler{}
	upstream := startUpstream(t, silentZone)
	// The first query holds the only slot until this timeout, which leaves
	// time to send the others while it waits.
	f := startForwarder(t, Config{Upstreams: []netip.AddrPort{upstream.addr}, Logger: slog.New(logs), Timeout: time.Second}, lim)

	waiting := dialUDP(t, f.UDPAddr())
	if _, err := waiting.Write(newQuery(1, "a.test.", dnsmessage.TypeA, 0)); err != nil {
		t.Fatalf("sending query: %v", err)
	}
	waitFor(t, "the first query to hold the only slot", func() bool { return upstream.udpQueries.Load() == 1 })

	const extra = 5
	flood := dialUDP(t, f.UDPAddr())
	for i := range extra {
		if _, err := flood.Write(newQuery(uint16(10+i), "a.test.", dnsmessage.TypeA, 0)); err != nil {
			t.Fatalf("sending query: %v", err)
		}
	}
	const message = "dropped udp queries over the in-flight limit"
	waitFor(t, "the drop count in the log", func() bool {
		_, total := logs.counts(message)
		return total >= extra
	})
	lines, total := logs.counts(message)
	if total != extra {
		t.Errorf("logged %d dropped queries, want %d", total, extra)
	}
	if lines >= extra {
		t.Errorf("logged %d lines for %d drops, want one per interval", lines, extra)
	}
	expectNoUDPReply(t, flood, 50*time.Millisecond)

	if resp, err := readUDP(waiting, 5*time.Second); err != nil {
		t.Errorf("first query: %v, want SERVFAIL", err)
	} else if h := headerOf(t, resp); h.RCode != dnsmessage.RCodeServerFailure {
		t.Errorf("first query: RCode %v, want SERVFAIL", h.RCode)
	}
}

func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recordingHandler keeps every log record.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// counts returns the number of records with message msg and the sum of
// their "count" attributes.
func (h *recordingHandler) counts(msg string) (lines int, total uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if r.Message != msg {
			continue
		}
		lines++
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "count" {
				total += a.Value.Uint64()
			}
			return true
		})
	}
	return lines, total
}
