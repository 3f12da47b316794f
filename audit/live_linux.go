//go:build linux

package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Kinds of the lines the live socket adds to the log's own.
const (
	// KindLiveHello is the first line on a live connection. Its fields
	// name the log file and the offset where the socket's lines start.
	KindLiveHello = "live_hello"
	// KindLiveOverflow is the last line to a reader that fell behind.
	KindLiveOverflow = "live_overflow"
)

// liveWriteTimeout bounds one write to a reader. A reader that takes longer
// is disconnected. Only the reader's own goroutine waits for it, because
// Emit hands lines to it without blocking.
const liveWriteTimeout = 5 * time.Second

// liveDrainTimeout bounds how long Close waits for readers to receive the
// last lines of a session.
const liveDrainTimeout = 2 * time.Second

// LiveServer serves a session's events to local readers, such as
// `winewarden monitor`, on a Unix socket of mode 0600 that only the user's
// own processes may use.
//
// A reader first gets a KindLiveHello line with the log path and an offset.
// It reads the log file up to that offset and then the socket's lines, which
// are the log's lines that follow, so it receives each event exactly once. A
// reader that falls behind gets a KindLiveOverflow line and is disconnected,
// and can reconnect to start over.
type LiveServer struct {
	path   string
	log    *Log
	ln     *net.UnixListener
	uid    int
	logger *slog.Logger

	wg   sync.WaitGroup
	once sync.Once
}

// ServeLive listens on path (its directory is created with mode 0700) for
// readers of log. Only connections from uid are served.
func ServeLive(path string, log *Log, uid int, logger *slog.Logger) (*LiveServer, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the live socket directory: %w", err)
	}
	// A directory made earlier, by hand or by another user, is set to
	// 0700 or rejected.
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return nil, fmt.Errorf("checking the live socket directory: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() {
		return nil, fmt.Errorf("the live socket directory %s is not a directory owned by uid %d; remove it and start the game again", dir, os.Geteuid())
	}
	if st.Mode&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("restricting the live socket directory %s: %w", dir, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("creating the live socket %s: %w", path, err)
	}
	// The directory is 0700, so the window before this chmod is closed to
	// other users.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("restricting the live socket %s: %w", path, err)
	}
	s := &LiveServer{path: path, log: log, ln: ln, uid: uid, logger: logger}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Path returns the socket's path.
func (s *LiveServer) Path() string { return s.path }

func (s *LiveServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.logger.Warn("live socket stopped accepting readers", "err", err, "path", s.path)
			}
			return
		}
		uid, err := peerUID(conn)
		if err != nil || uid != s.uid {
			s.logger.Warn("live socket: rejected a reader of another user", "peer_uid", uid, "err", err)
			conn.Close()
			continue
		}
		s.wg.Add(1)
		go s.serve(conn)
	}
}

func peerUID(conn *net.UnixConn) (int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var credErr error
	err = raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err == nil {
		err = credErr
	}
	if err != nil {
		return -1, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	return int(cred.Uid), nil
}

func (s *LiveServer) serve(conn *net.UnixConn) {
	defer s.wg.Done()
	defer conn.Close()
	sub, offset := s.log.Subscribe()
	defer s.log.Unsubscribe(sub)

	hello, _ := json.Marshal(Event{Time: time.Now().UTC(), Session: s.log.session, Kind: KindLiveHello,
		Path: s.log.Path(), Fields: map[string]any{"offset": offset}})
	if !s.write(conn, append(hello, '\n')) {
		return
	}
	for line := range sub.Lines() {
		if !s.write(conn, line) {
			return
		}
	}
	if sub.Overflowed() {
		notice, _ := json.Marshal(Event{Time: time.Now().UTC(), Session: s.log.session, Kind: KindLiveOverflow,
			Detail: "this reader fell behind the session; reconnect to read the log again"})
		s.write(conn, append(notice, '\n'))
	}
}

func (s *LiveServer) write(conn *net.UnixConn, line []byte) bool {
	conn.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
	if _, err := conn.Write(line); err != nil {
		return false
	}
	return true
}

// Close stops accepting readers and removes the socket. Call it after the
// Log has closed: it then waits up to liveDrainTimeout for the connected
// readers to receive the session's last lines.
func (s *LiveServer) Close() {
	s.once.Do(func() {
		s.ln.Close()
		os.Remove(s.path)
		done := make(chan struct{})
		go func() {
			s.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(liveDrainTimeout):
			s.logger.Warn("live socket: readers did not take the last events in time", "path", s.path)
		}
	})
}
