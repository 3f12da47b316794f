package main

// The benchmarks of the seccomp supervisor. A notified syscall (execve,
// fork, connect, a send with a destination) stops the calling thread until
// the supervisor in the wrapper process has sent its response. These
// benchmarks measure that round trip and how many notifications the
// supervisor handles per second. They also measure its CPU time while the
// game is idle, its memory under a flood of events, and how long a program
// swapped in during an exec can run before the post-exec check kills it.
// The test program is testdata/elf/stress.c.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/winewarden/winewarden/audit"
)

const (
	// highRateConfig is a config.toml that raises the connection rate limit
	// for benchmarks that connect more often than the default of 1000 per
	// second allows.
	highRateConfig = "[network]\nconnection_rate_limit = 1000000\n"
	// connectCount is the number of connects per run of the connect
	// benchmark.
	connectCount = 2000
	// floodAttempts is the number of connects per connect-flood run.
	floodAttempts = 100000
	// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
	clockTicks = 100
	// idleSettle is how long the idle benchmark lets Wine start before it
	// reads the wrapper's CPU time, and idleWindow how long it measures.
	idleSettle = 8 * time.Second
	idleWindow = 10 * time.Second
	// floodEvery is the interval of the RSS samples during the event flood.
	floodEvery = 5 * time.Second
)

// supervisorBenchmarks runs the benchmarks below, except the event flood,
// which takes longest and runs last.
func (b *bench) supervisorBenchmarks(connectRuns int) []string {
	fmt.Fprintln(os.Stderr, "bench: supervised connect")
	sections := []string{b.connectBenchmark(connectRuns)}
	fmt.Fprintln(os.Stderr, "bench: supervisor throughput")
	sections = append(sections, b.throughputBenchmark())
	fmt.Fprintln(os.Stderr, "bench: supervisor CPU while idle")
	sections = append(sections, b.idleBenchmark())
	fmt.Fprintln(os.Stderr, "bench: exec check window")
	return append(sections, b.execWindowBenchmark())
}

// listenLoopback opens a TCP listener on 127.0.0.1, the only address the
// benchmarks connect to, that accepts every connection and closes it. It
// returns the port and a function that closes the listener.
func listenLoopback() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				// Accept fails for a while when file descriptors run
				// out, for example. The connection waits in the
				// backlog until the next try.
				time.Sleep(10 * time.Millisecond)
				continue
			}
			conn.Close()
		}
	}()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), func() { ln.Close() }, nil
}

// loopbackSetup opens a listener on 127.0.0.1 and, unless config is empty,
// writes config.toml. cleanup undoes both. failure describes what went
// wrong, for the section text.
func (b *bench) loopbackSetup(config string) (port string, cleanup func(), failure string) {
	port, stop, err := listenLoopback()
	if err != nil {
		return "", nil, "Opening the listener failed: " + markdownCell(err.Error())
	}
	if config == "" {
		return port, stop, ""
	}
	removeConfig, err := b.writeConfig(config)
	if err != nil {
		stop()
		return "", nil, "Writing config.toml failed: " + markdownCell(err.Error())
	}
	return port, func() { removeConfig(); stop() }, ""
}

// steadyTiers gives the red tier the yellow tier's profile. The benchmarks'
// connects to raw loopback addresses are network anomalies, which lower the
// benchmark game's trust score into the red tier, and red's offline network
// would make the later network benchmarks fail. The trust engine still
// reads and writes the game's state in every run, so its cost is measured.
const steadyTiers = `
[tiers.red]
network_mode = "observe"
max_child_processes = 50
filesystem = "standard"
`

// writeConfig writes config.toml, with steadyTiers added, into the
// throwaway XDG_CONFIG_HOME, where every winewarden run reads it. The
// returned function puts back the config that has only steadyTiers.
func (b *bench) writeConfig(content string) (func(), error) {
	path := filepath.Join(b.home, ".config", "winewarden", "config.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(content+steadyTiers), 0o600); err != nil {
		return nil, err
	}
	return func() { os.WriteFile(path, []byte(steadyTiers), 0o600) }, nil
}

// inGame returns the winewarden command line that runs argv in the sandbox
// of the benchmark game.
func (b *bench) inGame(gameID string, argv ...string) []string {
	return b.sandboxed(append([]string{"--game-id", gameID, "--game-dir", b.game, "--"}, argv...)...)
}

var connectTimeLine = regexp.MustCompile(`OK connect-time n=(\d+) median_ns=(\d+) p90_ns=(\d+) failed=(\d+)`)

func (b *bench) connectBenchmark(runs int) string {
	const title = "Supervised syscall: connect to loopback"
	const goalText = "Goal: a notified syscall adds at most 30 µs at the median over a bare run."
	port, cleanup, failure := b.loopbackSetup(highRateConfig)
	if failure != "" {
		return section(title, goalText, "not measured", failure, "")
	}
	defer cleanup()

	connect := []string{filepath.Join(b.game, "stress"), "connect-time", "127.0.0.1", port, strconv.Itoa(connectCount)}
	env := b.env()
	variants := []*variant{
		{label: "bare", env: env, argv: connect},
		{label: "winewarden run", wrapper: true, env: env, argv: b.inGame("bench", connect...)},
		{label: "bwrap --share-net", env: env, argv: b.bwrap([]string{"--share-net"}, connect...)},
		{label: "firejail --noprofile --private", env: env,
			argv: append([]string{"firejail", "--quiet", "--noprofile", "--private"}, connect...)},
	}
	table, medians, p90s := b.timedCalls(variants, runs, connectTimeLine, connectCount)
	var t strings.Builder
	t.WriteString(table)
	bare, ww := variants[0], variants[1]
	goal := "not judged: winewarden or the bare run did not run"
	if bare.failure == "" && ww.failure == "" {
		added := median(medians[ww]) - median(medians[bare])
		goal = verdict(added <= 30*time.Microsecond, fmt.Sprintf("winewarden adds %s at the median", us(added)))
		fmt.Fprintf(&t, "\nAdded by winewarden (winewarden − bare): %s at the median, %s at the p90.\n", us(added),
			us(median(p90s[ww])-median(p90s[bare])))
	}
	return section(title, goalText, goal,
		fmt.Sprintf("`stress connect-time 127.0.0.1 PORT %d` (testdata/elf/stress.c) makes %d blocking TCP connects "+
			"one after the other to a listener that the benchmark opens on 127.0.0.1 and that accepts and closes "+
			"each connection. It times only the connect() call with CLOCK_MONOTONIC and prints the median and "+
			"p90 of its times. In the sandbox each connect is a seccomp user notification. The thread waits "+
			"until the supervisor has read the destination and sent its response, and the supervisor then "+
			"logs a network event. winewarden ran `winewarden run --game-id bench --game-dir DIR -- DIR/stress ...` "+
			"with `[network] connection_rate_limit = 1000000` in config.toml, because %d connects exceed the "+
			"default limit of 1000 per second. bwrap and firejail ran as in the start benchmark, bwrap with "+
			"--share-net as well, because --unshare-all alone gives it a network namespace without the "+
			"listener. Neither uses seccomp user notification, so they show what the namespaces alone cost. %d measured runs per "+
			"variant after 2 warm-up runs, variants alternating. The table gives the median over the runs of "+
			"each run's median and of each run's p90.", connectCount, connectCount, connectCount, runs),
		t.String())
}

var floodLine = regexp.MustCompile(
	`OK connect-flood attempts=(\d+) ok=(\d+) refused=(\d+) eagain=(\d+) other=(\d+) elapsed_ns=(\d+)`)

// floodRun is one run of stress connect-flood.
type floodRun struct {
	label   string
	argv    []string
	wrapper bool

	failure                          string
	attempts, ok, refused, elapsedNS int64
	// From the session log of a winewarden run.
	logged        bool
	network       int64 // network events for the listener
	dropEvents    int64 // events_dropped events
	notifications int64 // fields.notifications of the supervisor summary
	cpuMS         int64 // fields.wrapper_cpu_ms of the exit event
}

// capacity is the number of notifications the wrapper handles per second
// of its own CPU time: what the supervisor keeps up with on one core. The
// wrapper's CPU time also covers its start and the session log, so this
// errs low.
func (r *floodRun) capacity() float64 {
	if r.cpuMS <= 0 {
		return 0
	}
	return float64(r.notifications) * 1000 / float64(r.cpuMS)
}

func (r *floodRun) perSecond() float64 { return float64(r.attempts) * 1e9 / float64(r.elapsedNS) }

func (b *bench) throughputBenchmark() string {
	const title = "Supervisor throughput"
	const goalText = "Goal: at least 20,000 notifications per second on one core without losing events."
	port, cleanup, failure := b.loopbackSetup(highRateConfig)
	if failure != "" {
		return section(title, goalText, "not measured", failure, "")
	}
	defer cleanup()

	target := "127.0.0.1:" + port
	flood := []string{filepath.Join(b.game, "stress"), "connect-flood", "127.0.0.1", port, strconv.Itoa(floodAttempts)}
	oneCore := []string{"taskset", "-c", "0"}
	runs := []*floodRun{
		{label: "winewarden run", argv: b.inGame("bench", flood...), wrapper: true},
		{label: "taskset -c 0 winewarden run", argv: slices.Concat(oneCore, b.inGame("bench", flood...)), wrapper: true},
		{label: "bare (reference)", argv: flood},
		{label: "taskset -c 0 bare (reference)", argv: slices.Concat(oneCore, flood)},
	}
	env := b.env()
	for _, r := range runs {
		if _, err := exec.LookPath(r.argv[0]); err != nil {
			r.failure = fmt.Sprintf("not installed (%s not on PATH)", r.argv[0])
			continue
		}
		result, err := runOnce(r.argv, env)
		if err != nil {
			r.failure = err.Error()
			continue
		}
		m := floodLine.FindSubmatch(result.stdout)
		if m == nil {
			r.failure = fmt.Sprintf("no connect-flood line in the output: %q", firstLines(string(result.stdout), 1))
			continue
		}
		r.attempts, r.ok, r.refused, r.elapsedNS = parseInt(m[1]), parseInt(m[2]), parseInt(m[3]), parseInt(m[6])
		if !r.wrapper {
			continue
		}
		path := sessionLogPath(result.stderr)
		if path == "" {
			r.failure = "the wrapper named no session log"
			continue
		}
		_, err = countSessionLog(path, func(e audit.Event) {
			switch {
			case e.Kind == audit.KindNetwork && e.Target == target:
				r.network++
			case e.Kind == audit.KindEventsDropped:
				r.dropEvents++
			case e.Kind == audit.KindLayer && e.Detail == "supervisor summary":
				n, _ := e.Fields["notifications"].(float64)
				r.notifications = int64(n)
			case e.Kind == audit.KindExit:
				ms, _ := e.Fields["wrapper_cpu_ms"].(float64)
				r.cpuMS = int64(ms)
			}
		})
		if err != nil {
			r.failure = err.Error()
			continue
		}
		r.logged = true
	}

	var t strings.Builder
	t.WriteString("| run | connects per second | attempts | ok | refused | network events for the listener | " +
		"events_dropped events | notifications (supervisor summary) | wrapper CPU time | notifications per CPU second |\n" +
		"|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		if r.failure != "" {
			fmt.Fprintf(&t, "| %s | %s | | | | | | | | |\n", r.label, markdownCell(r.failure))
			continue
		}
		logged := "| | | | |"
		if r.logged {
			logged = fmt.Sprintf("%d | %d | %d | %d ms | %.0f |", r.network, r.dropEvents, r.notifications, r.cpuMS, r.capacity())
		}
		fmt.Fprintf(&t, "| %s | %.0f | %d | %d | %d | %s\n", r.label, r.perSecond(), r.attempts, r.ok, r.refused, logged)
	}
	goal := "not judged: the run on one core did not complete"
	if one := runs[1]; one.failure == "" && one.logged {
		goal = verdict(one.capacity() >= 20000 && one.network == one.ok && one.dropEvents == 0,
			fmt.Sprintf("%.0f notifications per second of the wrapper's CPU time, %.0f connects per second observed on one core, "+
				"%d of %d allowed connects logged, %d events_dropped events",
				one.capacity(), one.perSecond(), one.network, one.ok, one.dropEvents))
	}
	for i, label := range []string{"Without taskset", "Under taskset -c 0"} {
		ww, bare := runs[i], runs[i+2]
		if ww.failure == "" && bare.failure == "" {
			fmt.Fprintf(&t, "\n%s, a supervised connect took %.1f µs on average and a bare one %.1f µs.\n",
				label, 1e6/ww.perSecond(), 1e6/bare.perSecond())
		}
	}
	return section(title, goalText, goal,
		fmt.Sprintf("`stress connect-flood 127.0.0.1 PORT %d` (testdata/elf/stress.c) opens a non-blocking TCP "+
			"socket, connects it to a listener that the benchmark opens on 127.0.0.1, and closes it, %d times "+
			"as fast as it can. It times the loop with CLOCK_MONOTONIC. Every connect is one notification, so "+
			"notifications per second = attempts × 10⁹ / elapsed_ns. winewarden ran with "+
			"`[network] connection_rate_limit = 1000000`, once as is and once with the whole command under "+
			"`taskset -c 0`, which puts the program and the supervisor on one core. Nothing is lost when the "+
			"session log contains one network event for the listener per allowed connect and no events_dropped "+
			"event. The bare runs are references, not part of the goal: they show how fast the same loop "+
			"connects without a sandbox. On one core that loop tops out below 20,000 connects per second even "+
			"without a sandbox, so the observed rate cannot show where the supervisor's limit lies. The verdict "+
			"therefore uses the supervisor's cost: notifications divided by the wrapper's CPU time "+
			"(fields.wrapper_cpu_ms of the exit event, user plus system, which also covers the wrapper's start "+
			"and the session log), the rate one core of supervisor work sustains. One run each.", floodAttempts, floodAttempts),
		t.String())
}

func (b *bench) idleBenchmark() string {
	const title = "Supervisor CPU while idle"
	const goalText = "Goal: the wrapper uses under 0.5% of one core while Wine idles in the sandbox."
	wine := findTool("wine", "/usr/lib/wine/wine64")
	env := b.env("WINEPREFIX=" + filepath.Join(b.work, "prefix"))
	// The first Wine run creates the prefix, unless the Wine benchmark has.
	if _, err := runOnce(b.sandboxed("--", wine, filepath.Join(b.game, "hello", "hello.exe")), env); err != nil {
		return section(title, goalText, "not measured",
			"Creating the Wine prefix in the sandbox failed: "+markdownCell(err.Error()), "")
	}

	sleep := findTool("sleep", "/usr/bin/sleep")
	rows := []struct {
		label string
		argv  []string
	}{
		{"winewarden run -- wine probe.exe sleep 20000", b.sandboxed("--", wine, filepath.Join(b.game, "probe.exe"),
			"sleep", "20000")},
		{"winewarden run -- sleep 20", b.inGame("bench", sleep, "20")},
	}

	var t strings.Builder
	fmt.Fprintf(&t, "| command | wrapper CPU time from %.0f s to %.0f s | share of one core |\n|---|---|---|\n",
		idleSettle.Seconds(), (idleSettle + idleWindow).Seconds())
	goal := "not judged: the Wine run failed"
	for i, row := range rows {
		cpu, wall, err := idleCPU(row.argv, env)
		if err != nil {
			fmt.Fprintf(&t, "| %s | %s | |\n", row.label, markdownCell(err.Error()))
			continue
		}
		share := cpu.Seconds() / wall.Seconds() * 100
		fmt.Fprintf(&t, "| %s | %s | %.2f%% |\n", row.label, ms(cpu), share)
		if i == 0 {
			goal = verdict(share < 0.5, fmt.Sprintf("%.2f%% of one core with Wine", share))
		}
	}

	return section(title, goalText, goal,
		fmt.Sprintf("`winewarden run -- wine probe.exe sleep 20000` (testdata/pe/probe.c) starts a Windows child "+
			"that sleeps 20 s and sleeps as long itself, in the prefix of the Wine benchmark, which an untimed "+
			"run creates if it does not exist yet. The benchmark lets Wine settle for %.0f s after starting the "+
			"wrapper. It then reads utime + stime of the wrapper process from /proc/PID/stat, and again %.0f s "+
			"later. These count the winewarden process that the benchmark started with the supervisor's "+
			"threads, but not the sandboxed programs. The share is the difference over the time between the two reads. The unit is the clock "+
			"tick (USER_HZ %d), so the resolution is 10 ms, 0.1%% of the %.0f s. The second row is a sandboxed `sleep "+
			"20` without Wine, which separates the supervisor's own cost from handling Wine's supervised calls. "+
			"One run each.", idleSettle.Seconds(), idleWindow.Seconds(), clockTicks, idleWindow.Seconds()),
		t.String())
}

// idleCPU starts argv, waits idleSettle, and returns the CPU time that the
// started process used over the following idleWindow and the wall time
// between the two reads. It then waits for the command to end.
func idleCPU(argv, env []string) (cpu, wall time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	pid := cmd.Process.Pid
	time.Sleep(idleSettle)
	before, err := readCPUTime(pid)
	from := time.Now()
	if err == nil {
		time.Sleep(idleWindow)
		var after time.Duration
		after, err = readCPUTime(pid)
		cpu, wall = after-before, time.Since(from)
	}
	if waitErr := cmd.Wait(); waitErr != nil {
		return 0, 0, fmt.Errorf("%v: %s", waitErr, firstLines(stderr.String(), 2))
	}
	return cpu, wall, err
}

// readCPUTime returns utime + stime from /proc/<pid>/stat, which covers all
// threads of the process but not its children.
func readCPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may contain spaces, so the fields are
	// split after the closing parenthesis. They start with the state, field 3
	// in proc(5).
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat has %d fields after the name", pid, len(fields))
	}
	if fields[0] == "Z" {
		return 0, fmt.Errorf("process %d exited before the measurement ended", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// countSessionLog passes each event of a session log to each and returns
// the number of events. It decodes one line at a time, so that a log of a
// million events does not have to fit in memory.
func countSessionLog(path string, each func(audit.Event)) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 0, 64*1024), audit.MaxLineSize)
	events := 0
	for scanner.Scan() {
		line := scanner.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e audit.Event
		if err := json.Unmarshal(line, &e); err != nil {
			return events, fmt.Errorf("session log %s, event %d: %v", path, events+1, err)
		}
		events++
		each(e)
	}
	if err := scanner.Err(); err != nil {
		return events, fmt.Errorf("session log %s: %v", path, err)
	}
	return events, nil
}

// parseInt parses a number that a regular expression matched as \d+.
func parseInt(digits []byte) int64 {
	n, _ := strconv.ParseInt(string(digits), 10, 64)
	return n
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1000) }

func formatKiB(n int64) string { return fmt.Sprintf("%d KiB (%.1f MiB)", n, float64(n)/1024) }

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// copyFile copies a program, keeping it executable.
func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}
