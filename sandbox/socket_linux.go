//go:build linux

package sandbox

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Disconnect calls connect(2) on fd with an AF_UNSPEC address, which
// dissolves a datagram socket's association (and aborts a TCP connection).
// golang.org/x/sys has no Sockaddr type for AF_UNSPEC, so the supervisor,
// which emulates such calls for sandboxed programs, needs this one.
func Disconnect(fd int) error {
	var addr [16]byte // a struct sockaddr whose sa_family is AF_UNSPEC (0)
	_, _, errno := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&addr[0])), uintptr(len(addr)))
	if errno != 0 {
		return errno
	}
	return nil
}
