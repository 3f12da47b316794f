//go:build linux

package sandbox

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	seccomp "github.com/seccomp/libseccomp-golang"
)

// buildFilter compiles DeniedSyscalls, and SupervisedSyscalls when
// supervised is set, for x86_64 and i386. x32 is not a filter architecture,
// so libseccomp sends x32 calls to the bad-arch action, which refuses them.
func buildFilter(supervised bool) (*seccomp.ScmpFilter, error) {
	filter, err := seccomp.NewFilter(seccomp.ActAllow)
	if err != nil {
		return nil, fmt.Errorf("seccomp: creating filter: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			filter.Release()
		}
	}()

	if err := filter.AddArch(seccomp.ArchX86); err != nil {
		return nil, fmt.Errorf("seccomp: adding the i386 ABI: %w", err)
	}
	if err := filter.SetBadArchAction(seccomp.ActErrno.SetReturnCode(int16(syscall.EPERM))); err != nil {
		return nil, fmt.Errorf("seccomp: setting the bad-arch action: %w", err)
	}
	// no_new_privs is set before the filter loads, by the init stage.
	if err := filter.SetNoNewPrivsBit(false); err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}

	for _, rule := range DeniedSyscalls {
		if err := addRule(filter, rule, seccomp.ActErrno.SetReturnCode(int16(rule.Errno))); err != nil {
			return nil, err
		}
	}
	if supervised {
		for _, rule := range SupervisedSyscalls {
			if err := addRule(filter, rule, seccomp.ActNotify); err != nil {
				return nil, err
			}
		}
	}
	ok = true
	return filter, nil
}

func addRule(filter *seccomp.ScmpFilter, rule SyscallRule, action seccomp.ScmpAction) error {
	nr, err := seccomp.GetSyscallFromName(rule.Name)
	if err != nil {
		return fmt.Errorf("seccomp: syscall %q unknown to libseccomp: %w", rule.Name, err)
	}
	if len(rule.Checks) == 0 {
		if err := filter.AddRule(nr, action); err != nil {
			return fmt.Errorf("seccomp: rule for %s: %w", rule.Name, err)
		}
		return nil
	}
	conds := make([]seccomp.ScmpCondition, 0, len(rule.Checks))
	for _, c := range rule.Checks {
		var cond seccomp.ScmpCondition
		var err error
		switch {
		case c.NotEqual:
			cond, err = seccomp.MakeCondition(uint(c.Index), seccomp.CompareNotEqual, c.Value)
		case c.Mask != 0:
			cond, err = seccomp.MakeCondition(uint(c.Index), seccomp.CompareMaskedEqual, c.Mask, c.Value)
		default:
			cond, err = seccomp.MakeCondition(uint(c.Index), seccomp.CompareEqual, c.Value)
		}
		if err != nil {
			return fmt.Errorf("seccomp: condition for %s: %w", rule.Name, err)
		}
		conds = append(conds, cond)
	}
	if err := filter.AddRuleConditional(nr, action, conds); err != nil {
		return fmt.Errorf("seccomp: conditional rule for %s: %w", rule.Name, err)
	}
	return nil
}

// loadFilter installs the filter on every thread of the calling process
// (SECCOMP_FILTER_FLAG_TSYNC). With supervised set it returns the
// notification descriptor, which is close-on-exec.
func loadFilter(supervised bool) (int, error) {
	if !supervised {
		filter, err := buildFilter(false)
		if err != nil {
			return -1, err
		}
		defer filter.Release()
		if err := filter.Load(); err != nil {
			return -1, fmt.Errorf("seccomp: loading filter: %w", err)
		}
		return -1, nil
	}
	prog, err := CompiledFilter()
	if err != nil {
		return -1, err
	}
	fd, err := loadProgram(prog, unix.SECCOMP_FILTER_FLAG_TSYNC|unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH|unix.SECCOMP_FILTER_FLAG_NEW_LISTENER)
	if err != nil {
		return -1, fmt.Errorf("seccomp: loading filter: %w", err)
	}
	return fd, nil
}

// CompiledFilter returns the classic BPF program of the supervised filter:
// libseccomp's program behind the i386 prefix (see i386SocketPrefix). The
// init stage loads exactly these bytes.
func CompiledFilter() ([]byte, error) {
	filter, err := buildFilter(true)
	if err != nil {
		return nil, err
	}
	defer filter.Release()

	fd, err := unix.MemfdCreate("winewarden-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("seccomp: exporting BPF: %w", err)
	}
	f := os.NewFile(uintptr(fd), "winewarden-bpf")
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("seccomp: exporting BPF: %w", err)
	}
	body, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<24))
	if err != nil {
		return nil, fmt.Errorf("seccomp: exporting BPF: %w", err)
	}
	prefix, err := i386SocketPrefix()
	if err != nil {
		return nil, err
	}
	return append(prefix, body...), nil
}

// LibseccompVersion reports the libseccomp library in use.
func LibseccompVersion() string {
	major, minor, micro := seccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}
