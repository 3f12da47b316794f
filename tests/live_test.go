package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

func TestLiveSocketStreamsSession(t *testing.T) {
	e := needWine(t)
	sockets := filepath.Join(e.runtime, "winewarden")
	before := listDir(sockets)
	cmd := e.startSleepingProbe(t, "live")
	var socket string
	found := waitFor(60*time.Second, func() bool {
		for name := range listDir(sockets) {
			if !before[name] && filepath.Ext(name) == ".sock" {
				socket = filepath.Join(sockets, name)
				return true
			}
		}
		return false
	})
	if !found {
		t.Fatalf("no live socket appeared in %s", sockets)
	}
	info, err := os.Stat(socket)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("live socket %s: %v, mode %v", socket, err, info.Mode().Perm())
	}
	conn, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	line, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var hello audit.Event
	if err := json.Unmarshal(line, &hello); err != nil || hello.Kind != audit.KindLiveHello {
		t.Fatalf("first line %q (%v)", line, err)
	}
	offset := int(hello.Fields["offset"].(float64))

	if !waitFor(60*time.Second, func() bool { return len(hostProcesses("sleep-child")) > 0 }) {
		t.Fatal("the probe's child process never started")
	}
	// Another sandbox cannot reach the socket, because its runtime
	// directory is a tmpfs of its own.
	other := e.run(t, []string{"run", "--game-id", "live-peer", "--game-dir", e.gameDir, "--", e.helper, "connect-unix", socket},
		"WINEPREFIX="+t.TempDir())
	if other.code == 0 {
		t.Errorf("a sandboxed program connected to the live socket:\n%s", other.stdout)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading the live socket to its end: %v", err)
	}
	log, err := os.ReadFile(hello.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(append([]byte{}, log[:offset]...), rest...), log) {
		t.Errorf("the log up to offset %d plus the live lines (%d bytes) differ from the final log (%d bytes)", offset, len(rest), len(log))
	}
	if !bytes.Contains(rest, []byte(`"kind":"exit"`)) || !bytes.Contains(rest, []byte(`"kind":"trust"`)) {
		t.Errorf("the live lines lack the session's end:\n%s", rest)
	}
	if _, err := os.Stat(socket); err == nil {
		t.Error("the live socket remains after the session")
	}
}
