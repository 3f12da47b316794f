//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"unsafe"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
	"kernel.org/pub/linux/libs/security/libcap/psx"
)

// dropCapabilities clears the ambient, inheritable, permitted and effective
// capability sets on every thread of the init stage, and empties the
// bounding set of the calling thread. Capabilities are per thread: the
// target is forked from the calling thread (RunInit locks it), so it
// inherits the empty bounding set, and the other threads keep no
// capability they could use. Each all-threads call signals every thread,
// so the per-capability bounding drops stay on this thread.
func dropCapabilities() error {
	for c := 0; c <= 63; c++ {
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			break // past the last capability this kernel supports
		}
		if err != nil {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	return clearCapabilitySets()
}

// clearCapabilitySets clears the ambient, inheritable, permitted and
// effective sets on every thread, which needs no privilege. Without
// namespaces it is all the init stage can do: emptying the bounding set
// needs CAP_SETPCAP, and no_new_privs keeps that set from ever granting
// anything.
func clearCapabilitySets() error {
	if err := ll.AllThreadsPrctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}

	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	_, _, errno := psx.Syscall3(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if errno != 0 {
		return fmt.Errorf("clearing capability sets: %w", errno)
	}
	return nil
}

// setNoNewPrivs makes execve unable to grant privileges (setuid bits, file
// capabilities) to any thread of the init stage or its descendants.
func setNoNewPrivs() error {
	if err := ll.AllThreadsPrctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	return nil
}
