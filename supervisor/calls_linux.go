//go:build linux

package supervisor

import (
	"encoding/binary"
	"fmt"

	"github.com/winewarden/winewarden/sandbox"
)

// call is a supervised syscall, independent of the ABI that made it.
type call int

const (
	callUnknown call = iota
	callExecve
	callExecveat
	callFork
	callConnect
	callSendto
	callSendmsg
	callSendmmsg
)

func (c call) String() string {
	return [...]string{"unknown", "execve", "execveat", "fork", "connect", "sendto", "sendmsg", "sendmmsg"}[c]
}

// Syscall numbers from arch/x86/entry/syscalls/syscall_64.tbl and
// syscall_32.tbl. fork, vfork and clone (without CLONE_THREAD, which the
// filter checks) all create a process.
var (
	callsX86_64 = map[int32]call{
		59: callExecve, 322: callExecveat,
		57: callFork, 58: callFork, 56: callFork,
		42: callConnect, 44: callSendto, 46: callSendmsg, 307: callSendmmsg,
	}
	callsI386 = map[int32]call{
		11: callExecve, 358: callExecveat,
		2: callFork, 190: callFork, 120: callFork,
		362: callConnect, 369: callSendto, 370: callSendmsg, 345: callSendmmsg,
	}
	// socketcall(2) sub-calls from include/uapi/linux/net.h, with their
	// argument counts.
	socketcalls = map[uint64]struct {
		call call
		args int
	}{
		3: {callConnect, 3}, 11: {callSendto, 6}, 16: {callSendmsg, 3}, 20: {callSendmmsg, 4},
	}
)

const i386Socketcall = 102

// decode names the syscall of a notification and returns its arguments.
// For the i386 socketcall multiplexer the arguments are copied from the
// caller's memory.
func decode(req *sandbox.Request) (call, [6]uint64, error) {
	switch req.Arch {
	case sandbox.ArchX86_64:
		return callsX86_64[req.Nr], req.Args, nil
	case sandbox.ArchI386:
		if req.Nr == i386Socketcall {
			return decodeSocketcall(req)
		}
		var args [6]uint64
		for i, a := range req.Args {
			args[i] = uint64(uint32(a))
		}
		return callsI386[req.Nr], args, nil
	}
	return callUnknown, req.Args, nil
}

func decodeSocketcall(req *sandbox.Request) (call, [6]uint64, error) {
	var args [6]uint64
	sub, ok := socketcalls[uint64(uint32(req.Args[0]))]
	if !ok {
		return callUnknown, args, nil
	}
	buf := make([]byte, 4*sub.args)
	mem := memory{pid: req.PID, ptr: 4}
	if err := mem.read(uint64(uint32(req.Args[1])), buf); err != nil {
		return callUnknown, args, fmt.Errorf("socketcall arguments: %w", err)
	}
	for i := range sub.args {
		args[i] = uint64(binary.LittleEndian.Uint32(buf[4*i:]))
	}
	return sub.call, args, nil
}

// pointerSize is the size of a pointer in the calling ABI.
func pointerSize(arch uint32) int {
	if arch == sandbox.ArchI386 {
		return 4
	}
	return 8
}
