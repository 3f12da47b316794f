package dnsforward

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// testTimeout is Config.Timeout in the tests: long enough for loopback under
// the race detector, short enough to keep the package fast.
const testTimeout = 300 * time.Millisecond

// testForwarder is a Forwarder whose exchanges go to a channel.
type testForwarder struct {
	*Forwarder
	exchanges chan Exchange
}

func startForwarder(t *testing.T, cfg Config, lim limits) *testForwarder {
	t.Helper()
	tf := &testForwarder{exchanges: make(chan Exchange, 1024)}
	if cfg.Timeout == 0 {
		cfg.Timeout = testTimeout
	}
	cfg.Observe = func(ex Exchange) {
		select {
		case tf.exchanges <- ex:
		default:
		}
	}
	f, err := start(cfg, lim)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	tf.Forwarder = f
	t.Cleanup(func() { f.Close() })
	return tf
}

func (tf *testForwarder) nextExchange(t *testing.T) Exchange {
	t.Helper()
	select {
	case ex := <-tf.exchanges:
		return ex
	case <-time.After(5 * time.Second):
		t.Fatal("no exchange observed within 5s")
		return Exchange{}
	}
}

// newQuery builds a query with RD set and, when udpSize > 0, an EDNS0 OPT
// record announcing that UDP payload size.
func newQuery(id uint16, name string, qtype dnsmessage.Type, udpSize int) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	must(b.StartQuestions())
	must(b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: qtype, Class: dnsmessage.ClassINET}))
	if udpSize > 0 {
		must(b.StartAdditionals())
		var opt dnsmessage.ResourceHeader
		must(opt.SetEDNS0(udpSize, dnsmessage.RCodeSuccess, false))
		must(b.OPTResource(opt, dnsmessage.OPTResource{}))
	}
	msg, err := b.Finish()
	must(err)
	return msg
}

func questionOf(name string, qtype dnsmessage.Type) dnsmessage.Question {
	return dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: qtype, Class: dnsmessage.ClassINET}
}

func dialUDP(t *testing.T, addr netip.AddrPort) *net.UDPConn {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatalf("dialing udp %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func dialTCP(t *testing.T, addr netip.AddrPort) *net.TCPConn {
	t.Helper()
	conn, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatalf("dialing tcp %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readUDP returns the next datagram, or an error when none arrives within wait.
func readUDP(conn *net.UDPConn, wait time.Duration) ([]byte, error) {
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// exchangeOver sends query to the forwarder over a new UDP socket or TCP
// connection and returns the response.
func exchangeOver(t *testing.T, f *testForwarder, transport string, query []byte) []byte {
	t.Helper()
	if transport == "tcp" {
		conn := dialTCP(t, f.TCPAddr())
		return tcpExchange(t, conn, query)
	}
	conn := dialUDP(t, f.UDPAddr())
	if _, err := conn.Write(query); err != nil {
		t.Fatalf("sending udp query: %v", err)
	}
	resp, err := readUDP(conn, 5*time.Second)
	if err != nil {
		t.Fatalf("reading udp response: %v", err)
	}
	return resp
}

func tcpExchange(t *testing.T, conn *net.TCPConn, query []byte) []byte {
	t.Helper()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatalf("setting deadline: %v", err)
	}
	if _, err := conn.Write(frame(query)); err != nil {
		t.Fatalf("sending tcp query: %v", err)
	}
	resp, err := readFrame(conn)
	if err != nil {
		t.Fatalf("reading tcp response: %v", err)
	}
	return resp
}

func headerOf(t *testing.T, msg []byte) dnsmessage.Header {
	t.Helper()
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		t.Fatalf("parsing response header: %v", err)
	}
	return h
}

func unpack(t *testing.T, msg []byte) dnsmessage.Message {
	t.Helper()
	var m dnsmessage.Message
	if err := m.Unpack(msg); err != nil {
		t.Fatalf("parsing response: %v", err)
	}
	return m
}

// expectClosed fails unless the peer closes conn within wait.
func expectClosed(t *testing.T, conn net.Conn, wait time.Duration) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatalf("setting deadline: %v", err)
	}
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		t.Fatalf("connection still open after %s", wait)
	case err == nil:
		t.Fatalf("read %d bytes, want the connection closed", n)
	}
}

// expectNoUDPReply fails if a datagram arrives within wait.
func expectNoUDPReply(t *testing.T, conn *net.UDPConn, wait time.Duration) {
	t.Helper()
	resp, err := readUDP(conn, wait)
	if err == nil {
		t.Fatalf("got a %d-byte reply, want none", len(resp))
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("reading: %v, want a timeout", err)
	}
}
