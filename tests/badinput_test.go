package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

func TestMissingCommand(t *testing.T) {
	e := needSandbox(t)
	for _, args := range [][]string{{"run"}, {"run", "--"}} {
		r := e.run(t, args)
		if r.code != 2 || !strings.Contains(r.stderr, "missing command") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and \"missing command\"", args, r.code, r.stderr)
		}
	}
}

func TestNonexistentExe(t *testing.T) {
	e := needSandbox(t)
	missing := filepath.Join(e.root, "nowhere", "game.exe")
	r := e.run(t, []string{"run", "--", "wine", missing})
	if r.code != 125 || !strings.Contains(r.stderr, missing) || !strings.Contains(r.stderr, "not found") {
		t.Errorf("exit %d, stderr %q; want 125 naming the missing file", r.code, r.stderr)
	}
	if len(r.events) != 0 {
		t.Errorf("a session was started for a missing .exe")
	}
}

func TestInvalidConfigNamesLineAndKey(t *testing.T) {
	e := needSandbox(t)
	dir := filepath.Join(e.root, "badconfig")
	cfg := filepath.Join(dir, "winewarden", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	cases := []struct {
		content string
		want    []string
	}{
		{"[process]\nmax_child_processes = 5\nmax_childs = 3\n", []string{"config.toml:3", "process.max_childs"}},
		{"[winewarden]\nenabled = \"yes\"\n", []string{"config.toml:2", "winewarden.enabled"}},
	}
	for _, c := range cases {
		os.WriteFile(cfg, []byte(c.content), 0o600)
		r := e.run(t, []string{"run", "--", "wine", e.probeExe, "exit", "0"}, "XDG_CONFIG_HOME="+dir)
		if r.code != 125 {
			t.Errorf("config %q: exit %d, want 125", c.content, r.code)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("config %q: error does not name %q:\n%s", c.content, w, r.stderr)
			}
		}
	}

	os.WriteFile(cfg, []byte("[network]\nmode = \"observe\"\n"), 0o600)
	if err := os.Chmod(cfg, 0); err != nil {
		t.Fatal(err)
	}
	r := e.run(t, []string{"run", "--", "wine", e.probeExe, "exit", "0"}, "XDG_CONFIG_HOME="+dir)
	if r.code != 125 || !strings.Contains(r.stderr, cfg) {
		t.Errorf("unreadable config: exit %d, stderr %q; want 125 naming the file", r.code, r.stderr)
	}
}

func TestPrefixOfAnotherUser(t *testing.T) {
	e := needSandbox(t)
	r := e.run(t, []string{"run", "--", "wine", e.probeExe, "exit", "0"}, "WINEPREFIX=/usr/local")
	if r.code != 125 || !strings.Contains(r.stderr, "belongs to uid 0") {
		t.Errorf("exit %d, stderr %q; want 125 and an ownership error", r.code, r.stderr)
	}
	if len(r.events) != 0 {
		t.Errorf("a session was started in another user's prefix")
	}
}

// TestPlantedSymlinkNeutralized plants, in a game's virtual home, a link
// from ~/.ssh to the real ~/.ssh, as a game could have done in an earlier
// session. The wrapper must not follow it when it plants decoys, and the
// game must not reach the real key through it.
func TestPlantedSymlinkNeutralized(t *testing.T) {
	e := needWine(t)
	virtual := filepath.Join(e.home, ".local/share/winewarden/virtual/planted/home")
	os.MkdirAll(virtual, 0o700)
	realSSH := filepath.Join(e.home, ".ssh")
	if err := os.Symlink(realSSH, filepath.Join(virtual, ".ssh")); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, filepath.Join(realSSH, "id_rsa"))

	r := e.probe(t, []string{"--game-id", "planted", "--game-dir", e.gameDir}, "read", winPath(filepath.Join(e.home, ".ssh", "id_rsa")))
	assertNoSecret(t, e, r)
	if after := readFile(t, filepath.Join(realSSH, "id_rsa")); after != before {
		t.Errorf("the real ~/.ssh/id_rsa changed: %q", after)
	}
	entries, _ := os.ReadDir(realSSH)
	if len(entries) != 1 {
		t.Errorf("files appeared in the real ~/.ssh: %v", entries)
	}
	found := false
	for _, ev := range r.events {
		if ev.Kind == audit.KindDenial && ev.Rule == "planted_symlink" && ev.Decision == audit.DecisionNeutralized {
			found = true
		}
	}
	if !found {
		t.Errorf("no planted_symlink event in the session log")
	}
	if info, err := os.Lstat(filepath.Join(virtual, ".ssh")); err != nil || info.Mode()&os.ModeSymlink != 0 {
		t.Errorf("virtual ~/.ssh is still a symlink (err=%v)", err)
	}
}

// TestUnsafeDirectoriesRejected: an install dir or prefix whose bind mount
// would show the real home, the host's /proc or the runtime dir (with the
// D-Bus socket) stops the launch before anything runs.
func TestUnsafeDirectoriesRejected(t *testing.T) {
	e := needSandbox(t)
	cases := []struct {
		args []string
		env  []string
	}{
		{args: []string{"--game-dir", "/proc"}},
		{args: []string{"--game-dir", "/"}},
		{args: []string{"--game-dir", e.home}},
		{args: []string{"--game-dir", filepath.Join(e.home, ".ssh")}},
		{args: []string{"--game-dir", e.runtime}},
		{env: []string{"WINEPREFIX=" + e.runtime}},
		{env: []string{"WINEPREFIX=" + e.home}},
		{args: []string{"--game-dir", filepath.Join(e.home, ".local")}},
		{args: []string{"--game-dir", filepath.Join(e.home, ".local/share/winewarden/virtual")}},
		{env: []string{"WINEPREFIX=" + filepath.Join(e.home, ".local/share/winewarden/virtual/other/home")}},
		{args: []string{"--game-dir", "/var"}},
	}
	for _, c := range cases {
		argv := append(append([]string{"run", "--game-id", "unsafe"}, c.args...), "--", e.helper, "exit", "0")
		r := e.run(t, argv, c.env...)
		if r.code != 125 {
			t.Errorf("%v %v: exit %d, want 125", c.args, c.env, r.code)
		}
		if len(r.events) != 0 {
			t.Errorf("%v %v: a session was started", c.args, c.env)
		}
	}
}

func TestExeOutsideGameDir(t *testing.T) {
	e := needSandbox(t)
	other := filepath.Join(e.root, "elsewhere")
	os.MkdirAll(other, 0o755)
	r := e.run(t, []string{"run", "--game-dir", other, "--", "wine", e.probeExe, "exit", "0"})
	if r.code != 125 || !strings.Contains(r.stderr, "not inside the game directory") {
		t.Errorf("exit %d, stderr %q; want 125 and a message about the game directory", r.code, r.stderr)
	}
}

// TestUpdatedExeKeepsEarlierSavesFindable: a changed .exe gets a new game
// id, and the session log names the id that contains the earlier saves.
func TestUpdatedExeKeepsEarlierSavesFindable(t *testing.T) {
	e := needWine(t)
	dir := filepath.Join(e.root, "games", "updated")
	os.MkdirAll(dir, 0o755)
	exe := filepath.Join(dir, "probe.exe")
	data, err := os.ReadFile(e.probeExe)
	if err != nil {
		t.Fatal(err)
	}
	// Bytes after the last section do not change how the PE runs.
	os.WriteFile(exe, append(data, []byte("patch 1.1")...), 0o755)
	if r := e.probe(t, nil, "exit", "0"); r.code != 0 {
		t.Fatalf("original .exe did not run: %d", r.code)
	}

	r := e.run(t, []string{"run", "--", "wine", exe, "exit", "0"})
	if r.code != 0 {
		t.Fatalf("updated .exe did not run: %d", r.code)
	}
	found := false
	for _, ev := range r.events {
		if ev.Kind == audit.KindWarning && ev.Rule == "game_id" && strings.Contains(ev.Detail, "--game-id probe-") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning naming the earlier game id in the session log")
	}
}

// TestSecondSessionOnPrefixRejected: two wineservers on one prefix lose
// registry changes, so a second session on a busy prefix must not start.
func TestSecondSessionOnPrefixRejected(t *testing.T) {
	e := needSandbox(t)
	first := exec.Command(binary, "run", "--game-id", "busy", "--game-dir", e.gameDir, "--", "/bin/sh", "-c", "sleep 20")
	first.Env = e.environ()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		first.Process.Signal(syscall.SIGTERM)
		first.Wait()
	}()
	if !waitFor(10*time.Second, func() bool { return len(hostProcesses("sleep\x0020\x00")) > 0 }) {
		t.Fatalf("the first session never started")
	}
	r := e.run(t, []string{"run", "--game-id", "busy", "--game-dir", e.gameDir, "--", "/bin/true"})
	if r.code != 125 || !strings.Contains(r.stderr, "another WineWarden session") {
		t.Errorf("exit %d, stderr %q; want 125 and a busy-prefix message", r.code, r.stderr)
	}
}
