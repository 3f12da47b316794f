package dnsforward

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// errClosed is the forwarding error for queries interrupted by Close.
var errClosed = errors.New("forwarder closed")

// receiveBuffers holds 65535-byte buffers for UDP responses, which are
// copied out at their real size.
var receiveBuffers = sync.Pool{New: func() any {
	buf := make([]byte, maxMessageSize)
	return &buf
}}

// forward sends the query to each upstream in order and returns the first
// response that matches it. The response still carries the upstream ID.
func (f *Forwarder) forward(query []byte, question dnsmessage.Question) ([]byte, error) {
	if len(f.cfg.Upstreams) == 0 {
		return nil, ErrNoUpstream
	}
	var errs []error
	for _, up := range f.cfg.Upstreams {
		resp, err := f.exchange(up, query, question)
		if err == nil {
			return resp, nil
		}
		if f.ctx.Err() != nil {
			return nil, errClosed
		}
		f.log.Debug("upstream attempt failed", "upstream", up, "name", presentName(question.Name),
			"type", typeName(question.Type), "err", err)
		f.failedAttempts.add(up, err)
		errs = append(errs, fmt.Errorf("upstream %s: %w", up, err))
	}
	return nil, errors.Join(errs...)
}

// exchange forwards the query to one upstream over UDP, and repeats it over
// TCP when the UDP response has the TC bit set.
func (f *Forwarder) exchange(up netip.AddrPort, query []byte, question dnsmessage.Question) ([]byte, error) {
	resp, err := f.exchangeUDP(up, query, question)
	if err != nil {
		return nil, err
	}
	if resp[2]&tcBit == 0 {
		return resp, nil
	}
	resp, err = f.exchangeTCP(up, query, question)
	if err != nil {
		return nil, fmt.Errorf("repeating truncated response over tcp: %w", err)
	}
	return resp, nil
}

// exchangeUDP sends the query with a random ID and waits up to the timeout
// for a matching response. The connected socket receives only datagrams
// from up. Other datagrams with the wrong ID or question are ignored
// because they may be spoofed.
func (f *Forwarder) exchangeUDP(up netip.AddrPort, query []byte, question dnsmessage.Question) ([]byte, error) {
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(up))
	if err != nil {
		return nil, fmt.Errorf("dialing udp: %w", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(f.timeout)); err != nil {
		return nil, fmt.Errorf("setting deadline: %w", err)
	}
	// Registered after the timeout is set, so that the past deadline set on
	// Close is never replaced by the timeout.
	stop := context.AfterFunc(f.ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	id := randomID()
	if _, err := conn.Write(withID(query, id)); err != nil {
		return nil, fmt.Errorf("sending query over udp: %w", err)
	}

	bufp := receiveBuffers.Get().(*[]byte)
	defer receiveBuffers.Put(bufp)
	buf := *bufp

	ignored := 0
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if ignored > 0 {
				return nil, fmt.Errorf("reading udp response after ignoring %d that did not match: %w", ignored, err)
			}
			return nil, fmt.Errorf("reading udp response: %w", err)
		}
		if err := matchResponse(buf[:n], id, question); err != nil {
			f.log.Debug("ignoring upstream response that does not match the query", "upstream", up,
				"name", presentName(question.Name), "type", typeName(question.Type), "err", err)
			f.mismatchedResponses.add(up, err)
			ignored++
			continue
		}
		return bytes.Clone(buf[:n]), nil
	}
}

// exchangeTCP sends the query with a random ID over a new TCP connection and
// reads one response. The timeout covers dialing, sending and reading.
func (f *Forwarder) exchangeTCP(up netip.AddrPort, query []byte, question dnsmessage.Question) ([]byte, error) {
	deadline := time.Now().Add(f.timeout)
	dialer := net.Dialer{Deadline: deadline}
	conn, err := dialer.DialContext(f.ctx, "tcp", up.String())
	if err != nil {
		return nil, fmt.Errorf("dialing tcp: %w", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("setting deadline: %w", err)
	}
	stop := context.AfterFunc(f.ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	id := randomID()
	frame, err := frameMessage(withID(query, id))
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(frame); err != nil {
		return nil, fmt.Errorf("sending query over tcp: %w", err)
	}
	resp, err := readMessage(conn)
	if err != nil {
		return nil, fmt.Errorf("reading tcp response: %w", err)
	}
	if err := matchResponse(resp, id, question); err != nil {
		return nil, fmt.Errorf("tcp response does not match the query: %w", err)
	}
	return resp, nil
}

// matchResponse returns an error unless msg is a response with the given ID
// and exactly the given question, the name compared without ASCII case.
func matchResponse(msg []byte, id uint16, question dnsmessage.Question) error {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return fmt.Errorf("parsing header: %w", err)
	}
	if h.ID != id {
		return fmt.Errorf("message id %d, expected %d", h.ID, id)
	}
	if !h.Response {
		return errors.New("response bit not set")
	}
	got, err := p.Question()
	if errors.Is(err, dnsmessage.ErrSectionDone) {
		return errors.New("response has no question")
	}
	if err != nil {
		return fmt.Errorf("parsing question: %w", err)
	}
	if err := p.SkipQuestion(); !errors.Is(err, dnsmessage.ErrSectionDone) {
		return errors.New("response has more than one question")
	}
	if got.Type != question.Type || got.Class != question.Class || !equalNames(got.Name, question.Name) {
		return fmt.Errorf("question %s %s, expected %s %s", presentName(got.Name), typeName(got.Type),
			presentName(question.Name), typeName(question.Type))
	}
	return nil
}

// randomID returns a message ID from crypto/rand, which never returns an
// error since Go 1.24.
func randomID() uint16 {
	var b [2]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint16(b[:])
}

// withID returns a copy of msg, which is at least a header long, with the
// message ID set to id.
func withID(msg []byte, id uint16) []byte {
	out := bytes.Clone(msg)
	binary.BigEndian.PutUint16(out, id)
	return out
}
