//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Listener is the supervisor's end of the sandbox's seccomp filter: the
// user-notification file descriptor. Every syscall the filter marks as
// supervised blocks in the kernel until the holder of this descriptor
// responds to it.
//
// When the last copy of the descriptor is closed, supervised syscalls fail
// with ENOSYS, so a dead supervisor leaves nothing running unwatched.
type Listener struct {
	file *os.File
}

// NewListener wraps a notification descriptor, for example one taken from
// the init stage with pidfd_getfd.
func NewListener(fd int) *Listener {
	return &Listener{file: os.NewFile(uintptr(fd), "seccomp-notify")}
}

// Fd returns the descriptor number.
func (l *Listener) Fd() int { return int(l.file.Fd()) }

// Close closes the descriptor.
func (l *Listener) Close() error { return l.file.Close() }

// Request is one notification: a sandboxed thread waiting in a syscall.
type Request struct {
	ID uint64
	// PID is the calling thread's id in the supervisor's pid namespace.
	PID   int
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
	Flags uint32
}

// Audit architecture values of seccomp_data.arch.
const (
	ArchX86_64 = 0xc000003e
	ArchI386   = 0x40000003
)

// Kernel layouts of struct seccomp_notif (80 bytes) and struct
// seccomp_notif_resp (24 bytes) from include/uapi/linux/seccomp.h.
type kernelNotif struct {
	id    uint64
	pid   uint32
	flags uint32
	nr    int32
	arch  uint32
	ip    uint64
	args  [6]uint64
}

type kernelResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

// seccompIoctlNotifIDValid is SECCOMP_IOW(2, __u64) and
// seccompIoctlNotifSetFlags SECCOMP_IOW(4, __u64); golang.org/x/sys defines
// neither.
const (
	seccompIoctlNotifIDValid  = 0x40082102
	seccompIoctlNotifSetFlags = 0x40082104
)

// SetSyncWakeUp makes the kernel (Linux 6.6 and later) wake the supervisor
// on the notifying thread's CPU and switch to it at once, which removes
// most of the scheduling delay of each round trip. Older kernels return
// EINVAL, and notifications then work as before.
func (l *Listener) SetSyncWakeUp() error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, l.file.Fd(), seccompIoctlNotifSetFlags, uintptr(unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP))
	if errno != 0 {
		return errno
	}
	return nil
}

// ErrNotificationGone reports that the thread behind a notification is no
// longer waiting for the response: it was killed or its syscall interrupted.
var ErrNotificationGone = errors.New("seccomp notification no longer valid")

// Wait blocks until a notification is ready or the sandbox is gone. It
// returns false once no process uses the filter any more (POLLHUP).
func (l *Listener) Wait() (bool, error) {
	fds := []unix.PollFd{{Fd: int32(l.Fd()), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("polling the seccomp listener: %w", err)
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			return true, nil
		}
		if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			return false, nil
		}
	}
}

// Receive reads the next notification into req. It blocks when none is
// ready, so callers use Wait first. ENOENT means the thread went away
// between Wait and Receive; the caller simply waits again.
func (l *Listener) Receive(req *Request) error {
	var n kernelNotif
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, l.file.Fd(), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&n)))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		break
	}
	*req = Request{ID: n.id, PID: int(n.pid), Nr: n.nr, Arch: n.arch, IP: n.ip, Args: n.args, Flags: n.flags}
	return nil
}

// Deny fails the syscall with errno (positive, as in syscall.EACCES).
func (l *Listener) Deny(id uint64, errno unix.Errno) error {
	return l.respond(kernelResp{id: id, error: -int32(errno)})
}

// Return makes the syscall return val without running it.
func (l *Listener) Return(id uint64, val int64) error {
	return l.respond(kernelResp{id: id, val: val})
}

// Continue lets the kernel run the syscall. The kernel reads the syscall's
// memory arguments again after this response, so a check made on a copy of
// them proves nothing about what runs: callers must not rely on it alone.
func (l *Listener) Continue(id uint64) error {
	return l.respond(kernelResp{id: id, flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE})
}

func (l *Listener) respond(resp kernelResp) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, l.file.Fd(), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp)))
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		case unix.ENOENT:
			return ErrNotificationGone
		default:
			return errno
		}
	}
}

// Valid reports whether the thread behind notification id is still
// waiting. A supervisor calls it after reading the thread's memory or
// opening its /proc entries: only then is it certain that the pid still
// names the same thread and the data belongs to this syscall.
func (l *Listener) Valid(id uint64) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, l.file.Fd(), seccompIoctlNotifIDValid, uintptr(unsafe.Pointer(&id)))
	if errno == unix.ENOENT {
		return ErrNotificationGone
	}
	if errno != 0 {
		return errno
	}
	return nil
}
