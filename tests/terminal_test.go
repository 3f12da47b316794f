package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
)

// openPTY allocates a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		skipf(t, "no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening pty slave: %v", err)
	}
	return m, s
}

// TestTerminalInjectionDenied runs the Linux helper with a real terminal as
// its standard streams and the wrapper's controlling terminal: TIOCSTI,
// plain and with high bits set in the command, must fail and push nothing
// into the terminal's input.
func TestTerminalInjectionDenied(t *testing.T) {
	e := needSandbox(t)
	master, slave := openPTY(t)
	defer master.Close()
	defer slave.Close()
	slaveFD := int(slave.Fd())
	raw, err := unix.IoctlGetTermios(slaveFD, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	raw.Lflag &^= unix.ICANON | unix.ECHO
	if err := unix.IoctlSetTermios(slaveFD, unix.TCSETS, raw); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "--game-id", "helper", "--game-dir", e.gameDir, "--", e.helper, "tiocsti")
	cmd.Env = e.environ()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	var out safeBuffer
	readDone := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				close(readDone)
				return
			}
		}
	}()
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	time.Sleep(300 * time.Millisecond)

	// Anything TIOCSTI pushed would now wait in the terminal's input
	// queue; raw mode makes every queued byte count, line or not.
	queued, qerr := unix.IoctlGetInt(slaveFD, unix.TIOCINQ)
	slave.Close()
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
	}
	master.Close()
	t.Logf("helper output:\n%s", out.String())

	if qerr != nil {
		t.Errorf("reading the terminal's input queue: %v", qerr)
	}
	if queued != 0 {
		t.Errorf("the terminal's input queue holds %d bytes pushed from inside the sandbox", queued)
	}
	for _, attempt := range []string{"plain", "highbits"} {
		if !strings.Contains(out.String(), "FAIL tiocsti "+attempt) {
			t.Errorf("TIOCSTI %s was not refused", attempt)
		}
	}
	if err != nil || code != 0 {
		t.Errorf("helper exit %d (%v): want 0, meaning every TIOCSTI attempt failed", code, err)
	}
}

// TestSIGINTStopsWholeTree interrupts a PE that started a child process and
// checks that the wrapper exits and nothing of the sandbox is left.
func TestSIGINTStopsWholeTree(t *testing.T) {
	e := needWine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "--", "wine", e.probeExe, "sleep", "600000")
	cmd.Env = e.environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	if !waitFor(30*time.Second, func() bool { return len(hostProcesses("sleep-child")) > 0 }) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the probe's child process never started\n%s", stderr.String())
	}

	interrupt(t, cmd)

	// The status is the target's own reaction to the signal (Wine turns
	// SIGINT into a console Ctrl-C event), so only its presence counts.
	if code := cmd.ProcessState.ExitCode(); code < 0 {
		t.Errorf("the wrapper did not exit normally after SIGINT: %v", cmd.ProcessState)
	}
	if left := hostProcesses("probe.exe"); len(left) > 0 {
		t.Errorf("processes left after SIGINT: %v", left)
	}
}

// TestClosedOutputPipeKeepsExitLogged stops a session whose stderr pipe
// was closed, as `winewarden run ... 2>&1 | tee log` is when Ctrl-C stops
// tee too, and checks that the wrapper still logs the exit.
func TestClosedOutputPipeKeepsExitLogged(t *testing.T) {
	e := needWine(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "run", "--game-id", "pipe", "--game-dir", e.gameDir, "--", "/bin/sleep", "600")
	cmd.Env = e.environ("WINEPREFIX=" + t.TempDir())
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	// Read stderr up to the line naming the session log, then close it.
	var logPath string
	lines := bufio.NewScanner(r)
	for logPath == "" && lines.Scan() {
		if _, after, ok := strings.Cut(lines.Text(), " log="); ok && strings.Contains(lines.Text(), "session started") {
			logPath = strings.Fields(after)[0]
		}
	}
	r.Close()
	if logPath == "" {
		t.Fatal("the wrapper never logged the session start")
	}
	e.waitRunning(t, "pipe")
	if !waitFor(30*time.Second, func() bool { return len(hostProcesses("/bin/sleep\x00600")) > 1 }) {
		t.Fatal("the game never started")
	}

	interrupt(t, cmd)
	if status := cmd.ProcessState.Sys().(syscall.WaitStatus); status.Signaled() {
		t.Errorf("the wrapper was killed by %v", status.Signal())
	}
	events, err := audit.Read(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(events); n == 0 || events[n-1].Kind != audit.KindExit {
		t.Errorf("the session log does not end with the exit: %d events", n)
	}
}

// TestSIGINTDuringPrefixCreation interrupts a first run while it creates
// the Wine prefix: the prefix is finished, the game does not start, and
// the session log ends with the exit.
func TestSIGINTDuringPrefixCreation(t *testing.T) {
	e := needWine(t)
	prefix := filepath.Join(t.TempDir(), "pfx")
	sessions := filepath.Join(e.home, ".local/state/winewarden/sessions")
	before := listDir(sessions)
	cmd := exec.Command(binary, "run", "--game-id", "interrupted", "--", "wine", e.probeExe, "write", `C:\started.txt`, "x")
	cmd.Env = e.environ("WINEPREFIX=" + prefix)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var logPath string
	if !waitFor(30*time.Second, func() bool {
		for name := range listDir(sessions) {
			if !before[name] {
				logPath = filepath.Join(sessions, name)
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no session log appeared\n%s", stderr.String())
	}
	interrupt(t, cmd)
	if status := cmd.ProcessState.Sys().(syscall.WaitStatus); status.Signaled() {
		t.Fatalf("the wrapper was killed by %v", status.Signal())
	}
	if !strings.Contains(stderr.String(), "before the game started") {
		t.Errorf("stderr does not say the game was not started:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(prefix, "system.reg")); err != nil {
		t.Errorf("the prefix was left half made: %v", err)
	}
	if _, err := os.Stat(filepath.Join(prefix, "drive_c/started.txt")); err == nil {
		t.Error("the game started after the interrupt")
	}
	events, err := audit.Read(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(events); n == 0 || events[n-1].Kind != audit.KindExit {
		t.Errorf("the session log does not end with the exit: %d events", n)
	}
}

// interrupt sends SIGINT to the wrapper and waits up to 30 s for it to exit.
func interrupt(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the wrapper did not exit within 30 s of SIGINT")
	}
}

func waitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// hostProcesses lists the pids of this user's processes whose command line
// contains needle.
func hostProcesses(needle string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// Processes of other users, such as a second test run on the
		// same machine, are not this test's.
		info, err := os.Stat("/proc/" + e.Name())
		if err != nil || info.Sys().(*syscall.Stat_t).Uid != uint32(os.Getuid()) {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cmdline, []byte(needle)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// safeBuffer is a bytes.Buffer for one writer goroutine and one reader.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestWrapperDeathKillsSandbox kills the wrapper with SIGKILL, which it
// cannot handle, and checks that nothing of the sandbox lives on.
func TestWrapperDeathKillsSandbox(t *testing.T) {
	e := needSandbox(t)
	// argv of the sleeps themselves, NUL-separated as in /proc/<pid>/cmdline,
	// so the wrapper's own command line never matches.
	first, second := "sleep\x00"+"13217\x00", "sleep\x00"+"23217\x00"
	cmd := exec.Command(binary, "run", "--game-id", "orphans", "--game-dir", e.gameDir, "--", "/bin/sh", "-c", "sleep 13217 & sleep 23217")
	cmd.Env = e.environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(20*time.Second, func() bool { return len(hostProcesses(first)) > 0 && len(hostProcesses(second)) > 0 }) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the sandboxed sleeps never started")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !waitFor(5*time.Second, func() bool { return len(hostProcesses(first))+len(hostProcesses(second)) == 0 }) {
		t.Errorf("sandboxed processes outlived the wrapper: %v %v", hostProcesses(first), hostProcesses(second))
	}
}

// TestUnwritableLogStopsSandbox limits the wrapper's file size with
// RLIMIT_FSIZE, so the session log cannot grow, and opens decoys: the
// sandbox must stop (or never start) instead of running unwatched.
func TestUnwritableLogStopsSandbox(t *testing.T) {
	e := needSandbox(t)
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		skipf(t, "prlimit not found: install util-linux")
	}
	// A clean run's log size lets the second limit fit the start events
	// and the layers but not the decoy events, so the running sandbox is
	// the one that has to stop.
	clean := e.run(t, []string{"run", "--game-id", "fulldisk", "--game-dir", e.gameDir, "--", "/bin/true"})
	size := 0
	for _, ev := range clean.events {
		if ev.Kind != "exit" {
			data, _ := json.Marshal(ev)
			size += len(data) + 1
		}
	}
	script := "cat ~/.ssh/id_rsa ~/.ssh/id_ed25519 ~/.mozilla/firefox/profiles.ini ~/.config/google-chrome/Default/Cookies " +
		"~/.config/chromium/Default/Cookies ~/.gnupg/private-keys-v1.d/decoy.key >/dev/null; sleep 30"
	for _, limit := range []int{1024, size + 200} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		start := time.Now()
		cmd := exec.CommandContext(ctx, prlimit, "--fsize="+strconv.Itoa(limit), binary, "run", "--game-id", "fulldisk",
			"--game-dir", e.gameDir, "--", "/bin/sh", "-c", script)
		cmd.Env = e.environ()
		out, _ := cmd.CombinedOutput()
		cancel()
		t.Logf("limit %d bytes:\n%s", limit, out)
		if cmd.ProcessState.ExitCode() == 0 {
			t.Errorf("limit %d: the run succeeded although its session log could not be written", limit)
		}
		if !strings.Contains(string(out), "cannot be written") {
			t.Errorf("limit %d: no message about the session log", limit)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("limit %d: the sandbox kept running for %v after its log broke", limit, took)
		}
	}
}
