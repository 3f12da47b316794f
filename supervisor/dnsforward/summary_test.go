package dnsforward

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// record returns an answer record of class IN.
func record(name string, ttl uint32, body dnsmessage.ResourceBody) dnsmessage.Resource {
	return recordIn(dnsmessage.ClassINET, name, ttl, body)
}

func recordIn(class dnsmessage.Class, name string, ttl uint32, body dnsmessage.ResourceBody) dnsmessage.Resource {
	return dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: class, TTL: ttl},
		Body:   body,
	}
}

func cname(s string) *dnsmessage.CNAMEResource {
	return &dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(s)}
}

func packResponse(t *testing.T, q dnsmessage.Question, answers ...dnsmessage.Resource) []byte {
	t.Helper()
	m := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: 1, Response: true},
		Questions: []dnsmessage.Question{q},
		Answers:   answers,
	}
	msg, err := m.Pack()
	if err != nil {
		t.Fatalf("packing response: %v", err)
	}
	return msg
}

func TestSummarizeChain(t *testing.T) {
	q := questionOf("start.test.", dnsmessage.TypeA)
	var longChain []dnsmessage.Resource
	var longNames []string
	for i := range 20 {
		from, to := fmt.Sprintf("c%d.test.", i), fmt.Sprintf("c%d.test.", i+1)
		if i == 0 {
			from = "start.test."
		}
		longChain = append(longChain, record(from, 100, cname(to)))
		if len(longNames) < maxChainSteps {
			longNames = append(longNames, strings.TrimSuffix(to, "."))
		}
	}

	tests := []struct {
		name      string
		answers   []dnsmessage.Resource
		cnames    []string
		addresses []netip.Addr
		ttl       uint32
	}{
		{
			name:    "no records",
			answers: nil,
		},
		{
			name: "chain loop",
			answers: []dnsmessage.Resource{
				record("start.test.", 50, cname("b.test.")),
				record("b.test.", 40, cname("start.test.")),
				record("b.test.", 30, a4("192.0.2.1")),
			},
			cnames: []string{"b.test"}, addresses: addrs("192.0.2.1"), ttl: 30,
		},
		{
			name: "self loop",
			answers: []dnsmessage.Resource{
				record("start.test.", 50, cname("start.test.")),
				record("start.test.", 30, a4("192.0.2.1")),
			},
			addresses: addrs("192.0.2.1"), ttl: 30,
		},
		{
			name:    "chain longer than the limit",
			answers: longChain,
			cnames:  longNames, ttl: 100,
		},
		{
			name: "addresses of other names ignored",
			answers: []dnsmessage.Resource{
				record("start.test.", 500, cname("end.test.")),
				record("other.test.", 5, a4("192.0.2.99")),
				record("end.test.", 400, a4("192.0.2.1")),
			},
			cnames: []string{"end.test"}, addresses: addrs("192.0.2.1"), ttl: 400,
		},
		{
			name: "mapped AAAA unmapped",
			answers: []dnsmessage.Resource{
				record("start.test.", 60, a16("::ffff:192.0.2.5")),
			},
			addresses: addrs("192.0.2.5"), ttl: 60,
		},
		{
			name: "duplicate addresses once",
			answers: []dnsmessage.Resource{
				record("start.test.", 60, a4("192.0.2.5")),
				record("start.test.", 70, a4("192.0.2.5")),
			},
			addresses: addrs("192.0.2.5"), ttl: 60,
		},
		{
			name: "ttl with top bit read as zero",
			answers: []dnsmessage.Resource{
				record("start.test.", 0x80000000, a4("192.0.2.5")),
			},
			addresses: addrs("192.0.2.5"), ttl: 0,
		},
		{
			name: "class chaos ignored",
			answers: []dnsmessage.Resource{
				recordIn(dnsmessage.ClassCHAOS, "start.test.", 60, cname("b.test.")),
				recordIn(dnsmessage.ClassCHAOS, "start.test.", 60, a4("192.0.2.5")),
			},
		},
		{
			name: "upper case owner names",
			answers: []dnsmessage.Resource{
				record("START.test.", 60, cname("B.Test.")),
				record("b.TEST.", 60, a4("192.0.2.5")),
			},
			cnames: []string{"b.test"}, addresses: addrs("192.0.2.5"), ttl: 60,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summarize(packResponse(t, q, tt.answers...), q)
			if s.err != nil {
				t.Errorf("err = %v, want none", s.err)
			}
			if !slices.Equal(s.cnames, tt.cnames) {
				t.Errorf("cnames = %v, want %v", s.cnames, tt.cnames)
			}
			if !slices.Equal(s.addresses, tt.addresses) {
				t.Errorf("addresses = %v, want %v", s.addresses, tt.addresses)
			}
			if s.ttl != tt.ttl {
				t.Errorf("ttl = %d, want %d", s.ttl, tt.ttl)
			}
		})
	}
}

func TestSummarizeKeepsRecordsBeforeError(t *testing.T) {
	q := questionOf("start.test.", dnsmessage.TypeA)
	msg := packResponse(t, q,
		record("start.test.", 60, a4("192.0.2.1")),
		record("start.test.", 60, a4("192.0.2.2")))
	msg = msg[:len(msg)-3]

	s := summarize(msg, q)
	if s.err == nil {
		t.Fatal("err = nil, want an error for the cut second record")
	}
	if !strings.Contains(s.err.Error(), "parsing answer 2") {
		t.Errorf("err = %v, want it to name answer 2", s.err)
	}
	if want := addrs("192.0.2.1"); !slices.Equal(s.addresses, want) {
		t.Errorf("addresses = %v, want %v", s.addresses, want)
	}
	if len(s.answers) != 1 {
		t.Errorf("%d answers, want 1", len(s.answers))
	}
}

func TestFormatTXT(t *testing.T) {
	tests := []struct {
		name string
		txt  []string
		want string
	}{
		{"empty", nil, ""},
		{"two strings", []string{"a b", `q"`}, `"a b" "q\""`},
		{"control and non-ascii", []string{"\x00\n\xff\u00e4"}, `"\x00\n\xff\u00e4"`},
		{"cut", []string{strings.Repeat("x", 200), strings.Repeat("y", 200)}, `"` + strings.Repeat("x", 200) + `" "` + strings.Repeat("y", 52) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatTXT(tt.txt); got != tt.want {
				t.Errorf("formatTXT = %q, want %q", got, tt.want)
			}
		})
	}
}
