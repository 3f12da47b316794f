package tests

import (
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// notificationServer replaces the desktop's notification daemon on a
// private session bus.
type notificationServer struct {
	mu    sync.Mutex
	calls []string
}

// Notify implements org.freedesktop.Notifications.Notify.
func (s *notificationServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, summary+"\n"+body)
	return uint32(len(s.calls)), nil
}

func (s *notificationServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// startSessionBus runs dbus-daemon on a socket of its own and registers a
// notification server on it. It returns the bus address.
func startSessionBus(t *testing.T) (string, *notificationServer) {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		skipf(t, "dbus-daemon not found: install the dbus-daemon package")
	}
	dir := t.TempDir()
	address := "unix:path=" + filepath.Join(dir, "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--address="+address)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var conn *dbus.Conn
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err = dbus.Connect(address)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connecting to the test bus: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { conn.Close() })
	server := &notificationServer{}
	if err := conn.Export(server, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("taking the notification name: %v %v", reply, err)
	}
	return address, server
}

func TestEmergencyNotification(t *testing.T) {
	e := needWine(t)
	address, server := startSessionBus(t)
	bus := "DBUS_SESSION_BUS_ADDRESS=" + address
	decoys := []string{winPath(filepath.Join(e.home, ".ssh", "id_rsa")), winPath(filepath.Join(e.home, ".gnupg", "private-keys-v1.d", "decoy.key"))}

	r := e.run(t, append([]string{"run", "--", "wine", e.probeExe, "read"}, decoys...), bus)
	if n := len(eventsOf(r, "sensitive_access")); n < 2 {
		t.Fatalf("%d sensitive_access events, want one per decoy", n)
	}
	calls := server.received()
	if len(calls) != 1 {
		t.Fatalf("%d notifications for two decoy reads in one session, want 1: %q", len(calls), calls)
	}
	if !strings.Contains(calls[0], "suspicious action by probe.exe") || !strings.Contains(calls[0], "decoy") {
		t.Errorf("notification text %q", calls[0])
	}

	// Turned off in the config: nothing is sent.
	r = e.run(t, []string{"run", "--", "wine", e.probeExe, "read", decoys[0]}, bus, withConfig(t, "[winewarden]\nnotifications = false\n")[0])
	if len(eventsOf(r, "sensitive_access")) == 0 {
		t.Fatal("no sensitive_access event")
	}
	if calls := server.received(); len(calls) != 1 {
		t.Errorf("notifications = false still sent %d more", len(calls)-1)
	}

	// A clean session sends nothing, and the game cannot reach the bus.
	r = e.run(t, []string{"run", "--", "wine", e.probeExe, "printenv", "DBUS_SESSION_BUS_ADDRESS"}, bus)
	if strings.Contains(r.stdout, address) {
		t.Errorf("the game sees the session bus address:\n%s", r.stdout)
	}
	if calls := server.received(); len(calls) != 1 {
		t.Errorf("a clean session sent a notification: %q", calls)
	}

	// emergency_only = false adds a summary when the session ends.
	e.run(t, []string{"run", "--", "wine", e.probeExe, "read", decoys[0]}, bus, withConfig(t, "[winewarden]\nemergency_only = false\n")[0])
	calls = server.received()
	if len(calls) != 3 || !strings.Contains(calls[2], "ended") || !strings.Contains(calls[2], "report --last") {
		t.Errorf("emergency_only = false: notifications %q, want an emergency and a summary", calls[1:])
	}
}
