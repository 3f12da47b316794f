package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// Phases of the monitor benchmark's session.
const (
	monitorIdle   = 12 // seconds the session only sleeps
	monitorBusy   = 14 // seconds it then connects 1,000 times per second
	monitorWindow = 8 * time.Second
)

// monitorBenchmark measures the CPU time of `winewarden monitor`, in a
// terminal that tmux provides, while it follows a session that first idles
// and then logs 1,000 network events per second.
func (b *bench) monitorBenchmark() string {
	const title = "Monitor CPU while following a session"
	goal := "Goal: `winewarden monitor` uses at most 1% of one core while the session is idle and at most 10% while it logs 1,000 events per second."
	method := fmt.Sprintf("The session runs `/bin/sh -c \"sleep %d; DIR/stress connect-rate 127.0.0.1 PORT 1000 %d\"` "+
		"(testdata/elf/stress.c), whose blocking connects to a loopback listener each log a network event. "+
		"`winewarden monitor` runs in a 120×40 tmux window and follows the session on its live socket. The benchmark "+
		"reads utime + stime of the monitor process from /proc/PID/stat over %s of each phase, and counts the session's "+
		"network events to give the rate reached.", monitorIdle, monitorBusy, monitorWindow)
	tmux := findTool("tmux", "")
	if tmux == "" {
		return section(title, goal, "not measured", method, "tmux was not found: install the tmux package.")
	}
	port, cleanup, failure := b.loopbackSetup("[network]\nconnection_rate_limit = 100000\n")
	if failure != "" {
		return section(title, goal, "not measured", method, failure)
	}
	defer cleanup()

	idle, busy, rate, err := b.measureMonitor(tmux, port)
	if err != nil {
		return section(title, goal, "not measured", method, "The run failed: "+markdownCell(err.Error()))
	}
	met := idle <= 1 && busy <= 10
	table := "| phase | monitor CPU (% of one core) | goal |\n|---|---|---|\n" +
		fmt.Sprintf("| idle session | %.2f%% | ≤ 1%% |\n| %.0f events/s | %.2f%% | ≤ 10%% |\n", idle, rate, busy)
	return section(title, goal, verdict(met, fmt.Sprintf("%.2f%% idle, %.2f%% at %.0f events/s", idle, busy, rate)), method, table)
}

func (b *bench) measureMonitor(tmux, port string) (idle, busy, rate float64, err error) {
	script := fmt.Sprintf("sleep %d; exec %s connect-rate 127.0.0.1 %s 1000 %d", monitorIdle,
		filepath.Join(b.game, "stress"), port, monitorBusy)
	cmd := exec.Command(b.bin, b.sandboxed("--game-id", "monitor-bench", "--game-dir", b.game, "--", "/bin/sh", "-c", script)[1:]...)
	cmd.Env = b.env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	started := time.Now()
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	server := "ww-bench-" + strconv.Itoa(os.Getpid())
	quoted := make([]string, 0, len(cmd.Env)+1)
	for _, kv := range append(b.env("TERM=xterm-256color"), "NO_COLOR=1") {
		quoted = append(quoted, "'"+strings.ReplaceAll(kv, "'", `'\''`)+"'")
	}
	monitor := "env -i " + strings.Join(quoted, " ") + " " + b.bin + " monitor"
	if out, err := exec.Command(tmux, "-L", server, "new-session", "-d", "-s", "mon", "-x", "120", "-y", "40", monitor).CombinedOutput(); err != nil {
		return 0, 0, 0, fmt.Errorf("starting tmux: %v: %s", err, out)
	}
	defer exec.Command(tmux, "-L", server, "kill-server").Run()
	if !waitUntil(20*time.Second, func() bool {
		out, _ := exec.Command(tmux, "-L", server, "capture-pane", "-p", "-t", "mon").Output()
		return bytes.Contains(out, []byte("LIVE"))
	}) {
		return 0, 0, 0, fmt.Errorf("the monitor never attached to the session")
	}
	out, err := exec.Command(tmux, "-L", server, "display", "-p", "-t", "mon", "#{pane_pid}").Output()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("finding the monitor's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return 0, 0, 0, err
	}

	if idle, err = cpuShare(pid, monitorWindow); err != nil {
		return 0, 0, 0, err
	}
	time.Sleep(time.Until(started.Add(monitorIdle*time.Second + 2*time.Second)))
	if busy, err = cpuShare(pid, monitorWindow); err != nil {
		return 0, 0, 0, err
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, 0, fmt.Errorf("the session failed: %v: %s", err, firstLines(stderr.String(), 2))
	}
	events := 0
	if path := sessionLogPath(stderr.Bytes()); path != "" {
		countSessionLog(path, func(e audit.Event) {
			if e.Kind == audit.KindNetwork {
				events++
			}
		})
	}
	return idle, busy, float64(events) / monitorBusy, nil
}

// cpuShare returns the percentage of one core that pid used over window.
func cpuShare(pid int, window time.Duration) (float64, error) {
	before, err := readCPUTime(pid)
	if err != nil {
		return 0, err
	}
	time.Sleep(window)
	after, err := readCPUTime(pid)
	if err != nil {
		return 0, err
	}
	return 100 * float64(after-before) / float64(window), nil
}

func waitUntil(limit time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}
