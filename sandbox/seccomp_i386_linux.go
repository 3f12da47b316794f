//go:build linux

package sandbox

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// libseccomp 2.5 handles connect, sendto, sendmsg and sendmmsg on i386 only
// as socketcall(2) sub-calls and rejects their direct syscall numbers
// (362, 369, 370 and 345 since Linux 4.3). A 32-bit program, or raw
// int 0x80 code in a Windows game, can use those numbers, so a few
// instructions in front of libseccomp's program send them to the
// supervisor as well, with sendto only when it carries a destination, as
// on x86_64.

// Direct i386 socket syscalls from arch/x86/entry/syscalls/syscall_32.tbl.
const (
	i386Connect  = 362
	i386Sendto   = 369
	i386Sendmsg  = 370
	i386Sendmmsg = 345
)

// Offsets into struct seccomp_data.
const (
	offsetNr   = 0
	offsetArch = 4
	offsetArg4 = 16 + 4*8
)

// i386SocketPrefix assembles the instructions that run before libseccomp's
// program. They jump past themselves for everything else, and libseccomp's
// program loads what it needs afresh.
func i386SocketPrefix() ([]byte, error) {
	const notify = uint32(unix.SECCOMP_RET_USER_NOTIF)
	// Jump offsets count from the next instruction: "pass" is the first
	// instruction of libseccomp's program (index 11), "notify" index 10.
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offsetArch, Size: 4},                       // 0
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: ArchI386, SkipTrue: 9},   // 1: pass
		bpf.LoadAbsolute{Off: offsetNr, Size: 4},                         // 2
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: i386Connect, SkipTrue: 6},   // 3: notify
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: i386Sendmsg, SkipTrue: 5},   // 4: notify
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: i386Sendmmsg, SkipTrue: 4},  // 5: notify
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: i386Sendto, SkipTrue: 4}, // 6: pass
		bpf.LoadAbsolute{Off: offsetArg4, Size: 4},                       // 7: i386 arguments are 32 bits
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0, SkipTrue: 1},          // 8: notify
		bpf.Jump{Skip: 1},            // 9: pass
		bpf.RetConstant{Val: notify}, // 10
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("seccomp: assembling the i386 prefix: %w", err)
	}
	out := make([]byte, 0, 8*len(raw))
	for _, ins := range raw {
		out = binary.NativeEndian.AppendUint16(out, ins.Op)
		out = append(out, ins.Jt, ins.Jf)
		out = binary.NativeEndian.AppendUint32(out, ins.K)
	}
	return out, nil
}

// loadProgram installs a classic BPF program with seccomp(2) and returns
// the listener when flags ask for one. With TSYNC_ESRCH a thread that
// cannot be synchronized fails the call with ESRCH instead of returning its
// id, which NEW_LISTENER requires.
func loadProgram(prog []byte, flags uintptr) (int, error) {
	if len(prog)%8 != 0 || len(prog)/8 > 0xffff {
		return -1, fmt.Errorf("invalid BPF program of %d bytes", len(prog))
	}
	fprog := unix.SockFprog{
		Len:    uint16(len(prog) / 8),
		Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0])),
	}
	fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return -1, errno
	}
	if flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 {
		return -1, nil
	}
	return int(fd), nil
}
