package tests

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmux drives a terminal for the monitor on a tmux server of its own: the
// window of the session named target.
type tmux struct {
	t      *testing.T
	socket string
	target string
}

func (x tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (x tmux) screen() string {
	out, _ := exec.Command("tmux", "-L", x.socket, "capture-pane", "-p", "-t", x.target).CombinedOutput()
	return string(out)
}

// waitScreen waits until the screen contains every one of want.
func (x tmux) waitScreen(want ...string) string {
	x.t.Helper()
	var screen string
	ok := waitFor(60*time.Second, func() bool {
		screen = x.screen()
		for _, w := range want {
			if !strings.Contains(screen, w) {
				return false
			}
		}
		return true
	})
	if !ok {
		x.t.Fatalf("the monitor never showed %q; the screen is:\n%s", want, screen)
	}
	return screen
}

func TestMonitorFollowsRealSession(t *testing.T) {
	e := needWine(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		skipf(t, "tmux not found: install the tmux package")
	}
	x := tmux{t: t, socket: fmt.Sprintf("ww-monitor-%d", time.Now().UnixNano()), target: "mon"}
	t.Cleanup(func() { exec.Command("tmux", "-L", x.socket, "kill-server").Run() })

	// The monitor starts first, waits, and attaches when the game starts.
	command := "env -i " + strings.Join(e.environ("TERM=xterm-256color", "NO_COLOR=1"), " ") + " " + binary + " monitor"
	x.run("new-session", "-d", "-s", "mon", "-x", "100", "-y", "30", command)
	x.waitScreen("WAITING", "No session is running yet")

	cmd := e.startSleepingProbe(t, "monitor")
	x.waitScreen("LIVE", "monitor", "Tier")
	if !waitFor(60*time.Second, func() bool { return len(hostProcesses("sleep-child")) > 0 }) {
		t.Fatal("the probe's child process never started")
	}

	x.run("send-keys", "-t", "mon", "4")
	x.waitScreen("PROGRAM", "probe.exe")
	x.run("send-keys", "-t", "mon", "/", "q", "1", "x")
	x.waitScreen("filter: q1x_")
	// A terminal reads Escape and a key right after it as one Alt key, so
	// the test waits for the Escape to show before typing on.
	x.run("send-keys", "-t", "mon", "Escape")
	x.waitScreen("Tab/h/l screens")
	x.run("send-keys", "-t", "mon", "/", "probe", "Enter")
	screen := x.waitScreen("KIND", `filter "probe"`, "probe.exe")
	if strings.Contains(screen, "session_start") {
		t.Errorf("the filter let unrelated events through:\n%s", screen)
	}
	x.run("send-keys", "-t", "mon", "Escape")
	x.waitScreen("Tab/h/l screens")
	x.run("send-keys", "-t", "mon", "3")
	x.waitScreen("DOMAIN", "DNS queries")

	// With a second game running, a new monitor lets the user choose.
	second := exec.Command(binary, "run", "--game-id", "second", "--game-dir", e.gameDir, "--", "/bin/sleep", "600")
	second.Env = e.environ("WINEPREFIX=" + t.TempDir())
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		second.Process.Kill()
		second.Wait()
	})
	e.waitRunning(t, "second")
	pick := tmux{t: t, socket: x.socket, target: "pick"}
	pick.run("new-session", "-d", "-s", "pick", "-x", "80", "-y", "24", command)
	pick.waitScreen("2 sessions are running", "monitor", "second")
	// The newest session is selected; k selects the first game.
	pick.run("send-keys", "-t", "pick", "k", "Enter")
	pick.waitScreen("LIVE", "monitor", "Tier")
	pick.run("send-keys", "-t", "pick", "q")
	second.Process.Signal(syscall.SIGTERM)
	second.Wait()

	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	x.run("send-keys", "-t", "mon", "1")
	x.waitScreen("ENDED", "The session ended")
	x.run("send-keys", "-t", "mon", "q")
	if !waitFor(10*time.Second, func() bool {
		return exec.Command("tmux", "-L", x.socket, "has-session", "-t", "mon").Run() != nil
	}) {
		t.Errorf("q did not quit the monitor:\n%s", x.screen())
	}

	// The latest session, the second game's, replays from its log.
	replay := tmux{t: t, socket: x.socket, target: "replay"}
	replay.run("new-session", "-d", "-s", "replay", "-x", "80", "-y", "24", command+" --session last --speed 0")
	replay.waitScreen("ENDED", "second", "The session ended")
}
