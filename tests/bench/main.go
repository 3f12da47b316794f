// Command bench measures what WineWarden costs on this machine and writes the
// result to docs/benchmarks.md. `make bench` runs it after building
// bin/winewarden.
//
// The timing benchmarks compare WineWarden with bare execution, and the
// process start and loopback connect benchmarks also with bubblewrap and
// firejail.
// The benchmarks of the seccomp supervisor are in supervisor.go. They
// measure what a notified syscall costs and how many notifications the
// supervisor handles per second. They also measure its CPU time while the
// game is idle, its memory under a flood of events and how long a program
// swapped in during an exec can run. The variants run in one process,
// alternating round by round, so that a change in machine load hits every
// variant alike. Everything runs under a throwaway
// HOME and XDG directories in a temporary directory, which is removed at the
// end. The program records numbers and whether each goal was met. It does
// not fail when a goal is missed, only when it cannot measure at all. The
// measured programs connect only to listeners that it opens on 127.0.0.1.
//
// It assumes gcc, x86_64-w64-mingw32-gcc and Wine are installed (make deps),
// and taskset from util-linux. bubblewrap and firejail are optional
// (scripts/install-deps.sh --bench). A comparison tool that is missing or
// rejects the run gets its error text in the table in place of a number.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// runTimeout bounds a single run, so that a hung sandbox cannot stall the
// whole benchmark.
const runTimeout = 3 * time.Minute

func main() {
	bin := flag.String("bin", "bin/winewarden", "winewarden binary to measure")
	out := flag.String("out", "docs/benchmarks.md", "Markdown file to write")
	startRuns := flag.Int("start-runs", 30, "measured runs per variant of the start benchmark")
	wineRuns := flag.Int("wine-runs", 10, "measured runs per variant of the Wine benchmark")
	loopRuns := flag.Int("loop-runs", 7, "measured runs per variant of the getppid benchmark")
	loopCount := flag.Int("loop-count", 10_000_000, "getppid calls per run of the getppid benchmark")
	connectRuns := flag.Int("connect-runs", 15, "measured runs per variant of the loopback connect benchmark")
	networkRuns := flag.Int("network-runs", 10, "measured runs per variant of the DNS and restrict-mode connect benchmarks")
	flood := flag.Duration("flood", 10*time.Minute, "how long the event flood runs; 0 skips that benchmark")
	flag.Parse()

	o := options{startRuns: *startRuns, wineRuns: *wineRuns, loopRuns: *loopRuns, loopCount: *loopCount,
		connectRuns: *connectRuns, networkRuns: *networkRuns, flood: *flood}
	if err := run(*bin, *out, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options contains the run counts and durations set by the flags.
type options struct {
	startRuns, wineRuns, loopRuns, loopCount, connectRuns, networkRuns int
	flood                                                              time.Duration
}

func run(bin, out string, o options) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s not found: run 'make build' first", bin)
	}
	if _, err := os.Stat("testdata/pe/hello.c"); err != nil {
		return errors.New("testdata/pe/hello.c not found: run the benchmark from the repository root")
	}

	work, err := os.MkdirTemp("", "winewarden-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	b := &bench{bin: bin, work: work, game: filepath.Join(work, "game"), home: filepath.Join(work, "home")}
	if err := b.buildPrograms(); err != nil {
		return err
	}
	if _, err := b.writeConfig(""); err != nil {
		return fmt.Errorf("writing config.toml: %w", err)
	}

	machine := describeMachine()
	start := time.Now()
	fmt.Fprintln(os.Stderr, "bench: process start")
	sections := []string{b.startBenchmark(o.startRuns)}
	fmt.Fprintln(os.Stderr, "bench: Wine hello.exe")
	sections = append(sections, b.wineBenchmark(o.wineRuns))
	fmt.Fprintln(os.Stderr, "bench: getppid loop")
	sections = append(sections, b.loopBenchmark(o.loopRuns, o.loopCount))
	sections = append(sections, b.supervisorBenchmarks(o.connectRuns)...)
	sections = append(sections, b.networkBenchmarks(o.networkRuns)...)
	fmt.Fprintln(os.Stderr, "bench: monitor CPU")
	sections = append(sections, b.monitorBenchmark())
	sections = append(sections, b.rssSection())
	if o.flood > 0 {
		fmt.Fprintf(os.Stderr, "bench: event flood for %s\n", o.flood)
		sections = append(sections, b.floodBenchmark(o.flood))
	} else {
		fmt.Fprintln(os.Stderr, "bench: event flood skipped (-flood 0)")
	}
	machine = append(machine, [2]string{"load average at the end", loadAverage()},
		[2]string{"benchmark run time", time.Since(start).Round(time.Second).String()})

	doc := renderDoc(machine, sections)
	fmt.Print(doc)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, []byte(doc), 0o644)
}

// bench contains the paths of one benchmark run and what the wrapper's
// session logs reported.
type bench struct {
	bin  string // the winewarden binary
	work string // temporary directory, removed at the end
	game string // "install directory" with the test programs
	home string // throwaway HOME with the XDG directories inside

	startCost map[string]time.Duration // median of the start benchmark per variant
	rssKiB    map[string]float64       // maximum wrapper peak RSS per benchmark
}

func (b *bench) buildPrograms() error {
	if err := os.MkdirAll(filepath.Join(b.game, "hello"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(b.home, 0o700); err != nil {
		return err
	}
	builds := [][]string{
		{"gcc", "-O1", "-o", filepath.Join(b.game, "true"), "testdata/elf/true.c"},
		{"gcc", "-O1", "-o", filepath.Join(b.game, "helper"), "testdata/elf/helper.c"},
		{"gcc", "-O1", "-Wall", "-pthread", "-o", filepath.Join(b.game, "stress"), "testdata/elf/stress.c", "-lresolv"},
		{"x86_64-w64-mingw32-gcc", "-O1", "-o", filepath.Join(b.game, "hello", "hello.exe"), "testdata/pe/hello.c"},
		{"x86_64-w64-mingw32-gcc", "-O1", "-o", filepath.Join(b.game, "probe.exe"), "testdata/pe/probe.c",
			"-lws2_32", "-lshell32"},
	}
	for _, argv := range builds {
		output, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("building %s: %v: %s (run 'make deps')", buildSource(argv), err, bytes.TrimSpace(output))
		}
	}
	// Two names for the exec race: one allowed, one blocked by a pattern.
	for _, name := range []string{"allowed-tool", "blocked-tool"} {
		if err := copyFile(filepath.Join(b.game, "stress"), filepath.Join(b.game, name)); err != nil {
			return err
		}
	}
	return nil
}

// buildSource returns the source file of a compiler command line.
func buildSource(argv []string) string {
	for _, arg := range argv {
		if strings.HasSuffix(arg, ".c") {
			return arg
		}
	}
	return argv[len(argv)-1]
}

// env returns the environment of every measured command: the caller's
// without HOME, XDG_*, WINE*, the display and the D-Bus session bus, then the
// throwaway home and its XDG directories, then extra.
func (b *bench) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "HOME", name == "DISPLAY", name == "WAYLAND_DISPLAY", name == "DBUS_SESSION_BUS_ADDRESS",
			strings.HasPrefix(name, "XDG_"), strings.HasPrefix(name, "WINE"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+b.home,
		"XDG_CONFIG_HOME="+filepath.Join(b.home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(b.home, ".local", "share"),
		"XDG_STATE_HOME="+filepath.Join(b.home, ".local", "state"),
		"XDG_CACHE_HOME="+filepath.Join(b.home, ".cache"),
		"WINEDEBUG=-all",
		// Keeps wineboot from offering to download Mono and Gecko.
		"WINEDLLOVERRIDES=mscoree,mshtml=",
	)
	return append(env, extra...)
}

// sandboxed returns the winewarden command line that runs argv in the
// sandbox. --log-format json lets sessionLogPath find the session log.
func (b *bench) sandboxed(argv ...string) []string {
	return append([]string{b.bin, "run", "--log-format", "json"}, argv...)
}

// variant is one command line measured in a benchmark.
type variant struct {
	label string
	argv  []string
	env   []string
	// after runs untimed after each run, for cleanup the next run needs.
	after func()
	// wrapper marks a winewarden run, whose session log is read.
	wrapper bool
	// output, if set, reads the stdout of each measured run; an error
	// drops the variant like a failed run.
	output func(stdout []byte) error

	times   []time.Duration
	toExec  []time.Duration // launch until the layer events (wrapper runs only)
	rssKiB  float64
	failure string
}

// measure runs every variant warmups times unmeasured, then rounds times
// measured, one variant after the other within each round. A variant that
// fails once is dropped, and its error is kept for the table.
func measure(variants []*variant, warmups, rounds int) {
	for i := 0; i < warmups+rounds; i++ {
		for _, v := range variants {
			if v.failure != "" {
				continue
			}
			result, err := runOnce(v.argv, v.env)
			if v.after != nil {
				v.after()
			}
			if err != nil {
				v.failure = err.Error()
				continue
			}
			if v.wrapper {
				v.readSessionLog(result)
			}
			if i >= warmups {
				if v.output != nil {
					if err := v.output(result.stdout); err != nil {
						v.failure = err.Error()
						continue
					}
				}
				v.times = append(v.times, result.wall)
			}
		}
	}
}

type runResult struct {
	started time.Time
	wall    time.Duration
	stdout  []byte
	stderr  []byte
}

func runOnce(argv, env []string) (runResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	started := time.Now()
	err := cmd.Run()
	result := runResult{started: started, wall: time.Since(started), stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	if err != nil {
		return result, fmt.Errorf("%v: %s", err, firstLines(stderr.String(), 2))
	}
	return result, nil
}

// readSessionLog takes the peak RSS and the time the sandbox was set up from
// the session log that a wrapper run named on stderr.
func (v *variant) readSessionLog(result runResult) {
	path := sessionLogPath(result.stderr)
	if path == "" {
		return
	}
	events, err := audit.Read(path)
	if err != nil {
		return
	}
	var lastLayer time.Time
	for _, e := range events {
		switch e.Kind {
		case audit.KindLayer:
			lastLayer = e.Time
		case audit.KindExit:
			if rss, ok := e.Fields["wrapper_peak_rss_kib"].(float64); ok {
				v.rssKiB = math.Max(v.rssKiB, rss)
			}
		}
	}
	// The init stage reports its layers as soon as the target's execve
	// has succeeded, so this is launch until exec, by the host clock.
	if !lastLayer.IsZero() {
		v.toExec = append(v.toExec, lastLayer.Sub(result.started))
	}
}

// sessionLogPath finds the "session started" line of the wrapper's JSON log.
func sessionLogPath(stderr []byte) string {
	for _, line := range bytes.Split(stderr, []byte("\n")) {
		var record struct {
			Msg string `json:"msg"`
			Log string `json:"log"`
		}
		if json.Unmarshal(line, &record) == nil && record.Msg == "session started" {
			return record.Log
		}
	}
	return ""
}

func (b *bench) startBenchmark(runs int) string {
	trueBin := filepath.Join(b.game, "true")
	env := b.env()
	variants := []*variant{
		{label: "winewarden run", wrapper: true, env: env,
			argv: b.sandboxed("--game-id", "bench", "--game-dir", b.game, "--", trueBin)},
		{label: "bwrap", env: env, argv: b.bwrap(nil, trueBin)},
		{label: "firejail --noprofile --private", env: env,
			argv: []string{"firejail", "--quiet", "--noprofile", "--private", trueBin}},
		{label: "bare", env: env, argv: []string{trueBin}},
	}
	markMissing(variants)
	measure(variants, 3, runs)
	b.keepRSS("start", variants[0])
	b.startCost = map[string]time.Duration{}
	for _, v := range variants {
		if v.failure == "" {
			b.startCost[v.label] = median(v.times)
		}
	}

	ww, bw := variants[0], variants[1]
	var goal string
	switch {
	case ww.failure != "" || bw.failure != "":
		goal = "not judged: winewarden or bubblewrap did not run"
	default:
		limit := min(bw.median()*3/2, 50*time.Millisecond)
		goal = verdict(ww.median() <= limit, fmt.Sprintf("winewarden median %s, limit %s",
			ms(ww.median()), ms(limit)))
	}
	table := timeTable(variants, ms)
	if len(ww.toExec) > 0 {
		table += fmt.Sprintf("\nOf the winewarden run, launch until the sandbox reported its layers (right after the"+
			" target's execve succeeded) took a median of %s. The rest is the target, the teardown and the"+
			" session log.\n",
			ms(median(ww.toExec)))
	}
	return section("Sandbox start to exec",
		"Goal: winewarden's median at most 1.5 × bubblewrap's and below 50 ms.", goal,
		fmt.Sprintf("Wall time from starting the command until it exited, for a program that only returns 0 "+
			"(testdata/elf/true.c). %d measured runs per variant after 3 warm-up runs, variants alternating. "+
			"winewarden ran `winewarden run --game-id bench --game-dir DIR -- DIR/true`; bwrap unshared every "+
			"namespace and showed /usr, a new /proc, /dev and /tmp, an empty tmpfs home and DIR read-only; "+
			"firejail ran without a profile and with a private home.", runs), table)
}

// bwrap returns the bubblewrap command line of the start benchmark around
// argv, with extra options after --unshare-all.
func (b *bench) bwrap(extra []string, argv ...string) []string {
	cmd := append([]string{"bwrap", "--unshare-all"}, extra...)
	cmd = append(cmd, "--new-session", "--die-with-parent",
		"--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
		"--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--tmpfs", b.home, "--ro-bind", b.game, b.game)
	return append(cmd, argv...)
}

// markMissing fails the variants whose program is not installed.
func markMissing(variants []*variant) {
	for _, v := range variants {
		if _, err := exec.LookPath(v.argv[0]); err != nil {
			v.failure = fmt.Sprintf("not installed (%s not on PATH; scripts/install-deps.sh --bench installs it)", v.argv[0])
		}
	}
}

func (b *bench) wineBenchmark(runs int) string {
	wine := findTool("wine", "/usr/lib/wine/wine64")
	wineserver := findTool("wineserver", "/usr/lib/wine/wineserver")
	hello := filepath.Join(b.game, "hello", "hello.exe")
	env := b.env("WINEPREFIX=" + filepath.Join(b.work, "prefix"))
	waitServer := func() { runOnce([]string{wineserver, "-w"}, env) }

	// The first run creates the prefix inside the sandbox; both variants
	// then share it.
	setup := time.Now()
	if _, err := runOnce(b.sandboxed("--", wine, hello), env); err != nil {
		return section("Wine: hello.exe inside and outside the sandbox", "Goal: within 10%.",
			"not measured", "Creating the Wine prefix in the sandbox failed: "+markdownCell(err.Error()), "")
	}
	prefixTime := time.Since(setup)

	variants := []*variant{
		{label: "winewarden run -- wine hello.exe", wrapper: true, env: env, argv: b.sandboxed("--", wine, hello)},
		{label: "bare: wine hello.exe; wineserver -w", env: env, argv: []string{"/bin/sh", "-c", `"$1" "$2" && "$3" -w`, "sh", wine, hello, wineserver}},
		{label: "bare: wine hello.exe (until wine returns)", env: env, argv: []string{wine, hello}, after: waitServer},
	}
	measure(variants, 2, runs)
	b.keepRSS("wine", variants[0])

	goal := "not judged: a variant did not run"
	if variants[0].failure == "" && variants[1].failure == "" {
		ratio := float64(variants[0].median()) / float64(variants[1].median())
		goal = verdict(ratio <= 1.10, fmt.Sprintf("sandbox / bare = %.3f", ratio))
	}
	return section("Wine: hello.exe inside and outside the sandbox",
		"Goal: the sandboxed run's median within 10% of the bare run with wineserver shutdown.", goal,
		fmt.Sprintf("Wall time of `wine hello.exe` (testdata/pe/hello.c) with the same prefix (WINEPREFIX) in "+
			"both variants. %d measured runs per variant after 2 warm-up runs; creating the prefix took %s "+
			"and is not counted. Each run waits for its own completion. The sandboxed run includes the "+
			"wineserver shutdown, because WineWarden waits until every process in the sandbox has exited "+
			"and stops wineserver with SIGTERM once it is the last one. The bare run measured against the "+
			"goal therefore also waits for `wineserver -w`, which returns when wineserver exits on its "+
			"own after its persistence delay. The last row stops the clock when `wine` returns and "+
			"waits for wineserver outside the measurement.", runs, prefixTime.Round(100*time.Millisecond)),
		timeTable(variants, seconds))
}

func (b *bench) loopBenchmark(runs, count int) string {
	helper := filepath.Join(b.game, "helper")
	loop := []string{helper, "getppid-loop", fmt.Sprint(count)}
	env := b.env()
	variants := []*variant{
		{label: "winewarden run", wrapper: true, env: env,
			argv: b.sandboxed(append([]string{"--game-id", "bench", "--game-dir", b.game, "--"}, loop...)...)},
		{label: "bare", env: env, argv: loop},
		// References, not part of the goal: firejail with and without its
		// default seccomp filter shows what any filter costs per call.
		{label: "firejail --noprofile --seccomp", env: env,
			argv: append([]string{"firejail", "--quiet", "--noprofile", "--seccomp"}, loop...)},
		{label: "firejail --noprofile", env: env,
			argv: append([]string{"firejail", "--quiet", "--noprofile"}, loop...)},
	}
	measure(variants, 1, runs)
	b.keepRSS("getppid", variants[0])

	// Subtracting each variant's start cost leaves the time of the loop.
	startLabels := []string{"winewarden run", "bare"}
	var loopOnly [2]time.Duration
	known := true
	for i, v := range variants[:2] {
		cost, ok := b.startCost[startLabels[i]]
		if v.failure != "" || !ok {
			known = false
			continue
		}
		loopOnly[i] = v.median() - cost
	}
	table := timeTable(variants, ms)
	goal := "not judged: a variant or its start cost is missing"
	if known {
		ratio := float64(loopOnly[0]) / float64(loopOnly[1])
		goal = verdict(ratio <= 1.05, fmt.Sprintf("loop time sandbox / bare = %.3f", ratio))
		table += fmt.Sprintf("\nLoop time (median minus the median start cost of the same variant from the start "+
			"benchmark): winewarden %s, bare %s, %.1f ns per getppid call in the sandbox and %.1f ns bare.\n",
			ms(loopOnly[0]), ms(loopOnly[1]), float64(loopOnly[0].Nanoseconds())/float64(count),
			float64(loopOnly[1].Nanoseconds())/float64(count))
		table += "\nThe firejail rows are references: the difference between them is the cost of a " +
			"seccomp filter on every system call on this machine, whatever the filter contains.\n"
	}
	return section("getppid system call loop",
		"Goal: unnotified syscalls stay within 5% of a bare run: the loop time in the sandbox at most 1.05 × "+
			"the bare loop time.", goal,
		fmt.Sprintf("`helper getppid-loop %d` (testdata/elf/helper.c) calls getppid through syscall(2), so "+
			"every call enters the kernel and passes the sandbox's seccomp filter. %d measured runs per "+
			"variant after 1 warm-up run, variants alternating.", count, runs), table)
}

// keepRSS records the largest wrapper peak RSS a benchmark's session logs
// reported.
func (b *bench) keepRSS(name string, v *variant) {
	if b.rssKiB == nil {
		b.rssKiB = map[string]float64{}
	}
	if v.rssKiB > 0 {
		b.rssKiB[name] = v.rssKiB
	}
}

func (b *bench) rssSection() string {
	const limitKiB = 15 * 1024
	var rows strings.Builder
	rows.WriteString("| benchmark | max wrapper peak RSS |\n|---|---|\n")
	var largest float64
	for _, name := range []string{"start", "wine", "getppid"} {
		rss, ok := b.rssKiB[name]
		if !ok {
			fmt.Fprintf(&rows, "| %s | no session log read |\n", name)
			continue
		}
		largest = math.Max(largest, rss)
		fmt.Fprintf(&rows, "| %s | %.0f KiB (%.1f MiB) |\n", name, rss, rss/1024)
	}
	goal := "not judged: no session log was read"
	if largest > 0 {
		goal = verdict(largest < limitKiB, fmt.Sprintf("largest %.1f MiB", largest/1024))
	}
	return section("Wrapper peak RSS", "Goal: below 15 MiB.", goal,
		"The wrapper's own peak resident set size (getrusage ru_maxrss of the winewarden process, without the "+
			"sandboxed programs), taken from fields.wrapper_peak_rss_kib of the exit event in each session "+
			"log; the maximum over all runs of each benchmark.", rows.String())
}

func (v *variant) median() time.Duration { return median(v.times) }

func median(d []time.Duration) time.Duration { return percentile(d, 0.5) }

// percentile uses the nearest-rank method.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), d...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(rank, 0)]
}

func timeTable(variants []*variant, format func(time.Duration) string) string {
	var t strings.Builder
	t.WriteString("| variant | median | p90 | runs |\n|---|---|---|---|\n")
	for _, v := range variants {
		if v.failure != "" {
			fmt.Fprintf(&t, "| %s | %s | | %d |\n", v.label, markdownCell(v.failure), len(v.times))
			continue
		}
		fmt.Fprintf(&t, "| %s | %s | %s | %d |\n", v.label, format(v.median()), format(percentile(v.times, 0.9)),
			len(v.times))
	}
	return t.String()
}

func section(title, goal, result, method, table string) string {
	return fmt.Sprintf("## %s\n\n%s **Result: %s.**\n\n%s\n\n%s\n", title, goal, result, method, table)
}

func verdict(met bool, detail string) string {
	if met {
		return "met (" + detail + ")"
	}
	return "not met (" + detail + ")"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

func markdownCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// firstLines returns up to n non-empty lines of s, joined with " / ".
func firstLines(s string, n int) string {
	var lines []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && len(lines) < n {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, " / ")
}

func findTool(name, fallback string) string {
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	return fallback
}

// describeMachine returns the rows of the machine table.
func describeMachine() [][2]string {
	user := fmt.Sprintf("uid %d", os.Getuid())
	if os.Getuid() == 0 {
		user += " (root): the sandboxed commands ran as root as well; the integration tests run them as an unprivileged user"
	}
	return [][2]string{
		{"date", time.Now().UTC().Format("2006-01-02 15:04 UTC")},
		{"CPU", cpuModel()},
		{"logical CPUs", fmt.Sprint(runtime.NumCPU())},
		{"kernel", readTrimmed("/proc/sys/kernel/osrelease")},
		{"user", user},
		{"load average at the start", loadAverage()},
		{"Go", runtime.Version()},
		{"Wine", commandOutput(findTool("wine", "/usr/lib/wine/wine64"), "--version")},
		{"bubblewrap", commandOutput("bwrap", "--version")},
		{"firejail", commandOutput("firejail", "--version")},
		{"gcc", commandOutput("gcc", "--version")},
		{"x86_64-w64-mingw32-gcc", commandOutput("x86_64-w64-mingw32-gcc", "--version")},
		{"winewarden", sourceVersion()},
	}
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	fields := strings.Fields(readTrimmed("/proc/loadavg"))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}

func readTrimmed(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(data))
}

// commandOutput returns the first line of a version command's stdout, or why
// there is none.
func commandOutput(name string, args ...string) string {
	output, err := exec.Command(name, args...).Output()
	if line := firstLines(string(output), 1); line != "" {
		return line
	}
	if err != nil {
		return "not available (" + err.Error() + ")"
	}
	return "unknown"
}

// sourceVersion returns the git commit of the working tree, marked when the
// tree has uncommitted changes.
func sourceVersion() string {
	commit, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	version := "commit " + strings.TrimSpace(string(commit))
	if status, err := exec.Command("git", "status", "--porcelain").Output(); err == nil && len(status) > 0 {
		version += " with uncommitted changes"
	}
	return version
}

func renderDoc(machine [][2]string, sections []string) string {
	var doc strings.Builder
	doc.WriteString("# Benchmarks\n\n")
	doc.WriteString("Generated by `make bench` (tests/bench/main.go); rerun it to measure your own machine. " +
		"The numbers come from one run on the machine below, so other load on the machine shows in them; " +
		"the load averages give a hint.\n\n")
	doc.WriteString("Every winewarden run reads a config.toml whose `[tiers.red]` has the yellow tier's profile " +
		"(observe mode, standard filesystem, 50 processes). The connect benchmarks are network anomalies that lower " +
		"the benchmark game's trust score into the red tier, whose offline network would stop the later network " +
		"benchmarks. Each run still reads and writes the game's trust state.\n\n")
	doc.WriteString("## Machine\n\n| | |\n|---|---|\n")
	for _, row := range machine {
		fmt.Fprintf(&doc, "| %s | %s |\n", row[0], markdownCell(row[1]))
	}
	for _, s := range sections {
		doc.WriteString("\n" + s)
	}
	return doc.String()
}
