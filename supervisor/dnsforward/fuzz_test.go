package dnsforward

import (
	"slices"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

func FuzzQuery(f *testing.F) {
	plain := newQuery(1, "a.test.", dnsmessage.TypeA, 0)
	f.Add(plain)
	f.Add(newQuery(2, "chain-a.test.", dnsmessage.TypeAAAA, 1232))
	f.Add([]byte{})
	f.Add([]byte{0xBE, 0xEF, 0})
	f.Add(plain[:12])
	f.Add(plain[:len(plain)-3])
	// Response bit, opcode 2, two questions.
	f.Add(append([]byte{0, 1, 0x80, 0}, plain[4:]...))
	f.Add(append([]byte{0, 1, 0x10, 0}, plain[4:]...))
	f.Add(append([]byte{0, 1, 1, 0, 0, 2}, append(plain[6:], plain[12:]...)...))
	// A question name that is a compression pointer to itself.
	f.Add([]byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1})

	f.Fuzz(func(t *testing.T, raw []byte) {
		q, bad := parseQuery(raw)
		name := presentName(q.question.Name)
		for i := range len(name) {
			if c := name[i]; c <= ' ' || c >= 0x7F {
				t.Fatalf("presentName = %q contains byte %#x", name, c)
			}
		}

		if bad != nil {
			if bad.drop {
				return
			}
			reply, err := rejectReply(q.header, bad.rcode)
			if err != nil {
				t.Fatalf("rejectReply: %v", err)
			}
			checkReply(t, reply, q.header.ID, bad.rcode, nil)
			return
		}

		if q.udpLimit < minUDPSize || q.udpLimit > maxMessageSize {
			t.Fatalf("udpLimit = %d, want 512..65535", q.udpLimit)
		}
		reply, err := questionReply(q, dnsmessage.RCodeNameError)
		if err != nil {
			t.Fatalf("questionReply for a parsed question %#v: %v", q.question, err)
		}
		checkReply(t, reply, q.header.ID, dnsmessage.RCodeNameError, &q.question)
		reply, err = truncatedReply(q, dnsmessage.Header{Response: true})
		if err != nil {
			t.Fatalf("truncatedReply: %v", err)
		}
		if len(reply) > minUDPSize {
			t.Fatalf("truncated reply is %d bytes, want at most %d", len(reply), minUDPSize)
		}
	})
}

// checkReply fails unless reply parses as a response with id, rcode and,
// when question is not nil, exactly that question.
func checkReply(t *testing.T, reply []byte, id uint16, rcode dnsmessage.RCode, question *dnsmessage.Question) {
	t.Helper()
	var m dnsmessage.Message
	if err := m.Unpack(reply); err != nil {
		t.Fatalf("reply does not parse: %v", err)
	}
	if m.ID != id {
		t.Fatalf("reply ID = %d, want %d", m.ID, id)
	}
	if !m.Response {
		t.Fatal("reply without response bit")
	}
	if m.RCode != rcode {
		t.Fatalf("reply RCode = %v, want %v", m.RCode, rcode)
	}
	if question != nil && !slices.Equal(m.Questions, []dnsmessage.Question{*question}) {
		t.Fatalf("reply questions = %v, want %v", m.Questions, *question)
	}
}

func FuzzSummarize(f *testing.F) {
	seed := func(name string, qtype dnsmessage.Type, msg []byte) {
		f.Add(msg, name, uint16(qtype))
	}
	for _, name := range append([]string{"a.test.", "chain-a.test.", "txt.test.", "big.test.", "https.test.", "nx.test."}, hostileNames...) {
		q := questionOf(name, dnsmessage.TypeA)
		for _, transport := range []string{"udp", "tcp"} {
			for _, msg := range testZone(transport, 1, q) {
				seed(name, q.Type, msg)
			}
		}
	}
	q := questionOf("a.test.", dnsmessage.TypeA)
	seed("a.test.", dnsmessage.TypeA, nil)
	seed("a.test.", dnsmessage.TypeA, rawAnswer(1, q, dnsmessage.TypeA, 65535, []byte{1, 2, 3, 4}))
	seed("a.test.", dnsmessage.TypeA, rawAnswer(1, q, dnsmessage.TypeA, 0, nil))
	seed("a.test.", dnsmessage.TypeA, rawAnswer(1, q, dnsmessage.TypeTXT, 3, []byte{200, 'a', 'b'}))

	f.Fuzz(func(t *testing.T, msg []byte, name string, qtype uint16) {
		n, err := dnsmessage.NewName(name)
		if err != nil {
			n = dnsmessage.MustNewName("a.test.")
		}
		question := dnsmessage.Question{Name: n, Type: dnsmessage.Type(qtype), Class: dnsmessage.ClassINET}
		_ = matchResponse(msg, 1, question)

		s := summarize(msg, question)
		if len(s.answers) > maxRecords {
			t.Fatalf("%d answers, want at most %d", len(s.answers), maxRecords)
		}
		if len(s.cnames) > maxChainSteps {
			t.Fatalf("%d CNAMEs, want at most %d", len(s.cnames), maxChainSteps)
		}
		if len(s.addresses) > len(s.answers) {
			t.Fatalf("%d addresses from %d answers", len(s.addresses), len(s.answers))
		}
		for _, addr := range s.addresses {
			if !addr.IsValid() || addr.Is4In6() {
				t.Fatalf("address %v is invalid or IPv4-mapped", addr)
			}
		}
		if s.ttl > 1<<31-1 {
			t.Fatalf("ttl = %d, want at most 2^31-1", s.ttl)
		}
		if len(s.answers) == 0 && s.ttl != 0 {
			t.Fatalf("ttl = %d without answers, want 0", s.ttl)
		}
		for _, a := range s.answers {
			if a.record.Type == "TXT" && len(a.record.Data) > maxTXTData+len("...") {
				t.Fatalf("TXT data of %d bytes, want at most %d", len(a.record.Data), maxTXTData+3)
			}
		}
	})
}
