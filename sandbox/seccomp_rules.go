package sandbox

import "syscall"

// ArgCheck restricts a rule to calls whose argument Index, masked with Mask,
// equals Value. A zero Mask compares the whole 64-bit argument. NotEqual
// inverts the comparison and needs a zero Mask.
type ArgCheck struct {
	Index    int
	Mask     uint64
	Value    uint64
	NotEqual bool
}

// SyscallRule is one entry of the seccomp deny table or of the table of
// supervised syscalls, which has no Errno.
type SyscallRule struct {
	Name   string
	Errno  syscall.Errno
	Checks []ArgCheck
	Reason string
}

// Terminal ioctls that push input into a terminal or reach the Linux
// console. The kernel reads the ioctl command as a 32-bit value, so the
// filter compares only the low 32 bits: a command with high bits set is the
// same command.
const (
	ioctlTIOCSTI   = 0x5412
	ioctlTIOCLINUX = 0x541C
	lowBits32      = 0xFFFFFFFF

	// personalityAddrNoRandomize is ADDR_NO_RANDOMIZE of personality(2).
	personalityAddrNoRandomize = 0x0040000
)

// DeniedSyscalls is the seccomp deny table, applied to both the x86_64 and
// the i386 ABI. Everything else is allowed, because Wine and games use a
// wide range of syscalls (modify_ldt, futex_waitv, memfd_create, eventfd,
// sysinfo, AF_UNIX/INET/INET6/NETLINK sockets among them). ptrace stays
// allowed: the pid namespace hides every process outside the sandbox and
// Landlock forbids tracing across its domain boundary.
var DeniedSyscalls = []SyscallRule{
	{Name: "clone3", Errno: syscall.ENOSYS, Reason: "clone3 flags live in memory the filter cannot inspect; libc falls back to clone"},

	{Name: "ioctl", Errno: syscall.EPERM, Checks: []ArgCheck{{Index: 1, Mask: lowBits32, Value: ioctlTIOCSTI}}, Reason: "TIOCSTI pushes keystrokes into the terminal"},
	{Name: "ioctl", Errno: syscall.EPERM, Checks: []ArgCheck{{Index: 1, Mask: lowBits32, Value: ioctlTIOCLINUX}}, Reason: "TIOCLINUX can paste into the Linux console"},

	{Name: "process_vm_writev", Errno: syscall.EPERM, Reason: "writes into another process's memory"},
	{Name: "kexec_load", Errno: syscall.EPERM, Reason: "loads a new kernel"},
	{Name: "kexec_file_load", Errno: syscall.EPERM, Reason: "loads a new kernel"},
	{Name: "bpf", Errno: syscall.EPERM, Reason: "kernel attack surface"},
	{Name: "perf_event_open", Errno: syscall.EPERM, Reason: "kernel attack surface and side channels"},
	{Name: "keyctl", Errno: syscall.EPERM, Reason: "kernel keyrings are not namespaced"},
	{Name: "add_key", Errno: syscall.EPERM, Reason: "kernel keyrings are not namespaced"},
	{Name: "request_key", Errno: syscall.EPERM, Reason: "kernel keyrings are not namespaced"},

	{Name: "mount", Errno: syscall.EPERM, Reason: "the mount view is fixed after setup"},
	{Name: "umount2", Errno: syscall.EPERM, Reason: "the mount view is fixed after setup"},
	{Name: "pivot_root", Errno: syscall.EPERM, Reason: "the mount view is fixed after setup"},
	{Name: "fsopen", Errno: syscall.EPERM, Reason: "new mount API"},
	{Name: "fsconfig", Errno: syscall.EPERM, Reason: "new mount API"},
	{Name: "fsmount", Errno: syscall.EPERM, Reason: "new mount API"},
	{Name: "fspick", Errno: syscall.EPERM, Reason: "new mount API"},
	{Name: "move_mount", Errno: syscall.EPERM, Reason: "new mount API"},
	{Name: "open_tree", Errno: syscall.EPERM, Reason: "new mount API"},
	{Name: "mount_setattr", Errno: syscall.EPERM, Reason: "new mount API"},

	{Name: "io_uring_setup", Errno: syscall.EPERM, Reason: "io_uring bypasses syscall filtering"},
	{Name: "io_uring_enter", Errno: syscall.EPERM, Reason: "io_uring bypasses syscall filtering"},
	{Name: "io_uring_register", Errno: syscall.EPERM, Reason: "io_uring bypasses syscall filtering"},
	{Name: "userfaultfd", Errno: syscall.EPERM, Reason: "widens kernel race windows"},

	{Name: "acct", Errno: syscall.EPERM, Reason: "host accounting"},
	{Name: "swapon", Errno: syscall.EPERM, Reason: "host swap"},
	{Name: "swapoff", Errno: syscall.EPERM, Reason: "host swap"},
	{Name: "reboot", Errno: syscall.EPERM, Reason: "host power state"},
	{Name: "init_module", Errno: syscall.EPERM, Reason: "kernel modules"},
	{Name: "finit_module", Errno: syscall.EPERM, Reason: "kernel modules"},
	{Name: "delete_module", Errno: syscall.EPERM, Reason: "kernel modules"},
	{Name: "settimeofday", Errno: syscall.EPERM, Reason: "host clock"},
	{Name: "clock_settime", Errno: syscall.EPERM, Reason: "host clock"},
	{Name: "clock_adjtime", Errno: syscall.EPERM, Reason: "host clock"},
	{Name: "adjtimex", Errno: syscall.EPERM, Reason: "host clock"},
	{Name: "iopl", Errno: syscall.EPERM, Reason: "raw port I/O"},
	{Name: "ioperm", Errno: syscall.EPERM, Reason: "raw port I/O"},

	{Name: "open_by_handle_at", Errno: syscall.EPERM, Reason: "opens files by handle, bypassing the mount view"},
	{Name: "syslog", Errno: syscall.EPERM, Reason: "kernel log"},
	{Name: "vhangup", Errno: syscall.EPERM, Reason: "terminal control"},
	{Name: "quotactl", Errno: syscall.EPERM, Reason: "host quotas"},
	{Name: "lookup_dcookie", Errno: syscall.EPERM, Reason: "kernel profiling interface"},
}

func init() {
	DeniedSyscalls = append(DeniedSyscalls, personalityRules()...)
}

// personalityRules deny personality(2) calls that set ADDR_NO_RANDOMIZE,
// which turns off ASLR, while keeping the query form 0xFFFFFFFF (all low 32
// bits set, the kernel ignores the high ones). libseccomp cannot combine two
// checks on one argument, so the rule is split: bit 31 clear, or bit 31 set
// together with some other low bit clear.
func personalityRules() []SyscallRule {
	const addrNoRandomize = personalityAddrNoRandomize
	const bit31 = 1 << 31
	reason := "ADDR_NO_RANDOMIZE turns off ASLR"
	rules := []SyscallRule{{Name: "personality", Errno: syscall.EPERM, Reason: reason,
		Checks: []ArgCheck{{Index: 0, Mask: addrNoRandomize | bit31, Value: addrNoRandomize}}}}
	for bit := uint64(0); bit < 31; bit++ {
		if 1<<bit == addrNoRandomize {
			continue
		}
		rules = append(rules, SyscallRule{Name: "personality", Errno: syscall.EPERM, Reason: reason,
			Checks: []ArgCheck{{Index: 0, Mask: addrNoRandomize | bit31 | 1<<bit, Value: addrNoRandomize | bit31}}})
	}
	return rules
}

// cloneThread is CLONE_THREAD: clone with it creates a thread, without it a
// process.
const cloneThread = 0x10000

// SupervisedSyscalls are sent to the supervisor (SECCOMP_RET_USER_NOTIF)
// instead of running at once. On i386, libseccomp also routes the
// socketcall(2) forms of connect, sendto, sendmsg and sendmmsg there.
var SupervisedSyscalls = []SyscallRule{
	{Name: "execve", Reason: "exec policy and process tree"},
	{Name: "execveat", Reason: "exec policy and process tree"},
	{Name: "fork", Reason: "process limit and process tree"},
	{Name: "vfork", Reason: "process limit and process tree"},
	{Name: "clone", Checks: []ArgCheck{{Index: 0, Mask: cloneThread, Value: 0}}, Reason: "new processes count against the process limit; new threads do not"},
	{Name: "connect", Reason: "network destinations"},
	{Name: "sendto", Checks: []ArgCheck{{Index: 4, NotEqual: true, Value: 0}}, Reason: "network destinations of unconnected sockets; a NULL destination is an ordinary send"},
	{Name: "sendmsg", Reason: "network destinations; the destination sits in memory the filter cannot read"},
	{Name: "sendmmsg", Reason: "network destinations; the destination sits in memory the filter cannot read"},
}

// AllowedSyscalls must pass the filter unchanged, because Wine or games
// break without them. Tests check them against the compiled filter.
var AllowedSyscalls = []string{
	"modify_ldt", "futex_waitv", "memfd_create", "eventfd2", "socket",
	"sysinfo", "ptrace", "getppid",
}
