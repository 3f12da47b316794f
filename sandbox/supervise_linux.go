//go:build linux

package sandbox

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// stopGrace is how long processes get to exit after a forwarded
	// SIGINT, SIGTERM or SIGHUP before everything is killed.
	stopGrace = 10 * time.Second
	pollEvery = 50 * time.Millisecond
)

// supervise forwards termination signals to every process of the sandbox,
// reaps every child (orphans are reparented to pid 1), and returns when the
// last process is gone. The target may exit before its descendants: a
// launcher that starts the game and exits is normal, so the sandbox lives on
// until the game is gone too.
func supervise(target int) int {
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGCHLD)
	ticker := time.NewTicker(pollEvery)
	defer ticker.Stop()

	status := -1
	var killAt time.Time
	stoppedServer := false
	for {
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if errors.Is(err, unix.ECHILD) {
				if status < 0 {
					status = exitSetupFailed
				}
				return status
			}
			if err != nil && !errors.Is(err, unix.EINTR) {
				return exitSetupFailed
			}
			if pid <= 0 {
				break
			}
			if pid == target {
				status = exitStatus(ws)
			}
		}

		select {
		case sig := <-signals:
			if sig == unix.SIGCHLD {
				continue
			}
			// kill(-1) from pid 1 reaches every process in the
			// namespace except pid 1 itself.
			unix.Kill(-1, sig.(syscall.Signal))
			if killAt.IsZero() {
				killAt = time.Now().Add(stopGrace)
			}
		case <-ticker.C:
		}

		if !killAt.IsZero() && time.Now().After(killAt) {
			unix.Kill(-1, unix.SIGKILL)
		}
		if status >= 0 && !stoppedServer && onlyWineserverLeft() {
			// wineserver lingers a few seconds after its last client;
			// SIGTERM makes it save the registry and exit now.
			stopWineserver()
			stoppedServer = true
		}
	}
}

func exitStatus(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// remaining lists the processes in the sandbox other than pid 1.
func remaining() map[int]string {
	procs := map[int]string{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return procs
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == 1 {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		procs[pid] = strings.TrimSpace(string(comm))
	}
	return procs
}

func isWineserver(comm string) bool {
	return comm == "wineserver" || comm == "wineserver64"
}

func onlyWineserverLeft() bool {
	procs := remaining()
	if len(procs) == 0 {
		return false
	}
	for _, comm := range procs {
		if !isWineserver(comm) {
			return false
		}
	}
	return true
}

func stopWineserver() {
	for pid, comm := range remaining() {
		if isWineserver(comm) {
			unix.Kill(pid, unix.SIGTERM)
		}
	}
}
