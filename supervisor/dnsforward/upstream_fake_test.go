package dnsforward

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// respondFunc returns the messages that a fake upstream sends for one query,
// in order. None means the upstream stays silent.
type respondFunc func(transport string, id uint16, q dnsmessage.Question) [][]byte

// fakeUpstream is a DNS server on one port of 127.0.0.1 for UDP and TCP,
// because the forwarder repeats truncated responses over TCP to the same
// address.
type fakeUpstream struct {
	addr    netip.AddrPort
	udp     *net.UDPConn
	tcp     *net.TCPListener
	respond respondFunc

	udpQueries atomic.Int64
	tcpQueries atomic.Int64

	mu    sync.Mutex
	names []string // question names received, in the form of Exchange.Name
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startUpstream(t *testing.T, respond respondFunc) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{respond: respond, conns: make(map[net.Conn]struct{})}
	var err error
	for range 20 {
		u.udp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatalf("listening on udp: %v", err)
		}
		u.addr = u.udp.LocalAddr().(*net.UDPAddr).AddrPort()
		u.tcp, err = net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(u.addr))
		if err == nil {
			break
		}
		u.udp.Close()
	}
	if err != nil {
		t.Fatalf("listening on tcp with the udp port: %v", err)
	}
	u.wg.Go(u.serveUDP)
	u.wg.Go(u.serveTCP)
	t.Cleanup(u.close)
	return u
}

func (u *fakeUpstream) close() {
	u.udp.Close()
	u.tcp.Close()
	u.mu.Lock()
	for c := range u.conns {
		c.Close()
	}
	u.mu.Unlock()
	u.wg.Wait()
}

// seen returns how many queries for name the upstream received.
func (u *fakeUpstream) seen(name string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, got := range u.names {
		if got == name {
			n++
		}
	}
	return n
}

func (u *fakeUpstream) parse(msg []byte) (uint16, dnsmessage.Question, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return 0, dnsmessage.Question{}, false
	}
	q, err := p.Question()
	if err != nil {
		return 0, dnsmessage.Question{}, false
	}
	u.mu.Lock()
	u.names = append(u.names, presentName(q.Name))
	u.mu.Unlock()
	return h.ID, q, true
}

func (u *fakeUpstream) serveUDP() {
	buf := make([]byte, 65535)
	for {
		n, from, err := u.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		u.udpQueries.Add(1)
		id, q, ok := u.parse(buf[:n])
		if !ok {
			continue
		}
		for _, msg := range u.respond("udp", id, q) {
			u.udp.WriteToUDPAddrPort(msg, from)
		}
	}
}

func (u *fakeUpstream) serveTCP() {
	for {
		conn, err := u.tcp.Accept()
		if err != nil {
			return
		}
		u.mu.Lock()
		u.conns[conn] = struct{}{}
		u.mu.Unlock()
		u.wg.Go(func() {
			defer conn.Close()
			for {
				msg, err := readFrame(conn)
				if err != nil {
					return
				}
				u.tcpQueries.Add(1)
				id, q, ok := u.parse(msg)
				if !ok {
					continue
				}
				for _, resp := range u.respond("tcp", id, q) {
					if _, err := conn.Write(frame(resp)); err != nil {
						return
					}
				}
			}
		})
	}
}

// readFrame and frame are the test's own TCP framing, kept apart from the
// code under test.
func readFrame(r io.Reader) ([]byte, error) {
	var prefix [2]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(prefix[:]))
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

func frame(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...)
}

// rr is one record for buildResponse.
type rr struct {
	name string
	ttl  uint32
	body dnsmessage.ResourceBody
}

// buildResponse builds a response to q with compression. It panics on a
// fixture that dnsmessage cannot pack.
func buildResponse(id uint16, q dnsmessage.Question, h dnsmessage.Header, answers ...rr) []byte {
	h.ID = id
	h.Response = true
	b := dnsmessage.NewBuilder(nil, h)
	b.EnableCompression()
	must(b.StartQuestions())
	must(b.Question(q))
	must(b.StartAnswers())
	for _, a := range answers {
		rh := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(a.name), Class: dnsmessage.ClassINET, TTL: a.ttl}
		switch body := a.body.(type) {
		case *dnsmessage.AResource:
			must(b.AResource(rh, *body))
		case *dnsmessage.AAAAResource:
			must(b.AAAAResource(rh, *body))
		case *dnsmessage.CNAMEResource:
			must(b.CNAMEResource(rh, *body))
		case *dnsmessage.MXResource:
			must(b.MXResource(rh, *body))
		case *dnsmessage.NSResource:
			must(b.NSResource(rh, *body))
		case *dnsmessage.TXTResource:
			must(b.TXTResource(rh, *body))
		case *dnsmessage.SRVResource:
			must(b.SRVResource(rh, *body))
		case *dnsmessage.UnknownResource:
			must(b.UnknownResource(rh, *body))
		default:
			panic(fmt.Sprintf("buildResponse: no case for %T", a.body))
		}
	}
	msg, err := b.Finish()
	must(err)
	return msg
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func a4(s string) *dnsmessage.AResource {
	return &dnsmessage.AResource{A: netip.MustParseAddr(s).As4()}
}

func a16(s string) *dnsmessage.AAAAResource {
	return &dnsmessage.AAAAResource{AAAA: netip.MustParseAddr(s).As16()}
}

func target(s string) dnsmessage.Name {
	return dnsmessage.MustNewName(s)
}

var noError = dnsmessage.Header{RecursionDesired: true, RecursionAvailable: true}

// testZone is the upstream of most tests: one behaviour per name, including
// the hostile ones. Unknown names get NXDOMAIN.
func testZone(transport string, id uint16, q dnsmessage.Question) [][]byte {
	single := func(answers ...rr) [][]byte { return [][]byte{buildResponse(id, q, noError, answers...)} }
	name := presentName(q.Name)
	switch name {
	case "a.test":
		return single(rr{"a.test.", 300, a4("192.0.2.1")})
	case "aaaa.test":
		return single(rr{"aaaa.test.", 300, a16("2001:db8::1")})
	case "dual.test":
		if q.Type == dnsmessage.TypeAAAA {
			return single(rr{"dual.test.", 300, a16("2001:db8::2")})
		}
		return single(rr{"dual.test.", 300, a4("192.0.2.2")})
	case "chain-a.test":
		final := rr{"chain-c.test.", 60, a4("192.0.2.3")}
		if q.Type == dnsmessage.TypeAAAA {
			final = rr{"chain-c.test.", 60, a16("2001:db8::3")}
		}
		return single(
			rr{"chain-a.test.", 300, &dnsmessage.CNAMEResource{CNAME: target("chain-b.test.")}},
			rr{"chain-b.test.", 120, &dnsmessage.CNAMEResource{CNAME: target("chain-c.test.")}},
			final)
	case "mx.test":
		return single(rr{"mx.test.", 300, &dnsmessage.MXResource{Pref: 10, MX: target("mail.test.")}})
	case "ns.test":
		return single(rr{"ns.test.", 300, &dnsmessage.NSResource{NS: target("ns1.test.")}})
	case "txt.test":
		return single(rr{"txt.test.", 300, &dnsmessage.TXTResource{TXT: []string{"v=spf1 -all", "hello world"}}})
	case "_game._tcp.srv.test":
		return single(rr{"_game._tcp.srv.test.", 300, &dnsmessage.SRVResource{Priority: 1, Weight: 2, Port: 443, Target: target("host.test.")}})
	case "https.test":
		return single(rr{"https.test.", 300, &dnsmessage.UnknownResource{Type: dnsmessage.TypeHTTPS, Data: []byte{0, 1, 0}}})
	case "type99.test":
		return single(rr{"type99.test.", 300, &dnsmessage.UnknownResource{Type: 99, Data: []byte("abcde")}})
	case "big.test":
		return single(rr{"big.test.", 300, &dnsmessage.TXTResource{TXT: bigTXT()}})
	case "many.test":
		var answers []rr
		for i := range 100 {
			answers = append(answers, rr{"many.test.", 300, a4(fmt.Sprintf("198.51.100.%d", i))})
		}
		return single(answers...)
	case "silent.test":
		return nil
	}
	if msgs, ok := hostileResponses(transport, id, q); ok {
		return msgs
	}
	return [][]byte{buildResponse(id, q, dnsmessage.Header{RecursionDesired: true, RecursionAvailable: true, RCode: dnsmessage.RCodeNameError})}
}

func bigTXT() []string {
	var txt []string
	for i := range 20 {
		txt = append(txt, fmt.Sprintf("%03d", i)+strings.Repeat("x", 197))
	}
	return txt
}

// hostileResponses returns the hostile upstream behaviour for the names that
// have one.
func hostileResponses(transport string, id uint16, q dnsmessage.Question) ([][]byte, bool) {
	single := func(msg []byte) ([][]byte, bool) { return [][]byte{msg}, true }
	switch presentName(q.Name) {
	case "loop.test":
		return single(pointerLoopResponse(id, q))
	case "trunc.test":
		msg := buildResponse(id, q, noError, rr{"trunc.test.", 300, a4("192.0.2.9")})
		return single(msg[:len(msg)-2])
	case "overrun.test":
		return single(rawAnswer(id, q, dnsmessage.TypeA, 200, []byte{192, 0, 2, 9}))
	case "overrun-cname.test":
		// The data is a pointer to the question name, which parses.
		return single(rawAnswer(id, q, dnsmessage.TypeCNAME, 200, []byte{0xC0, 12}))
	case "shortlen.test":
		return single(rawAnswer(id, q, dnsmessage.TypeA, 2, []byte{192, 0}))
	case "spoofid.test":
		spoofed := buildResponse(id+1, q, noError, rr{"spoofid.test.", 300, a4("192.0.2.66")})
		real := buildResponse(id, q, noError, rr{"spoofid.test.", 300, a4("192.0.2.6")})
		return [][]byte{spoofed, real}, true
	case "spoofq.test":
		other := dnsmessage.Question{Name: target("other.test."), Type: q.Type, Class: q.Class}
		spoofed := buildResponse(id, other, noError, rr{"other.test.", 300, a4("192.0.2.66")})
		real := buildResponse(id, q, noError, rr{"spoofq.test.", 300, a4("192.0.2.6")})
		return [][]byte{spoofed, real}, true
	case "tc.test":
		if transport == "udp" {
			return single(buildResponse(id, q, dnsmessage.Header{Truncated: true, RecursionDesired: true, RecursionAvailable: true}))
		}
		return single(buildResponse(id, q, noError, rr{"tc.test.", 300, a4("192.0.2.7")}))
	case "tcgarbage.test":
		if transport == "udp" {
			return single(buildResponse(id, q, dnsmessage.Header{Truncated: true, RecursionDesired: true, RecursionAvailable: true}))
		}
		return single(garbage(65535))
	case "garbage.test":
		return single(garbage(300))
	}
	return nil, false
}

// pointerLoopResponse returns a response whose answer name is a compression
// pointer to itself.
func pointerLoopResponse(id uint16, q dnsmessage.Question) []byte {
	msg := buildResponse(id, q, noError)
	off := len(msg)
	msg = append(msg, 0xC0|byte(off>>8), byte(off))
	msg = append(msg, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 9) // A IN TTL 300, 4 bytes
	binary.BigEndian.PutUint16(msg[6:], 1)
	return msg
}

// rawAnswer returns a response with one record of class IN and TTL 300 for
// the question name, whose length field is length and whose data is data.
func rawAnswer(id uint16, q dnsmessage.Question, rtype dnsmessage.Type, length uint16, data []byte) []byte {
	msg := buildResponse(id, q, noError)
	msg = append(msg, 0xC0, 12) // pointer to the question name
	msg = binary.BigEndian.AppendUint16(msg, uint16(rtype))
	msg = append(msg, 0, 1, 0, 0, 1, 44)
	msg = binary.BigEndian.AppendUint16(msg, length)
	msg = append(msg, data...)
	binary.BigEndian.PutUint16(msg[6:], 1)
	return msg
}

func garbage(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(rng.Uint32())
	}
	return out
}

// silentZone never responds.
func silentZone(string, uint16, dnsmessage.Question) [][]byte { return nil }
