//go:build linux

package supervisor

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Bounds on what the supervisor copies out of a sandboxed process for one
// syscall. A path longer than maxPathLen fails in the kernel as well
// (PATH_MAX is 4096). Arguments beyond maxArgs or maxArgBytes are cut off:
// the decision reads only the first few, and the event marks the cut.
const (
	maxPathLen  = 4096
	maxArgs     = 256
	maxArgBytes = 32 << 10
	pageSize    = 4096
)

// errUnterminated reports a string that runs into unmapped memory or past
// its bound without a terminating NUL.
var errUnterminated = errors.New("string not terminated")

// memory reads another process's memory with process_vm_readv, which needs
// ptrace access to it (same user, and a descendant under Yama's
// ptrace_scope 1). It never reads across a page boundary in one call, so a
// fault on the next page cannot hide the bytes before it.
type memory struct {
	pid int
	// ptr is the pointer size of the calling ABI: 8 on x86_64, 4 on i386.
	ptr int
}

// read copies len(buf) bytes from addr. It returns an error unless every
// byte was readable.
func (m memory) read(addr uint64, buf []byte) error {
	for done := 0; done < len(buf); {
		chunk := len(buf) - done
		if room := pageSize - int((addr+uint64(done))%pageSize); chunk > room {
			chunk = room
		}
		n, err := m.readOnce(addr+uint64(done), buf[done:done+chunk])
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("reading %#x in process %d: %w", addr+uint64(done), m.pid, unix.EFAULT)
		}
		done += n
	}
	return nil
}

func (m memory) readOnce(addr uint64, buf []byte) (int, error) {
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	for {
		n, err := unix.ProcessVMReadv(m.pid, local, remote, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("reading %#x in process %d: %w", addr, m.pid, err)
		}
		return n, nil
	}
}

// readBulk copies len(buf) bytes from addr in one call, for payloads that
// span many pages. Only a complete copy succeeds.
func (m memory) readBulk(addr uint64, buf []byte) error {
	n, err := m.readOnce(addr, buf)
	if err != nil {
		return err
	}
	if n != len(buf) {
		return fmt.Errorf("reading %d bytes at %#x in process %d: %w", len(buf), addr, m.pid, unix.EFAULT)
	}
	return nil
}

// write copies buf to addr with process_vm_writev, as the kernel writes
// results back into the caller's memory.
func (m memory) write(addr uint64, buf []byte) error {
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	for {
		n, err := unix.ProcessVMWritev(m.pid, local, remote, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("writing %#x in process %d: %w", addr, m.pid, err)
		}
		if n != len(buf) {
			return fmt.Errorf("writing %#x in process %d: %w", addr, m.pid, unix.EFAULT)
		}
		return nil
	}
}

// readString copies a NUL-terminated string of at most max bytes (NUL not
// counted) from addr, one page at a time.
func (m memory) readString(addr uint64, max int) ([]byte, error) {
	if addr == 0 {
		return nil, fmt.Errorf("NULL string pointer: %w", unix.EFAULT)
	}
	var out []byte
	var page [pageSize]byte
	for len(out) <= max {
		room := pageSize - int(addr%pageSize)
		n, err := m.readOnce(addr, page[:room])
		if err != nil {
			if len(out) > 0 {
				return out, errUnterminated
			}
			return nil, err
		}
		chunk := page[:n]
		for i, c := range chunk {
			if c == 0 {
				out = append(out, chunk[:i]...)
				if len(out) > max {
					return out[:max], errUnterminated
				}
				return out, nil
			}
		}
		out = append(out, chunk...)
		addr += uint64(n)
	}
	return out[:max], errUnterminated
}

// readPointer copies one pointer of the calling ABI's size.
func (m memory) readPointer(addr uint64) (uint64, error) {
	var buf [8]byte
	if err := m.read(addr, buf[:m.ptr]); err != nil {
		return 0, err
	}
	if m.ptr == 4 {
		return uint64(binary.LittleEndian.Uint32(buf[:4])), nil
	}
	return binary.LittleEndian.Uint64(buf[:]), nil
}

// argv is a copied argument vector.
type argv struct {
	Args []string
	// Truncated is set when the vector had more than maxArgs entries or
	// maxArgBytes bytes, or an entry ran into unreadable memory.
	Truncated bool
}

// readArgv copies a NULL-terminated vector of strings from addr within the
// bounds above. A NULL vector is empty, as the kernel treats it.
func (m memory) readArgv(addr uint64) (argv, error) {
	var out argv
	if addr == 0 {
		return out, nil
	}
	total := 0
	for i := 0; ; i++ {
		if i == maxArgs || total >= maxArgBytes {
			out.Truncated = true
			return out, nil
		}
		p, err := m.readPointer(addr + uint64(i*m.ptr))
		if err != nil {
			if i == 0 {
				return out, err
			}
			out.Truncated = true
			return out, nil
		}
		if p == 0 {
			return out, nil
		}
		s, err := m.readString(p, min(maxArgBytes-total, maxPathLen*8))
		if err != nil && !errors.Is(err, errUnterminated) {
			if i == 0 {
				return out, err
			}
			out.Truncated = true
			return out, nil
		}
		out.Args = append(out.Args, string(s))
		total += len(s) + 1
		if err != nil {
			out.Truncated = true
			return out, nil
		}
	}
}
