//go:build linux

package sandbox

import (
	"encoding/binary"
	"syscall"
	"testing"

	seccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/net/bpf"
)

const (
	auditArchX8664 = 0xC000003E
	auditArchI386  = 0x40000003
	x32SyscallBit  = 0x40000000

	retAllow = 0x7fff0000
	retErrno = 0x00050000
)

// filterVM runs the compiled seccomp program on synthetic seccomp_data, so
// the rule table is checked without loading it into a kernel.
type filterVM struct{ vm *bpf.VM }

func newFilterVM(t *testing.T) filterVM {
	t.Helper()
	prog, err := CompiledFilter()
	if err != nil {
		t.Fatalf("compiling filter: %v", err)
	}
	var insns []bpf.Instruction
	for i := 0; i+8 <= len(prog); i += 8 {
		raw := bpf.RawInstruction{
			Op: binary.LittleEndian.Uint16(prog[i:]),
			Jt: prog[i+2],
			Jf: prog[i+3],
			K:  binary.LittleEndian.Uint32(prog[i+4:]),
		}
		insns = append(insns, raw.Disassemble())
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatalf("loading filter into the BPF VM: %v", err)
	}
	return filterVM{vm: vm}
}

// run returns the filter's verdict. seccomp loads 32-bit words in host
// order while the VM loads them big-endian, so each word is stored
// big-endian at its x86 offset (low half of a 64-bit argument first).
func (f filterVM) run(t *testing.T, arch uint32, nr int32, args ...uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[0:], uint32(nr))
	binary.BigEndian.PutUint32(data[4:], arch)
	for i, a := range args {
		off := 16 + 8*i
		binary.BigEndian.PutUint32(data[off:], uint32(a))
		binary.BigEndian.PutUint32(data[off+4:], uint32(a>>32))
	}
	ret, err := f.vm.Run(data)
	if err != nil {
		t.Fatalf("running filter: %v", err)
	}
	return uint32(ret)
}

func syscallNr(t *testing.T, name string, arch seccomp.ScmpArch) int32 {
	t.Helper()
	nr, err := seccomp.GetSyscallFromNameByArch(name, arch)
	if err != nil {
		t.Fatalf("syscall %s on %v: %v", name, arch, err)
	}
	return int32(nr)
}

var arches = []struct {
	name  string
	audit uint32
	scmp  seccomp.ScmpArch
}{
	{"x86_64", auditArchX8664, seccomp.ArchAMD64},
	{"i386", auditArchI386, seccomp.ArchX86},
}

func TestFilterDeniesTableOnBothABIs(t *testing.T) {
	vm := newFilterVM(t)
	for _, a := range arches {
		for _, rule := range DeniedSyscalls {
			if len(rule.Checks) > 0 {
				continue
			}
			nr, err := seccomp.GetSyscallFromNameByArch(rule.Name, a.scmp)
			if err != nil || nr < 0 {
				continue // not part of this ABI (iopl exists only on some)
			}
			got := vm.run(t, a.audit, int32(nr))
			if want := uint32(retErrno | uint32(rule.Errno)); got != want {
				t.Errorf("%s %s: verdict %#x, want errno %d (%#x)", a.name, rule.Name, got, rule.Errno, want)
			}
		}
	}
}

func TestFilterAllowsWhatWineNeeds(t *testing.T) {
	vm := newFilterVM(t)
	for _, a := range arches {
		for _, name := range AllowedSyscalls {
			nr, err := seccomp.GetSyscallFromNameByArch(name, a.scmp)
			if err != nil || nr < 0 {
				continue
			}
			if got := vm.run(t, a.audit, int32(nr)); got != retAllow {
				t.Errorf("%s %s: verdict %#x, want allow", a.name, name, got)
			}
		}
	}
}

func TestFilterClone3ReturnsENOSYS(t *testing.T) {
	vm := newFilterVM(t)
	for _, a := range arches {
		got := vm.run(t, a.audit, syscallNr(t, "clone3", a.scmp))
		if want := uint32(retErrno | uint32(syscall.ENOSYS)); got != want {
			t.Errorf("%s clone3: verdict %#x, want ENOSYS", a.name, got)
		}
	}
}

func TestFilterTerminalIoctlsLow32Bits(t *testing.T) {
	vm := newFilterVM(t)
	deny := uint32(retErrno | uint32(syscall.EPERM))
	cases := []struct {
		cmd  uint64
		want uint32
	}{
		{ioctlTIOCSTI, deny},
		{ioctlTIOCSTI | 0xdead000000000000, deny},
		{ioctlTIOCSTI | 0xffffffff00000000, deny},
		{ioctlTIOCLINUX, deny},
		{ioctlTIOCLINUX | 0x100000000, deny},
		{0x5401, retAllow}, // TCGETS
		{0x541B, retAllow}, // FIONREAD
	}
	for _, a := range arches {
		nr := syscallNr(t, "ioctl", a.scmp)
		for _, c := range cases {
			if got := vm.run(t, a.audit, nr, 0, c.cmd, 0); got != c.want {
				t.Errorf("%s ioctl(%#x): verdict %#x, want %#x", a.name, c.cmd, got, c.want)
			}
		}
	}
}

func TestFilterPersonalityASLR(t *testing.T) {
	vm := newFilterVM(t)
	deny := uint32(retErrno | uint32(syscall.EPERM))
	cases := []struct {
		persona uint64
		want    uint32
	}{
		{0, retAllow},                  // PER_LINUX
		{0xffffffff, retAllow},         // query
		{0xffffffffffffffff, retAllow}, // query, high bits ignored by the kernel
		{0x0040000, deny},              // ADDR_NO_RANDOMIZE
		{0x0040008, deny},
		{0x80040000, deny},    // bit 31 set together with the flag
		{0xfffffffe, deny},    // everything but bit 0
		{0x0400000, retAllow}, // READ_IMPLIES_EXEC alone
	}
	for _, a := range arches {
		nr := syscallNr(t, "personality", a.scmp)
		for _, c := range cases {
			if got := vm.run(t, a.audit, nr, c.persona); got != c.want {
				t.Errorf("%s personality(%#x): verdict %#x, want %#x", a.name, c.persona, got, c.want)
			}
		}
	}
}

func TestFilterRefusesX32(t *testing.T) {
	vm := newFilterVM(t)
	open := syscallNr(t, "getppid", seccomp.ArchAMD64)
	got := vm.run(t, auditArchX8664, open|x32SyscallBit)
	if got == retAllow {
		t.Fatalf("x32 getppid: allowed, want refused")
	}
}

const retUserNotif = 0x7fc00000

// i386Direct are the direct i386 socket syscall numbers, which libseccomp
// 2.5 handles only as socketcall(2) sub-calls.
var i386Direct = map[string]int32{"connect": 362, "sendto": 369, "sendmsg": 370, "sendmmsg": 345}

// supervisedNr returns a syscall's number, from i386Direct where
// libseccomp has none.
func supervisedNr(t *testing.T, name string, a seccomp.ScmpArch) int32 {
	t.Helper()
	if n, ok := i386Direct[name]; ok && a == seccomp.ArchX86 {
		return n
	}
	return syscallNr(t, name, a)
}

func TestFilterSendsSupervisedSyscalls(t *testing.T) {
	vm := newFilterVM(t)
	for _, a := range arches {
		for _, name := range []string{"execve", "execveat", "fork", "vfork", "connect", "sendmsg", "sendmmsg"} {
			nr := supervisedNr(t, name, a.scmp)
			if got := vm.run(t, a.audit, nr); got != retUserNotif {
				t.Errorf("%s %s: verdict %#x, want user notification", a.name, name, got)
			}
		}
	}
}

func TestFilterCloneThreadsNotSupervised(t *testing.T) {
	vm := newFilterVM(t)
	const (
		cloneVM     = 0x100
		cloneVfork  = 0x4000
		cloneThread = 0x10000
		sigchld     = 17
	)
	cases := []struct {
		name  string
		flags uint64
		want  uint32
	}{
		{"pthread_create", cloneVM | 0xf00 | cloneThread | 0x3d0000, retAllow},
		{"fork", sigchld, retUserNotif},
		{"posix_spawn", cloneVM | cloneVfork | sigchld, retUserNotif},
		{"thread bit above 32", cloneThread | 1<<40, retAllow},
	}
	for _, a := range arches {
		nr := syscallNr(t, "clone", a.scmp)
		for _, c := range cases {
			if got := vm.run(t, a.audit, nr, c.flags); got != c.want {
				t.Errorf("%s clone %s (%#x): verdict %#x, want %#x", a.name, c.name, c.flags, got, c.want)
			}
		}
	}
}

func TestFilterSendtoWithoutDestinationNotSupervised(t *testing.T) {
	vm := newFilterVM(t)
	for _, a := range arches {
		nr := supervisedNr(t, "sendto", a.scmp)
		if got := vm.run(t, a.audit, nr, 3, 0x1000, 10, 0, 0, 0); got != retAllow {
			t.Errorf("%s sendto without destination: verdict %#x, want allow", a.name, got)
		}
		if got := vm.run(t, a.audit, nr, 3, 0x1000, 10, 0, 0x2000, 16); got != retUserNotif {
			t.Errorf("%s sendto with destination: verdict %#x, want user notification", a.name, got)
		}
	}
}

// On i386, connect and sends can also go through socketcall(2).
func TestFilterSupervisesI386Socketcall(t *testing.T) {
	vm := newFilterVM(t)
	nr := syscallNr(t, "socketcall", seccomp.ArchX86)
	for _, sub := range []uint64{3, 16, 20} { // SYS_CONNECT, SYS_SENDMSG, SYS_SENDMMSG
		if got := vm.run(t, auditArchI386, nr, sub, 0x1000); got != retUserNotif {
			t.Errorf("i386 socketcall(%d): verdict %#x, want user notification", sub, got)
		}
	}
	if got := vm.run(t, auditArchI386, nr, 1, 0x1000); got != retAllow { // SYS_SOCKET
		t.Errorf("i386 socketcall(SYS_SOCKET): verdict %#x, want allow", got)
	}
}
