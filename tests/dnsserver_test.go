package tests

import (
	binenc "encoding/binary"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/winewarden/winewarden/tests/testdns"
)

// testDNS is an authoritative DNS server on loopback that plays the
// system's resolver for the sandbox's forwarder. Its zone is fixed; a few
// names answer with hostile packets.
type testDNS struct {
	*testdns.Server
	queries atomic.Int64
	mu      sync.Mutex
	names   map[string]int // queries per lower-case name
}

// The zone. Addresses are loopback ones that tests bind listeners to.
var (
	zoneA = map[string]string{
		"game.test.":      "127.0.0.2",
		"drop.game.test.": "127.0.0.2",
		"edge.cdn.test.":  "127.0.0.3",
		"other.test.":     "127.0.0.4",
		"dual.game.test.": "127.0.0.2",
	}
	zoneAAAA = map[string]string{
		"dual.game.test.": "::1",
	}
	zoneCNAME = map[string]string{
		"www.game.test.":  "cdn1.game.test.",
		"cdn1.game.test.": "edge.cdn.test.",
	}
	zoneTXT = map[string]string{
		"txt.game.test.": "v=game",
		"c2.test.":       "run=payload",
	}
)

func startTestDNS() (*testDNS, error) {
	s := &testDNS{names: map[string]int{}}
	server, err := testdns.Start(s.answer)
	if err != nil {
		return nil, err
	}
	s.Server = server
	return s, nil
}

func (s *testDNS) udpAddr() string { return s.Addr() }

func (s *testDNS) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.names[strings.ToLower(name)]
}

// answer builds the response to one query, or returns nil to stay silent.
func (s *testDNS) answer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	s.queries.Add(1)
	name := strings.ToLower(q.Name.String())
	s.mu.Lock()
	s.names[strings.TrimSuffix(name, ".")]++
	s.mu.Unlock()

	switch name {
	case "loop.hostile.test.":
		return compressionLoop(h.ID, query)
	case "short.hostile.test.":
		// A header that promises an answer the packet does not contain.
		reply := append([]byte(nil), query...)
		reply[2] |= 0x80
		binenc.BigEndian.PutUint16(reply[6:], 1)
		return append(reply, 0xc0, 0x0c, 0, 1, 0, 1)
	case "garbage.hostile.test.":
		reply := []byte{byte(h.ID >> 8), byte(h.ID), 0x81, 0x80, 0xff, 0xff, 0xff, 0xff}
		return append(reply, make([]byte, 300)...)
	}

	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	hdr := func(n string, t dnsmessage.Type) dnsmessage.ResourceHeader {
		return dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(n), Type: t, Class: dnsmessage.ClassINET, TTL: 60}
	}
	found := false
	for cur, hops := name, 0; hops < 8; hops++ {
		if target, ok := zoneCNAME[cur]; ok {
			b.CNAMEResource(hdr(cur, dnsmessage.TypeCNAME), dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(target)})
			cur, found = target, true
			continue
		}
		if a, ok := zoneA[cur]; ok {
			found = true
			if q.Type == dnsmessage.TypeA {
				b.AResource(hdr(cur, dnsmessage.TypeA), dnsmessage.AResource{A: netip.MustParseAddr(a).As4()})
			}
		}
		if a, ok := zoneAAAA[cur]; ok {
			found = true
			if q.Type == dnsmessage.TypeAAAA {
				b.AAAAResource(hdr(cur, dnsmessage.TypeAAAA), dnsmessage.AAAAResource{AAAA: netip.MustParseAddr(a).As16()})
			}
		}
		if txt, ok := zoneTXT[cur]; ok {
			found = true
			if q.Type == dnsmessage.TypeTXT {
				b.TXTResource(hdr(cur, dnsmessage.TypeTXT), dnsmessage.TXTResource{TXT: []string{txt}})
			}
		}
		break
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	if !found {
		msg[3] = msg[3]&0xf0 | byte(dnsmessage.RCodeNameError)
	}
	return msg
}

// compressionLoop answers with a record whose name is a compression pointer
// to itself.
func compressionLoop(id uint16, query []byte) []byte {
	reply := append([]byte(nil), query...)
	reply[2] |= 0x80
	binenc.BigEndian.PutUint16(reply[6:], 1)
	at := len(reply)
	reply = append(reply, 0xc0|byte(at>>8), byte(at))
	return append(reply, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 9)
}
