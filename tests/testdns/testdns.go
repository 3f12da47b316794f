// Package testdns is a DNS server on loopback for the integration tests and
// the benchmarks. It plays the system's resolver: the code under test is
// configured to send its queries here, so that no query leaves the host.
// The caller decides every answer.
package testdns

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"time"
)

// Server answers DNS messages over UDP and TCP on one port of 127.0.0.1,
// because glibc asks over TCP at the port it would use for UDP.
type Server struct {
	udp    net.PacketConn
	tcp    net.Listener
	answer func(query []byte) []byte
}

// Start listens and serves until Close. answer returns the response to one
// query, or nil to stay silent (and to close a TCP connection).
func Start(answer func(query []byte) []byte) (*Server, error) {
	var lastErr error
	for range 20 {
		udp, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		tcp, err := net.Listen("tcp", udp.LocalAddr().String())
		if err != nil {
			// The port is taken for TCP: try another one.
			udp.Close()
			lastErr = err
			continue
		}
		s := &Server{udp: udp, tcp: tcp, answer: answer}
		go s.serveUDP()
		go s.serveTCP()
		return s, nil
	}
	return nil, lastErr
}

// Addr returns the server's address, the same for UDP and TCP.
func (s *Server) Addr() string { return s.udp.LocalAddr().String() }

// Close stops both listeners.
func (s *Server) Close() {
	s.udp.Close()
	s.tcp.Close()
}

func (s *Server) serveUDP() {
	buf := make([]byte, 65535)
	for {
		n, from, err := s.udp.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply := s.answer(buf[:n]); reply != nil {
			s.udp.WriteTo(reply, from)
		}
	}
}

func (s *Server) serveTCP() {
	for {
		conn, err := s.tcp.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		go s.serveConn(conn)
	}
}

// serveConn answers length-prefixed messages on one connection until the
// client closes it, 10 seconds pass, or answer returns nil.
func (s *Server) serveConn(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	for {
		var length [2]byte
		if _, err := io.ReadFull(conn, length[:]); err != nil {
			return
		}
		query := make([]byte, binary.BigEndian.Uint16(length[:]))
		if _, err := io.ReadFull(conn, query); err != nil {
			return
		}
		reply := s.answer(query)
		if reply == nil {
			return
		}
		conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(reply))), reply...))
	}
}
