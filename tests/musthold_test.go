package tests

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSavesPersistInVirtualHome(t *testing.T) {
	e := needWine(t)
	flags := []string{"--game-id", "saves-test", "--game-dir", e.gameDir}
	r := e.probe(t, flags, "save", "WardenQuest", "level-7")
	if r.code != 0 {
		t.Fatalf("save failed (%d):\n%s", r.code, r.stdout)
	}
	virtual := filepath.Join(e.home, ".local/share/winewarden/virtual/saves-test/home")
	save := filepath.Join(virtual, "Documents", "My Games", "WardenQuest", "save.txt")
	if got := readFile(t, save); !strings.Contains(got, "level-7") {
		t.Errorf("save in the virtual home holds %q", got)
	}
	if _, err := os.Lstat(filepath.Join(e.home, "Documents")); !os.IsNotExist(err) {
		t.Errorf("the real ~/Documents was touched (err=%v)", err)
	}

	r = e.probe(t, flags, "load", "WardenQuest")
	if r.code != 0 || strings.Count(r.stdout, "level-7") != 2 {
		t.Errorf("second run did not read both saves back (%d):\n%s", r.code, r.stdout)
	}
}

func TestThreadsSharedMemoryAndInstallDir(t *testing.T) {
	e := needWine(t)
	if r := e.probe(t, nil, "threads", "64"); r.code != 0 || !strings.Contains(r.stdout, "OK threads 64") {
		t.Errorf("64 threads failed (%d):\n%s", r.code, r.stdout)
	}
	if r := e.probe(t, nil, "shm"); r.code != 0 || !strings.Contains(r.stdout, "OK shm") {
		t.Errorf("shared memory between two processes failed (%d):\n%s", r.code, r.stdout)
	}
	r := e.probe(t, nil, "read", winPath(filepath.Join(e.gameDir, "data.txt")))
	if r.code != 0 || !strings.Contains(r.stdout, "GAME-DATA-42") {
		t.Errorf("reading a file from the install dir failed (%d):\n%s", r.code, r.stdout)
	}
	r = e.probe(t, nil, "write", winPath(filepath.Join(e.gameDir, "new.txt")), "x")
	if r.code == 0 {
		t.Errorf("writing into the read-only install dir succeeded")
	}
}

func TestLoopbackTCP(t *testing.T) {
	e := needWine(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('!')
		c.Write([]byte("pong"))
		got <- line
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	r := e.probe(t, nil, "tcp", "127.0.0.1", port, "ping!")
	if r.code != 0 || !strings.Contains(r.stdout, "pong") {
		t.Errorf("TCP to a loopback server failed (%d):\n%s", r.code, r.stdout)
	}
	select {
	case line := <-got:
		if line != "ping!" {
			t.Errorf("server received %q", line)
		}
	default:
		t.Errorf("the loopback server received nothing")
	}
}

func TestExitCodePassesThrough(t *testing.T) {
	e := needWine(t)
	if r := e.probe(t, nil, "exit", "42"); r.code != 42 {
		t.Errorf("exit status %d, want 42", r.code)
	}
	if r := e.helperRun(t, nil, "exit", "7"); r.code != 7 {
		t.Errorf("Linux helper exit status %d, want 7", r.code)
	}
}

// TestOfflineModeBlocksNetwork runs the TCP probe with --network offline
// against a host loopback server, which lives in another network namespace.
func TestOfflineModeBlocksNetwork(t *testing.T) {
	e := needWine(t)
	ln, accepted := listenAndWatch(t, "tcp4", "127.0.0.1:0")
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	r := e.probe(t, []string{"--network", "offline"}, "tcp", "127.0.0.1", port, "ping!")
	if r.code == 0 {
		t.Errorf("TCP from an offline sandbox succeeded:\n%s", r.stdout)
	}
	select {
	case <-accepted:
		t.Errorf("the host's loopback server accepted a connection from an offline sandbox")
	default:
	}
}
