//go:build linux

package wrapper

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func fileOwner(info os.FileInfo) int {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

func closeFD(fd int) { unix.Close(fd) }

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// peakRSS returns this process's peak resident set size in KiB.
func peakRSS() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Maxrss
}

// cpuTime returns the CPU time (user plus system) the wrapper process has
// used so far, the supervisor included, or -1 if unknown.
func cpuTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sigName(n int) string { return unix.SignalName(syscall.Signal(n)) }
