package tests

import (
	binenc "encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// withConfig writes a config.toml into a directory of its own and returns
// the environment that points winewarden at it. Content without a [network]
// table gets the test resolver's.
func withConfig(t *testing.T, content string) []string {
	t.Helper()
	if !strings.Contains(content, "[network]") {
		content += "\n" + testNetworkTable()
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	if err := os.MkdirAll(filepath.Join(dir, "winewarden"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "winewarden", "config.toml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"XDG_CONFIG_HOME=" + dir}
}

// stressRun runs the Linux stress program in the sandbox.
func (e *env) stressRun(t *testing.T, gameID string, extraEnv []string, args ...string) result {
	t.Helper()
	argv := append([]string{"run", "--game-id", gameID, "--game-dir", e.gameDir, "--", e.stress}, args...)
	return e.run(t, argv, extraEnv...)
}

func eventsOf(r result, kind string) []audit.Event {
	var out []audit.Event
	for _, ev := range r.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func fieldString(ev audit.Event, key string) string {
	s, _ := ev.Fields[key].(string)
	return s
}

func fieldNumber(ev audit.Event, key string) float64 {
	n, _ := ev.Fields[key].(float64)
	return n
}

func chainOf(ev audit.Event) []string {
	var out []string
	list, _ := ev.Fields["chain"].([]any)
	for _, item := range list {
		s, _ := item.(string)
		out = append(out, s)
	}
	return out
}

func chainHas(ev audit.Event, suffix string) bool {
	for _, c := range chainOf(ev) {
		if strings.HasSuffix(strings.ToLower(c), strings.ToLower(suffix)) {
			return true
		}
	}
	return false
}

// acceptAndClose opens a TCP listener on 127.0.0.1 that accepts and closes
// every connection until the test ends, and returns its port.
func acceptAndClose(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// programStart returns the first process event whose image ends with name.
func programStart(r result, decision, name string) (audit.Event, bool) {
	for _, ev := range eventsOf(r, audit.KindProcess) {
		if ev.Decision == decision && strings.HasSuffix(strings.ToLower(ev.Image), strings.ToLower(name)) {
			return ev, true
		}
	}
	return audit.Event{}, false
}

func TestCreateProcessEventsNameImages(t *testing.T) {
	e := needWine(t)

	r := e.probe(t, []string{"--game-id", "procs"}, "exec", "hello.exe")
	if !strings.Contains(r.stdout, "hello from Windows") || r.code != 0 {
		t.Fatalf("CreateProcess of a second .exe: exit %d, output:\n%s", r.code, r.stdout)
	}
	ev, ok := programStart(r, audit.DecisionAllow, "hello.exe")
	if !ok {
		t.Fatalf("no allowed process event names hello.exe")
	}
	if !chainHas(ev, "probe.exe") {
		t.Errorf("hello.exe's chain %q does not contain probe.exe", chainOf(ev))
	}

	// cmd.exe is a shell: denied by default, with the images named.
	r = e.probe(t, []string{"--game-id", "procs"}, "exec", "cmd", "/c", "exit", "3")
	if !strings.Contains(r.stdout, "FAIL exec") {
		t.Errorf("cmd.exe started under the default policy:\n%s", r.stdout)
	}
	ev, ok = programStart(r, audit.DecisionDeny, "cmd")
	if !ok {
		t.Fatalf("no denied process event names cmd")
	}
	if ev.Rule != "process.allow_shell_execution" {
		t.Errorf("cmd.exe denied by rule %q, want process.allow_shell_execution", ev.Rule)
	}
	if !chainHas(ev, "probe.exe") {
		t.Errorf("cmd.exe's chain %q does not contain probe.exe", chainOf(ev))
	}

	// Allowed by config, cmd.exe runs and its exit code comes back.
	r = e.run(t, []string{"run", "--game-id", "procs", "--", "wine", e.probeExe, "exec", "cmd", "/c", "exit", "3"},
		withConfig(t, "[process]\nallow_shell_execution = true\n")...)
	if !strings.Contains(r.stdout, "OK exit 3") {
		t.Errorf("cmd.exe with allow_shell_execution = true:\n%s", r.stdout)
	}
	if _, ok := programStart(r, audit.DecisionAllow, "cmd"); !ok {
		t.Errorf("no allowed process event names cmd with allow_shell_execution = true")
	}
}

func TestStartUnixShellPolicy(t *testing.T) {
	e := needWine(t)
	shellRun := func(gameID string, extraEnv []string) (result, string) {
		marker := filepath.Join(e.home, "shell-marker")
		r := e.run(t, []string{"run", "--game-id", gameID, "--game-dir", e.gameDir, "--",
			"wine", "start", "/unix", "/bin/sh", "-c", "echo ran > " + marker}, extraEnv...)
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("the shell wrote into the real home: %s", marker)
		}
		return r, filepath.Join(e.home, ".local/share/winewarden/virtual", gameID, "home", "shell-marker")
	}

	r, virtualMarker := shellRun("startunix-blocked", nil)
	ev, ok := programStart(r, audit.DecisionDeny, "/bin/sh")
	if !ok {
		t.Fatalf("start /unix /bin/sh: no denied process event")
	}
	if ev.Rule != "process.allow_shell_execution" || !chainHas(ev, "start.exe") {
		t.Errorf("denial: rule %q, chain %q; want process.allow_shell_execution below start.exe", ev.Rule, chainOf(ev))
	}
	if _, err := os.Stat(virtualMarker); err == nil {
		t.Errorf("the blocked shell ran: %s exists", virtualMarker)
	}

	r, virtualMarker = shellRun("startunix-allowed", withConfig(t, "[process]\nallow_shell_execution = true\n"))
	if _, ok := programStart(r, audit.DecisionAllow, "/bin/sh"); !ok {
		t.Errorf("start /unix /bin/sh with allow_shell_execution = true: no allowed process event")
	}
	if got := readFile(t, virtualMarker); got != "ran\n" {
		t.Errorf("the allowed shell wrote %q into the virtual home, want \"ran\\n\"", got)
	}
}

func TestBlockedPatternDenied(t *testing.T) {
	e := needWine(t)
	r := e.run(t, []string{"run", "--game-id", "procs", "--", "wine", e.probeExe, "exec", "hello.exe"},
		withConfig(t, "[process]\nblocked_patterns = [\"HELLO.*\"]\n")...)
	if strings.Contains(r.stdout, "hello from Windows") || !strings.Contains(r.stdout, "FAIL exec") {
		t.Errorf("a blocked .exe started:\n%s", r.stdout)
	}
	ev, ok := programStart(r, audit.DecisionDeny, "hello.exe")
	if !ok {
		t.Fatalf("no denied process event names hello.exe")
	}
	if ev.Rule != "process.blocked_patterns" || !strings.Contains(ev.Detail, "HELLO.*") {
		t.Errorf("denial: rule %q, detail %q; want process.blocked_patterns naming HELLO.*", ev.Rule, ev.Detail)
	}
}

// A fresh prefix runs wineboot, services.exe and explorer.exe: all of them
// must start, and nothing may be denied or killed.
func TestWineStartupUnaffected(t *testing.T) {
	e := needWine(t)
	prefix := filepath.Join(e.root, "fresh-prefix")
	r := e.run(t, []string{"run", "--game-id", "fresh", "--", "wine", e.probeExe, "exit", "0"}, "WINEPREFIX="+prefix)
	if r.code != 0 {
		t.Fatalf("probe.exe in a fresh prefix: exit %d\n%s", r.code, r.stderr)
	}
	for _, image := range []string{"wineboot.exe", "services.exe", "explorer.exe", "probe.exe"} {
		if _, ok := programStart(r, audit.DecisionAllow, image); !ok {
			t.Errorf("no allowed process event for %s", image)
		}
	}
	for _, ev := range r.events {
		if ev.Decision == audit.DecisionDeny || ev.Kind == audit.KindPolicyRace {
			t.Errorf("unexpected %s event: %s %s %s", ev.Kind, ev.Image, ev.Rule, ev.Detail)
		}
	}
}

var forkbombLine = regexp.MustCompile(`OK forkbomb started=(\d+) eagain=(\d+) other=(\d+)`)

func TestForkBombContained(t *testing.T) {
	e := needSandbox(t)
	done := make(chan result, 1)
	go func() { done <- e.stressRun(t, "forkbomb", nil, "forkbomb", "500", "3000") }()

	// While the bomb holds its processes, the host still starts programs.
	time.Sleep(time.Second)
	host := exec.Command("/bin/true")
	if err := host.Run(); err != nil {
		t.Errorf("starting a host program during the fork bomb: %v", err)
	}

	r := <-done
	m := forkbombLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no forkbomb summary in the output:\n%s", r.stdout)
	}
	started, _ := strconv.Atoi(m[1])
	eagain, _ := strconv.Atoi(m[2])
	// The stress program itself is one of the 50.
	if started+1 > 50 {
		t.Errorf("%d processes ran at once, over the limit of 50", started+1)
	}
	if eagain == 0 || started+eagain != 500 {
		t.Errorf("forks: %d started, %d refused with EAGAIN, want the rest of 500 refused", started, eagain)
	}
	limits := eventsOf(r, audit.KindProcessLimit)
	if len(limits) == 0 {
		t.Fatalf("no process_limit event")
	}
	refused := 0
	for _, ev := range limits {
		if ev.Rule != "process.max_child_processes" || ev.Decision != audit.DecisionDeny {
			t.Errorf("process_limit event: rule %q, decision %q", ev.Rule, ev.Decision)
		}
		if n := fieldNumber(ev, "refused"); n > 0 {
			refused += int(n)
		} else {
			refused++
		}
	}
	if refused != eagain {
		t.Errorf("process_limit events count %d refusals, the program saw %d", refused, eagain)
	}
}

var raceLine = regexp.MustCompile(`OK exec-race rounds=(\d+) exited=(\d+) killed=(\d+)`)

// TestExecRaceKilled swaps the path of an allowed exec for a blocked
// program while the supervisor checks it. Every blocked program that got
// to run must have been killed within the check interval the supervisor
// measured for it.
func TestExecRaceKilled(t *testing.T) {
	e := needSandbox(t)
	const gameID = "exec-race"
	records := filepath.Join(e.home, "race")
	hostRecords := filepath.Join(e.home, ".local/share/winewarden/virtual", gameID, "home", "race")
	os.RemoveAll(hostRecords)
	if err := os.MkdirAll(hostRecords, 0o700); err != nil {
		t.Fatal(err)
	}
	r := e.stressRun(t, gameID, withConfig(t, "[process]\nblocked_patterns = [\"blocked-*\"]\n"),
		"exec-race", filepath.Join(e.gameDir, "allowed-tool"), filepath.Join(e.gameDir, "blocked-tool"), "300", "20", records)
	m := raceLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no exec-race summary in the output:\n%s", r.stdout)
	}

	windows := map[int]float64{}
	for _, ev := range eventsOf(r, audit.KindPolicyRace) {
		// A program that exits at once (an allowed one started with a
		// swapped argv) can be gone before the kill.
		if ev.Decision != audit.DecisionKilled && fieldString(ev, "kill") != "already exited" {
			t.Errorf("policy race not killed: %s", ev.Detail)
		}
		windows[ev.PID] = fieldNumber(ev, "window_us")
	}
	if len(windows) == 0 {
		t.Fatalf("300 rounds produced no policy race; the race never happened:\n%s", r.stdout)
	}

	entries, err := os.ReadDir(hostRecords)
	if err != nil {
		t.Fatalf("reading the run records: %v", err)
	}
	blockedRan, maxRun := 0, 0.0
	for _, entry := range entries {
		name := entry.Name()
		if !strings.HasPrefix(name, "blocked-tool-") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(hostRecords, name))
		if err != nil || len(data) < 16 {
			continue // killed before its first record
		}
		pid, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "blocked-tool-"), ".alive"))
		ranUS := float64(binenc.LittleEndian.Uint64(data[8:])-binenc.LittleEndian.Uint64(data[:8])) / 1000
		blockedRan++
		maxRun = max(maxRun, ranUS)
		window, ok := windows[pid]
		if !ok {
			t.Errorf("blocked program (pid %d) ran %.0f µs with no policy race event", pid, ranUS)
			continue
		}
		if ranUS > window {
			t.Errorf("blocked program (pid %d) ran %.0f µs, longer than its check interval of %.0f µs", pid, ranUS, window)
		}
	}
	t.Logf("%d policy races, %d blocked programs got to run, the longest for %.0f µs", len(windows), blockedRan, maxRun)
}

var floodLine = regexp.MustCompile(`OK connect-flood attempts=(\d+) ok=(\d+) refused=(\d+)`)

func TestConnectFloodRateLimited(t *testing.T) {
	e := needSandbox(t)
	port := acceptAndClose(t)

	// A limit well below what even a slow machine connects per second, so
	// the flood exceeds it everywhere.
	const limit = 200
	start := time.Now()
	r := e.stressRun(t, "flood", withConfig(t, fmt.Sprintf("[network]\nconnection_rate_limit = %d\n", limit)),
		"connect-flood", "127.0.0.1", port, "3000")
	seconds := time.Since(start).Seconds()
	m := floodLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no connect-flood summary in the output:\n%s", r.stdout)
	}
	ok, _ := strconv.Atoi(m[2])
	refused, _ := strconv.Atoi(m[3])
	if refused == 0 {
		t.Fatalf("3000 connects: none refused, the rate limit of %d per second never hit (%.1f s)", limit, seconds)
	}
	if maxOK := limit * (int(seconds) + 2); ok > maxOK {
		t.Errorf("%d connects went through in %.1f s, more than %d per second", ok, seconds, limit)
	}

	summed := 0
	limits := eventsOf(r, audit.KindRateLimit)
	for _, ev := range limits {
		summed += int(fieldNumber(ev, "refused"))
	}
	if summed != refused {
		t.Errorf("rate_limit events sum up %d refusals, the program saw %d", summed, refused)
	}
	if len(limits) > int(seconds)+2 {
		t.Errorf("%d rate_limit events in %.1f s, want at most one per second", len(limits), seconds)
	}
	connects := 0
	for _, ev := range eventsOf(r, audit.KindNetwork) {
		if ev.Target == "127.0.0.1:"+port && fieldString(ev, "protocol") == "tcp" {
			connects++
		}
	}
	if connects != ok {
		t.Errorf("%d network events for 127.0.0.1:%s, want one per allowed connect (%d)", connects, port, ok)
	}
}

func TestNetworkDestinationsLogged(t *testing.T) {
	e := needSandbox(t)
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	port := strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port)
	script := fmt.Sprintf("%[1]s udp-send sendto 127.0.0.1 %[2]s; %[1]s udp-send sendmsg 127.0.0.1 %[2]s; "+
		"%[1]s udp-send sendmmsg 127.0.0.1 %[2]s; %[3]s connect-abstract /tmp/.X11-unix/X0; %[3]s connect-unix /run/user/1000/bus; true",
		e.stress, port, e.helper)
	r := e.run(t, []string{"run", "--game-id", "netlog", "--game-dir", e.gameDir, "--", "/bin/sh", "-c", script})

	want := map[string]bool{
		"sendto 127.0.0.1:" + port:   false,
		"sendmsg 127.0.0.1:" + port:  false,
		"sendmmsg 127.0.0.1:" + port: false,
		"connect @/tmp/.X11-unix/X0": false,
		"connect /run/user/1000/bus": false,
	}
	for _, ev := range eventsOf(r, audit.KindNetwork) {
		key := fieldString(ev, "syscall") + " " + ev.Target
		if _, ok := want[key]; ok {
			want[key] = true
			if strings.HasPrefix(key, "send") && fieldString(ev, "protocol") != "udp" {
				t.Errorf("%s: protocol %q, want udp", key, fieldString(ev, "protocol"))
			}
		}
	}
	for key, seen := range want {
		if !seen {
			t.Errorf("no network event for %s", key)
		}
	}
}

// A program copied into a memfd is writable memory, which Landlock's
// execute rule does not cover; the supervisor must refuse to run it.
func TestMemfdExecDenied(t *testing.T) {
	e := needSandbox(t)
	r := e.helperRun(t, nil, "memfd-exec", "/usr/bin/true")
	if !strings.Contains(r.stdout, "FAIL memfd-exec errno=13") {
		t.Errorf("a program ran from a memfd: exit %d, output:\n%s", r.code, r.stdout)
	}
	denied := false
	for _, ev := range eventsOf(r, audit.KindProcess) {
		if ev.Decision == audit.DecisionDeny && ev.Rule == "read_only_programs" {
			denied = true
		}
	}
	if !denied {
		t.Errorf("no process event denies the memfd exec with rule read_only_programs")
	}
}

// Raw int 0x80 code reaches connect through the i386 ABI, directly and
// through socketcall(2); both must be seen like the x86_64 call.
func TestI386ConnectLogged(t *testing.T) {
	e := needSandbox(t)
	port := acceptAndClose(t)
	r := e.helperRun(t, nil, "connect-i386", "127.0.0.1", port)
	for _, form := range []string{"direct", "socketcall"} {
		if !strings.Contains(r.stdout, "RESULT connect "+form+" ok") {
			t.Errorf("i386 connect (%s) failed in the sandbox:\n%s", form, r.stdout)
		}
	}
	logged := 0
	for _, ev := range eventsOf(r, audit.KindNetwork) {
		if ev.Target == "127.0.0.1:"+port && fieldString(ev, "abi") == "i386" && fieldString(ev, "protocol") == "tcp" {
			logged++
		}
	}
	if logged != 2 {
		t.Errorf("%d i386 network events for 127.0.0.1:%s, want 2 (direct and socketcall)", logged, port)
	}
}

func TestSupervisorDeathEndsSandbox(t *testing.T) {
	e := needSandbox(t)
	// A process blocked in a supervised syscall, and one that is not.
	marker := "sleep\x00" + "31337\x00"
	cmd := exec.Command(binary, "run", "--game-id", "supervisor-death", "--game-dir", e.gameDir, "--",
		"/bin/sh", "-c", "sleep 31337 & "+e.stress+" forkbomb 3 600000")
	cmd.Env = e.environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stressArgv := e.stress + "\x00forkbomb\x00"
	if !waitFor(20*time.Second, func() bool { return len(hostProcesses(marker)) > 0 && len(hostProcesses(stressArgv)) >= 4 }) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the sandboxed processes never started")
	}
	// The supervisor runs in the wrapper process: SIGKILL it there.
	cmd.Process.Kill()
	killed := time.Now()
	cmd.Wait()
	if !waitFor(time.Second, func() bool { return len(hostProcesses(marker))+len(hostProcesses(stressArgv)) == 0 }) {
		t.Errorf("sandboxed processes still ran 1 s after the supervisor was killed: %v %v",
			hostProcesses(marker), hostProcesses(stressArgv))
	}
	t.Logf("the sandbox was gone %v after the kill", time.Since(killed).Round(time.Millisecond))
}

func TestHostileExecArguments(t *testing.T) {
	e := needSandbox(t)
	cases := []struct {
		mode string
		// code is the program's exit status, errno the failure it prints.
		code  int
		errno string
		// decision of the supervisor's process event for /usr/bin/true.
		decision string
	}{
		{"many-args", 0, "", audit.DecisionAllow},
		{"non-utf8", 0, "", audit.DecisionAllow},
		{"unterminated-path", 1, "errno=36", audit.DecisionDeny},
		{"unterminated-arg", 1, "errno=14", audit.DecisionAllow},
		{"bad-pointer", 1, "errno=14", audit.DecisionDeny},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			r := e.stressRun(t, "hostile-exec", nil, "hostile-exec", c.mode, "/usr/bin/true")
			if r.code != c.code || !strings.Contains(r.stdout, c.errno) {
				t.Errorf("exit %d, output %q; want exit %d with %q", r.code, r.stdout, c.code, c.errno)
			}
			var found *audit.Event
			for _, ev := range eventsOf(r, audit.KindProcess) {
				if ev.Decision == c.decision && (c.decision == audit.DecisionDeny || ev.Path == "/usr/bin/true") {
					found = &ev
				}
			}
			if found == nil {
				t.Fatalf("no %s process event", c.decision)
			}
			switch c.mode {
			case "many-args":
				if truncated, _ := found.Fields["argv_truncated"].(bool); !truncated {
					t.Errorf("100,000 arguments: the event does not say the argv was cut")
				}
			case "non-utf8":
				argv, _ := found.Fields["argv"].([]any)
				if len(argv) != 3 || argv[1] != `\xff\xfe\xc3(` || argv[2] != `caf\xe9` {
					t.Errorf("non-UTF-8 argv logged as %q", argv)
				}
			}
		})
	}
	// The supervisor still serves the next session normally.
	r := e.stressRun(t, "hostile-exec", nil, "hostile-exec", "non-utf8", "/usr/bin/true")
	if r.code != 0 {
		t.Errorf("a normal run after the hostile ones: exit %d", r.code)
	}
}
