package dnsforward

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

const (
	headerSize     = 12
	maxMessageSize = 65535 // TCP length prefix; also the largest UDP payload accepted
	minUDPSize     = 512   // UDP response limit without EDNS0 (RFC 1035 section 4.2.1)
	tcBit          = 0x02  // TC flag in byte 2 of the header
)

// query is a client query that parsed as far as its header and question.
type query struct {
	header      dnsmessage.Header
	hasHeader   bool
	question    dnsmessage.Question // the first question
	hasQuestion bool
	udpLimit    int // max size of a UDP response to this client
}

// malformedQuery is the reason a query is neither forwarded nor blocked,
// with the response to send.
type malformedQuery struct {
	drop   bool             // send no response
	rcode  dnsmessage.RCode // FORMERR or NOTIMP, unless drop
	reason string
}

// parseQuery parses a client query. It returns a malformedQuery unless the
// query is a standard query with exactly one question. Queries shorter than
// a header and messages with the response bit set are dropped, so that a
// forged response sent to the forwarder cannot start a loop.
func parseQuery(raw []byte) (query, *malformedQuery) {
	q := query{udpLimit: minUDPSize}
	var p dnsmessage.Parser
	h, err := p.Start(raw)
	if err != nil {
		return q, &malformedQuery{drop: true, reason: fmt.Sprintf("query of %d bytes is shorter than the %d-byte header", len(raw), headerSize)}
	}
	q.header, q.hasHeader = h, true
	if h.Response {
		return q, &malformedQuery{drop: true, reason: "response bit set in query"}
	}

	first, err := p.Question()
	if err == nil {
		q.question, q.hasQuestion = first, true
	}
	if h.OpCode != 0 {
		return q, &malformedQuery{rcode: dnsmessage.RCodeNotImplemented, reason: fmt.Sprintf("opcode %d not supported", h.OpCode)}
	}
	if errors.Is(err, dnsmessage.ErrSectionDone) {
		return q, &malformedQuery{rcode: dnsmessage.RCodeFormatError, reason: "query has no question"}
	}
	if err != nil {
		return q, &malformedQuery{rcode: dnsmessage.RCodeFormatError, reason: fmt.Sprintf("parsing question: %v", err)}
	}
	if err := p.SkipQuestion(); !errors.Is(err, dnsmessage.ErrSectionDone) {
		return q, &malformedQuery{rcode: dnsmessage.RCodeFormatError, reason: "query has more than one question"}
	}

	q.udpLimit = udpLimit(&p)
	return q, nil
}

// udpLimit returns the UDP payload size from the query's EDNS0 OPT record,
// clamped to 512..65535 (RFC 6891 section 6.2.5), or 512 without one.
// Records that fail to parse count as no OPT record.
func udpLimit(p *dnsmessage.Parser) int {
	if p.SkipAllAnswers() != nil || p.SkipAllAuthorities() != nil {
		return minUDPSize
	}
	for {
		h, err := p.AdditionalHeader()
		if err != nil {
			return minUDPSize
		}
		if h.Type == dnsmessage.TypeOPT {
			return max(int(h.Class), minUDPSize)
		}
		if p.SkipAdditional() != nil {
			return minUDPSize
		}
	}
}

// rejectReply builds a FORMERR or NOTIMP response without a question, for a
// query whose question may be what is malformed.
func rejectReply(h dnsmessage.Header, rcode dnsmessage.RCode) ([]byte, error) {
	reply := dnsmessage.Header{
		ID:                 h.ID,
		Response:           true,
		OpCode:             h.OpCode,
		RecursionDesired:   h.RecursionDesired,
		RecursionAvailable: true,
		RCode:              rcode,
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, headerSize), reply)
	return b.Finish()
}

// questionReply builds a response with rcode and the query's question and
// no records, such as NXDOMAIN for a blocked name or SERVFAIL.
func questionReply(q query, rcode dnsmessage.RCode) ([]byte, error) {
	return buildQuestionReply(dnsmessage.Header{
		ID:                 q.header.ID,
		Response:           true,
		RecursionDesired:   q.header.RecursionDesired,
		RecursionAvailable: true,
		RCode:              rcode,
	}, q.question)
}

// truncatedReply builds the response for a UDP client whose limit the
// upstream response exceeds: the upstream header with TC set and the
// question only, which makes the client repeat the query over TCP.
func truncatedReply(q query, upstream dnsmessage.Header) ([]byte, error) {
	h := upstream
	h.ID = q.header.ID
	h.Response = true
	h.Truncated = true
	return buildQuestionReply(h, q.question)
}

func buildQuestionReply(h dnsmessage.Header, question dnsmessage.Question) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, minUDPSize), h)
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(question); err != nil {
		return nil, err
	}
	return b.Finish()
}

// presentName returns a name in lower case without the trailing dot, "."
// for the root. Spaces, bytes outside printable ASCII and backslashes are
// written as \DDD (RFC 1035 section 5.1), so names from the wire cannot carry
// control characters into logs or policy matching. Labels cannot contain dots,
// because dnsmessage rejects such names.
func presentName(n dnsmessage.Name) string {
	length := min(int(n.Length), len(n.Data))
	data := n.Data[:length]
	if length == 0 || (length == 1 && data[0] == '.') {
		return "."
	}
	if data[length-1] == '.' {
		data = data[:length-1]
	}
	var sb strings.Builder
	sb.Grow(len(data))
	for _, c := range data {
		switch {
		case c >= 'A' && c <= 'Z':
			sb.WriteByte(c + ('a' - 'A'))
		case c <= ' ' || c >= 0x7f || c == '\\':
			fmt.Fprintf(&sb, "\\%03d", c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// equalNames compares two names ignoring ASCII case only, as DNS does
// (RFC 4343).
func equalNames(a, b dnsmessage.Name) bool {
	if a.Length != b.Length || int(a.Length) > len(a.Data) {
		return false
	}
	for i := range int(a.Length) {
		if lowerASCII(a.Data[i]) != lowerASCII(b.Data[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

var typeNames = map[dnsmessage.Type]string{
	dnsmessage.TypeA:     "A",
	dnsmessage.TypeNS:    "NS",
	dnsmessage.TypeCNAME: "CNAME",
	dnsmessage.TypeSOA:   "SOA",
	dnsmessage.TypePTR:   "PTR",
	dnsmessage.TypeHINFO: "HINFO",
	dnsmessage.TypeMX:    "MX",
	dnsmessage.TypeTXT:   "TXT",
	dnsmessage.TypeAAAA:  "AAAA",
	dnsmessage.TypeSRV:   "SRV",
	35:                   "NAPTR",
	39:                   "DNAME",
	dnsmessage.TypeOPT:   "OPT",
	43:                   "DS",
	46:                   "RRSIG",
	47:                   "NSEC",
	48:                   "DNSKEY",
	50:                   "NSEC3",
	dnsmessage.TypeSVCB:  "SVCB",
	dnsmessage.TypeHTTPS: "HTTPS",
	dnsmessage.TypeAXFR:  "AXFR",
	dnsmessage.TypeALL:   "ANY",
	257:                  "CAA",
}

// typeName returns the mnemonic of a record type, or "TYPE<n>" (RFC 3597
// section 5) for types without one here.
func typeName(t dnsmessage.Type) string {
	if name, ok := typeNames[t]; ok {
		return name
	}
	return "TYPE" + strconv.Itoa(int(t))
}

var rcodeNames = map[dnsmessage.RCode]string{
	dnsmessage.RCodeSuccess:        "NOERROR",
	dnsmessage.RCodeFormatError:    "FORMERR",
	dnsmessage.RCodeServerFailure:  "SERVFAIL",
	dnsmessage.RCodeNameError:      "NXDOMAIN",
	dnsmessage.RCodeNotImplemented: "NOTIMP",
	dnsmessage.RCodeRefused:        "REFUSED",
}

// rcodeName returns the mnemonic of a response code, or "RCODE<n>".
func rcodeName(r dnsmessage.RCode) string {
	if name, ok := rcodeNames[r]; ok {
		return name
	}
	return "RCODE" + strconv.Itoa(int(r))
}
