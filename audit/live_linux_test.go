//go:build linux

package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func startLive(t *testing.T, uid int) (*Log, *LiveServer) {
	t.Helper()
	dir := t.TempDir()
	log, err := Create(dir, "live-session")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ServeLive(filepath.Join(dir, "run", "live-session.sock"), log, uid, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return log, srv
}

func dial(t *testing.T, srv *LiveServer) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("unix", srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, bufio.NewReader(conn)
}

func readEvent(t *testing.T, r *bufio.Reader) Event {
	t.Helper()
	line, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading the live socket: %v", err)
	}
	var e Event
	if err := json.Unmarshal(line, &e); err != nil {
		t.Fatalf("live line %q: %v", line, err)
	}
	return e
}

func TestLiveReadersSeeEveryEventOnce(t *testing.T) {
	log, srv := startLive(t, os.Getuid())
	for i := range 5 {
		log.Emit(Event{Kind: KindWarning, Detail: "before " + string(rune('a'+i))})
	}
	_, first := dial(t, srv)
	_, second := dial(t, srv)
	hellos := []Event{readEvent(t, first), readEvent(t, second)}
	for i := range 5 {
		log.Emit(Event{Kind: KindWarning, Detail: "after " + string(rune('a'+i))})
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	srv.Close()

	file, err := os.ReadFile(log.Path())
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []*bufio.Reader{first, second} {
		hello := hellos[i]
		offset, _ := fieldNumber(hello.Fields, "offset")
		if hello.Kind != KindLiveHello || hello.Path != log.Path() {
			t.Fatalf("reader %d: first line %+v", i, hello)
		}
		rest, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := append(append([]byte{}, file[:int(offset)]...), rest...); !bytes.Equal(got, file) {
			t.Errorf("reader %d: log up to offset %d plus the socket's lines differ from the log:\n%s\nwant\n%s", i, int(offset), got, file)
		}
	}
	if _, err := os.Stat(srv.Path()); err == nil {
		t.Error("the socket file remains after Close")
	}
}

func TestLiveSlowReaderDoesNotBlock(t *testing.T) {
	log, srv := startLive(t, os.Getuid())
	defer srv.Close()
	slow, slowReader := dial(t, srv)
	readEvent(t, slowReader)
	_, fast := dial(t, srv)
	readEvent(t, fast)

	// The fast reader drains; the slow one reads nothing until the end.
	// Events go out in batches smaller than a subscription's buffer, each
	// after the fast reader has received the one before, so only the slow
	// reader can fall behind.
	const batches, batch = 25, 2000
	received := make(chan int, batches*batch)
	go func() {
		for {
			line, err := fast.ReadBytes('\n')
			if err != nil {
				close(received)
				return
			}
			if !bytes.Contains(line, []byte(KindLiveOverflow)) {
				received <- 1
			}
		}
	}()
	got := 0
	for range batches {
		emitted := make(chan struct{})
		go func() {
			for range batch {
				log.Emit(Event{Kind: KindWarning, Detail: strings.Repeat("x", 200)})
			}
			close(emitted)
		}()
		select {
		case <-emitted:
		case <-time.After(60 * time.Second):
			t.Fatal("Emit waited for a reader that does not read")
		}
		for want := got + batch; got < want; got++ {
			select {
			case <-received:
			case <-time.After(60 * time.Second):
				t.Fatalf("the fast reader got %d of %d events", got, want)
			}
		}
	}
	log.Close()
	// The slow reader was cut off: it ends before the session's events do,
	// with the overflow notice unless its last write already timed out.
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	data, err := io.ReadAll(slow)
	if err != nil {
		t.Fatalf("the slow reader's connection did not end: %v", err)
	}
	if n := bytes.Count(data, []byte("\n")); n >= batches*batch {
		t.Errorf("the slow reader got %d lines, all of the session's %d events", n, batches*batch)
	}
	if !bytes.Contains(data, []byte(KindLiveOverflow)) {
		t.Logf("no overflow notice: the reader's last write timed out first (%d bytes read)", len(data))
	}
}

func TestLiveRejectsOtherUsers(t *testing.T) {
	log, srv := startLive(t, os.Getuid()+1)
	defer log.Close()
	defer srv.Close()
	conn, r := dial(t, srv)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := r.ReadBytes('\n'); err == nil {
		t.Errorf("a reader of another uid got %q", line)
	}
	info, err := os.Stat(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", info.Mode().Perm())
	}
}

func TestLiveSocketDirectoryIsPrivate(t *testing.T) {
	dir := t.TempDir()
	log, err := Create(dir, "live-session")
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, err := ServeLive(filepath.Join(run, "s.sock"), log, os.Getuid(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for path, want := range map[string]os.FileMode{run: 0o700, srv.Path(): 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", path, got, want)
		}
	}

	// A symlink in place of the directory is rejected.
	link := filepath.Join(dir, "link")
	if err := os.Symlink(run, link); err != nil {
		t.Fatal(err)
	}
	if srv, err := ServeLive(filepath.Join(link, "t.sock"), log, os.Getuid(), slog.New(slog.DiscardHandler)); err == nil {
		srv.Close()
		t.Error("a symlinked socket directory was accepted")
	}
}
