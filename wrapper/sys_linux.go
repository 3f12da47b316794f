//go:build linux

package wrapper

import (
	"os"
	"syscall"

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

func sigName(n int) string { return unix.SignalName(syscall.Signal(n)) }
