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
	// serverCheckEvery is how often the init stage looks for a lone
	// wineserver when no process has ended since the last look.
	serverCheckEvery = time.Second
)

// supervise forwards termination signals to every process of the sandbox,
// reaps every child (orphans are reparented to pid 1, or to this child
// subreaper when the pid namespace is shared), and returns when the last
// process is gone. The target may exit before its descendants: a
// launcher that starts the game and exits is normal, so the sandbox lives on
// until the game is gone too.
func supervise(target int, shared bool) int {
	procs := sandboxProcs{shared: shared, self: os.Getpid()}
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGCHLD)
	ticker := time.NewTicker(pollEvery)
	defer ticker.Stop()

	status := -1
	var killAt, serverChecked time.Time
	stoppedServer := false
	// childEnded is set by SIGCHLD. The last process to end before
	// wineserver is alone is a child of this process, since any other
	// parent would still run, so a look after each SIGCHLD finds that
	// moment. A look lists the sandbox's processes, which with a shared
	// pid namespace reads the host's /proc, so it is not done every tick.
	childEnded := false
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
				childEnded = true
				continue
			}
			procs.signal(sig.(syscall.Signal))
			if killAt.IsZero() {
				killAt = time.Now().Add(stopGrace)
			}
		case <-ticker.C:
		}

		if !killAt.IsZero() && time.Now().After(killAt) {
			procs.signal(unix.SIGKILL)
		}
		if status >= 0 && !stoppedServer && (childEnded || time.Since(serverChecked) >= serverCheckEvery) {
			childEnded, serverChecked = false, time.Now()
			if procs.onlyWineserverLeft() {
				// wineserver lingers a few seconds after its last
				// client; SIGTERM makes it save the registry and exit
				// now.
				procs.stopWineserver()
				stoppedServer = true
			}
		}
	}
}

func exitStatus(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// sandboxProcs finds the sandbox's processes from the init stage: every
// process of its own pid namespace, or the ones below it when the namespace
// is shared.
type sandboxProcs struct {
	shared bool
	self   int
}

// pids lists the processes in the sandbox other than the init stage.
func (s sandboxProcs) pids() []int {
	if s.shared {
		pids, _ := Descendants("/proc", s.self)
		return pids
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid != 1 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// signal sends sig to every process in the sandbox but the init stage.
func (s sandboxProcs) signal(sig syscall.Signal) {
	if !s.shared {
		// kill(-1) from pid 1 reaches every process in the
		// namespace except pid 1 itself.
		unix.Kill(-1, sig)
		return
	}
	for _, pid := range s.pids() {
		unix.Kill(pid, sig)
	}
}

// remaining maps the processes in the sandbox other than the init stage to
// their command names.
func (s sandboxProcs) remaining() map[int]string {
	procs := map[int]string{}
	for _, pid := range s.pids() {
		comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
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

func (s sandboxProcs) onlyWineserverLeft() bool {
	procs := s.remaining()
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

func (s sandboxProcs) stopWineserver() {
	for pid, comm := range s.remaining() {
		if isWineserver(comm) {
			unix.Kill(pid, unix.SIGTERM)
		}
	}
}
