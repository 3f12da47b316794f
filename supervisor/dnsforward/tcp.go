package dnsforward

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// errZeroLength is returned for a TCP message whose length prefix is 0.
var errZeroLength = errors.New("message length 0")

func (f *Forwarder) serveTCP() {
	for {
		conn, err := f.tcp.AcceptTCP()
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			f.log.Warn("accepting tcp client failed", "err", err)
			f.pause(errorBackoff)
			continue
		}
		if !f.trackClient(conn) {
			conn.Close()
			continue
		}
		f.wg.Go(func() { f.serveTCPClient(conn) })
	}
}

// trackClient registers conn so that Close can close it. It returns false
// when the forwarder is closing or already has the maximum of TCP clients.
func (f *Forwarder) trackClient(conn *net.TCPConn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	if len(f.clients) >= f.limits.maxTCPClients {
		f.rejectedClients.Add(1)
		return false
	}
	f.clients[conn] = struct{}{}
	return true
}

func (f *Forwarder) untrackClient(conn *net.TCPConn) {
	f.mu.Lock()
	delete(f.clients, conn)
	f.mu.Unlock()
	conn.Close()
}

// serveTCPClient reads queries from one TCP client and serves each in its
// own goroutine, so responses may leave in another order than the queries
// arrived. glibc sends the A and AAAA queries back to back on one connection
// and matches the responses by ID.
func (f *Forwarder) serveTCPClient(conn *net.TCPConn) {
	var client netip.AddrPort
	if peer, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		client = peer.AddrPort()
		client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	}
	var pending sync.WaitGroup
	var writeMu sync.Mutex
	slots := make(chan struct{}, f.limits.maxPipeline)

	// Deferred calls run in reverse: finish the queries already read, then
	// close the connection.
	defer f.untrackClient(conn)
	defer pending.Wait()

	for {
		if err := conn.SetReadDeadline(time.Now().Add(f.limits.idleTimeout)); err != nil {
			return
		}
		query, err := readMessage(conn)
		if err != nil {
			if !errors.Is(err, io.EOF) && f.ctx.Err() == nil {
				f.log.Debug("closing tcp client", "client", client, "err", err)
			}
			return
		}
		received := time.Now()

		select {
		case slots <- struct{}{}:
		case <-f.ctx.Done():
			return
		}
		select {
		case f.inFlight <- struct{}{}:
		case <-f.ctx.Done():
			<-slots
			return
		}
		pending.Go(func() {
			defer func() {
				<-f.inFlight
				<-slots
			}()
			resp, ex := f.answer(query, client, "tcp", received)
			f.observe(ex)
			if resp != nil {
				f.writeTCP(conn, &writeMu, resp, ex.Name)
			}
		})
	}
}

// writeTCP sends one response. On failure it closes the connection, which
// also ends the reading loop of serveTCPClient.
func (f *Forwarder) writeTCP(conn *net.TCPConn, mu *sync.Mutex, resp []byte, name string) {
	frame, err := frameMessage(resp)
	if err == nil {
		mu.Lock()
		err = conn.SetWriteDeadline(time.Now().Add(f.limits.idleTimeout))
		if err == nil {
			_, err = conn.Write(frame)
		}
		mu.Unlock()
	}
	if err != nil {
		if f.ctx.Err() == nil {
			f.log.Debug("sending tcp response failed", "client", conn.RemoteAddr(), "name", name, "err", err)
		}
		conn.Close()
	}
}

// readMessage reads one DNS message with its 2-byte length prefix
// (RFC 1035 section 4.2.2). The buffer is at most 65535 bytes.
func readMessage(r io.Reader) ([]byte, error) {
	var prefix [2]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint16(prefix[:])
	if n == 0 {
		return nil, errZeroLength
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, fmt.Errorf("reading %d-byte message: %w", n, err)
	}
	return msg, nil
}

// frameMessage returns msg with its 2-byte length prefix.
func frameMessage(msg []byte) ([]byte, error) {
	if len(msg) > maxMessageSize {
		return nil, fmt.Errorf("message of %d bytes exceeds the tcp maximum of %d", len(msg), maxMessageSize)
	}
	frame := make([]byte, 2+len(msg))
	binary.BigEndian.PutUint16(frame, uint16(len(msg)))
	copy(frame[2:], msg)
	return frame, nil
}
