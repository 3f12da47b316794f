package dnsforward

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

func TestParseQuery(t *testing.T) {
	withOPT := func(size int) []byte { return newQuery(1, "a.test.", dnsmessage.TypeA, size) }
	headerOnly := withOPT(0)[:12]
	binary.BigEndian.PutUint16(headerOnly[4:], 0)
	tests := []struct {
		name      string
		raw       []byte
		drop      bool
		rcode     dnsmessage.RCode // for a malformed query that gets a response
		reason    string           // "" for a query to forward
		udpLimit  int
		hasHeader bool
	}{
		{name: "plain", raw: withOPT(0), udpLimit: 512, hasHeader: true},
		{name: "edns 4096", raw: withOPT(4096), udpLimit: 4096, hasHeader: true},
		{name: "edns 1232", raw: withOPT(1232), udpLimit: 1232, hasHeader: true},
		{name: "edns below 512", raw: withOPT(100), udpLimit: 512, hasHeader: true},
		{name: "edns 65535", raw: withOPT(65535), udpLimit: 65535, hasHeader: true},
		{name: "empty", raw: nil, drop: true, reason: "shorter than the 12-byte header"},
		{name: "11 bytes", raw: withOPT(0)[:11], drop: true, reason: "shorter than the 12-byte header"},
		{name: "header only", raw: headerOnly, rcode: dnsmessage.RCodeFormatError, reason: "no question", hasHeader: true},
		{name: "cut question", raw: withOPT(0)[:20], rcode: dnsmessage.RCodeFormatError, reason: "parsing question", hasHeader: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, bad := parseQuery(tt.raw)
			if q.hasHeader != tt.hasHeader {
				t.Errorf("hasHeader = %v, want %v", q.hasHeader, tt.hasHeader)
			}
			if tt.reason == "" {
				if bad != nil {
					t.Fatalf("malformed: %s, want a query to forward", bad.reason)
				}
				if q.udpLimit != tt.udpLimit {
					t.Errorf("udpLimit = %d, want %d", q.udpLimit, tt.udpLimit)
				}
				return
			}
			if bad == nil {
				t.Fatalf("parsed as a query to forward, want malformed with %q", tt.reason)
			}
			if bad.drop != tt.drop {
				t.Errorf("drop = %v, want %v", bad.drop, tt.drop)
			}
			if !tt.drop && bad.rcode != tt.rcode {
				t.Errorf("rcode = %v, want %v", bad.rcode, tt.rcode)
			}
			if !strings.Contains(bad.reason, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", bad.reason, tt.reason)
			}
		})
	}
}

func TestRejectReplyEchoesHeader(t *testing.T) {
	reply, err := rejectReply(dnsmessage.Header{ID: 0x1234, OpCode: 5, RecursionDesired: true}, dnsmessage.RCodeNotImplemented)
	if err != nil {
		t.Fatalf("rejectReply: %v", err)
	}
	m := unpack(t, reply)
	if m.ID != 0x1234 {
		t.Errorf("ID = %#x, want 0x1234", m.ID)
	}
	if m.OpCode != 5 {
		t.Errorf("OpCode = %d, want 5", m.OpCode)
	}
	if !m.Response {
		t.Error("response bit not set")
	}
	if !m.RecursionDesired {
		t.Error("RD not copied")
	}
	if m.RCode != dnsmessage.RCodeNotImplemented {
		t.Errorf("RCode = %v, want NOTIMP", m.RCode)
	}
	if len(m.Questions) != 0 {
		t.Errorf("%d questions, want 0", len(m.Questions))
	}
}

func TestTruncatedReply(t *testing.T) {
	q, bad := parseQuery(newQuery(9, "Big.Test.", dnsmessage.TypeTXT, 0))
	if bad != nil {
		t.Fatalf("parseQuery: %s", bad.reason)
	}
	upstream := dnsmessage.Header{ID: 4444, Response: true, Authoritative: true, RecursionAvailable: true}
	reply, err := truncatedReply(q, upstream)
	if err != nil {
		t.Fatalf("truncatedReply: %v", err)
	}
	m := unpack(t, reply)
	if m.ID != 9 {
		t.Errorf("ID = %d, want the client's 9", m.ID)
	}
	if !m.Truncated {
		t.Error("TC not set")
	}
	if !m.Authoritative {
		t.Error("AA not copied from the upstream header")
	}
	if want := []dnsmessage.Question{questionOf("Big.Test.", dnsmessage.TypeTXT)}; !slices.Equal(m.Questions, want) {
		t.Errorf("Questions = %v, want %v", m.Questions, want)
	}
}

func TestPresentName(t *testing.T) {
	tests := []struct {
		wire []byte // labels as on the wire
		want string
	}{
		{[]byte{0}, "."},
		{[]byte{7, 'E', 'x', 'A', 'm', 'P', 'l', 'E', 3, 'c', 'o', 'm', 0}, "example.com"},
		{[]byte{5, '_', 's', 'i', 'p', '-', 0}, "_sip-"},
		{[]byte{4, 'a', ' ', 'b', '\\', 0}, `a\032b\092`},
		{[]byte{3, 0x00, '\n', 0xFF, 0}, `\000\010\255`},
		{[]byte{2, 0x7F, '~', 0}, `\127~`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			msg := append(make([]byte, 12), tt.wire...)
			msg = append(msg, 0, 1, 0, 1)
			binary.BigEndian.PutUint16(msg[4:], 1)
			var p dnsmessage.Parser
			if _, err := p.Start(msg); err != nil {
				t.Fatalf("Start: %v", err)
			}
			q, err := p.Question()
			if err != nil {
				t.Fatalf("Question: %v", err)
			}
			if got := presentName(q.Name); got != tt.want {
				t.Errorf("presentName = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEqualNames(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"a.test.", "A.TEST.", true},
		{"a.test.", "a.test.", true},
		{"a.test.", "b.test.", false},
		{"a.test.", "a.tes.", false},
		{"\xc3\xa4.test.", "\xc3\x84.test.", false}, // ä and Ä differ: only ASCII folds
		{"\xff.test.", "\xfe.test.", false},
	}
	for _, tt := range tests {
		if got := equalNames(dnsmessage.MustNewName(tt.a), dnsmessage.MustNewName(tt.b)); got != tt.want {
			t.Errorf("equalNames(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTypeName(t *testing.T) {
	tests := []struct {
		t    dnsmessage.Type
		want string
	}{
		{dnsmessage.TypeA, "A"},
		{dnsmessage.TypeAAAA, "AAAA"},
		{dnsmessage.TypeHTTPS, "HTTPS"},
		{dnsmessage.TypeOPT, "OPT"},
		{dnsmessage.TypeALL, "ANY"},
		{99, "TYPE99"},
		{65535, "TYPE65535"},
	}
	for _, tt := range tests {
		if got := typeName(tt.t); got != tt.want {
			t.Errorf("typeName(%d) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestRCodeName(t *testing.T) {
	tests := []struct {
		r    dnsmessage.RCode
		want string
	}{
		{dnsmessage.RCodeSuccess, "NOERROR"},
		{dnsmessage.RCodeNameError, "NXDOMAIN"},
		{dnsmessage.RCodeRefused, "REFUSED"},
		{9, "RCODE9"},
	}
	for _, tt := range tests {
		if got := rcodeName(tt.r); got != tt.want {
			t.Errorf("rcodeName(%d) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestMatchResponse(t *testing.T) {
	q := questionOf("a.test.", dnsmessage.TypeA)
	good := buildResponse(7, q, noError)
	notResponse := buildResponse(7, q, noError)
	notResponse[2] &^= 0x80
	noQuestion := buildResponse(7, q, noError)[:12]
	binary.BigEndian.PutUint16(noQuestion[4:], 0)
	twoQuestions := buildResponse(7, q, noError)
	twoQuestions = append(twoQuestions, twoQuestions[12:]...)
	binary.BigEndian.PutUint16(twoQuestions[4:], 2)

	tests := []struct {
		name string
		msg  []byte
		want string // "" for a match
	}{
		{"match", good, ""},
		{"name in other case", buildResponse(7, questionOf("A.Test.", dnsmessage.TypeA), noError), ""},
		{"short", good[:11], "parsing header"},
		{"other id", buildResponse(8, q, noError), "message id 8, expected 7"},
		{"response bit clear", notResponse, "response bit not set"},
		{"no question", noQuestion, "no question"},
		{"cut question", good[:14], "parsing question"},
		{"two questions", twoQuestions, "more than one question"},
		{"other name", buildResponse(7, questionOf("b.test.", dnsmessage.TypeA), noError), "question b.test A"},
		{"other type", buildResponse(7, questionOf("a.test.", dnsmessage.TypeAAAA), noError), "question a.test AAAA"},
		{"other class", buildResponse(7, dnsmessage.Question{Name: q.Name, Type: q.Type, Class: dnsmessage.ClassCHAOS}, noError), "question a.test A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := matchResponse(tt.msg, 7, q)
			if tt.want == "" {
				if err != nil {
					t.Errorf("matchResponse: %v, want a match", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("matchResponse accepted it, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("matchResponse: %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
