package dnsforward

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

const (
	maxRecords    = 64  // answer records summarized per response
	maxChainSteps = 16  // CNAME records followed from the question name
	maxTXTData    = 256 // bytes of Record.Data for a TXT record
)

// summary is the parsed form of an upstream response.
type summary struct {
	header    dnsmessage.Header
	answers   []answer
	cnames    []string
	addresses []netip.Addr
	ttl       uint32
	err       error // the first parse error; the fields hold what was parsed before it
}

// answer is one parsed answer record.
type answer struct {
	record Record
	class  dnsmessage.Class
	addr   netip.Addr // A and AAAA, unmapped
	target string     // CNAME, in the form of Record.Name
}

// summarize parses the answer section of a response to question, follows the
// CNAME chain from the question name and collects the addresses at its end.
func summarize(msg []byte, question dnsmessage.Question) summary {
	var s summary
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		s.err = fmt.Errorf("parsing header: %w", err)
		return s
	}
	s.header = h
	if err := p.SkipAllQuestions(); err != nil {
		s.err = fmt.Errorf("parsing questions: %w", err)
		return s
	}
	s.answers, s.err = parseAnswers(&p)
	s.cnames, s.addresses, s.ttl = followChain(s.answers, presentName(question.Name))
	return s
}

// parseAnswers parses up to maxRecords answer records. On error it returns
// the records parsed before it.
func parseAnswers(p *dnsmessage.Parser) ([]answer, error) {
	var answers []answer
	for i := 1; ; i++ {
		h, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			return answers, nil
		}
		if err != nil {
			return answers, fmt.Errorf("parsing answer %d: %w", i, err)
		}
		if i > maxRecords {
			return answers, fmt.Errorf("answer section has more than %d records; the rest were not summarized", maxRecords)
		}
		a, err := parseAnswer(p, h)
		if err != nil {
			return answers, fmt.Errorf("parsing answer %d (%s %s): %w", i, presentName(h.Name), typeName(h.Type), err)
		}
		answers = append(answers, a)
	}
}

// parseAnswer parses the data of the answer record whose header p just read.
func parseAnswer(p *dnsmessage.Parser, h dnsmessage.ResourceHeader) (answer, error) {
	// dnsmessage checks the record length against the message when it skips a
	// record, not when it parses the data. Skipping on a copy of the parser
	// rejects a record that runs past the end of the message.
	probe := *p
	if err := probe.SkipAnswer(); err != nil {
		return answer{}, err
	}

	a := answer{
		record: Record{Name: presentName(h.Name), Type: typeName(h.Type), TTL: readTTL(h.TTL)},
		class:  h.Class,
	}
	var err error
	switch h.Type {
	case dnsmessage.TypeA, dnsmessage.TypeAAAA:
		err = parseAddress(p, h, &a)
	case dnsmessage.TypeCNAME:
		var r dnsmessage.CNAMEResource
		if r, err = p.CNAMEResource(); err == nil {
			a.target = presentName(r.CNAME)
			a.record.Data = a.target
		}
	case dnsmessage.TypeNS:
		var r dnsmessage.NSResource
		if r, err = p.NSResource(); err == nil {
			a.record.Data = presentName(r.NS)
		}
	case dnsmessage.TypePTR:
		var r dnsmessage.PTRResource
		if r, err = p.PTRResource(); err == nil {
			a.record.Data = presentName(r.PTR)
		}
	case dnsmessage.TypeMX:
		var r dnsmessage.MXResource
		if r, err = p.MXResource(); err == nil {
			a.record.Data = fmt.Sprintf("%d %s", r.Pref, presentName(r.MX))
		}
	case dnsmessage.TypeSRV:
		var r dnsmessage.SRVResource
		if r, err = p.SRVResource(); err == nil {
			a.record.Data = fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, presentName(r.Target))
		}
	case dnsmessage.TypeTXT:
		var r dnsmessage.TXTResource
		if r, err = p.TXTResource(); err == nil {
			a.record.Data = formatTXT(r.TXT)
		}
	default:
		if err = p.SkipAnswer(); err == nil {
			a.record.Data = fmt.Sprintf("<%d bytes>", h.Length)
		}
	}
	// NOTE: for names inside record data (CNAME, NS, PTR, MX, SRV),
	// dnsmessage does not check that the name ends within the record's
	// length. A hostile upstream can make this summary read a name that a
	// stricter client parser rejects.
	return a, err
}

// parseAddress parses an A or AAAA record. The data length must match the
// address size, because dnsmessage reads the first 4 or 16 bytes of data of
// any length and a client may read the record differently.
func parseAddress(p *dnsmessage.Parser, h dnsmessage.ResourceHeader, a *answer) error {
	var addr netip.Addr
	if h.Type == dnsmessage.TypeA {
		if h.Length != 4 {
			return fmt.Errorf("A record data is %d bytes, expected 4", h.Length)
		}
		r, err := p.AResource()
		if err != nil {
			return err
		}
		addr = netip.AddrFrom4(r.A)
	} else {
		if h.Length != 16 {
			return fmt.Errorf("AAAA record data is %d bytes, expected 16", h.Length)
		}
		r, err := p.AAAAResource()
		if err != nil {
			return err
		}
		addr = netip.AddrFrom16(r.AAAA)
	}
	a.record.Data = addr.String()
	a.addr = addr.Unmap()
	return nil
}

// formatTXT quotes each string in ASCII and joins them with spaces, cut to
// maxTXTData bytes with "..." appended.
func formatTXT(txt []string) string {
	var sb strings.Builder
	for i, s := range txt {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strconv.QuoteToASCII(s))
		if sb.Len() > maxTXTData {
			return sb.String()[:maxTXTData] + "..."
		}
	}
	return sb.String()
}

// readTTL returns a TTL, or 0 for values with the top bit set, as RFC 2181
// section 8 requires.
func readTTL(ttl uint32) uint32 {
	if ttl > math.MaxInt32 {
		return 0
	}
	return ttl
}

// followChain follows the CNAME records of class IN from name, at most
// maxChainSteps and never to a name already visited. It returns the chain,
// the A and AAAA addresses of the name at its end, and the smallest TTL among
// them, 0 when there are none.
func followChain(answers []answer, name string) (cnames []string, addresses []netip.Addr, ttl uint32) {
	haveTTL := false
	useTTL := func(t uint32) {
		if !haveTTL || t < ttl {
			ttl, haveTTL = t, true
		}
	}

	current := name
	for range maxChainSteps {
		next, ok := findCNAME(answers, current)
		if !ok || next.target == name || slices.Contains(cnames, next.target) {
			break
		}
		cnames = append(cnames, next.target)
		useTTL(next.record.TTL)
		current = next.target
	}

	for _, a := range answers {
		if !a.addr.IsValid() || a.class != dnsmessage.ClassINET || a.record.Name != current {
			continue
		}
		useTTL(a.record.TTL)
		if !slices.Contains(addresses, a.addr) {
			addresses = append(addresses, a.addr)
		}
	}
	return cnames, addresses, ttl
}

func findCNAME(answers []answer, owner string) (answer, bool) {
	for _, a := range answers {
		if a.target != "" && a.class == dnsmessage.ClassINET && a.record.Name == owner {
			return a, true
		}
	}
	return answer{}, false
}
