package main

// The memory benchmark: the wrapper's resident set size while a sandboxed
// program floods the supervisor with connection attempts.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// readRSS returns VmRSS of a process in KiB.
func readRSS(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if value, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS line, so the process has probably exited", pid)
}

// rssSample is one reading of the wrapper's resident set size.
type rssSample struct {
	at  time.Duration
	kib int64
}

func maxRSS(samples []rssSample) int64 {
	var largest int64
	for _, s := range samples {
		largest = max(largest, s.kib)
	}
	return largest
}

func (b *bench) floodBenchmark(duration time.Duration) string {
	const title = "Memory during an event flood"
	const goalText = "Goal: the wrapper's memory stays bounded during a flood of events."
	port, cleanup, failure := b.loopbackSetup("")
	if failure != "" {
		return section(title, goalText, "not measured", failure, "")
	}
	defer cleanup()

	script := `while :; do "$0" connect-flood 127.0.0.1 "$1" ` + strconv.Itoa(floodAttempts) + ` >/dev/null; done`
	argv := b.inGame("bench", "/bin/sh", "-c", script, filepath.Join(b.game, "stress"), port)
	rec, err := sampleWrapper(argv, b.env(), duration)
	if err != nil {
		return section(title, goalText, "not measured", capitalize(markdownCell(err.Error()))+".", "")
	}

	samples := rec.samples
	var t strings.Builder
	t.WriteString("| | |\n|---|---|\n")
	var firstMinute []rssSample
	for _, s := range samples {
		if s.at <= time.Minute {
			firstMinute = append(firstMinute, s)
		}
	}
	fmt.Fprintf(&t, "| RSS samples | %d, every %s |\n", len(samples), floodEvery)
	if len(samples) > 0 {
		fmt.Fprintf(&t, "| max in the first minute | %s |\n", formatKiB(maxRSS(firstMinute)))
		fmt.Fprintf(&t, "| max over the whole run | %s |\n", formatKiB(maxRSS(samples)))
		fmt.Fprintf(&t, "| last sample (%s) | %s |\n", samples[len(samples)-1].at.Round(time.Second),
			formatKiB(samples[len(samples)-1].kib))
	}
	goal := "not judged: fewer than 3 RSS samples"
	if third := len(samples) / 3; third > 0 {
		first, last := maxRSS(samples[:third]), maxRSS(samples[len(samples)-third:])
		fmt.Fprintf(&t, "| max of the first third / of the last third (%d samples each) | %s / %s |\n",
			third, formatKiB(first), formatKiB(last))
		goal = verdict(float64(last) <= 1.2*float64(first), fmt.Sprintf("last third / first third = %.3f",
			float64(last)/float64(first)))
	}
	fmt.Fprintf(&t, "| winewarden after SIGTERM | %s, %s later |\n", rec.exit, rec.stopTime.Round(10*time.Millisecond))
	t.WriteString(floodLogRows(sessionLogPath(rec.stderr)))

	return section(title, goalText, goal,
		fmt.Sprintf("winewarden ran `/bin/sh -c 'while :; do stress connect-flood 127.0.0.1 PORT %d >/dev/null; "+
			"done'` (testdata/elf/stress.c) for %s against a listener that the benchmark opens on 127.0.0.1, "+
			"with the default connection rate limit of 1000 attempts per second per process. Each stress "+
			"process gets about 1000 connects per second through, and each is logged as a network event. The "+
			"rest are refused and summed up in one rate_limit event per second. The benchmark read VmRSS of the "+
			"wrapper process from /proc/PID/status every %s, then stopped the run with SIGTERM to the wrapper "+
			"and waited for it. The memory counts as bounded when the largest sample of the last third of "+
			"the run is at most 1.2 × the largest sample of the first third.",
			floodAttempts, duration, floodEvery),
		t.String())
}

// sampledRun is a winewarden run whose RSS was sampled until it was stopped.
type sampledRun struct {
	samples  []rssSample
	stderr   []byte
	exit     string        // how winewarden ended
	stopTime time.Duration // from SIGTERM until winewarden exited
}

// sampleWrapper starts argv, reads the VmRSS of the started process every
// floodEvery for duration, then stops it with SIGTERM and waits for it.
func sampleWrapper(argv, env []string, duration time.Duration) (sampledRun, error) {
	ctx, cancel := context.WithTimeout(context.Background(), duration+runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return sampledRun{}, fmt.Errorf("starting winewarden failed: %v", err)
	}

	var run sampledRun
	var sampleErr error
	started := time.Now()
	for at := floodEvery; at <= duration; at += floodEvery {
		time.Sleep(time.Until(started.Add(at)))
		size, err := readRSS(cmd.Process.Pid)
		if err != nil {
			sampleErr = err
			break
		}
		run.samples = append(run.samples, rssSample{at: time.Since(started), kib: size})
	}

	cmd.Process.Signal(syscall.SIGTERM)
	stopped := time.Now()
	waitErr := cmd.Wait()
	run.stopTime = time.Since(stopped)
	run.stderr = stderr.Bytes()
	if sampleErr != nil {
		return run, fmt.Errorf("reading the wrapper's RSS failed after %d samples: %v. winewarden ended with %v: %s",
			len(run.samples), sampleErr, waitErr, firstLines(stderr.String(), 2))
	}
	// SIGTERM ends the sandboxed shell, so a non-zero exit status is expected.
	run.exit = cmd.ProcessState.String()
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		run.exit = waitErr.Error()
	}
	return run, nil
}

// floodLogRows returns the table rows about the session log of the flood.
func floodLogRows(path string) string {
	if path == "" {
		return "| session log | not named by the wrapper |\n"
	}
	kinds := map[string]int64{}
	var dropped, notifications int64
	var peak float64
	events, err := countSessionLog(path, func(e audit.Event) {
		kinds[e.Kind]++
		switch {
		case e.Kind == audit.KindEventsDropped:
			n, _ := e.Fields["dropped"].(float64)
			dropped += int64(n)
		case e.Kind == audit.KindLayer && e.Detail == "supervisor summary":
			n, _ := e.Fields["notifications"].(float64)
			notifications = int64(n)
		case e.Kind == audit.KindExit:
			peak, _ = e.Fields["wrapper_peak_rss_kib"].(float64)
		}
	})
	if err != nil {
		return fmt.Sprintf("| session log | %s |\n", markdownCell(err.Error()))
	}

	var t strings.Builder
	fmt.Fprintf(&t, "| events in the session log | %d (network %d, rate_limit %d, process %d, "+
		"events_dropped %d with %d events lost) |\n", events, kinds[audit.KindNetwork],
		kinds[audit.KindRateLimit], kinds[audit.KindProcess], kinds[audit.KindEventsDropped], dropped)
	fmt.Fprintf(&t, "| notifications (supervisor summary) | %d |\n", notifications)
	if info, err := os.Stat(path); err == nil {
		fmt.Fprintf(&t, "| session log size | %.1f MiB |\n", float64(info.Size())/(1<<20))
	}
	fmt.Fprintf(&t, "| wrapper peak RSS (exit event) | %s |\n", formatKiB(int64(peak)))
	return t.String()
}
